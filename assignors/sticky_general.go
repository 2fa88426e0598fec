package assignors

import (
	"cmp"
	"fmt"
	"slices"
)

// optimalQuotas is the exact path, for any subscriptions. It works on the
// class graph (classes on one side, members on the other, a cell for each
// member of a class), never on single partitions, in three steps:
//
//  1. balancedLoads finds one assignment whose loads, sorted from largest to
//     smallest, are lexicographically smallest (decreasingly minimal; see
//     sticky_balance.go);
//  2. levels reads from it the structure every such assignment shares;
//  3. stickiest picks, among all assignments with that structure, one that
//     keeps the most partitions with their valid owner (a min-cost flow).
//
// Why it is exact. The load vectors of valid assignments are the integer
// points of a polymatroid's base polyhedron B. Frank and Murota ("Discrete
// decreasing minimization", part I) show that the decreasingly-minimal
// elements of B are exactly the integer points of a face of B intersected with
// a box: a chain of member sets C1 ⊂ C2 ⊂ ... with levels β1 > β2 > ... such
// that the members of Ci \ Ci-1 (level i) hold β_i or β_i-1 partitions, and
// each Ci receives only the partitions no member outside it may take. So every
// class goes, entirely, to its eligible members in the lowest-loaded level it
// touches, and within a level each member's load may be anything in
// [β-1, β] that the classes can fill. levels finds this chain as Frank and
// Murota do: the members at the highest load plus everything they can pass a
// partition to (possibly through other members) form C1, and so on below it.
// Over exactly that set of assignments, stickiest maximises the partitions
// kept, which realize then places (keeping min(owned, quota) per cell).
func (m *stickyModel) optimalQuotas() []int32 {
	cellFlow, load := m.balancedLoads()
	lv := m.levels(cellFlow, load)
	return m.stickiest(lv)
}

// Node numbering of the min-cost flow network.
func (m *stickyModel) classNode(c int) int32  { return int32(2 + c) }
func (m *stickyModel) memberNode(v int) int32 { return int32(2 + m.numClasses() + v) }

const source, sink = int32(0), int32(1)

// supply is the number of partitions in class c.
func (m *stickyModel) supply(c int) int32 {
	n := int32(0)
	for _, t := range m.classTopics[m.classTopicStart[c]:m.classTopicStart[c+1]] {
		n += m.topicStart[t+1] - m.topicStart[t]
	}
	return n
}

// stickyLevels is the chain of a decreasingly-minimal assignment: the level of
// every member (-1 for members that get nothing) and class, and the highest
// load β of every level.
type stickyLevels struct {
	member []int32
	class  []int32
	beta   []int64
}

// levels builds the chain from the assignment cellFlow: level i is the members
// at the highest load not yet placed, plus every member they can pass a
// partition to, directly or through others (a member holding partitions of
// class c can pass one to any member of c). Every member reached has a load of
// β-1 or β, or the assignment was not balanced.
func (m *stickyModel) levels(cellFlow, load []int64) stickyLevels {
	N, C := m.numMembers(), m.numClasses()
	lv := stickyLevels{member: make([]int32, N), class: make([]int32, C)}
	for v := range lv.member {
		lv.member[v] = -1
	}
	byLoad := make([]int32, N)
	for v := range byLoad {
		byLoad[v] = int32(v)
	}
	slices.SortStableFunc(byLoad, func(a, b int32) int { return cmp.Compare(load[b], load[a]) })
	expanded := make([]bool, C)
	var queue []int32
	for _, top := range byLoad {
		if lv.member[top] >= 0 || load[top] == 0 {
			continue
		}
		L, beta := int32(len(lv.beta)), load[top]
		lv.beta = append(lv.beta, beta)
		queue = queue[:0]
		for _, v := range byLoad {
			if lv.member[v] < 0 && load[v] == beta {
				lv.member[v] = L
				queue = append(queue, v)
			}
		}
		for i := 0; i < len(queue); i++ {
			for _, k := range m.memberCells[m.memberCellStart[queue[i]]:m.memberCellStart[queue[i]+1]] {
				c := m.cellClass[k]
				if cellFlow[k] == 0 || expanded[c] {
					continue
				}
				expanded[c] = true
				lv.class[c] = L
				for j := m.cellStart[c]; j < m.cellStart[c+1]; j++ {
					if w := m.cellMember[j]; lv.member[w] < 0 {
						stickyAssert(load[w] >= beta-1, "levels: member %d at %d can take from level %d at %d", w, load[w], L, beta)
						lv.member[w] = L
						queue = append(queue, w)
					}
				}
			}
		}
	}
	return lv
}

// stickiest solves, over the assignments the levels allow, a min-cost flow
// that keeps the most partitions with their valid owner, and returns the
// resulting quota of every cell. Per cell, the first cellOwned units cost -1
// (a partition kept) and the rest 0; per member, a lower bound of β-1 is
// enforced by a cost of -big on the first β-1 units, and one more unit is free.
func (m *stickyModel) stickiest(lv stickyLevels) []int32 {
	C, N := m.numClasses(), m.numMembers()
	g := newNetwork(2+C+N, C+2*len(m.cellMember)+2*N)
	big := int64(m.numPartitions()) + 1
	keepArc, anyArc := make([]int32, len(m.cellMember)), make([]int32, len(m.cellMember))
	for c := range C {
		g.addArc(source, m.classNode(c), int64(m.supply(c)), 0)
		for k := m.cellStart[c]; k < m.cellStart[c+1]; k++ {
			keepArc[k], anyArc[k] = -1, -1
			v := int(m.cellMember[k])
			if lv.member[v] != lv.class[c] {
				continue
			}
			if m.cellOwned[k] > 0 {
				keepArc[k] = g.addArc(m.classNode(c), m.memberNode(v), int64(m.cellOwned[k]), -1)
			}
			anyArc[k] = g.addArc(m.classNode(c), m.memberNode(v), infCap, 0)
		}
	}
	for v := range N {
		if L := lv.member[v]; L >= 0 {
			if lo := lv.beta[L] - 1; lo > 0 {
				g.addArc(m.memberNode(v), sink, lo, -big)
			}
			g.addArc(m.memberNode(v), sink, 1, 0)
		}
	}
	g.finish()
	m.initPotentials(g)
	want := int64(m.numPartitions())
	sent := g.minCostFlow(source, sink, want)
	stickyAssert(sent == want, "stickiest: placed %d of %d partitions", sent, want)
	quota := make([]int32, len(m.cellMember))
	for k := range quota {
		for _, a := range []int32{keepArc[k], anyArc[k]} {
			if a >= 0 {
				quota[k] += int32(g.flow(a))
			}
		}
	}
	return quota
}

// initPotentials sets pi to shortest distances from the source in the fresh
// network, which has no cycle: source -> classes -> members -> sink.
func (m *stickyModel) initPotentials(g *network) {
	order := make([]int32, 0, len(g.pi))
	order = append(order, source)
	for c := range m.numClasses() {
		order = append(order, m.classNode(c))
	}
	for v := range m.numMembers() {
		order = append(order, m.memberNode(v))
	}
	initPotentialsDAG(g, order)
}

// initPotentialsDAG sets pi to shortest distances from the source in a fresh
// acyclic network whose arcs all go forward in order (the sink last, left
// out); nodes the source does not reach get 0.
func initPotentialsDAG(g *network, order []int32) {
	const far = int64(1) << 50
	for v := range g.pi {
		g.pi[v] = far
	}
	g.pi[source] = 0
	for _, u := range order {
		if g.pi[u] == far {
			continue
		}
		for _, a := range g.adj[g.adjStart[u]:g.adjStart[u+1]] {
			if g.resid[a] > 0 && g.pi[u]+g.cost[a] < g.pi[g.to[a]] {
				g.pi[g.to[a]] = g.pi[u] + g.cost[a]
			}
		}
	}
	for v, p := range g.pi {
		if p == far {
			g.pi[v] = 0
		}
	}
}

// stickyAssert panics when an internal invariant of the sticky assignors is
// broken: a bug in kgroup, never a consequence of the input.
func stickyAssert(ok bool, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf("kgroup/assignors: internal invariant broken: "+format, args...))
	}
}
