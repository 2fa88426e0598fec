package coordinator

import (
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// syncGroup handles SyncGroup (GroupMetadataManager.classicGroupSync): the
// leader's request carries the plan; everyone else waits for it.
func (c *Coordinator) syncGroup(p parked, r *spec.SyncGroupRequest) {
	fail := func(code spec.ErrorCode) { c.respond(p, &spec.SyncGroupResponse{ErrorCode: code}) }
	g, ok := c.groups[r.GroupID]
	switch {
	case r.GroupID == "":
		fail(spec.InvalidGroupID) // GroupCoordinatorService.syncGroup
		return
	case !ok || g.state == spec.Empty:
		fail(spec.UnknownMemberID)
		return
	case g.state == spec.Dead:
		fail(spec.CoordinatorNotAvailable)
		return
	}
	if code := g.validateMember(r.MemberID, r.GroupInstanceID); code != spec.None {
		fail(code)
		return
	}
	switch {
	case r.GenerationID != g.generation:
		fail(spec.IllegalGeneration)
		return
	case r.ProtocolType != "" && g.protocolType != "" && r.ProtocolType != g.protocolType,
		r.ProtocolName != "" && g.protocolName != "" && r.ProtocolName != g.protocolName:
		fail(spec.InconsistentGroupProtocol)
		return
	}
	m := g.members[r.MemberID]
	switch g.state {
	case spec.PreparingRebalance:
		fail(spec.RebalanceInProgress)
	case spec.Stable:
		c.synced(g, m.id)
		c.respond(p, c.syncResponse(g, m))
	case spec.CompletingRebalance:
		m.sync = &p
		c.synced(g, m.id)
		if m.id == g.leader {
			c.installPlan(g, r.Assignments)
		}
	}
}

// synced notes that the member has sent its SyncGroup; once every member has,
// the sync timeout is cancelled (GroupMetadataManager.removePendingSyncMember).
func (c *Coordinator) synced(g *group, id string) {
	delete(g.pendingSync, id)
	if len(g.pendingSync) == 0 {
		c.timers.disarm(&g.syncTimer)
	}
}

// installPlan stores the leader's plan (members it left out get an empty
// assignment; entries for non-members are ignored), persists the group,
// answers every parked SyncGroup and makes the group Stable.
func (c *Coordinator) installPlan(g *group, plan []spec.SyncGroupAssignment) {
	byID := make(map[string]spec.MemberAssignment, len(plan))
	for _, a := range plan {
		byID[a.MemberID] = a.Assignment
	}
	if c.cfg.Bugs.Has(mutant.DoubleAssign) {
		byID = doubleAssign(g, byID)
	}
	for _, m := range g.members {
		a := byID[m.id]
		a.Partitions = a.Partitions.Clone()
		if a.Partitions == nil {
			a.Partitions = spec.Assignment{}
		}
		a.Partitions.Normalize()
		m.assignment = a
	}
	if !c.cfg.Bugs.Has(mutant.ForgetGroupRecord) {
		c.record(groupRecord(g))
	}
	c.propagate(g)
	c.transition(g, spec.Stable)
}

// propagate answers every parked SyncGroup with the member's assignment and
// restarts its session (GroupMetadataManager.propagateAssignment).
func (c *Coordinator) propagate(g *group) {
	for _, m := range g.byAdmission() {
		if m.sync == nil {
			continue
		}
		c.respond(*m.sync, c.syncResponse(g, m))
		m.sync = nil
		c.timers.arm(&m.session, c.now+int64(m.sessionTimeoutMs))
	}
}

func (c *Coordinator) syncResponse(g *group, m *member) *spec.SyncGroupResponse {
	a := m.assignment
	a.Partitions = a.Partitions.Clone()
	return &spec.SyncGroupResponse{ProtocolType: g.protocolType, ProtocolName: g.protocolName, Assignment: a}
}

// resetAndPropagateAssignmentWithError clears every assignment and answers
// parked SyncGroups with code (a rebalance started before the leader synced).
func (c *Coordinator) resetAndPropagateAssignmentWithError(g *group, code spec.ErrorCode) {
	for _, m := range g.byAdmission() {
		m.assignment = spec.MemberAssignment{}
		if m.sync != nil {
			c.respond(*m.sync, &spec.SyncGroupResponse{ErrorCode: code})
			m.sync = nil
			c.timers.arm(&m.session, c.now+int64(m.sessionTimeoutMs))
		}
	}
}

// expirePendingSync fires a rebalance timeout after a join completed: members
// that have not synced by then are removed and the group rebalances
// (GroupMetadataManager.expirePendingSync).
func (c *Coordinator) expirePendingSync(g *group, gen int32) {
	if gen != g.generation || (g.state != spec.CompletingRebalance && g.state != spec.Stable) || len(g.pendingSync) == 0 {
		return
	}
	for _, id := range spec.SortedKeys(g.pendingSync) {
		if m, ok := g.members[id]; ok { // a replaced static member's old id is no member
			c.removeMember(g, m)
		}
	}
	c.prepareRebalance(g)
}

// doubleAssign is the planted bug mutant.DoubleAssign: the first partition of
// the leader's plan goes to every member.
func doubleAssign(g *group, plan map[string]spec.MemberAssignment) map[string]spec.MemberAssignment {
	var first *spec.TopicPartition
	for _, id := range spec.SortedKeys(plan) {
		if ps := plan[id].Partitions.Partitions(); len(ps) > 0 {
			first = &ps[0]
			break
		}
	}
	if first == nil {
		return plan
	}
	out := map[string]spec.MemberAssignment{}
	for id := range g.members {
		a := plan[id]
		a.Partitions = a.Partitions.Clone()
		if a.Partitions == nil {
			a.Partitions = spec.Assignment{}
		}
		if !a.Partitions.Has(*first) {
			a.Partitions[first.Topic] = append(a.Partitions[first.Topic], first.Partition)
		}
		out[id] = a
	}
	return out
}
