package coordinator

import (
	"maps"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// A KIP-848 consumer group (Kafka's ConsumerGroup and ConsumerGroupMember in
// group-coordinator's modern/consumer package). Its state changes only by
// replaying records (cg_replay.go): the heartbeat and timer handlers read it,
// write records, and replay them.

// cmember is one member of a consumer group.
type cmember struct {
	id, instanceID, rackID, clientID string
	rebalanceTimeoutMs               int32
	topics                           []string // subscribed topic names, sorted, distinct
	regex                            string
	serverAssignor                   string
	memberAssignment
	session   timer // the session timeout
	rebalance timer // fences the member stuck in UNREVOKED_PARTITIONS
	// rebalanceEpoch is the epoch the rebalance timer was armed at.
	rebalanceEpoch int32
	// answer is the member's last steady heartbeat answer (steadyHeartbeat).
	answer *spec.ConsumerGroupHeartbeatResponse
}

// reconciledTo is ConsumerGroupMember.isReconciledTo.
func (m *cmember) reconciledTo(epoch int32) bool {
	return m.state == spec.MemberStable && m.epoch == epoch
}

// cgroup is one consumer group.
type cgroup struct {
	id              string
	epoch           int32 // the group epoch
	assignmentEpoch int32 // the target assignment's epoch
	members         map[string]*cmember
	static          map[string]string // instance id -> member id
	target          map[string]spec.Assignment
	// partitionEpoch maps each partition a member holds (assigned or
	// pending revocation) to that member's epoch.
	partitionEpoch map[spec.TopicPartition]int32
	// subscribed are the subscribed topics the metadata knows, with their
	// partition counts (Kafka's subscription metadata).
	subscribed map[string]int32
	// regexes are the resolutions of the regexes members subscribe to
	// (cg_regex.go).
	regexes map[string]resolvedRegex
	// refresh is set when the topic metadata changed since subscribed was
	// computed (and regexes resolved), and cleared by the next heartbeat
	// that recomputes them: with it clear, subscribed matches the image
	// (so it is left out of the canonical state).
	refresh bool
	// dead is set when the coordinator unloaded.
	dead bool
}

func newCGroup(id string) *cgroup {
	return &cgroup{id: id, members: map[string]*cmember{}, static: map[string]string{},
		target: map[string]spec.Assignment{}, partitionEpoch: map[spec.TopicPartition]int32{},
		subscribed: map[string]int32{}, regexes: map[string]resolvedRegex{}}
}

// memberAssignment is where a member's reconciliation stands: what
// ConsumerGroupCurrentMemberAssignmentValue holds.
type memberAssignment struct {
	state                       spec.MemberState
	epoch, prevEpoch            int32
	assigned, pendingRevocation spec.Assignment
}

func (a memberAssignment) equal(b memberAssignment) bool {
	return a.state == b.state && a.epoch == b.epoch && a.prevEpoch == b.prevEpoch &&
		a.assigned.Equal(b.assigned) && a.pendingRevocation.Equal(b.pendingRevocation)
}

func newCMember(g *cgroup, id string) *cmember {
	m := &cmember{id: id, rebalanceTimeoutMs: -1,
		memberAssignment: memberAssignment{assigned: spec.Assignment{}, pendingRevocation: spec.Assignment{}}}
	m.session = newCGTimer(timerCGSession, g, m)
	m.rebalance = newCGTimer(timerCGRebalance, g, m)
	return m
}

// state is ConsumerGroup.maybeUpdateGroupState, computed when asked.
func (g *cgroup) state() spec.ConsumerGroupState {
	switch {
	case g.dead:
		return spec.CGDead
	case len(g.members) == 0:
		return spec.CGEmpty
	case g.epoch > g.assignmentEpoch:
		return spec.CGAssigning
	}
	for _, m := range g.members {
		if !m.reconciledTo(g.assignmentEpoch) {
			return spec.CGReconciling
		}
	}
	return spec.CGStable
}

// byID returns the members sorted by id: kgroup's stand-in for the order
// of Kafka's members map.
func (g *cgroup) byID() []*cmember {
	ms := make([]*cmember, 0, len(g.members))
	for _, id := range spec.SortedKeys(g.members) {
		ms = append(ms, g.members[id])
	}
	return ms
}

// staticMember returns the member holding an instance id, if any.
func (g *cgroup) staticMember(instanceID string) *cmember {
	if id, ok := g.static[instanceID]; ok {
		return g.members[id]
	}
	return nil
}

// targetOf is the member's target assignment, empty if it has none.
func (g *cgroup) targetOf(id string) spec.Assignment {
	if a, ok := g.target[id]; ok {
		return a
	}
	return spec.Assignment{}
}

// currentPartitionEpoch is ConsumerGroup.currentPartitionEpoch: the epoch
// of the member holding tp, -1 if none does.
func (g *cgroup) currentPartitionEpoch(tp spec.TopicPartition) int32 {
	if e, ok := g.partitionEpoch[tp]; ok {
		return e
	}
	return -1
}

// view is the group as spec describes it.
func (g *cgroup) view() spec.ConsumerGroupView { return g.viewOf(spec.SortedKeys(g.members)) }

// viewOf is view with only the members of ids that exist, in ids' order.
func (g *cgroup) viewOf(ids []string) spec.ConsumerGroupView {
	v := spec.ConsumerGroupView{GroupID: g.id, State: g.state(), Epoch: g.epoch, AssignmentEpoch: g.assignmentEpoch}
	for _, id := range ids {
		m, ok := g.members[id]
		if !ok {
			continue
		}
		v.Members = append(v.Members, spec.ConsumerMemberView{MemberID: m.id, InstanceID: m.instanceID,
			State: m.state, Epoch: m.epoch, PreviousEpoch: m.prevEpoch, Topics: slices.Clone(m.subscription(g.regexes)),
			Assigned: m.assigned.Clone(), PendingRevocation: m.pendingRevocation.Clone(),
			Target: g.targetOf(m.id).Clone()})
	}
	return v
}

// groupView is the consumer group in the classic GroupView's terms, so
// that the rules on one group's ownership and assignment read it as they
// read a classic group: State is Stable when the group is, else
// PreparingRebalance; Generation is the group epoch; a member's Assignment
// is what it holds (assigned and pending revocation).
func (g *cgroup) groupView() spec.GroupView {
	v := spec.GroupView{GroupID: g.id, Generation: g.epoch}
	switch g.state() {
	case spec.CGStable:
		v.State = spec.Stable
	case spec.CGEmpty:
		v.State = spec.Empty
	case spec.CGDead:
		v.State = spec.Dead
	default:
		v.State = spec.PreparingRebalance
	}
	for _, m := range g.byID() {
		held := m.assigned.Clone()
		for t, ps := range m.pendingRevocation {
			held[t] = append(held[t], ps...)
		}
		held.Normalize()
		v.Members = append(v.Members, spec.MemberView{MemberID: m.id, InstanceID: m.instanceID,
			Topics: slices.Clone(m.subscription(g.regexes)), Assignment: held})
	}
	slices.SortFunc(v.Members, func(a, b spec.MemberView) int { return strings.Compare(a.MemberID, b.MemberID) })
	return v
}

// eachTimer calls f on every timer the group owns.
func (g *cgroup) eachTimer(f func(*timer)) {
	for _, m := range g.members {
		f(&m.session)
		f(&m.rebalance)
	}
}

// clone returns a deep copy; assignments are never modified in place, so
// they are shared.
func (g *cgroup) clone() *cgroup {
	ng := *g
	ng.members = make(map[string]*cmember, len(g.members))
	for id, m := range g.members {
		nm := *m
		nm.session.cgroup, nm.session.cmember = &ng, &nm
		nm.rebalance.cgroup, nm.rebalance.cmember = &ng, &nm
		ng.members[id] = &nm
	}
	ng.static = maps.Clone(g.static)
	ng.target = maps.Clone(g.target)
	ng.partitionEpoch = maps.Clone(g.partitionEpoch)
	ng.subscribed = maps.Clone(g.subscribed)
	ng.regexes = maps.Clone(g.regexes) // resolutions are never modified in place
	return &ng
}
