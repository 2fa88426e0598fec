package coordinator

import (
	"fmt"
	"slices"

	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// join handles JoinGroup (GroupMetadataManager.classicGroupJoin and the
// service-layer checks before it).
func (c *Coordinator) join(p parked, r *spec.JoinGroupRequest) {
	fail := func(code spec.ErrorCode, memberID string) {
		c.respond(p, &spec.JoinGroupResponse{ErrorCode: code, GenerationID: -1, MemberID: memberID})
	}
	switch {
	case r.GroupID == "":
		fail(spec.InvalidGroupID, r.MemberID)
		return
	case r.SessionTimeoutMs < c.cfg.MinSessionTimeoutMs || r.SessionTimeoutMs > c.cfg.MaxSessionTimeoutMs:
		fail(spec.InvalidSessionTimeout, r.MemberID)
		return
	}
	g, ok := c.groups[r.GroupID]
	if !ok {
		if r.MemberID != "" {
			fail(spec.UnknownMemberID, r.MemberID)
			return
		}
		g = newGroup(r.GroupID)
		c.groups[r.GroupID] = g
		defer c.recordNewGroup(g, len(c.out.Records))
	}
	if !c.acceptJoiningMember(g, r.MemberID) {
		// ClassicGroup.remove: a rejected member leaves the group, and so does
		// a rejected pending member (it may not come back with its id).
		if m, ok := g.members[r.MemberID]; ok {
			c.removeMember(g, m)
		}
		c.removePending(g, r.MemberID)
		fail(spec.GroupMaxSizeReached, "")
		return
	}
	switch {
	case g.state == spec.Dead:
		fail(spec.CoordinatorNotAvailable, r.MemberID)
	case !g.supportsProtocols(r.ProtocolType, r.Protocols):
		fail(spec.InconsistentGroupProtocol, r.MemberID)
	case r.MemberID == "":
		c.joinNewMember(p, g, r)
	default:
		c.joinKnownMember(p, g, r)
	}
}

// recordNewGroup writes Kafka's empty group record for a group that a join
// created without writing anything else: generation 0, no protocol type, no
// members — also when a static member joined and is waiting in it
// (GroupMetadataManager.classicGroupJoinToClassicGroup,
// GroupCoordinatorRecordHelpers.newEmptyGroupMetadataRecord).
func (c *Coordinator) recordNewGroup(g *group, recordsBefore int) {
	if len(c.out.Records) == recordsBefore {
		c.record(Record{Group: &GroupRecord{GroupID: g.id, Members: []GroupRecordMember{}}})
	}
}

// acceptJoiningMember is GroupMetadataManager.acceptJoiningMember: the
// group.max.size check.
func (c *Coordinator) acceptJoiningMember(g *group, memberID string) bool {
	max := c.cfg.GroupMaxSize
	if max == 0 {
		return true
	}
	m, known := g.members[memberID]
	switch g.state {
	case spec.Empty, spec.Dead:
		return true
	case spec.PreparingRebalance:
		return (known && m.join != nil) || g.numAwaitingJoin < max
	}
	return known || len(g.members) < max
}

// joinNewMember handles a JoinGroup with no member id. A dynamic member is
// given an id and told to come back with it (KIP-394: MEMBER_ID_REQUIRED); a
// static member joins at once, replacing the holder of its instance id if any.
func (c *Coordinator) joinNewMember(p parked, g *group, r *spec.JoinGroupRequest) {
	if r.GroupInstanceID != "" {
		if holder, ok := g.static[r.GroupInstanceID]; ok {
			c.replaceStaticMember(p, g, r, g.members[holder])
			return
		}
		c.addMember(p, g, r, c.newMemberID(r.GroupInstanceID))
		return
	}
	id := c.newMemberID(r.ClientID)
	pm := &pendingMember{id: id}
	pm.session = newTimer(timerPendingSession, g, nil)
	pm.session.pendID = id
	g.pending[id] = pm
	c.timers.arm(&pm.session, c.now+int64(r.SessionTimeoutMs))
	c.respond(p, &spec.JoinGroupResponse{ErrorCode: spec.MemberIDRequired, GenerationID: -1, MemberID: id})
}

// joinKnownMember handles a JoinGroup with a member id
// (GroupMetadataManager.classicGroupJoinExistingMember).
func (c *Coordinator) joinKnownMember(p parked, g *group, r *spec.JoinGroupRequest) {
	if _, ok := g.pending[r.MemberID]; ok {
		if r.GroupInstanceID != "" {
			// A pending member is dynamic: Kafka throws IllegalStateException,
			// which the service answers UNKNOWN_SERVER_ERROR, changing nothing
			// (GroupMetadataManager.classicGroupJoinExistingMember).
			c.respond(p, &spec.JoinGroupResponse{ErrorCode: spec.UnknownServerError, GenerationID: -1})
			return
		}
		c.removePending(g, r.MemberID)
		c.addMember(p, g, r, r.MemberID)
		return
	}
	if code := g.validateMember(r.MemberID, r.GroupInstanceID); code != spec.None {
		c.respond(p, &spec.JoinGroupResponse{ErrorCode: code, GenerationID: -1, MemberID: r.MemberID})
		return
	}
	m := g.members[r.MemberID]
	unchanged := spec.ProtocolsEqual(m.protocols, r.Protocols)
	switch g.state {
	case spec.PreparingRebalance:
		c.updateMember(p, g, m, r)
	case spec.CompletingRebalance:
		if unchanged {
			// The member missed its response (e.g. a lost reply) and asks again.
			c.respond(p, c.joinResponse(g, m))
			return
		}
		c.updateMember(p, g, m, r)
	case spec.Stable:
		if m.id == g.leader || !unchanged {
			// A leader's rejoin always rebalances: it is how the leader asks for
			// a new assignment (e.g. after a metadata change).
			c.updateMember(p, g, m, r)
			return
		}
		c.respond(p, c.joinResponse(g, m))
	default:
		c.respond(p, &spec.JoinGroupResponse{ErrorCode: spec.UnknownMemberID, GenerationID: -1, MemberID: r.MemberID})
	}
}

// joinResponse is a successful JoinGroup answer for m at the current
// generation; only the leader gets the member list.
func (c *Coordinator) joinResponse(g *group, m *member) *spec.JoinGroupResponse {
	resp := &spec.JoinGroupResponse{GenerationID: g.generation, ProtocolType: g.protocolType,
		ProtocolName: g.protocolName, Leader: g.leader, MemberID: m.id}
	if m.id == g.leader {
		resp.Members = g.memberList()
	}
	return resp
}

// memberList is the leader's view of every member (parked or not), in
// admission order, with its metadata for the selected protocol.
func (g *group) memberList() []spec.JoinGroupMember {
	var out []spec.JoinGroupMember
	for _, m := range g.byAdmission() {
		out = append(out, spec.JoinGroupMember{MemberID: m.id, GroupInstanceID: m.instanceID,
			Metadata: m.metadataFor(g.protocolName).Clone()})
	}
	return out
}

// addMember is GroupMetadataManager.addMemberThenRebalanceOrCompleteJoin.
func (c *Coordinator) addMember(p parked, g *group, r *spec.JoinGroupRequest, id string) {
	c.nextSeq++
	m := &member{id: id, instanceID: r.GroupInstanceID, clientID: r.ClientID, sessionTimeoutMs: r.SessionTimeoutMs,
		rebalanceTimeoutMs: r.RebalanceTimeoutMs, protocolType: r.ProtocolType, protocols: cloneProtocols(r.Protocols),
		join: &p, isNew: true, seq: c.nextSeq}
	m.session = newTimer(timerSession, g, m)
	if g.state == spec.PreparingRebalance && g.prevState == spec.Empty {
		g.newMemberAdded = true // the initial rebalance may wait longer
	}
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	g.putMember(m)
	if m.instanceID != "" {
		g.static[m.instanceID] = id
	}
	if g.leader == "" {
		g.leader = id
	}
	// A new member cannot heartbeat while its JoinGroup is parked, so its
	// session is the new-member join timeout instead.
	c.timers.arm(&m.session, c.now+c.cfg.NewMemberJoinTimeoutMs)
	c.maybePrepareRebalanceOrCompleteJoin(g)
}

// updateMember is GroupMetadataManager.updateMemberThenRebalanceOrCompleteJoin.
func (c *Coordinator) updateMember(p parked, g *group, m *member, r *spec.JoinGroupRequest) {
	g.setProtocols(m, cloneProtocols(r.Protocols))
	m.rebalanceTimeoutMs, m.sessionTimeoutMs = r.RebalanceTimeoutMs, r.SessionTimeoutMs
	g.setJoin(m, &p)
	c.maybePrepareRebalanceOrCompleteJoin(g)
}

func cloneProtocols(ps []spec.Protocol) []spec.Protocol {
	out := slices.Clone(ps)
	for i := range out {
		out[i].Metadata = out[i].Metadata.Clone()
	}
	return out
}

func (c *Coordinator) maybePrepareRebalanceOrCompleteJoin(g *group) {
	if spec.CanTransition(g.state, spec.PreparingRebalance) {
		c.prepareRebalance(g)
		return
	}
	c.maybeCompleteJoinPhase(g)
}

// maybeCompleteJoinPhase completes the join once everyone has joined, except
// during the initial delay of a group that was Empty.
func (c *Coordinator) maybeCompleteJoinPhase(g *group) {
	if g.state == spec.PreparingRebalance && g.hasAllMembersJoined() && g.prevState != spec.Empty {
		c.completeJoin(g)
	}
}

// prepareRebalance is GroupMetadataManager.prepareRebalance.
func (c *Coordinator) prepareRebalance(g *group) {
	if g.state == spec.CompletingRebalance {
		c.resetAndPropagateAssignmentWithError(g, spec.RebalanceInProgress)
	}
	c.timers.disarm(&g.syncTimer)
	initial := g.state == spec.Empty
	if initial {
		// A new group: give members group.initial.rebalance.delay.ms to arrive.
		g.initialDelayMs = c.cfg.InitialRebalanceDelayMs
		g.initialRemainingMs = max(g.rebalanceTimeoutMs()-c.cfg.InitialRebalanceDelayMs, 0)
		g.initialDelayRunning = true
		c.timers.arm(&g.joinTimer, c.now+g.initialDelayMs)
	}
	c.transition(g, spec.PreparingRebalance)
	if initial {
		return
	}
	if g.hasAllMembersJoined() {
		c.completeJoin(g)
		return
	}
	c.armRebalanceTimeout(g)
}

func (c *Coordinator) armRebalanceTimeout(g *group) {
	g.initialDelayRunning = false
	c.timers.arm(&g.joinTimer, c.now+g.rebalanceTimeoutMs())
}

// tryCompleteInitialRebalance is
// GroupMetadataManager.tryCompleteInitialRebalanceElseSchedule: while members
// keep arriving, wait another delay, up to the rebalance timeout.
func (c *Coordinator) tryCompleteInitialRebalance(g *group) {
	if g.newMemberAdded && g.initialRemainingMs != 0 {
		g.newMemberAdded = false
		delay := min(c.cfg.InitialRebalanceDelayMs, g.initialRemainingMs)
		g.initialRemainingMs = max(g.initialRemainingMs-g.initialDelayMs, 0)
		g.initialDelayMs = delay
		c.timers.arm(&g.joinTimer, c.now+delay)
		return
	}
	c.completeJoin(g)
}

// completeJoin is GroupMetadataManager.completeClassicGroupJoin: drop dynamic
// members that did not rejoin, make sure the leader rejoined, start the next
// generation and answer every parked JoinGroup.
func (c *Coordinator) completeJoin(g *group) {
	c.timers.disarm(&g.joinTimer)
	g.initialDelayRunning = false
	if g.state != spec.PreparingRebalance {
		return // Dead, or a stale timer
	}
	if g.generation >= MaxGeneration {
		c.halted = fmt.Errorf("%w: group %s is at generation %d and must start another", ErrGenerationLimit, g.id, g.generation)
		return
	}
	for _, m := range g.byAdmission() {
		if m.join == nil && m.instanceID == "" {
			c.removeMember(g, m)
		}
	}
	if !c.electJoinedLeader(g) && len(g.members) > 0 {
		// Only static members that have not rejoined are left: wait for them
		// (their sessions will remove them if they are gone).
		c.armRebalanceTimeout(g)
		return
	}
	c.initNextGeneration(g)
	if g.state == spec.Empty {
		c.record(groupRecord(g))
		return
	}
	for _, m := range g.byAdmission() {
		if m.join != nil {
			c.respond(*m.join, c.joinResponse(g, m))
			g.setJoin(m, nil)
		}
		c.timers.arm(&m.session, c.now+int64(m.sessionTimeoutMs))
		m.isNew = false
		g.pendingSync[m.id] = true
	}
	g.syncTimer.gen = g.generation
	c.timers.arm(&g.syncTimer, c.now+g.rebalanceTimeoutMs())
}

// electJoinedLeader is ClassicGroup.maybeElectNewJoinedLeader: keep a leader
// that rejoined, else take the first rejoined member in admission order.
func (c *Coordinator) electJoinedLeader(g *group) bool {
	if l, ok := g.members[g.leader]; !ok {
		return false
	} else if l.join != nil {
		return true
	}
	for _, m := range g.byAdmission() {
		if m.join != nil {
			g.leader = m.id
			return true
		}
	}
	return false
}

// initNextGeneration is ClassicGroup.initNextGeneration.
func (c *Coordinator) initNextGeneration(g *group) {
	if g.generation >= MaxGeneration {
		assert.Fail("group %s: generation %d cannot grow past %d (completeJoin halts first)", g.id, g.generation, MaxGeneration)
	}
	if !c.cfg.Bugs.Has(mutant.SkipGenerationBump) {
		g.generation++
	}
	clear(g.pendingSync)
	if len(g.members) == 0 {
		g.protocolName = ""
		c.transition(g, spec.Empty)
		return
	}
	g.protocolName = g.selectProtocol()
	c.transition(g, spec.CompletingRebalance)
}

// removeMember takes m out of the group (ClassicGroup.remove): its parked
// join is answered UNKNOWN_MEMBER_ID, its session stops, and if it led the
// group the earliest-admitted remaining member leads (Kafka: HashMap order).
func (c *Coordinator) removeMember(g *group, m *member) {
	if m.join != nil {
		c.respond(*m.join, &spec.JoinGroupResponse{ErrorCode: spec.UnknownMemberID, GenerationID: -1})
	}
	c.timers.disarm(&m.session)
	g.dropMember(m)
	delete(g.pendingSync, m.id)
	if m.instanceID != "" && g.static[m.instanceID] == m.id {
		delete(g.static, m.instanceID)
	}
	if g.leader == m.id {
		g.leader = ""
		if ms := g.byAdmission(); len(ms) > 0 {
			g.leader = ms[0].id
		}
	}
}

// removePending forgets a KIP-394 pending member, if id is one.
func (c *Coordinator) removePending(g *group, id string) bool {
	pm, ok := g.pending[id]
	if ok {
		c.timers.disarm(&pm.session)
		delete(g.pending, id)
	}
	return ok
}
