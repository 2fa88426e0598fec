package assignors

import (
	"encoding/binary"
	"iter"
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// CompactPlan is a plan in one piece: every member of the group in
// SortMembers order (instance id, then member id), each with its topics
// ascending and each topic's partitions ascending, all partition numbers in
// one backing array. Group.Assign returns it; SyncAssignments writes the
// SyncGroup assignments from it without building a map, Plan expands it
// into a Plan. A CompactPlan is read-only.
type CompactPlan struct {
	topics     []string     // topic names, by index
	members    []string     // member ids, by rank
	memberRuns []int32      // member v's runs: runs[memberRuns[v]:memberRuns[v+1]]
	runs       []compactRun // one per (member, topic), then a sentinel
	partitions []int32
}

// compactRun is one topic of one member: its partitions run from start to
// the next run's start.
type compactRun struct{ topic, start int32 }

// Len is the number of members.
func (p *CompactPlan) Len() int { return len(p.members) }

// MemberID is the id of the i-th member.
func (p *CompactPlan) MemberID(i int) string { return p.members[i] }

// Partitions yields the i-th member's topics, ascending, each with its
// partitions, ascending. The slices share the plan's backing array: do not
// modify them.
func (p *CompactPlan) Partitions(i int) iter.Seq2[string, []int32] {
	return func(yield func(string, []int32) bool) {
		for k := p.memberRuns[i]; k < p.memberRuns[i+1]; k++ {
			if !yield(p.topics[p.runs[k].topic], p.run(k)) {
				return
			}
		}
	}
}

func (p *CompactPlan) run(k int32) []int32 {
	from, to := p.runs[k].start, p.runs[k+1].start
	return p.partitions[from:to:to]
}

// Plan expands p into a Plan; the partition lists share p's backing array.
func (p *CompactPlan) Plan() Plan {
	plan := make(Plan, len(p.members))
	for i, id := range p.members {
		a := make(spec.Assignment, p.memberRuns[i+1]-p.memberRuns[i])
		for k := p.memberRuns[i]; k < p.memberRuns[i+1]; k++ {
			a[p.topics[p.runs[k].topic]] = p.run(k)
		}
		plan[id] = a
	}
	return plan
}

// SyncAssignment is one entry of a SyncGroup request's assignments: a member
// and its ConsumerProtocolAssignment bytes.
type SyncAssignment struct {
	MemberID   string
	Assignment []byte
}

// SyncAssignments writes every member's ConsumerProtocolAssignment (version
// AssignmentVersion, no user data: what Kafka's sticky assignors send), in
// p's member order, into one backing array; each is byte for byte what
// EncodeAssignment writes for the member's assignment.
func (p *CompactPlan) SyncAssignments() []SyncAssignment {
	size := 0
	for i := range p.members {
		size += p.assignmentSize(i, nil)
	}
	buf := make([]byte, 0, size)
	out := make([]SyncAssignment, len(p.members))
	for i, id := range p.members {
		from := len(buf)
		buf = p.AppendAssignment(buf, i, nil)
		out[i] = SyncAssignment{MemberID: id, Assignment: buf[from:len(buf):len(buf)]}
	}
	return out
}

// assignmentSize is the length of the i-th member's assignment bytes.
func (p *CompactPlan) assignmentSize(i int, userData []byte) int {
	n := 2 + 4 + 4 + len(userData)
	for k := p.memberRuns[i]; k < p.memberRuns[i+1]; k++ {
		n += 2 + len(p.topics[p.runs[k].topic]) + 4 + 4*int(p.runs[k+1].start-p.runs[k].start)
	}
	return n
}

// AppendAssignment appends the i-th member's ConsumerProtocolAssignment,
// with userData (nil for null), to dst. The topic names came from decoded
// subscriptions, so they fit Kafka's STRING.
func (p *CompactPlan) AppendAssignment(dst []byte, i int, userData []byte) []byte {
	dst = slices.Grow(dst, p.assignmentSize(i, userData))
	dst = binary.BigEndian.AppendUint16(dst, uint16(AssignmentVersion))
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.memberRuns[i+1]-p.memberRuns[i]))
	for k := p.memberRuns[i]; k < p.memberRuns[i+1]; k++ {
		name, ps := p.topics[p.runs[k].topic], p.run(k)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(name)))
		dst = append(dst, name...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(ps)))
		at := len(dst)
		dst = dst[:at+4*len(ps)]
		for j, x := range ps {
			binary.BigEndian.PutUint32(dst[at+4*j:], uint32(x))
		}
	}
	w := wireWriter{b: dst}
	w.nullableBytes(userData)
	return w.b
}

// compact builds the CompactPlan of the target: one pass in partition order
// lists every member's partition ids (list), then member by member the ids
// become partition numbers and their topics runs (topicRuns). All partition
// numbers share one backing array: the owner array's, which the ownership
// claims no longer need, when there is one. compact consumes r.
func (r *stickyResult) compact(cooperative bool) *CompactPlan {
	m := r.m
	N := m.numMembers()
	if cooperative {
		r.withhold()
	}
	start := make([]int32, N+1)
	maxRuns := 1
	for v, n := range r.load {
		start[v+1] = start[v] + n
		maxRuns += int(min(n, int32(len(m.memberTopics[v]))))
	}
	var ids []int32
	if m.owner != nil {
		ids, m.owner, m.claimers = m.owner[:start[N]], nil, nil
	} else {
		ids = make([]int32, start[N])
	}
	r.list(start, ids)
	p := &CompactPlan{topics: m.topicNames, members: m.ids, memberRuns: make([]int32, N+1),
		runs: make([]compactRun, 0, maxRuns), partitions: ids}
	scratch := make([]topicRun, 0, len(m.topicNames))
	for v := range N {
		scratch = m.topicRuns(ids[start[v]:start[v+1]], scratch[:0])
		from := start[v]
		for _, tr := range scratch {
			p.runs = append(p.runs, compactRun{topic: tr.topic, start: from})
			from = start[v] + tr.end
		}
		p.memberRuns[v+1] = int32(len(p.runs))
	}
	p.runs = append(p.runs, compactRun{start: start[N]})
	return p
}

// compactOf is the CompactPlan of a plan over members, for the assignors
// without a wire path.
func compactOf(plan Plan, members []Member) *CompactPlan {
	sorted := slices.Clone(members)
	SortMembers(sorted)
	topicSet := map[string]bool{}
	for _, a := range plan {
		for t, ps := range a {
			topicSet[t] = topicSet[t] || len(ps) > 0
		}
	}
	p := &CompactPlan{memberRuns: make([]int32, 1, len(sorted)+1)}
	index := map[string]int32{}
	for _, t := range spec.SortedKeys(topicSet) {
		if topicSet[t] {
			index[t] = int32(len(p.topics))
			p.topics = append(p.topics, t)
		}
	}
	for _, m := range sorted {
		p.members = append(p.members, m.ID)
		a := plan[m.ID]
		for _, t := range spec.SortedKeys(a) {
			if len(a[t]) > 0 {
				p.runs = append(p.runs, compactRun{topic: index[t], start: int32(len(p.partitions))})
				p.partitions = append(p.partitions, a[t]...)
				slices.Sort(p.partitions[p.runs[len(p.runs)-1].start:])
			}
		}
		p.memberRuns = append(p.memberRuns, int32(len(p.runs)))
	}
	p.runs = append(p.runs, compactRun{start: int32(len(p.partitions))})
	return p
}
