package coordinator

import (
	"fmt"
	"maps"
	"slices"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// replayCG applies one consumer group record (GroupMetadataManager.replay
// for the ConsumerGroup* records): the only way a consumer group's state
// changes, live and on Load. A record that contradicts the state — Kafka's
// IllegalStateException — is an error.
func (c *Coordinator) replayCG(r Record) error {
	switch {
	case r.GroupTombstone != nil:
		return c.replayGroupTombstone(r.GroupTombstone.GroupID)
	case r.CGMetadata != nil:
		return c.replayCGMetadata(r.CGMetadata)
	case r.CGSubscription != nil:
		x := r.CGSubscription
		g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
		if g != nil {
			g.subscribed = maps.Clone(x.Topics)
			if x.Tombstone || g.subscribed == nil {
				g.subscribed = map[string]int32{}
			}
		}
		return err
	case r.CGMember != nil:
		return c.replayCGMember(r.CGMember)
	case r.CGTarget != nil:
		x := r.CGTarget
		g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
		switch {
		case g == nil:
		case x.Tombstone:
			delete(g.target, x.MemberID)
		default:
			g.target[x.MemberID] = normalized(x.Partitions)
		}
		return err
	case r.CGTargetEpoch != nil:
		x := r.CGTargetEpoch
		g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
		switch {
		case g == nil:
		case !x.Tombstone:
			g.assignmentEpoch = x.Epoch
		case len(g.target) > 0:
			return fmt.Errorf("consumer group %s: target assignment tombstone while %d members have a target", x.GroupID, len(g.target))
		default:
			g.assignmentEpoch = -1
		}
		return err
	case r.CGCurrent != nil:
		return c.replayCGCurrent(r.CGCurrent)
	case r.CGRegex != nil:
		return c.replayCGRegex(r.CGRegex)
	}
	return nil
}

// persistedCGroup is getOrMaybeCreatePersistedConsumerGroup: the consumer
// group, created if create is set (replacing an Empty classic group that
// only holds offsets); nil without an error when it does not exist and
// create is not set (a tombstone of nothing is ignored).
func (c *Coordinator) persistedCGroup(id string, create bool) (*cgroup, error) {
	if g, ok := c.cgroups[id]; ok {
		return g, nil
	}
	if !create {
		return nil, nil
	}
	if cg, ok := c.groups[id]; ok {
		if cg.state != spec.Empty || len(cg.members) > 0 {
			return nil, fmt.Errorf("group %s is a classic group in state %s, not a consumer group", id, cg.state)
		}
		delete(c.groups, id)
	}
	g := newCGroup(id)
	c.cgroups[id] = g
	return g, nil
}

// replayGroupTombstone deletes an Empty classic group; its offsets stay.
func (c *Coordinator) replayGroupTombstone(id string) error {
	g, ok := c.groups[id]
	if !ok {
		return nil
	}
	if len(g.members) > 0 {
		return fmt.Errorf("tombstone of classic group %s, which has %d members", id, len(g.members))
	}
	delete(c.groups, id)
	return nil
}

func (c *Coordinator) replayCGMetadata(x *CGMetadataRecord) error {
	g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
	switch {
	case g == nil:
		return err
	case !x.Tombstone:
		g.epoch = x.Epoch
		return nil
	case len(g.members) > 0 || len(g.target) > 0 || g.assignmentEpoch != -1 || len(g.regexes) > 0:
		return fmt.Errorf("tombstone of consumer group %s, which still has members, a target assignment or resolved regexes", x.GroupID)
	}
	delete(c.cgroups, x.GroupID)
	return nil
}

func (c *Coordinator) replayCGMember(x *CGMemberRecord) error {
	// Even a tombstone of a member long gone keeps the id counter past its
	// id (a compacted log keeps that one: see cluster's compaction).
	c.nextID = max(c.nextID, IDSequence(x.MemberID))
	g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
	if g == nil {
		return err
	}
	m, ok := g.members[x.MemberID]
	if x.Tombstone {
		switch {
		case !ok:
			return nil
		case m.epoch != spec.LeaveEpoch:
			return fmt.Errorf("consumer group %s: member %s deleted before its current assignment", x.GroupID, x.MemberID)
		case g.target[x.MemberID] != nil:
			return fmt.Errorf("consumer group %s: member %s deleted before its target assignment", x.GroupID, x.MemberID)
		}
		c.removeCMember(g, m)
		return nil
	}
	if !ok {
		m = newCMember(g, x.MemberID)
		g.members[m.id] = m
	}
	m.instanceID, m.rackID, m.clientID = x.InstanceID, x.RackID, x.ClientID
	m.rebalanceTimeoutMs, m.regex, m.serverAssignor = x.RebalanceTimeoutMs, x.Regex, x.ServerAssignor
	m.topics = sortedSet(x.Topics)
	if m.instanceID != "" {
		g.static[m.instanceID] = m.id
	}
	return nil
}

func (c *Coordinator) replayCGCurrent(x *CGCurrentRecord) error {
	g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
	if g == nil {
		return err
	}
	m, ok := g.members[x.MemberID]
	if !ok {
		if x.Tombstone {
			return nil
		}
		m = newCMember(g, x.MemberID)
		g.members[m.id] = m
	}
	planted := c.cfg.Bugs.Has(mutant.CGAssignUnreleased) // keeps no partition epochs
	if err := g.releasePartitions(m); err != nil && !planted {
		return err
	}
	if x.Tombstone {
		m.epoch, m.prevEpoch = spec.LeaveEpoch, spec.LeaveEpoch
		m.assigned, m.pendingRevocation = spec.Assignment{}, spec.Assignment{}
	} else {
		m.state, m.epoch, m.prevEpoch = x.State, x.Epoch, x.PreviousEpoch
		m.assigned, m.pendingRevocation = normalized(x.Assigned), normalized(x.PendingRevocation)
	}
	if planted {
		return nil
	}
	return g.holdPartitions(m)
}

// removeCMember is ConsumerGroup.removeMember.
func (c *Coordinator) removeCMember(g *cgroup, m *cmember) {
	_ = g.releasePartitions(m) // a member at epoch -1 holds nothing
	if m.instanceID != "" && g.static[m.instanceID] == m.id {
		delete(g.static, m.instanceID)
	}
	c.timers.disarm(&m.session)
	c.timers.disarm(&m.rebalance)
	delete(g.members, m.id)
}

// releasePartitions is ConsumerGroup.removePartitionEpochs for m's
// partitions: each must be held at m's epoch.
func (g *cgroup) releasePartitions(m *cmember) error {
	for _, a := range []spec.Assignment{m.assigned, m.pendingRevocation} {
		for _, tp := range a.Partitions() {
			if e, ok := g.partitionEpoch[tp]; !ok || e != m.epoch {
				return fmt.Errorf("consumer group %s: cannot release %s from member %s at epoch %d: held at %d (held: %v)",
					g.id, tp, m.id, m.epoch, e, ok)
			}
			delete(g.partitionEpoch, tp)
		}
	}
	return nil
}

// holdPartitions is ConsumerGroup.addPartitionEpochs for m's partitions:
// none may be held already — the coordinator's exclusive-ownership
// invariant.
func (g *cgroup) holdPartitions(m *cmember) error {
	for _, a := range []spec.Assignment{m.assigned, m.pendingRevocation} {
		for _, tp := range a.Partitions() {
			if e, ok := g.partitionEpoch[tp]; ok {
				return fmt.Errorf("consumer group %s: cannot give %s to member %s at epoch %d: still held at epoch %d",
					g.id, tp, m.id, m.epoch, e)
			}
			g.partitionEpoch[tp] = m.epoch
		}
	}
	return nil
}

func normalized(a spec.Assignment) spec.Assignment {
	out := a.Clone()
	if out == nil {
		out = spec.Assignment{}
	}
	out.Normalize()
	return out
}

// sortedSet returns the distinct names of ss, sorted.
func sortedSet(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}
