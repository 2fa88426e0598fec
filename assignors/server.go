package assignors

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// The server-side assignors of KIP-848 consumer groups, which the group
// coordinator runs to compute a group's target assignment
// (org.apache.kafka.coordinator.group.assignor in Kafka's group-coordinator
// module): Uniform ("uniform", Kafka's UniformAssignor) and ServerRange
// ("range", Kafka's server-side RangeAssignor).
//
// They live in this package, beside the client-side assignors, because the
// uniform assignor has the sticky assignors' objective and is computed by
// their exact solver (stickyModel); a sub-package would have to copy it.

// TopicMetadata is what a server-side assignor knows of one topic (Kafka's
// SubscribedTopicDescriber): its partition count and, for rack-aware
// assignment (KIP-881), the racks that hold a replica of each partition.
type TopicMetadata struct {
	Partitions int32
	// Racks[p] lists the racks of partition p's replicas, in any order. Nil
	// when the racks are unknown; otherwise it has one entry per partition.
	Racks [][]string
}

// ServerAssignor computes a KIP-848 target assignment.
//
// The members are Member values read the server's way: ID, InstanceID, Rack
// and Topics are the member's ConsumerGroupHeartbeat fields (topic names; a
// name absent from topics is not subscribed, as Kafka resolves names to
// topic ids through the metadata), Owned is the member's current target
// assignment and Generation is ignored. A partition in two members' Owned is
// an error: the coordinator's target assignment gives each partition to one
// member at most.
type ServerAssignor interface {
	// Name is the name a member asks for in ConsumerGroupHeartbeat's
	// ServerAssignor field: "uniform" or "range".
	Name() string
	// Assign returns the new target assignment, every member present.
	Assign(topics map[string]TopicMetadata, members []Member) (Plan, error)
}

// ServerAll lists the server-side assignors in Kafka's default order of
// group.consumer.assignors (uniform, then range).
func ServerAll() []ServerAssignor { return []ServerAssignor{Uniform{}, ServerRange{}} }

// ServerByName returns the server-side assignor Kafka calls name.
func ServerByName(name string) (ServerAssignor, error) {
	for _, a := range ServerAll() {
		if a.Name() == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("unknown server assignor %q (known: uniform, range)", name)
}

// ServerRange is Kafka's server-side RangeAssignor (the snapshot kgroup
// follows, group-coordinator RangeAssignor; RangeAssignorTest): members in
// SortMembers order (instance id first, then member id, as its
// sortMemberIds), and per topic each subscriber takes a contiguous range of
// P/n partitions, the first P mod n of them one more. It ignores the current
// assignment and the racks. Its plan is the client-side Range's, which
// computes exactly that; every member is present, possibly empty.
type ServerRange struct{}

func (ServerRange) Name() string { return "range" }

// Assign implements ServerAssignor.
func (ServerRange) Assign(topics map[string]TopicMetadata, members []Member) (Plan, error) {
	counts, err := validateServer(topics, members)
	if err != nil {
		return nil, err
	}
	return Range{}.Assign(counts, members)
}

// Uniform is Kafka's UniformAssignor (UniformHomogeneousAssignmentBuilder
// when every member subscribes to the same topics,
// UniformHeterogeneousAssignmentBuilder otherwise), computed exactly instead
// of heuristically. Among all valid assignments it returns one that is
//
//  1. balanced: the member loads, sorted from largest to smallest, form the
//     lexicographically smallest vector the subscriptions allow (the
//     homogeneous case: max - min <= 1; Kafka's heterogeneous builder does not
//     promise balance when subscriptions overlap, kgroup does);
//  2. rack-aware, when KIP-881 applies (rackAware): among those, the most
//     partitions on a member whose rack holds one of the partition's replicas;
//  3. sticky: among those, the fewest partitions leave their current owner
//     (Member.Owned, the current target assignment);
//  4. deterministic: byte-identical whatever the order of the members, of
//     their topics or of their assignments.
//
// Where Kafka's answer depends on Java hash order kgroup fixes an order:
// members in SortMembers order where Kafka walks GroupSpec.memberIds() (a
// HashMap), topics by name where it walks a HashSet of topic ids. Ties of the
// objective go to members earlier in that order (the extra partitions of the
// homogeneous case go to members that own more than the floor, then by member
// order, where Kafka gives them to the first members it meets), and the
// partitions nobody keeps are dealt as the sticky assignors deal them
// (sticky_realize.go). Unlike Kafka, a member subscribed to nothing that exists
// still appears in the plan, with an empty assignment.
type Uniform struct{}

func (Uniform) Name() string { return "uniform" }

// Assign implements ServerAssignor.
func (Uniform) Assign(topics map[string]TopicMetadata, members []Member) (Plan, error) {
	return assignUniform(topics, members, pathAuto, true)
}

// assignUniform is Uniform.Assign; tests force the general path, or turn
// rack awareness off, to compare.
//
// It accepts exactly the input validateServer accepts, without paying for
// validateServer's map of every owned partition: serverCounts checks the
// rack lists and the partition counts, the header check the member ids, the
// model that they are distinct, and the claim pass, which reads every owned
// partition at one generation (serverOwnership), that no partition has two
// owners. On any failure validateServer itself runs and supplies the error,
// so its messages and their precedence are unchanged.
func assignUniform(topics map[string]TopicMetadata, members []Member, path solvePath, racks bool) (Plan, error) {
	counts, ok := serverCounts(topics)
	for i := range members {
		ok = ok && members[i].ID != ""
	}
	if !ok {
		return nil, serverError(topics, members, errInvalid)
	}
	m, err := newServerModel(counts, members)
	if err != nil {
		return nil, serverError(topics, members, err)
	}
	if !racks || !m.rackAware(topics) {
		if m.numClasses() == 1 && path == pathAuto {
			return m.realize(m.uniformQuotas()).plan(false), nil
		}
		return m.realize(m.optimalQuotas(), math.MaxInt32, nil).plan(false), nil
	}
	if n := m.numPartitions(); n > maxRackPartitions {
		return nil, fmt.Errorf("the subscribed topics have %d partitions; the rack-aware uniform assignor handles at most %d", n, maxRackPartitions)
	}
	return m.rackRealize(internRacks(m, topics), m.memberRacks()).plan(false), nil
}

// serverError is the error of input the fast checks of assignUniform reject:
// validateServer's, or, when validateServer accepts the input, err (which
// then cannot be errInvalid).
func serverError(topics map[string]TopicMetadata, members []Member, err error) error {
	if _, verr := validateServer(topics, members); verr != nil {
		return verr
	}
	stickyAssert(err != errInvalid, "the fast checks rejected what validateServer accepts")
	return err
}

// serverCounts returns the partition count of every topic that has
// partitions, and whether every count is non-negative and every rack list
// matches its count. Topics without partitions are left out: they give
// nobody anything and a claim on them is dropped either way, and a group
// subscribed to a thousand of them then costs nothing per topic.
func serverCounts(topics map[string]TopicMetadata) (map[string]int32, bool) {
	ok := true
	n := 0
	for _, md := range topics {
		ok = ok && md.Partitions >= 0 && (md.Racks == nil || len(md.Racks) == int(md.Partitions))
		if md.Partitions > 0 {
			n++
		}
	}
	if !ok {
		return nil, false
	}
	counts := make(map[string]int32, n)
	for t, md := range topics {
		if md.Partitions > 0 {
			counts[t] = md.Partitions
		}
	}
	return counts, true
}

// newServerModel builds the sticky model of a server-side assignment: every
// current owner at one generation, so that the claim rules reduce to "the
// owner keeps it if it still subscribes". It returns errInvalid when two
// members own one partition, as it does for a repeated member id.
func newServerModel(counts map[string]int32, members []Member) (*stickyModel, error) {
	m := &stickyModel{members: make([]*Member, len(members)), ids: make([]string, len(members))}
	for i := range members {
		m.members[i] = &members[i]
	}
	slices.SortFunc(m.members, func(a, b *Member) int {
		return compareIdentity(a.InstanceID, a.ID, b.InstanceID, b.ID)
	})
	for v, mem := range m.members {
		m.ids[v] = mem.ID
	}
	if !distinctIDs(m.ids, len(members) > 0 && m.members[0].InstanceID != "") {
		return nil, errInvalid
	}
	m.indexTopics(counts)
	m.resolveSubscriptions()
	own := &serverOwnership{m: m, topics: counts}
	if err := m.layout(counts, own, false); err != nil {
		return nil, err
	}
	if own.conflict() {
		return nil, errInvalid
	}
	return m, nil
}

// serverOwnership reads the members' current target assignments, all at
// generation 0, and notes the members with claims the model drops (on
// topics nobody subscribes to, that do not exist, or out of range), whose
// owners the claim pass does not compare.
type serverOwnership struct {
	m       *stickyModel
	topics  map[string]int32
	dropped []int32 // members, by rank, some of whose claims were dropped
}

func (o *serverOwnership) claims(v int) (int, int32) { return len(o.m.members[v].Owned), 0 }

func (o *serverOwnership) resolve(v int, ps, cs []int32) ([]int32, []int32, bool) {
	owned := o.m.members[v].Owned
	ps, cs, ok := o.m.resolveOwned(owned, o.topics, ps, cs)
	if len(ps) < len(owned) {
		o.dropped = append(o.dropped, int32(v))
	}
	return ps, cs, ok
}

// conflict reports whether two members own one partition: a partition of
// the model whose claims tied (with one generation, a tie is two claimants),
// or a dropped claim that another member also makes.
func (o *serverOwnership) conflict() bool {
	m := o.m
	if m.owner == nil {
		return false
	}
	if slices.Contains(m.owner, tiedClaim) {
		return true
	}
	if len(o.dropped) == 0 {
		return false
	}
	owner := map[spec.TopicPartition]int32{}
	for _, v := range o.dropped {
		for _, tp := range m.members[v].Owned {
			if ti, ok := m.topicIndex[tp.Topic]; ok && uint32(tp.Partition) < uint32(m.topicStart[ti+1]-m.topicStart[ti]) {
				continue // a partition of the model: the claim pass compared its owners
			}
			if w, ok := owner[tp]; ok && w != v {
				return true
			}
			owner[tp] = v
		}
	}
	return false
}

// maxRackPartitions bounds the rack-aware path, whose min-cost flow costs
// reach about P² per arc and P³ per path: with P <= 2^20 they fit in int64.
const maxRackPartitions = 1 << 20

// validateServer checks what Validate checks, that the rack lists match the
// partition counts, and that no partition has two owners; it returns the
// partition counts.
func validateServer(topics map[string]TopicMetadata, members []Member) (map[string]int32, error) {
	counts := make(map[string]int32, len(topics))
	for _, t := range spec.SortedKeys(topics) {
		md := topics[t]
		if md.Racks != nil && len(md.Racks) != int(md.Partitions) {
			return nil, fmt.Errorf("topic %q has %d partitions but racks for %d", t, md.Partitions, len(md.Racks))
		}
		counts[t] = md.Partitions
	}
	if err := Validate(counts, members); err != nil {
		return nil, err
	}
	owner := map[spec.TopicPartition]string{}
	for _, m := range members {
		for _, tp := range m.Owned {
			if o, ok := owner[tp]; ok && o != m.ID {
				a, b := min(o, m.ID), max(o, m.ID)
				return nil, fmt.Errorf("partition %s is in the current assignment of both %q and %q", tp, a, b)
			}
			owner[tp] = m.ID
		}
	}
	return counts, nil
}

// rackAware reports whether KIP-881 rack matching applies, by Kafka's rule
// (AbstractPartitionAssignor.useRackAwareAssignment, which the server-side
// uniform assignor of later Kafka versions keeps): some member's rack holds a
// replica of some subscribed partition, and not every subscribed partition
// has its replicas on the same set of racks (else every member would match
// all partitions or none, and racks could only move load around).
//
// The subscribed partitions are the model's. Without member racks the answer
// is no, whatever the partitions; a partition without racks has the empty set,
// which differs from the union whenever a member's rack is in it.
func (m *stickyModel) rackAware(topics map[string]TopicMetadata) bool {
	var memberRacks map[string]bool
	for _, mem := range m.members {
		if mem.Rack != "" {
			if memberRacks == nil {
				memberRacks = map[string]bool{}
			}
			memberRacks[mem.Rack] = true
		}
	}
	if memberRacks == nil {
		return false
	}
	all := map[string]bool{}
	overlap := false
	for _, name := range m.topicNames {
		for _, rs := range topics[name].Racks {
			for _, r := range rs {
				if r != "" && !all[r] {
					all[r] = true
					overlap = overlap || memberRacks[r]
				}
			}
		}
	}
	if !overlap {
		return false
	}
	// Every partition's rack set is a subset of the union: it differs from
	// the union exactly when it is smaller.
	for _, name := range m.topicNames {
		md := topics[name]
		if md.Racks == nil {
			return true // a topic of the model has partitions
		}
		for _, rs := range md.Racks {
			if distinctRacks(rs) < len(all) {
				return true
			}
		}
	}
	return false
}

// distinctRacks counts the distinct non-empty names of a replica list.
func distinctRacks(rs []string) int {
	n := 0
	for i, r := range rs {
		if r != "" && !slices.Contains(rs[:i], r) {
			n++
		}
	}
	return n
}

// partitionRacks returns partition p's racks, sorted and without repeats or
// empty names.
func partitionRacks(md TopicMetadata, p int32) []string {
	if int(p) >= len(md.Racks) {
		return nil
	}
	rs := slices.DeleteFunc(slices.Clone(md.Racks[p]), func(r string) bool { return r == "" })
	slices.Sort(rs)
	return slices.Compact(rs)
}

// rackKey is an unambiguous map key for a sorted rack list.
func rackKey(rs []string) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d:%s,", len(r), r)
	}
	return b.String()
}
