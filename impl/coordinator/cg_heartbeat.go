package coordinator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// ConsumerGroupHeartbeat (GroupMetadataManager.consumerGroupHeartbeat and
// consumerGroupLeave in Kafka 4.0). A handler reads the group as it is,
// builds the member's next state in a local copy, and collects records;
// only when it succeeds are the records written and replayed, so that a
// request that fails halfway changes nothing, as Kafka discards the
// records of a request that throws.

// cgFail is a failed heartbeat: the error code and Kafka's message.
type cgFail struct {
	code spec.ErrorCode
	msg  string
}

func failf(code spec.ErrorCode, format string, args ...any) *cgFail {
	return &cgFail{code, fmt.Sprintf(format, args...)}
}

func (f *cgFail) response() *spec.ConsumerGroupHeartbeatResponse {
	return &spec.ConsumerGroupHeartbeatResponse{ErrorCode: f.code, ErrorMessage: f.msg}
}

// cgHeartbeat answers one ConsumerGroupHeartbeat.
func (c *Coordinator) cgHeartbeat(r *spec.ConsumerGroupHeartbeatRequest) *spec.ConsumerGroupHeartbeatResponse {
	if f := c.validateCGHeartbeat(r); f != nil {
		return f.response()
	}
	if !fullPathOnly {
		if resp := c.steadyHeartbeat(r); resp != nil {
			return resp
		}
	}
	var resp *spec.ConsumerGroupHeartbeatResponse
	var recs []Record
	var f *cgFail
	if r.MemberEpoch == spec.LeaveEpoch || r.MemberEpoch == spec.StaticLeaveEpoch {
		resp, recs, f = c.cgLeave(r)
	} else {
		resp, recs, f = c.cgJoinOrBeat(r)
	}
	if f != nil {
		return f.response()
	}
	if !c.commitCG(recs) {
		return resp // halted: the Step is discarded
	}
	if g, ok := c.cgroups[r.GroupID]; ok && r.MemberEpoch >= 0 {
		// cgJoinOrBeat refreshed the subscription metadata and every regex
		// against the current image; until the next image, nothing to redo.
		g.refresh = false
	}
	c.afterCGHeartbeat(r, resp)
	return resp
}

// steadyHeartbeat answers, allocating nothing, the heartbeat of a member
// reconciled to its group's target with nothing to change — every optional
// field null, its epoch, its client id — the steady state of a group; nil
// for any other heartbeat. It does what the full path would: no records,
// the session timer re-armed, an answer without an assignment (one shared
// per member and epoch: answers are never modified).
func (c *Coordinator) steadyHeartbeat(r *spec.ConsumerGroupHeartbeatRequest) *spec.ConsumerGroupHeartbeatResponse {
	if r.MemberEpoch <= 0 || r.RackID != nil || r.RebalanceTimeoutMs != -1 || r.SubscribedTopicNames != nil ||
		r.SubscribedTopicRegex != nil || r.ServerAssignor != nil || r.TopicPartitions != nil {
		return nil
	}
	g, ok := c.cgroups[r.GroupID]
	if !ok || g.refresh || g.epoch != g.assignmentEpoch {
		return nil
	}
	m, ok := g.members[r.MemberID]
	if !ok || m.epoch != r.MemberEpoch || !m.reconciledTo(g.assignmentEpoch) || m.clientID != r.ClientID ||
		(r.InstanceID != nil && *r.InstanceID != m.instanceID) || (r.InstanceID == nil && m.instanceID != "") {
		return nil
	}
	if a := m.answer; a == nil || a.MemberEpoch != m.epoch || a.HeartbeatIntervalMs != c.cfg.ConsumerHeartbeatIntervalMs {
		m.answer = &spec.ConsumerGroupHeartbeatResponse{MemberID: m.id, MemberEpoch: m.epoch,
			HeartbeatIntervalMs: c.cfg.ConsumerHeartbeatIntervalMs}
	}
	c.timers.arm(&m.session, c.now+int64(c.cfg.ConsumerSessionTimeoutMs))
	c.timers.disarm(&m.rebalance)
	return m.answer
}

// fullPathOnly turns steadyHeartbeat off, for the test that compares it
// with the full path.
var fullPathOnly = false

// commitCG writes records and replays them: the only way a consumer group
// changes. Records that would take a group epoch past MaxGeneration, which
// Load refuses, are not written: the coordinator halts with
// ErrGenerationLimit, as a classic group does, and commitCG returns false.
func (c *Coordinator) commitCG(recs []Record) bool {
	for _, rec := range recs {
		if x := rec.CGMetadata; x != nil && !x.Tombstone && x.Epoch > MaxGeneration {
			c.halted = fmt.Errorf("%w: consumer group %s is at epoch %d and must start another", ErrGenerationLimit, x.GroupID, x.Epoch-1)
			return false
		}
	}
	for _, rec := range recs {
		c.record(rec)
		if err := c.replayCG(rec); err != nil {
			assert.Fail("coordinator: replaying %s: %v", rec, err)
		}
	}
	return true
}

// validateCGHeartbeat is throwIfConsumerGroupHeartbeatRequestIsInvalid.
func (c *Coordinator) validateCGHeartbeat(r *spec.ConsumerGroupHeartbeatRequest) *cgFail {
	switch {
	case blank(r.GroupID):
		return failf(spec.InvalidRequest, "GroupId can't be empty.")
	case r.InstanceID != nil && blank(*r.InstanceID):
		return failf(spec.InvalidRequest, "InstanceId can't be empty.")
	case r.RackID != nil && blank(*r.RackID):
		return failf(spec.InvalidRequest, "RackId can't be empty.")
	}
	switch e := r.MemberEpoch; {
	case e > 0 || e == spec.LeaveEpoch:
		if blank(r.MemberID) {
			return failf(spec.InvalidRequest, "MemberId can't be empty.")
		}
	case e == spec.JoinEpoch:
		switch {
		case r.RebalanceTimeoutMs == -1:
			return failf(spec.InvalidRequest, "RebalanceTimeoutMs must be provided in first request.")
		case r.TopicPartitions == nil || r.TopicPartitions.Len() > 0:
			return failf(spec.InvalidRequest, "TopicPartitions must be empty when (re-)joining.")
		case len(r.SubscribedTopicNames) == 0 && (r.SubscribedTopicRegex == nil || *r.SubscribedTopicRegex == ""):
			// The check of the Kafka commit that brought regexes (later
			// ones accept an empty subscription: see cg_regex.go).
			return failf(spec.InvalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
		}
	case e == spec.StaticLeaveEpoch:
		if blank(r.MemberID) {
			return failf(spec.InvalidRequest, "MemberId can't be empty.")
		}
		if r.InstanceID == nil {
			return failf(spec.InvalidRequest, "InstanceId can't be null.")
		}
	default:
		return failf(spec.InvalidRequest, "MemberEpoch is invalid.")
	}
	if r.ServerAssignor != nil && !slices.Contains(c.cfg.consumerAssignors(), *r.ServerAssignor) {
		return failf(spec.UnsupportedAssignor, "ServerAssignor %s is not supported. Supported assignors: %s.",
			*r.ServerAssignor, joinNames(c.cfg.consumerAssignors()))
	}
	if r.RebalanceTimeoutMs < -1 || r.RebalanceTimeoutMs == 0 {
		// Kafka takes any value; kgroup bounds what comes from outside.
		return failf(spec.InvalidRequest, "RebalanceTimeoutMs %d must be positive or -1.", r.RebalanceTimeoutMs)
	}
	return nil
}

// blank is throwIfEmptyString's test: empty once trimmed as Java's
// String.trim trims, of every character up to ' '.
func blank(s string) bool {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) == ""
}

// cgGroupFor is getOrMaybeCreateConsumerGroup for a heartbeat: the group,
// or a new empty one (not yet stored: its records create it) when the
// member joins. recs gets the tombstone of an Empty classic group the new
// consumer group replaces.
func (c *Coordinator) cgGroupFor(id string, create bool, recs *[]Record) (*cgroup, *cgFail) {
	if g, ok := c.cgroups[id]; ok {
		return g, nil
	}
	cg, classic := c.groups[id]
	switch {
	case !classic && !create:
		return nil, failf(spec.GroupIDNotFound, "Consumer group %s not found.", id)
	case !classic:
		return newCGroup(id), nil
	case create && cg.state == spec.Empty && len(cg.members) == 0:
		*recs = append(*recs, Record{GroupTombstone: &GroupTombstone{GroupID: id}})
		return newCGroup(id), nil
	}
	// Kafka converts a classic group whose members all use the consumer
	// protocol embedded in the classic one (the online upgrade); kgroup
	// does not, and answers as Kafka does when it cannot.
	return nil, failf(spec.GroupIDNotFound, "Group %s is not a consumer group", id)
}

// cgJoinOrBeat handles a heartbeat of epoch 0 or more.
func (c *Coordinator) cgJoinOrBeat(r *spec.ConsumerGroupHeartbeatRequest) (*spec.ConsumerGroupHeartbeatResponse, []Record, *cgFail) {
	var recs []Record
	g, f := c.cgGroupFor(r.GroupID, r.MemberEpoch == spec.JoinEpoch, &recs)
	if f != nil {
		return nil, nil, f
	}
	if max := c.cfg.ConsumerGroupMaxSize; max > 0 && g.members[r.MemberID] == nil && len(g.members) >= max {
		return nil, nil, failf(spec.GroupMaxSizeReached, "The consumer group has reached its maximum capacity of %d members.", max)
	}
	memberID := r.MemberID
	if memberID == "" {
		memberID = c.newMemberID(clientPrefix(r.ClientID))
	}
	old, replaced, f := c.cgLookup(g, r, memberID, &recs)
	if f != nil && f.code == spec.FencedMemberEpoch && c.cfg.Bugs.Has(mutant.CGSkipEpochCheck) {
		f = nil // any epoch will do
	}
	if f != nil {
		return nil, nil, f
	}
	upd := updatedMember(old, r)
	if upd.regex != old.regex && upd.regex != "" {
		if f := regexFail(upd.regex); f != nil {
			return nil, nil, f
		}
	}
	t := targetStep{g: g, member: upd, replaced: replaced, regexes: g.regexes}
	if !sameSubscription(old, upd) || !old.sameSettings(upd) {
		recs = append(recs, cgMemberRecord(g.id, upd))
	}
	epoch := g.epoch
	if !sameSubscription(old, upd) || g.refresh {
		// maybeUpdateRegularExpressions and, at once, what Kafka's
		// asynchronous resolution would bring (cg_regex.go).
		regexes, regexRecs, resolvedChanged := c.updateRegexes(g, t.members(), g.refresh)
		recs = append(recs, regexRecs...)
		t.regexes = regexes
		subscribed := c.subscriptionMetadata(t.members(), regexes)
		bump := !sameSubscription(old, upd) || resolvedChanged
		if !equalCounts(subscribed, g.subscribed) {
			bump = true
			recs = append(recs, cgSubscriptionRecord(g.id, subscribed))
		}
		if bump {
			epoch++
			recs = append(recs, cgEpochRecord(g.id, epoch))
		}
		t.subscribed = subscribed
	} else {
		t.subscribed = g.subscribed
	}
	targetEpoch, target := g.assignmentEpoch, g.targetFor(upd.id, upd.instanceID)
	if epoch > g.assignmentEpoch {
		var err error
		if target, err = c.computeTarget(&t, epoch, &recs); err != nil {
			return nil, nil, failf(spec.UnknownServerError, "Failed to compute a new target assignment for epoch %d: %v", epoch, err)
		}
		targetEpoch = epoch
	}
	if !upd.reconciledTo(targetEpoch) {
		held := g.currentPartitionEpoch
		if c.cfg.Bugs.Has(mutant.CGAssignUnreleased) {
			held = func(spec.TopicPartition) int32 { return -1 } // every partition looks released
		}
		owned := r.TopicPartitions
		if c.cfg.Bugs.Has(mutant.CGRevokeUnacked) {
			owned = spec.Assignment{} // planted: as if the member had given everything up
		}
		next, code := reconcile(upd.memberAssignment, targetEpoch, target, held, owned)
		if code != spec.None {
			return nil, nil, failf(code, "The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.")
		}
		if c.cfg.Bugs.Has(mutant.CGEpochGoesBack) && upd.state == spec.MemberUnreleasedPartition &&
			next.state == spec.MemberStable && next.epoch > 1 {
			next.epoch-- // planted
		}
		if !next.equal(upd.memberAssignment) {
			upd.memberAssignment = next
			recs = append(recs, cgCurrentRecord(g.id, upd))
		}
	}
	resp := &spec.ConsumerGroupHeartbeatResponse{MemberID: upd.id, MemberEpoch: upd.epoch,
		HeartbeatIntervalMs: c.cfg.ConsumerHeartbeatIntervalMs}
	if r.IsFull() || !old.assigned.Equal(upd.assigned) {
		resp.Assignment = upd.assigned.Clone()
	}
	return resp, recs, nil
}

// afterCGHeartbeat arms the member's timers once its records are replayed:
// the session timer always (the heartbeat is the member's sign of life),
// the rebalance timer while it has partitions to revoke.
func (c *Coordinator) afterCGHeartbeat(r *spec.ConsumerGroupHeartbeatRequest, resp *spec.ConsumerGroupHeartbeatResponse) {
	if resp.MemberEpoch < 0 {
		return // it left
	}
	m := c.cgroups[r.GroupID].members[resp.MemberID]
	c.timers.arm(&m.session, c.now+int64(c.cfg.ConsumerSessionTimeoutMs))
	switch {
	case m.state != spec.MemberUnrevokedPartitions:
		c.timers.disarm(&m.rebalance)
	case m.rebalance.at == disarmed || m.rebalanceEpoch != m.epoch:
		m.rebalanceEpoch = m.epoch
		c.timers.arm(&m.rebalance, c.now+int64(m.rebalanceTimeoutMs))
	}
}

// cgLookup finds the member a heartbeat is from
// (getOrMaybeSubscribeDynamicConsumerGroupMember and …Static…), as a copy
// to update. A static member rejoining in place of one that left with
// epoch -2 takes over its assignment: replaced is the member it replaces,
// whose removal and the new member's records go to recs.
func (c *Coordinator) cgLookup(g *cgroup, r *spec.ConsumerGroupHeartbeatRequest, memberID string,
	recs *[]Record) (m *cmember, replaced *cmember, f *cgFail) {
	join := r.MemberEpoch == spec.JoinEpoch
	if r.InstanceID == nil {
		m, ok := g.members[memberID]
		if !ok {
			if !join {
				return nil, nil, failf(spec.UnknownMemberID, "Member %s is not a member of group %s.", memberID, g.id)
			}
			return newCMember(g, memberID), nil, nil
		}
		return m.copy(), nil, checkEpoch(m, r)
	}
	inst := *r.InstanceID
	holder := g.staticMember(inst)
	switch {
	case join && holder == nil:
		if m, ok := g.members[memberID]; ok {
			return m.copy(), nil, nil
		}
		return newCMember(g, memberID), nil, nil
	case join:
		if holder.epoch != spec.StaticLeaveEpoch {
			return nil, nil, failf(spec.UnreleasedInstanceID, "Static member %s with instance id %s cannot join the group because the instance id is owned by %s member.",
				memberID, inst, holder.id)
		}
		n := holder.copy()
		n.id, n.epoch, n.prevEpoch = memberID, 0, 0
		*recs = append(*recs, cgRemoveMemberRecords(g.id, holder.id)...)
		*recs = append(*recs, cgMemberRecord(g.id, n), cgTargetRecord(g.id, n.id, g.targetOf(holder.id)), cgCurrentRecord(g.id, n))
		return n, holder, nil
	case holder == nil:
		return nil, nil, failf(spec.UnknownMemberID, "Instance id %s is unknown.", inst)
	case holder.id != memberID:
		return nil, nil, failf(spec.FencedInstanceID, "Static member %s with instance id %s was fenced by member %s.", memberID, inst, holder.id)
	}
	return holder.copy(), nil, checkEpoch(holder, r)
}

// checkEpoch is throwIfConsumerGroupMemberEpochIsInvalid: an epoch ahead
// of the member's is fenced; one behind is accepted only if it is the
// previous epoch and the member owns no more than it is assigned (the
// response that bumped its epoch was lost).
func checkEpoch(m *cmember, r *spec.ConsumerGroupHeartbeatRequest) *cgFail {
	switch e := r.MemberEpoch; {
	case e > m.epoch:
		return failf(spec.FencedMemberEpoch, "The consumer group member has a greater member epoch (%d) than the one known by the group coordinator (%d). The member must abandon all its partitions and rejoin.", e, m.epoch)
	case e < m.epoch && (e != m.prevEpoch || !isSubset(r.TopicPartitions, m.assigned)):
		return failf(spec.FencedMemberEpoch, "The consumer group member has a smaller member epoch (%d) than the one known by the group coordinator (%d). The member must abandon all its partitions and rejoin.", e, m.epoch)
	}
	return nil
}

// isSubset is GroupMetadataManager.isSubset: owned within assigned. A
// member that did not report what it owns (nil) is not within it, nor is
// one naming a topic it is not assigned, even with no partitions.
func isSubset(owned, assigned spec.Assignment) bool {
	if owned == nil {
		return false
	}
	for t, ps := range owned {
		as, ok := assigned[t]
		if !ok {
			return false
		}
		for _, p := range ps {
			if !slices.Contains(as, p) {
				return false
			}
		}
	}
	return true
}

// updatedMember is the member with the request's non-null fields
// (ConsumerGroupMember.Builder's maybeUpdate… calls).
func updatedMember(old *cmember, r *spec.ConsumerGroupHeartbeatRequest) *cmember {
	m := old.copy()
	if r.InstanceID != nil {
		m.instanceID = *r.InstanceID
	}
	if r.RackID != nil {
		m.rackID = *r.RackID
	}
	if r.RebalanceTimeoutMs != -1 {
		m.rebalanceTimeoutMs = r.RebalanceTimeoutMs
	}
	if r.ServerAssignor != nil {
		m.serverAssignor = *r.ServerAssignor
	}
	if r.SubscribedTopicNames != nil {
		m.topics = sortedSet(r.SubscribedTopicNames)
	}
	if r.SubscribedTopicRegex != nil {
		m.regex = *r.SubscribedTopicRegex // "" drops the regex, as Kafka's client sends it
	}
	m.clientID = r.ClientID
	return m
}

// copy returns a copy of the member's fields, detached from its timers.
func (m *cmember) copy() *cmember {
	n := *m
	n.topics = slices.Clone(m.topics)
	n.assigned, n.pendingRevocation = m.assigned.Clone(), m.pendingRevocation.Clone()
	return &n
}

func sameSubscription(a, b *cmember) bool {
	return slices.Equal(a.topics, b.topics) && a.regex == b.regex
}

// sameSettings compares what a member record holds besides the
// subscription.
func (m *cmember) sameSettings(o *cmember) bool {
	return m.id == o.id && m.instanceID == o.instanceID && m.rackID == o.rackID && m.clientID == o.clientID &&
		m.rebalanceTimeoutMs == o.rebalanceTimeoutMs && m.serverAssignor == o.serverAssignor
}

func clientPrefix(clientID string) string {
	if clientID == "" {
		return "consumer"
	}
	return clientID
}

func equalCounts(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for t, n := range a {
		if m, ok := b[t]; !ok || m != n {
			return false
		}
	}
	return true
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
