package coordinator

import (
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// heartbeat handles Heartbeat (GroupMetadataManager.classicGroupHeartbeat).
// A heartbeat that passes validation extends the member's session, also when
// it is answered REBALANCE_IN_PROGRESS.
func (c *Coordinator) heartbeat(r *spec.HeartbeatRequest) spec.ErrorCode {
	g, ok := c.groups[r.GroupID]
	switch {
	case r.GroupID == "":
		return spec.InvalidGroupID // GroupCoordinatorService.heartbeat
	case !ok:
		return spec.UnknownMemberID
	case g.state == spec.Dead:
		return spec.CoordinatorNotAvailable
	}
	if code := g.validateMember(r.MemberID, r.GroupInstanceID); code != spec.None {
		return code
	}
	if r.GenerationID != g.generation {
		return spec.IllegalGeneration
	}
	m := g.members[r.MemberID]
	switch g.state {
	case spec.Empty:
		return spec.UnknownMemberID
	case spec.PreparingRebalance:
		c.timers.arm(&m.session, c.now+int64(m.sessionTimeoutMs))
		return spec.RebalanceInProgress
	}
	c.timers.arm(&m.session, c.now+int64(m.sessionTimeoutMs))
	return spec.None
}

// expireSession is GroupMetadataManager.expireClassicGroupMemberHeartbeat.
// A member parked in JoinGroup or SyncGroup is alive (unless new); its session
// restarts when the join completes or its assignment arrives.
func (c *Coordinator) expireSession(g *group, m *member) {
	if c.cfg.Bugs.Has(mutant.NoExpiry) || g.state == spec.Dead || g.members[m.id] != m || m.hasSatisfiedHeartbeat() {
		return
	}
	c.removeMember(g, m)
	c.afterRemoval(g)
}

// afterRemoval is what follows an expiry (removeMemberAndUpdateClassicGroup):
// a settled group rebalances; a rebalancing one completes its join if the
// rest have all joined — even during the initial delay, as Kafka's Java
// coordinator does.
func (c *Coordinator) afterRemoval(g *group) {
	switch g.state {
	case spec.Stable, spec.CompletingRebalance:
		c.maybePrepareRebalanceOrCompleteJoin(g)
	case spec.PreparingRebalance:
		if g.hasAllMembersJoined() {
			c.completeJoin(g)
		}
	}
}

// expirePending removes a KIP-394 pending member that never came back.
func (c *Coordinator) expirePending(g *group, id string) {
	if _, ok := g.pending[id]; !ok || g.state == spec.Dead {
		return
	}
	delete(g.pending, id)
	if g.state == spec.PreparingRebalance && g.hasAllMembersJoined() {
		c.completeJoin(g)
	}
}

// leave handles a batched LeaveGroup (GroupMetadataManager.classicGroupLeave).
// A member id of "" with an instance id removes that static member (the admin
// path); each member gets its own error.
func (c *Coordinator) leave(r *spec.LeaveGroupRequest) *spec.LeaveGroupResponse {
	resp := &spec.LeaveGroupResponse{}
	g, ok := c.groups[r.GroupID]
	if r.GroupID == "" {
		resp.ErrorCode = spec.InvalidGroupID // GroupCoordinatorService.leaveGroup
		return resp
	}
	if ok && g.state == spec.Dead {
		resp.ErrorCode = spec.CoordinatorNotAvailable
		return resp
	}
	left := false
	for _, lm := range r.Members {
		code := spec.UnknownMemberID
		if ok {
			code = c.leaveOne(g, lm)
		}
		left = left || code == spec.None
		resp.Members = append(resp.Members, spec.LeaveGroupMemberResponse{MemberID: lm.MemberID,
			GroupInstanceID: lm.GroupInstanceID, ErrorCode: code})
	}
	if !left {
		return resp
	}
	switch g.state {
	case spec.Stable, spec.CompletingRebalance:
		c.maybePrepareRebalanceOrCompleteJoin(g)
	case spec.PreparingRebalance:
		c.maybeCompleteJoinPhase(g)
	}
	return resp
}

func (c *Coordinator) leaveOne(g *group, lm spec.LeaveGroupMember) spec.ErrorCode {
	if lm.MemberID == "" {
		holder, ok := g.static[lm.GroupInstanceID]
		if lm.GroupInstanceID == "" || !ok {
			return spec.UnknownMemberID
		}
		c.removeMember(g, g.members[holder])
		return spec.None
	}
	if c.removePending(g, lm.MemberID) {
		return spec.None
	}
	if code := g.validateMember(lm.MemberID, lm.GroupInstanceID); code != spec.None {
		return code
	}
	c.removeMember(g, g.members[lm.MemberID])
	return spec.None
}
