package coordinator

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// parked is a request the coordinator answers later: a JoinGroup waiting for
// the join phase to complete, or a SyncGroup waiting for the leader.
type parked struct {
	to   string
	corr int32
}

// member is one member of a classic group (Kafka's ClassicGroupMember).
type member struct {
	id, instanceID, clientID string
	sessionTimeoutMs         int32
	rebalanceTimeoutMs       int32
	protocolType             string
	protocols                []spec.Protocol
	assignment               spec.MemberAssignment
	join, sync               *parked // a parked JoinGroup / SyncGroup, if any
	isNew                    bool    // added in this join phase; its session is the new-member join timeout
	seq                      uint64  // admission order: kgroup's stand-in for Kafka's HashMap order
	session                  timer
}

// hasSatisfiedHeartbeat is Kafka's ClassicGroupMember.hasSatisfiedHeartbeat:
// a member parked in JoinGroup or SyncGroup is alive, unless it is new.
func (m *member) hasSatisfiedHeartbeat() bool {
	return !m.isNew && (m.join != nil || m.sync != nil)
}

// metadataFor returns the member's metadata for the named protocol.
func (m *member) metadataFor(name string) spec.Subscription {
	for _, p := range m.protocols {
		if p.Name == name {
			return p.Metadata
		}
	}
	return spec.Subscription{}
}

// pendingMember is a dynamic member that got MEMBER_ID_REQUIRED (KIP-394) and
// has not yet joined with its id.
type pendingMember struct {
	id      string
	session timer
}

// group is one classic group (Kafka's ClassicGroup).
type group struct {
	id         string
	state      spec.GroupState
	prevState  spec.GroupState
	generation int32
	// transitionGen is the generation at the last state change; a transition
	// reports it as the generation it came from.
	transitionGen int32
	protocolType  string
	protocolName  string
	leader        string
	members       map[string]*member
	pending       map[string]*pendingMember
	static        map[string]string // instance id -> member id
	// numAwaitingJoin counts the members with a parked JoinGroup, and
	// supporters counts, per protocol name, the members that list it:
	// Kafka's ClassicGroup keeps both so that a join costs O(1) in the size
	// of the group. Change them only through setJoin, addMember, setProtocols
	// and dropMember.
	numAwaitingJoin int
	supporters      map[string]int
	// pendingSync holds the members that have not synced since the join
	// completed — and, as in Kafka, the old id of a static member replaced
	// before it synced.
	pendingSync map[string]bool
	// The initial-rebalance delay (group.initial.rebalance.delay.ms).
	newMemberAdded       bool
	initialDelayMs       int64
	initialRemainingMs   int64
	initialDelayRunning  bool
	joinTimer, syncTimer timer
}

func newGroup(id string) *group {
	g := &group{id: id, state: spec.Empty, members: map[string]*member{}, pending: map[string]*pendingMember{},
		static: map[string]string{}, pendingSync: map[string]bool{},
		supporters: map[string]int{}}
	g.joinTimer = newTimer(timerJoin, g, nil)
	g.syncTimer = newTimer(timerSync, g, nil)
	return g
}

// byAdmission returns the members in the order they were admitted.
func (g *group) byAdmission() []*member {
	ms := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *member) int { return cmp.Compare(a.seq, b.seq) })
	return ms
}

// setJoin parks (p non-nil) or clears m's JoinGroup.
func (g *group) setJoin(m *member, p *parked) {
	switch {
	case m.join == nil && p != nil:
		g.numAwaitingJoin++
	case m.join != nil && p == nil:
		g.numAwaitingJoin--
	}
	m.join = p
}

// putMember adds m to the members and counts its protocols and parked join.
func (g *group) putMember(m *member) {
	g.members[m.id] = m
	g.count(m.protocols, 1)
	if m.join != nil {
		g.numAwaitingJoin++
	}
}

// dropMember takes m out of the members and out of the counts.
func (g *group) dropMember(m *member) {
	g.setJoin(m, nil)
	g.count(m.protocols, -1)
	delete(g.members, m.id)
}

// setProtocols replaces m's protocol list.
func (g *group) setProtocols(m *member, ps []spec.Protocol) {
	g.count(m.protocols, -1)
	m.protocols = ps
	g.count(ps, 1)
}

// count adds d to the supporters of each distinct name in ps.
func (g *group) count(ps []spec.Protocol, d int) {
	for i, p := range ps {
		if !slices.ContainsFunc(ps[:i], func(q spec.Protocol) bool { return q.Name == p.Name }) {
			if g.supporters[p.Name] += d; g.supporters[p.Name] == 0 {
				delete(g.supporters, p.Name)
			}
		}
	}
}

// hasAllMembersJoined: every member is parked in JoinGroup and no pending
// member is still to come back (ClassicGroup.hasAllMembersJoined).
func (g *group) hasAllMembersJoined() bool {
	return g.numAwaitingJoin == len(g.members) && len(g.pending) == 0
}

// rebalanceTimeoutMs is the largest rebalance timeout among the members.
func (g *group) rebalanceTimeoutMs() int64 {
	var t int32
	for _, m := range g.members {
		t = max(t, m.rebalanceTimeoutMs)
	}
	return int64(t)
}

// supportsProtocols is ClassicGroup.supportsProtocols: an Empty group takes any
// non-empty protocol type and list; otherwise the type must match and one of
// the protocols must be supported by every current member.
func (g *group) supportsProtocols(protocolType string, protocols []spec.Protocol) bool {
	if g.state == spec.Empty {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.supportedByAll(p.Name) {
			return true
		}
	}
	return false
}

func (g *group) supportedByAll(name string) bool {
	return g.supporters[name] == len(g.members)
}

// selectProtocol is ClassicGroup.selectProtocol: among the protocols every
// member supports, each member votes for the first in its own preference
// order, and the most votes win. Kafka breaks a tie by HashMap order; kgroup
// gives it to the name that sorts first.
func (g *group) selectProtocol() string {
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			if g.supportedByAll(p.Name) {
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, name := range spec.SortedKeys(votes) {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

// validateMember is ClassicGroup.validateMember.
func (g *group) validateMember(memberID, instanceID string) spec.ErrorCode {
	_, code := g.member(memberID, instanceID)
	return code
}

// member is validateMember returning the member too.
func (g *group) member(memberID, instanceID string) (*member, spec.ErrorCode) {
	if instanceID != "" {
		holder, ok := g.static[instanceID]
		switch {
		case !ok:
			return nil, spec.UnknownMemberID
		case holder != memberID:
			return nil, spec.FencedInstanceID
		}
	}
	m, ok := g.members[memberID]
	if !ok {
		return nil, spec.UnknownMemberID
	}
	return m, spec.None
}

// view is the group as spec describes it; shared: the view shares the
// members' topics and assignments (DescribeShared).
func (g *group) view(shared bool) spec.GroupView {
	v := spec.GroupView{GroupID: g.id, State: g.state, Generation: g.generation, Protocol: g.protocolName, Leader: g.leader}
	for _, m := range g.members {
		name := g.protocolName
		if name == "" && len(m.protocols) > 0 {
			name = m.protocols[0].Name
		}
		mv := spec.MemberView{MemberID: m.id, InstanceID: m.instanceID,
			Topics: m.metadataFor(name).Topics, Assignment: m.assignment.Partitions}
		if !shared {
			mv.Topics, mv.Assignment = slices.Clone(mv.Topics), mv.Assignment.Clone()
		}
		v.Members = append(v.Members, mv)
	}
	slices.SortFunc(v.Members, func(a, b spec.MemberView) int { return strings.Compare(a.MemberID, b.MemberID) })
	return v
}
