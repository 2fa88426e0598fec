package coordinator

import (
	"github.com/kgroup/kgroup/spec"
)

// Leaving and fencing in consumer groups (consumerGroupLeave,
// consumerGroupFenceMember and the session and rebalance timers).

// cgLeave handles a heartbeat of epoch -1 (leave) or -2 (a static member
// leaving for a while, keeping its assignment for its instance id).
func (c *Coordinator) cgLeave(r *spec.ConsumerGroupHeartbeatRequest) (*spec.ConsumerGroupHeartbeatResponse, []Record, *cgFail) {
	g, ok := c.cgroups[r.GroupID]
	if !ok {
		return nil, nil, failf(spec.GroupIDNotFound, "Consumer group %s not found.", r.GroupID)
	}
	resp := &spec.ConsumerGroupHeartbeatResponse{MemberID: r.MemberID, MemberEpoch: r.MemberEpoch}
	var m *cmember
	if r.InstanceID == nil {
		if m, ok = g.members[r.MemberID]; !ok {
			return nil, nil, failf(spec.UnknownMemberID, "Member %s is not a member of group %s.", r.MemberID, g.id)
		}
		return resp, c.fenceRecords(g, m), nil
	}
	switch m = g.staticMember(*r.InstanceID); {
	case m == nil:
		return nil, nil, failf(spec.UnknownMemberID, "Instance id %s is unknown.", *r.InstanceID)
	case m.id != r.MemberID:
		return nil, nil, failf(spec.FencedInstanceID, "Static member %s with instance id %s was fenced by member %s.", r.MemberID, *r.InstanceID, m.id)
	case r.MemberEpoch == spec.StaticLeaveEpoch:
		n := m.copy()
		n.epoch, n.pendingRevocation = spec.StaticLeaveEpoch, spec.Assignment{}
		return &spec.ConsumerGroupHeartbeatResponse{MemberID: m.id, MemberEpoch: spec.StaticLeaveEpoch},
			[]Record{cgCurrentRecord(g.id, n)}, nil
	}
	return resp, c.fenceRecords(g, m), nil
}

// fenceRecords are consumerGroupFenceMember's records: the member's
// tombstones, the subscription metadata without it if that changes, and
// the next group epoch.
func (c *Coordinator) fenceRecords(g *cgroup, m *cmember) []Record {
	recs := cgRemoveMemberRecords(g.id, m.id)
	recs = append(recs, regexTombstones(g, m)...)
	rest := make([]*cmember, 0, len(g.members))
	for _, o := range g.byID() {
		if o != m {
			rest = append(rest, o)
		}
	}
	if subscribed := c.subscriptionMetadata(rest, g.regexes); !equalCounts(subscribed, g.subscribed) {
		recs = append(recs, cgSubscriptionRecord(g.id, subscribed))
	}
	return append(recs, cgEpochRecord(g.id, g.epoch+1))
}

// expireCGSession fences a member whose session expired
// (consumerGroupFenceMemberOperation).
func (c *Coordinator) expireCGSession(g *cgroup, m *cmember) {
	if g.members[m.id] != m {
		return
	}
	c.commitCG(c.fenceRecords(g, m))
}

// expireCGRebalance fences a member still at the epoch it had to revoke
// partitions in when its rebalance timeout passed.
func (c *Coordinator) expireCGRebalance(g *cgroup, m *cmember) {
	if g.members[m.id] != m || m.epoch != m.rebalanceEpoch {
		return
	}
	c.commitCG(c.fenceRecords(g, m))
}

// unloadCG makes every consumer group Dead, as a failover does.
func (c *Coordinator) unloadCG() {
	for _, id := range spec.SortedKeys(c.cgroups) {
		g := c.cgroups[id]
		for _, m := range g.byID() {
			c.timers.disarm(&m.session)
			c.timers.disarm(&m.rebalance)
		}
		g.dead = true
	}
}

// loadConsumerGroups starts every loaded member's session, and the
// rebalance timer of those with partitions to revoke (onLoaded); every
// group refreshes its subscription metadata on the next heartbeat.
func (c *Coordinator) loadConsumerGroups(now int64) {
	for _, id := range spec.SortedKeys(c.cgroups) {
		g := c.cgroups[id]
		g.refresh = true
		for _, m := range g.byID() {
			c.timers.arm(&m.session, now+int64(c.cfg.ConsumerSessionTimeoutMs))
			if m.state == spec.MemberUnrevokedPartitions {
				m.rebalanceEpoch = m.epoch
				c.timers.arm(&m.rebalance, now+int64(m.rebalanceTimeoutMs))
			}
		}
	}
}

// updateMetadata is a new metadata image: every consumer group refreshes
// its subscription metadata on its next heartbeat (Kafka marks the groups
// subscribed to a changed topic; refreshing one whose topics did not change
// writes nothing, so marking them all is the same).
func (c *Coordinator) updateMetadata(topics map[string]int32) {
	c.metadataVersion++
	c.topics = make(map[string]int32, len(topics))
	for t, n := range topics {
		c.topics[t] = n
	}
	for _, g := range c.cgroups {
		g.refresh = true
	}
}
