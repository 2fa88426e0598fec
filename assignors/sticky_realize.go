package assignors

import (
	"cmp"
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// stickyResult is the target assignment: the member rank of every partition,
// and how many partitions each member gets.
type stickyResult struct {
	m      *stickyModel
	assign []int32
	load   []int32
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
	need := slices.Clone(quota)
	if m.owner != nil {
		m.keepOwned(quota, need, assign)
	} else {
		for p := range assign {
			assign[p] = -1
		}
	}
	d := dealer{m: m, assign: assign, need: need, ring: make([]int32, 0, m.numMembers())}
	for c := range m.numClasses() {
		d.deal(c, quota, floor, extra)
	}
	load := make([]int32, m.numMembers())
	for k, v := range m.cellMember { // every partition given decremented its cell's need
		load[v] += quota[k] - need[k]
	}
	return &stickyResult{m: m, assign: assign, load: load}
}

// keepOwned gives every member its valid owned partitions, up to its quota in
// each cell; in a cell where it owns more, the first ones in (partition,
// topic) order. It sets every other partition of assign to -1.
func (m *stickyModel) keepOwned(quota, need, assign []int32) {
	if !m.keepsAll(quota) {
		m.keepUpToQuota(quota, need, assign)
		return
	}
	// The common case after a rebalance: every valid owner keeps all it owns,
	// so one branch-free pass turns owner v+1 into v and every other outcome
	// (none, tied, not subscribed) into -1.
	for p, o := range m.owner {
		assign[p] = max(o, 0) - 1
	}
	for k, n := range m.cellOwned {
		need[k] -= n
	}
}

// keepUpToQuota is keepOwned when some cell owns more than its quota.
func (m *stickyModel) keepUpToQuota(quota, need, assign []int32) {
	type claim struct{ cell, partition, topic, id int32 }
	var over []claim
	owner, owned := m.owner, m.cellOwned
	for t, c := range m.topicClass {
		first, end := m.topicStart[t], m.topicStart[t+1]
		row := m.cellRow(c)
		for i, o := range owner[first:end] {
			p := first + int32(i)
			assign[p] = -1
			if o <= 0 {
				continue
			}
			var k int32
			if row != nil {
				k = row[o-1]
			} else {
				k = m.searchCell(o-1, c)
			}
			if owned[k] <= quota[k] {
				assign[p] = o - 1
				need[k]--
				continue
			}
			over = append(over, claim{k, int32(i), int32(t), p})
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

// keepsAll reports whether no cell owns more valid partitions than its quota.
func (m *stickyModel) keepsAll(quota []int32) bool {
	for k, n := range m.cellOwned {
		if n > quota[k] {
			return false
		}
	}
	return true
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
	m, assign := d.m, d.assign
	for {
		for p, end := d.p, m.topicStart[d.topics[d.ti]+1]; p < end; p++ {
			if assign[p] < 0 {
				d.p = p + 1
				return p
			}
		}
		d.ti++
		d.p = m.topicStart[d.topics[d.ti]]
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
	for p, v := range r.assign {
		if v >= 0 && r.withheld(int32(p)) {
			r.assign[p] = -1
			r.load[v]--
		}
	}
}

// plan builds the output: every member present, partitions ascending. One
// pass in partition order lists every member's partitions, in a slice sized
// from the loads; each member's map is then built on its own (building all
// maps at once, topic by topic, thrashes the cache). All partition numbers
// share one backing array: the owner array's, which the ownership claims no
// longer need, when there is one. plan consumes r.
func (r *stickyResult) plan(cooperative bool) Plan {
	m := r.m
	N := m.numMembers()
	if cooperative {
		r.withhold()
	}
	start := make([]int32, N+1)
	for v, n := range r.load {
		start[v+1] = start[v] + n
	}
	var ids []int32 // each member's partition ids, ascending
	if m.owner != nil {
		ids, m.owner, m.claimers = m.owner[:start[N]], nil, nil
	} else {
		ids = make([]int32, start[N])
	}
	r.list(start, ids)
	plan := make(Plan, N)
	runs := make([]topicRun, 0, len(m.topicNames)) // scratch: the topics of one member
	for v, id := range m.ids {
		runs = m.topicRuns(ids[start[v]:start[v+1]], runs[:0])
		plan[id] = m.assignmentOf(ids[start[v]:start[v+1]], runs)
	}
	return plan
}

// list writes member v's partition ids, ascending, to ids[start[v]:start[v+1]].
func (r *stickyResult) list(start, ids []int32) {
	N := r.m.numMembers()
	fill := slices.Clone(start[:N])
	for p, v := range r.assign {
		if v >= 0 {
			ids[fill[v]] = int32(p)
			fill[v]++
		}
	}
	for v := range N {
		if fill[v] != start[v+1] {
			stickyAssert(false, "plan: member %d listed %d partitions, its load is %d", v, fill[v]-start[v], r.load[v])
		}
	}
}

// topicRun is the part of one member's ids that is one topic's.
type topicRun struct{ topic, end int32 }

// topicRuns appends to runs the topics of ascending partition ids, and
// overwrites each id with its partition number.
func (m *stickyModel) topicRuns(ids []int32, runs []topicRun) []topicRun {
	t := int32(-1)
	for i, p := range ids {
		if t < 0 || p >= m.topicStart[t+1] {
			t = m.topicOf(p, t+1)
			runs = append(runs, topicRun{t, 0})
		}
		runs[len(runs)-1].end = int32(i + 1)
		ids[i] = p - m.topicStart[t]
	}
	return runs
}

// topicOf returns the topic of partition id p, the first topic from..T-1
// whose range ends after p: a few steps from from, else a binary search (a
// member of a large group holds partitions of topics far apart).
func (m *stickyModel) topicOf(p, from int32) int32 {
	starts := m.topicStart
	for t := from; t < from+4; t++ {
		if p < starts[t+1] {
			return t
		}
	}
	lo, hi := from+4, int32(len(starts)-1) // the answer is in [lo, hi)
	for lo < hi {
		mid := int32(uint32(lo+hi) >> 1)
		if p < starts[mid+1] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// assignmentOf builds one member's assignment from its partition numbers and
// their topics.
func (m *stickyModel) assignmentOf(numbers []int32, runs []topicRun) spec.Assignment {
	a := make(spec.Assignment, len(runs))
	from := int32(0)
	for _, r := range runs {
		a[m.topicNames[r.topic]] = numbers[from:r.end:r.end]
		from = r.end
	}
	return a
}
