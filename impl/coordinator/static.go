package coordinator

import (
	"github.com/kgroup/kgroup/spec"
)

// replaceStaticMember handles a JoinGroup with no member id and an instance id
// that old holds (KIP-345; GroupMetadataManager.
// updateStaticMemberThenRebalanceOrCompleteJoin): the new member takes old's
// place — assignment, leadership, admission order — and old is fenced.
func (c *Coordinator) replaceStaticMember(p parked, g *group, r *spec.JoinGroupRequest, old *member) {
	nm := c.swapStaticMember(g, old, c.newMemberID(r.GroupInstanceID))
	c.timers.arm(&nm.session, c.now+int64(nm.sessionTimeoutMs))
	g.setProtocols(nm, cloneProtocols(r.Protocols))
	nm.rebalanceTimeoutMs, nm.sessionTimeoutMs = r.RebalanceTimeoutMs, r.SessionTimeoutMs
	switch g.state {
	case spec.Stable:
		if g.selectProtocol() != g.protocolName {
			g.setJoin(nm, &p)
			c.prepareRebalance(g)
			return
		}
		// Nothing the group agreed on changes: persist the new member id and
		// answer at once. A leader learns the members but is told not to
		// assign (JoinGroup v9+ skipAssignment).
		c.record(groupRecord(g))
		resp := c.joinResponse(g, nm)
		resp.SkipAssignment = nm.id == g.leader
		c.respond(p, resp)
	case spec.CompletingRebalance:
		// The leader may already have assigned under the old id: start over.
		g.setJoin(nm, &p)
		c.prepareRebalance(g)
	default: // PreparingRebalance
		g.setJoin(nm, &p)
		c.maybeCompleteJoinPhase(g)
	}
}

// swapStaticMember is ClassicGroup.replaceStaticMember: a parked join or sync
// of old is answered FENCED_INSTANCE_ID and a member with the new id and old's
// state takes its place.
func (c *Coordinator) swapStaticMember(g *group, old *member, newID string) *member {
	if old.join != nil {
		c.respond(*old.join, &spec.JoinGroupResponse{ErrorCode: spec.FencedInstanceID, GenerationID: -1, MemberID: old.id})
	}
	if old.sync != nil {
		c.respond(*old.sync, &spec.SyncGroupResponse{ErrorCode: spec.FencedInstanceID})
	}
	c.timers.disarm(&old.session)
	nm := &member{id: newID, instanceID: old.instanceID, clientID: old.clientID, sessionTimeoutMs: old.sessionTimeoutMs,
		rebalanceTimeoutMs: old.rebalanceTimeoutMs, protocolType: old.protocolType, protocols: old.protocols,
		assignment: old.assignment, seq: old.seq}
	nm.session = newTimer(timerSession, g, nm)
	g.dropMember(old)
	g.putMember(nm)
	g.static[nm.instanceID] = newID
	if g.leader == old.id {
		g.leader = newID
	}
	// Kafka leaves the pending-sync set alone: if old had not synced, its id
	// stays there, the new member's sync does not clear it, and the sync
	// timeout rebalances the group (ClassicGroup.replaceStaticMember,
	// GroupMetadataManager.expirePendingSync).
	return nm
}
