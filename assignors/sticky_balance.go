package assignors

import (
	"cmp"
	"slices"
)

// balancedLoads computes a decreasingly-minimal assignment on the class graph:
// the units each cell gets (cellFlow) and the member loads.
//
// It is the optimal semi-matching problem (Harvey, Ladner, Lovász and Tamir,
// "Semi-matchings for bipartite graphs and load balancing"): an assignment
// minimises the sum of squared loads, which on these sets is the same as
// being decreasingly minimal (Frank and Murota), exactly when no member u can
// pass a partition, along a chain of members that can each take one of the
// previous member's partitions, to a member v with load(u) >= load(v) + 2.
// So: start from a greedy assignment (classes with the fewest members first,
// each filled onto its least loaded members); then, while some member can
// reach a member two or more below it, take the highest load L among such
// members and move, in one max-flow, one partition from as many members at L
// as possible along chains to members at L-2 or below (never raising one past
// L-1). Every move lowers the sum of squares, so the loop ends; when it does,
// the assignment is optimal.
func (m *stickyModel) balancedLoads() (cellFlow, load []int64) {
	cellFlow, load = m.greedyLoads()
	b := newBalancer(m, cellFlow, load)
	for rounds := 0; ; rounds++ {
		stickyAssert(rounds <= int(m.numPartitions()), "balancedLoads: %d repairs without converging", rounds)
		u := b.worstViolation()
		if u < 0 {
			return cellFlow, load
		}
		b.repair(b.load[u])
	}
}

// greedyLoads fills the classes, fewest members first, each onto its least
// loaded members (water-filling; ties by member order).
func (m *stickyModel) greedyLoads() (cellFlow, load []int64) {
	C := m.numClasses()
	cellFlow, load = make([]int64, len(m.cellMember)), make([]int64, m.numMembers())
	order := make([]int, C)
	for c := range order {
		order[c] = c
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(m.cellStart[a+1]-m.cellStart[a], m.cellStart[b+1]-m.cellStart[b])
	})
	var cells []int32
	for _, c := range order {
		cells = cells[:0]
		for k := m.cellStart[c]; k < m.cellStart[c+1]; k++ {
			cells = append(cells, k)
		}
		slices.SortStableFunc(cells, func(a, b int32) int { return cmp.Compare(load[m.cellMember[a]], load[m.cellMember[b]]) })
		waterFill(int64(m.supply(c)), cells, func(k int32) int64 { return load[m.cellMember[k]] }, func(k int32, d int64) {
			cellFlow[k] += d
			load[m.cellMember[k]] += d
		})
	}
	return cellFlow, load
}

// waterFill spreads supply over cells sorted by level, raising the lowest
// first, so that the levels end as even as possible; the cells that end one
// above the others are the first in the given order.
func waterFill(supply int64, cells []int32, level func(int32) int64, add func(int32, int64)) {
	n, sum := 0, int64(0) // the first n cells are raised to a common level
	for n < len(cells) && (n == 0 || level(cells[n])*int64(n)-sum <= supply) {
		sum += level(cells[n])
		n++
	}
	total := sum + supply
	top, extra := total/int64(n), total%int64(n)
	for i, k := range cells[:n] {
		target := top
		if int64(i) < extra {
			target++
		}
		add(k, target-level(k))
	}
}

// balancer looks for and repairs chains that improve the balance. Its graph
// has a node per member and per class: member u -> class c when u holds
// partitions of c, class c -> every member of c.
type balancer struct {
	m          *stickyModel
	flow, load []int64
	index, low []int32 // Tarjan's bookkeeping, per node
	comp       []int32 // strongly connected component of each node
	compMin    []int64 // lowest load any node of the component reaches
	stack      []int32
	onStack    []bool
}

func newBalancer(m *stickyModel, flow, load []int64) *balancer {
	n := m.numMembers() + m.numClasses()
	return &balancer{m: m, flow: flow, load: load, index: make([]int32, n), low: make([]int32, n),
		comp: make([]int32, n), onStack: make([]bool, n)}
}

// Nodes: members 0..N-1, then classes.
func (b *balancer) classNode(c int32) int32 { return int32(b.m.numMembers()) + c }

// degree is the number of potential arcs out of node x; arc(x, i) returns
// the i-th one and the cell it uses, ok false when it is not an arc now (a
// member holding nothing of that class).
func (b *balancer) degree(x int32) int32 {
	m := b.m
	if N := int32(m.numMembers()); x < N {
		return m.memberCellStart[x+1] - m.memberCellStart[x]
	} else {
		return m.cellStart[x-N+1] - m.cellStart[x-N]
	}
}

func (b *balancer) arc(x, i int32) (y, cell int32, ok bool) {
	m := b.m
	if N := int32(m.numMembers()); x < N {
		k := m.memberCells[m.memberCellStart[x]+i]
		return b.classNode(m.cellClass[k]), k, b.flow[k] > 0
	} else {
		k := m.cellStart[x-N] + i
		return m.cellMember[k], k, true
	}
}

// successors calls f for every arc out of node x with the cell it uses.
func (b *balancer) successors(x int32, f func(y, cell int32)) {
	for i := range b.degree(x) {
		if y, k, ok := b.arc(x, i); ok {
			f(y, k)
		}
	}
}

// worstViolation returns the most loaded member that can reach a member at
// least two below it, or -1 when there is none (the assignment is optimal).
// It finds, with Tarjan's strongly connected components, the lowest load each
// node reaches.
func (b *balancer) worstViolation() int32 {
	b.components()
	best := int32(-1)
	for u := range int32(b.m.numMembers()) {
		if b.compMin[b.comp[u]] <= b.load[u]-2 && (best < 0 || b.load[u] > b.load[best]) {
			best = u
		}
	}
	return best
}

// components runs Tarjan's algorithm iteratively. Components are numbered
// in the order they complete, sinks first, so compMin is filled in that
// order from each component's own members and its successors.
func (b *balancer) components() {
	const inf = int64(1) << 62
	for i := range b.index {
		b.index[i] = -1
	}
	b.compMin = b.compMin[:0]
	next := int32(0)
	type frame struct{ node, pos int32 }
	var frames []frame
	for root := range int32(len(b.index)) {
		if b.index[root] >= 0 {
			continue
		}
		frames = append(frames[:0], frame{root, 0})
		b.open(root, &next)
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			if f.pos < b.degree(f.node) {
				y, _, ok := b.arc(f.node, f.pos)
				f.pos++
				switch {
				case !ok:
				case b.index[y] < 0:
					b.open(y, &next)
					frames = append(frames, frame{y, 0})
				case b.onStack[y]:
					b.low[f.node] = min(b.low[f.node], b.index[y])
				}
				continue
			}
			x := f.node
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				p := frames[len(frames)-1].node
				b.low[p] = min(b.low[p], b.low[x])
			}
			if b.low[x] == b.index[x] {
				b.closeComponent(x, inf)
			}
		}
	}
}

func (b *balancer) open(x int32, next *int32) {
	b.index[x], b.low[x] = *next, *next
	*next++
	b.stack = append(b.stack, x)
	b.onStack[x] = true
}

// closeComponent pops the component rooted at x and records the lowest load
// it reaches: its members' loads and what its arcs lead to (components
// completed earlier, hence already known).
func (b *balancer) closeComponent(x int32, inf int64) {
	id := int32(len(b.compMin))
	lowest := inf
	start := len(b.stack)
	for {
		start--
		y := b.stack[start]
		b.onStack[y] = false
		b.comp[y] = id
		if y < int32(b.m.numMembers()) {
			lowest = min(lowest, b.load[y])
		}
		if y == x {
			break
		}
	}
	for _, y := range b.stack[start:] {
		b.successors(y, func(z, _ int32) {
			if c := b.comp[z]; c != id {
				lowest = min(lowest, b.compMin[c])
			}
		})
	}
	b.stack = b.stack[:start]
	b.compMin = append(b.compMin, lowest)
}

// repair moves one partition away from as many members at load top, that
// can reach a member at top-2 or below, as one max-flow allows.
func (b *balancer) repair(top int64) {
	m := b.m
	N, C := m.numMembers(), m.numClasses()
	node := func(x int32) int32 { return 2 + x } // balancer node -> network node
	g := newNetwork(2+N+C, 2*N+2*len(m.cellMember))
	for u := range int32(N) {
		if b.load[u] == top && b.compMin[b.comp[u]] <= top-2 {
			g.addArc(source, node(u), 1, 0)
		}
	}
	arcCell := make([]int32, 0, 2*len(m.cellMember)) // cell of each arc between members and classes
	first := int32(len(g.to))
	for x := range int32(N + C) {
		b.successors(x, func(y, k int32) {
			capacity := infCap
			if x < int32(N) {
				capacity = b.flow[k]
			}
			g.addArc(node(x), node(y), capacity, 0)
			arcCell = append(arcCell, k)
		})
	}
	for v := range int32(N) {
		if b.load[v] <= top-2 && m.memberCellStart[v+1] > m.memberCellStart[v] {
			g.addArc(node(v), sink, top-1-b.load[v], 0)
		}
	}
	g.finish()
	moved := g.maxFlow(source, sink)
	stickyAssert(moved > 0, "balancedLoads: no chain from load %d", top)
	for i, k := range arcCell {
		a := first + 2*int32(i)
		if f := g.flow(a); f > 0 {
			if g.from[a] < node(int32(N)) { // member -> class: the member gives
				b.flow[k] -= f
			} else {
				b.flow[k] += f
			}
		}
	}
	for a := int32(0); a < first; a += 2 {
		b.load[g.to[a]-2] -= g.flow(a)
	}
	for a := first + 2*int32(len(arcCell)); a < int32(len(g.to)); a += 2 {
		b.load[g.from[a]-2] += g.flow(a)
	}
}
