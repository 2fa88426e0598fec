package assignors

// network is a flow network for the general sticky path: Dinic's max-flow,
// and a primal-dual min-cost flow that runs Dinic over the arcs of zero
// reduced cost. Arcs come in pairs, a and a^1 being each other's reverse, and
// adjacency is stored compactly once all arcs are added (finish).
type network struct {
	from, to []int32
	resid    []int64 // residual capacity
	capacity []int64 // capacity, to read the flow on an arc
	cost     []int64
	pi       []int64 // node potentials; zero for plain max-flow

	adjStart []int32
	adj      []int32
	level    []int32 // BFS distance from the source over usable arcs; -1 unreached
	next     []int32 // Dinic's current-arc pointer per node
	queue    []int32
}

// infCap stands for an unbounded capacity; flows here never exceed 1<<24.
const infCap = int64(1) << 40

func newNetwork(nodes, arcsHint int) *network {
	g := &network{pi: make([]int64, nodes), level: make([]int32, nodes), next: make([]int32, nodes)}
	g.from = make([]int32, 0, 2*arcsHint)
	g.to = make([]int32, 0, 2*arcsHint)
	g.resid = make([]int64, 0, 2*arcsHint)
	g.capacity = make([]int64, 0, 2*arcsHint)
	g.cost = make([]int64, 0, 2*arcsHint)
	return g
}

// addArc adds u->v and its reverse, returning the forward arc.
func (g *network) addArc(u, v int32, capacity, cost int64) int32 {
	a := int32(len(g.to))
	g.from = append(g.from, u, v)
	g.to = append(g.to, v, u)
	g.resid = append(g.resid, capacity, 0)
	g.capacity = append(g.capacity, capacity, 0)
	g.cost = append(g.cost, cost, -cost)
	return a
}

// finish lays out the adjacency lists, arcs in the order they were added.
func (g *network) finish() {
	g.adjStart, g.adj = groupIndices(len(g.pi), g.from)
	g.queue = make([]int32, 0, len(g.pi))
}

// flow is the flow on forward arc a.
func (g *network) flow(a int32) int64 { return g.capacity[a] - g.resid[a] }

// usable reports whether arc a has room and zero reduced cost.
func (g *network) usable(a int32) bool {
	return g.resid[a] > 0 && g.cost[a]+g.pi[g.from[a]]-g.pi[g.to[a]] == 0
}

// bfs levels the nodes reachable from s over usable arcs.
func (g *network) bfs(s, t int32) bool {
	for i := range g.level {
		g.level[i] = -1
	}
	g.level[s] = 0
	g.queue = append(g.queue[:0], s)
	for i := 0; i < len(g.queue); i++ {
		u := g.queue[i]
		for _, a := range g.adj[g.adjStart[u]:g.adjStart[u+1]] {
			if v := g.to[a]; g.level[v] < 0 && g.usable(a) {
				g.level[v] = g.level[u] + 1
				g.queue = append(g.queue, v)
			}
		}
	}
	return g.level[t] >= 0
}

// push sends up to limit units from u to t along level-increasing usable arcs
// and returns how many it sent.
func (g *network) push(u, t int32, limit int64) int64 {
	if u == t {
		return limit
	}
	sent := int64(0)
	for ; g.next[u] < g.adjStart[u+1]; g.next[u]++ {
		a := g.adj[g.next[u]]
		v := g.to[a]
		if g.level[v] != g.level[u]+1 || !g.usable(a) {
			continue
		}
		f := g.push(v, t, min(limit-sent, g.resid[a]))
		g.resid[a] -= f
		g.resid[a^1] += f
		sent += f
		if sent == limit {
			return sent
		}
	}
	return sent
}

// maxFlow augments from s to t over usable arcs until none is left (Dinic),
// returning the added flow. Afterwards level marks what s still reaches.
func (g *network) maxFlow(s, t int32) int64 {
	total := int64(0)
	for g.bfs(s, t) {
		copy(g.next, g.adjStart)
		total += g.push(s, t, infCap)
	}
	return total
}

// minCostFlow sends up to want units from s to t at least cost (primal-dual:
// Dijkstra on reduced costs raises the potentials, then Dinic saturates the
// arcs of zero reduced cost). pi must start with no usable arc of negative
// reduced cost.
func (g *network) minCostFlow(s, t int32, want int64) int64 {
	sent := int64(0)
	dist := make([]int64, len(g.pi))
	for sent < want {
		if !g.dijkstra(s, t, dist) {
			break
		}
		for v, d := range dist {
			g.pi[v] += min(d, dist[t])
		}
		sent += g.maxFlow(s, t)
	}
	return sent
}

// dijkstra computes the shortest reduced-cost distances from s over arcs with
// room; unreached nodes get a distance past every reached one. It reports
// whether t is reached.
func (g *network) dijkstra(s, t int32, dist []int64) bool {
	const unreached = int64(1) << 62
	for i := range dist {
		dist[i] = unreached
	}
	dist[s] = 0
	h := distHeap{{0, s}}
	for len(h) > 0 {
		d, u := h.pop()
		if d > dist[u] {
			continue
		}
		for _, a := range g.adj[g.adjStart[u]:g.adjStart[u+1]] {
			if g.resid[a] == 0 {
				continue
			}
			v := g.to[a]
			if nd := d + g.cost[a] + g.pi[u] - g.pi[v]; nd < dist[v] {
				dist[v] = nd
				h.push(nd, v)
			}
		}
	}
	return dist[t] < unreached
}

// distHeap is a binary min-heap of (distance, node).
type distHeap []struct {
	d int64
	v int32
}

func (h *distHeap) push(d int64, v int32) {
	*h = append(*h, struct {
		d int64
		v int32
	}{d, v})
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].d <= s[i].d {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *distHeap) pop() (int64, int32) {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(s) && s[l].d < s[small].d {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].d < s[small].d {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top.d, top.v
}
