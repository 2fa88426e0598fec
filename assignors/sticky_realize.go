package assignors

import (
	"cmp"
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// stickyResult is the target assignment: the member rank of every partition.
type stickyResult struct {
	m      *stickyModel
	assign []int32
}

// realize turns per-cell quotas (how many partitions of each class each member
// gets) into partitions. Every member first keeps up to its quota of its valid
// owned partitions of the class, preferring them in (partition, topic) order;
// since each member keeps min(owned, quota), the moves are the fewest the
// quotas allow. The class's other partitions, ascending by topic and
// partition, are then dealt as Kafka's ConstrainedAssignmentBuilder deals
// them: round-robin in member order to the members below floor until they
// reach it, then the rest to the members in extra, in that order.
func (m *stickyModel) realize(quota []int32, floor int32, extra []int32) *stickyResult {
	assign := make([]int32, m.numPartitions())
	for p := range assign {
		assign[p] = -1
	}
	need := slices.Clone(quota)
	m.keepOwned(quota, need, assign)
	d := dealer{m: m, assign: assign, need: need, ring: make([]int32, 0, len(m.members))}
	for c := range m.numClasses() {
		d.deal(c, quota, floor, extra)
	}
	return &stickyResult{m: m, assign: assign}
}

// keepOwned gives every member its valid owned partitions, up to its quota in
// each cell; in a cell where it owns more, the first ones in (partition,
// topic) order.
func (m *stickyModel) keepOwned(quota, need, assign []int32) {
	if m.owner == nil {
		return
	}
	type claim struct{ cell, partition, topic, id int32 }
	var over []claim
	for t, c := range m.topicClass {
		for p := m.topicStart[t]; p < m.topicStart[t+1]; p++ {
			v := m.validOwner(p)
			if v < 0 {
				continue
			}
			k := m.cellIndex(v, c)
			if m.cellOwned[k] <= quota[k] {
				assign[p] = v
				need[k]--
				continue
			}
			over = append(over, claim{k, p - m.topicStart[t], int32(t), p})
		}
	}
	slices.SortFunc(over, func(a, b claim) int {
		return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.partition, b.partition), cmp.Compare(a.topic, b.topic))
	})
	for _, o := range over {
		if need[o.cell] > 0 {
			assign[o.id] = m.cellMember[o.cell]
			need[o.cell]--
		}
	}
}

// dealer hands out the partitions no member kept.
type dealer struct {
	m      *stickyModel
	assign []int32
	need   []int32 // partitions each cell still lacks
	ring   []int32 // scratch
	topics []int32 // topics of the class being dealt
	ti     int     // position in topics
	p      int32   // next partition to look at
}

// deal hands the unassigned partitions of class c out: round-robin over the
// cells below floor, up to it; then cyclically over the cells of extra.
func (d *dealer) deal(c int, quota []int32, floor int32, extra []int32) {
	m := d.m
	d.topics = m.classTopics[m.classTopicStart[c]:m.classTopicStart[c+1]]
	d.ti, d.p = 0, m.topicStart[d.topics[0]]
	below := d.ring[:0]
	for k := m.cellStart[c]; k < m.cellStart[c+1]; k++ {
		if quota[k]-d.need[k] < min(quota[k], floor) {
			below = append(below, k)
		}
	}
	d.roundRobin(below, func(k int32) bool { return quota[k]-d.need[k] < min(quota[k], floor) })
	if len(extra) > 0 {
		d.roundRobin(append(d.ring[:0], extra...), func(k int32) bool { return d.need[k] > 0 })
	}
}

// roundRobin deals one partition per pass to every cell of ring (in order)
// that wants more, until none does.
func (d *dealer) roundRobin(ring []int32, wants func(int32) bool) {
	live := ring[:0]
	for _, k := range ring {
		if wants(k) {
			live = append(live, k)
		}
	}
	for ring = live; len(ring) > 0; ring = live {
		live = ring[:0]
		for _, k := range ring {
			d.assign[d.next()] = d.m.cellMember[k]
			d.need[k]--
			if wants(k) {
				live = append(live, k)
			}
		}
	}
}

// next returns the next unassigned partition of the class being dealt.
func (d *dealer) next() int32 {
	for {
		if d.p == d.m.topicStart[d.topics[d.ti]+1] {
			d.ti++
			d.p = d.m.topicStart[d.topics[d.ti]]
			continue
		}
		d.p++
		if d.assign[d.p-1] < 0 {
			return d.p - 1
		}
	}
}

// withheld reports whether the cooperative assignor must hold partition p back
// this round: its new owner is not its valid prior owner, and some other
// member still claims it.
func (r *stickyResult) withheld(p int32) bool {
	v := r.assign[p]
	return r.m.validOwner(p) != v && r.m.claimedByOther(p, v)
}

// withhold takes the partitions the cooperative assignor holds back this
// round out of the assignment (whether p is withheld depends on p alone).
func (r *stickyResult) withhold() {
	for p := range r.assign {
		if r.withheld(int32(p)) {
			r.assign[p] = -1
		}
	}
}

// plan builds the output: every member present, partitions ascending. A pass
// in (topic, partition) order sizes every member's assignment and lists its
// partitions; each member's map is then built on its own (building all maps
// at once, topic by topic, thrashes the cache). All partition numbers share
// one backing array.
func (r *stickyResult) plan(cooperative bool) Plan {
	m := r.m
	N := len(m.members)
	if cooperative {
		r.withhold()
	}
	start := make([]int32, N+1)
	held := make([]int32, N) // topics per member
	last := make([]int32, N) // last topic seen per member
	for v := range last {
		last[v] = -1
	}
	for t := range m.topicNames {
		for p := m.topicStart[t]; p < m.topicStart[t+1]; p++ {
			if v := r.assign[p]; v >= 0 {
				start[v+1]++
				if last[v] != int32(t) {
					last[v] = int32(t)
					held[v]++
				}
			}
		}
	}
	for v := range N {
		start[v+1] += start[v]
	}
	ids := make([]int32, start[N]) // each member's partition ids, ascending
	fill := slices.Clone(start[:N])
	for p, v := range r.assign {
		if v >= 0 {
			ids[fill[v]] = int32(p)
			fill[v]++
		}
	}
	plan := make(Plan, N)
	for v, mem := range m.members {
		plan[mem.ID] = m.assignmentOf(ids[start[v]:start[v+1]], held[v])
	}
	return plan
}

// assignmentOf builds one member's assignment from its ascending partition
// ids, overwriting each id with its partition number.
func (m *stickyModel) assignmentOf(ids []int32, topics int32) spec.Assignment {
	a := make(spec.Assignment, topics)
	t, from := int32(-1), 0
	for i, p := range ids {
		if t < 0 || p >= m.topicStart[t+1] {
			if t >= 0 {
				a[m.topicNames[t]] = ids[from:i:i]
			}
			for t++; p >= m.topicStart[t+1]; t++ {
			}
			from = i
		}
		ids[i] = p - m.topicStart[t]
	}
	if t >= 0 {
		a[m.topicNames[t]] = ids[from:len(ids):len(ids)]
	}
	return a
}
