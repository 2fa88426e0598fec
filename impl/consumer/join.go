package consumer

import (
	"slices"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// joinGroupLapseMs is AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup
// may wait a rebalance timeout plus this before the client gives up.
const joinGroupLapseMs = 5000

// defaultAPITimeoutMs is default.api.timeout.ms, how long the rebalance
// listener's commitSync retries.
const defaultAPITimeoutMs = 60000

// cooperativeStickyName is ConsumerCoordinator.COOPERATIVE_STICKY_ASSIGNOR_NAME.
const cooperativeStickyName = "cooperative-sticky"

// poll is what the application's poll() does for membership: auto-commit when
// due, fetch positions it lacks, and (re)join the group when needed.
func (c *Consumer) poll() {
	if !c.Alive() || c.stalled || c.coordinatorUnknown {
		return
	}
	c.continueRevocation()
	if c.cfg.AutoCommit && c.state == spec.ClientStable && c.revoking == nil && c.now >= c.nextAutoCommitAt {
		// ConsumerCoordinator.maybeAutoCommitOffsetsAsync: the timer restarts
		// whether or not a commit can go out now.
		c.nextAutoCommitAt = c.now + c.cfg.AutoCommitIntervalMs
		if !c.inFlight("OffsetCommit") {
			c.commitPositions(c.owned, commitAuto)
		}
	}
	c.maybeFetchPositions()
	if c.leader && c.snapshot != nil && c.metadataChanged() {
		// ConsumerCoordinator.rejoinNeededOrPending, on every poll: the leader
		// saw the group's topics change since it assigned, so it rebalances.
		c.requestRejoin()
	}
	if c.rejoinNeeded {
		c.ensureActiveGroup()
	}
}

// ensureActiveGroup is AbstractCoordinator.joinGroupIfNeeded: run the
// pre-join step (revoke or lose partitions) once, then send JoinGroup.
func (c *Consumer) ensureActiveGroup() {
	if c.inFlight("JoinGroup") || c.inFlight("SyncGroup") || c.revoking != nil || c.now < c.retryAt {
		return
	}
	if c.needsJoinPrepare {
		if c.onJoinPrepare() {
			return // waiting for the listener's commit
		}
		c.needsJoinPrepare = false
	}
	c.sendJoin()
}

// onJoinPrepare is ConsumerCoordinator.onJoinPrepare. With a reset generation
// the partitions are lost; otherwise eager revokes them all and cooperative
// only those of topics it no longer subscribes to. It reports whether it must
// wait for a commit before the join can go out.
func (c *Consumer) onJoinPrepare() (waiting bool) {
	c.leader, c.snapshot = false, nil
	if c.generation < 0 || c.memberID == "" {
		c.lose()
		return false
	}
	revoke := c.owned
	if c.protocol == spec.Cooperative {
		revoke = slices.DeleteFunc(slices.Clone(c.owned), func(tp spec.TopicPartition) bool {
			return slices.Contains(c.cfg.Topics, tp.Topic)
		})
	}
	if mutant.On(mutant.KeepOnRejoin) {
		revoke = nil
	}
	return c.revoke(revoke, thenJoin, nil)
}

// revoke runs onPartitionsRevoked(parts). If the listener commits, the
// partitions stay owned until the commit is answered; then what follows runs.
// It reports whether it is waiting for that commit.
func (c *Consumer) revoke(parts []spec.TopicPartition, then afterRevoke, pending []spec.TopicPartition) bool {
	commit := (c.cfg.CommitOnRevoke || c.cfg.AutoCommit) && c.generation >= 0 && len(c.knownPositions(parts)) > 0
	if commit {
		// Before a rejoin the wait is bounded by the rebalance timeout
		// (onJoinPrepare's joinPrepareTimer); inside onJoinComplete by the
		// listener's commitSync, default.api.timeout.ms.
		wait := int64(c.cfg.MaxPollIntervalMs)
		if then == thenFinishAssignment {
			wait = defaultAPITimeoutMs
		}
		corr := c.commitPositions(parts, commitOnRevoke)
		c.revoking = &revocation{parts: parts, corr: corr, then: then, pending: pending, deadline: c.now + wait}
		return true
	}
	c.release(spec.EvRevoked, parts)
	if then == thenFinishAssignment {
		c.finishAssignment(pending)
	}
	return false
}

// continueRevocation is the waiting half of onJoinPrepare (and of the
// listener's commitSync): a commit that failed with a retriable error is sent
// again once the coordinator is known and the backoff has passed, until the
// deadline; then the consumer revokes and goes on without it. A commit that
// can no longer be sent (the generation was reset: CommitFailedException)
// ends the wait too.
func (c *Consumer) continueRevocation() {
	r := c.revoking
	switch {
	case r == nil:
	case c.now >= r.deadline:
		c.revokeDone()
	case r.corr == 0 && c.now >= c.retryAt:
		if c.state == spec.ClientStable {
			r.corr = c.commitPositions(r.parts, commitOnRevoke)
		}
		if r.corr == 0 {
			c.revokeDone()
		}
	}
}

// revokeDone continues after the listener's commit was answered or given up.
func (c *Consumer) revokeDone() {
	r := c.revoking
	c.revoking = nil
	c.release(spec.EvRevoked, r.parts)
	switch r.then {
	case thenJoin:
		c.needsJoinPrepare = false
		c.ensureActiveGroup()
	case thenFinishAssignment:
		c.finishAssignment(r.pending)
	}
}

// lose runs onPartitionsLost for everything owned: the consumer learned it is
// no longer a member, so it must not commit them.
func (c *Consumer) lose() {
	c.release(spec.EvLost, c.owned)
}

// release stops consuming parts and reports the callback (if anything went).
func (c *Consumer) release(kind spec.EventKind, parts []spec.TopicPartition) {
	if len(parts) == 0 {
		return
	}
	parts = slices.Clone(parts)
	c.owned = slices.DeleteFunc(c.owned, func(tp spec.TopicPartition) bool { return slices.Contains(parts, tp) })
	for _, tp := range parts {
		delete(c.positions, tp)
	}
	c.emit(spec.Event{Kind: kind, Partitions: parts})
}

// sendJoin sends JoinGroup with one protocol per assignor.
func (c *Consumer) sendJoin() {
	req := &spec.JoinGroupRequest{GroupID: c.cfg.GroupID, SessionTimeoutMs: c.cfg.SessionTimeoutMs,
		RebalanceTimeoutMs: c.cfg.MaxPollIntervalMs, MemberID: c.memberID, GroupInstanceID: c.cfg.InstanceID,
		ProtocolType: spec.ProtocolTypeConsumer, ClientID: c.cfg.Name}
	for _, a := range c.cfg.Assignors {
		req.Protocols = append(req.Protocols, spec.Protocol{Name: a.Name(), Metadata: c.subscription(a)})
	}
	c.state = spec.ClientPreparingRebalance
	c.send(req, max(c.cfg.RequestTimeoutMs, int64(c.cfg.MaxPollIntervalMs)+joinGroupLapseMs), 0)
}

// subscription is ConsumerCoordinator.metadata for one assignor: topics, what
// is owned (empty for eager, which revoked it all) and the generation, plus
// the assignor's user data.
func (c *Consumer) subscription(a assignors.Assignor) spec.Subscription {
	sub := spec.Subscription{Topics: slices.Clone(c.cfg.Topics), OwnedPartitions: slices.Clone(c.owned),
		GenerationID: c.generation, RackID: c.cfg.Rack}
	if codec, ok := a.(assignors.UserDataCodec); ok {
		sub.UserData = codec.EncodeUserData(c.lastPlan, c.lastGen)
	}
	return sub
}

// onJoinResponse handles JoinGroup's answer (JoinGroupResponseHandler).
func (c *Consumer) onJoinResponse(req request, r *spec.JoinGroupResponse) {
	switch r.ErrorCode {
	case spec.None:
		c.joined(r)
	case spec.MemberIDRequired:
		c.memberID, c.generation = r.MemberID, -1
		c.state = spec.ClientUnjoined
	case spec.UnknownMemberID:
		// Only a reply about the generation still held resets it.
		if c.sameGeneration(req) {
			c.resetGeneration(true)
		}
		c.state = spec.ClientUnjoined
		c.requestRejoin()
	case spec.RebalanceInProgress:
		c.state = spec.ClientUnjoined
	case spec.CoordinatorLoadInProgress:
		// Back off and retry; the coordinator is still the right one.
		c.state = spec.ClientUnjoined
		c.retryAt = c.now + c.cfg.RetryBackoffMs
	case spec.CoordinatorNotAvailable, spec.NotCoordinator:
		c.state = spec.ClientUnjoined
		c.markCoordinatorUnknown()
	default:
		// FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, INCONSISTENT_GROUP_PROTOCOL,
		// INVALID_SESSION_TIMEOUT, and ILLEGAL_GENERATION, which the Java
		// client has no handler for, are fatal.
		c.fail(r.ErrorCode.String())
	}
}

// joined takes a successful JoinGroup answer: the new generation, then
// SyncGroup. An absent protocol type (older brokers) is accepted.
func (c *Consumer) joined(r *spec.JoinGroupResponse) {
	if r.ProtocolType != "" && r.ProtocolType != spec.ProtocolTypeConsumer {
		c.fail("INCONSISTENT_GROUP_PROTOCOL: JoinGroup protocol type " + r.ProtocolType)
		return
	}
	if c.state != spec.ClientPreparingRebalance {
		// The generation was reset while waiting (UnjoinedGroupException,
		// retriable): rejoin after the backoff.
		c.requestRejoin()
		c.retryAt = c.now + c.cfg.RetryBackoffMs
		return
	}
	if c.assignor(r.ProtocolName) == nil {
		// onLeaderElected / onJoinComplete: "Coordinator selected invalid
		// assignment protocol".
		c.fail("INCONSISTENT_GROUP_PROTOCOL: the group chose " + r.ProtocolName)
		return
	}
	c.memberID, c.generation, c.protocolName = r.MemberID, r.GenerationID, r.ProtocolName
	c.leader = r.Leader == r.MemberID
	c.state = spec.ClientCompletingRebalance
	c.enableHeartbeat()
	c.sendSync(r)
}

func (c *Consumer) assignor(name string) assignors.Assignor {
	for _, a := range c.cfg.Assignors {
		if a.Name() == name {
			return a
		}
	}
	return nil
}

// sendSync sends SyncGroup; the leader computes the plan first.
func (c *Consumer) sendSync(r *spec.JoinGroupResponse) {
	req := &spec.SyncGroupRequest{GroupID: c.cfg.GroupID, GenerationID: c.generation, MemberID: c.memberID,
		GroupInstanceID: c.cfg.InstanceID, ProtocolType: spec.ProtocolTypeConsumer, ProtocolName: c.protocolName}
	if c.leader && r.SkipAssignment {
		// A returning static leader keeps the assignment but still watches
		// the group's topics (onLeaderElected with skipAssignment).
		c.takeSnapshot(r.Members)
	}
	if c.leader && !r.SkipAssignment {
		plan, err := c.assign(r.Members)
		if err != nil {
			c.fail("assignment failed: " + err.Error())
			return
		}
		for _, id := range spec.SortedKeys(plan) {
			req.Assignments = append(req.Assignments, spec.SyncGroupAssignment{MemberID: id,
				Assignment: spec.MemberAssignment{Partitions: plan[id]}})
		}
	}
	c.send(req, c.cfg.RequestTimeoutMs, 0)
}

// assign is ConsumerCoordinator.onLeaderElected: run the selected assignor
// over every member's subscription, remembering the metadata it used.
func (c *Consumer) assign(members []spec.JoinGroupMember) (assignors.Plan, error) {
	a := c.assignor(c.protocolName)
	in := make([]assignors.Member, 0, len(members))
	c.takeSnapshot(members)
	for _, jm := range members {
		m := assignors.MemberFromSubscription(a, jm.MemberID, jm.GroupInstanceID, jm.Metadata)
		in = append(in, m)
	}
	plan, err := a.Assign(c.topics, in)
	if err != nil {
		return nil, err
	}
	// The built-in cooperative-sticky assignor weighs the generation of
	// owned partitions itself, so Kafka skips the check for it.
	if c.protocol == spec.Cooperative && a.Name() != cooperativeStickyName {
		if err := validateCooperative(in, plan); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// takeSnapshot records the partition count (-1: absent) of every topic some
// member subscribes to: the leader's assignmentSnapshot.
func (c *Consumer) takeSnapshot(members []spec.JoinGroupMember) {
	c.snapshot = map[string]int32{}
	for _, jm := range members {
		for _, t := range jm.Metadata.Topics {
			n, ok := c.topics[t]
			if !ok {
				n = -1
			}
			c.snapshot[t] = n
		}
	}
}

// validateCooperative is ConsumerCoordinator.validateCooperativeAssignment:
// under the cooperative protocol no partition may be added to one member
// (assigned, not owned by it) while revoked from another (owned, not
// assigned) in the same round; the assignor must withhold it until its owner
// has revoked it. A plan that does so is a fatal error.
func validateCooperative(members []assignors.Member, plan assignors.Plan) error {
	owned := make(map[string][]spec.TopicPartition, len(members))
	for _, m := range members {
		owned[m.ID] = m.Owned
	}
	return spec.CheckCooperativePlan(owned, plan)
}

// onSyncResponse handles SyncGroup's answer (SyncGroupResponseHandler). An
// absent protocol type or name is accepted.
func (c *Consumer) onSyncResponse(req request, r *spec.SyncGroupResponse) {
	switch r.ErrorCode {
	case spec.None:
		if r.ProtocolType != "" && r.ProtocolType != spec.ProtocolTypeConsumer {
			c.fail("INCONSISTENT_GROUP_PROTOCOL: SyncGroup protocol type " + r.ProtocolType)
			return
		}
		if c.state != spec.ClientCompletingRebalance {
			// The generation was reset while waiting: the round failed
			// (raised as ILLEGAL_GENERATION); rejoin at once.
			c.requestRejoin()
			return
		}
		if r.ProtocolName != "" && r.ProtocolName != c.protocolName {
			c.fail("INCONSISTENT_GROUP_PROTOCOL: SyncGroup named " + r.ProtocolName)
			return
		}
		c.state = spec.ClientStable
		c.rejoinNeeded = false
		c.needsJoinPrepare = true // the next rebalance revokes first again
		c.onJoinComplete(r.Assignment.Partitions.Partitions())
	case spec.RebalanceInProgress:
		c.state = spec.ClientUnjoined
	case spec.UnknownMemberID, spec.IllegalGeneration:
		// Only a reply about the generation still held resets it; the
		// member id survives ILLEGAL_GENERATION.
		if c.sameGeneration(req) {
			c.resetGeneration(r.ErrorCode == spec.UnknownMemberID)
		}
		c.state = spec.ClientUnjoined
		c.requestRejoin()
	case spec.CoordinatorNotAvailable, spec.NotCoordinator:
		c.state = spec.ClientUnjoined
		c.markCoordinatorUnknown()
	default:
		c.fail(r.ErrorCode.String())
	}
}

// onJoinComplete is ConsumerCoordinator.onJoinComplete. An assignment outside
// the subscription means the group moved on without us: rejoin, no callbacks.
// Cooperative revokes what it owns but was not given, then rejoins so the
// follow-up round can hand those partitions over.
func (c *Consumer) onJoinComplete(assigned []spec.TopicPartition) {
	c.lastPlan, c.lastGen = assigned, c.generation
	if slices.ContainsFunc(assigned, func(tp spec.TopicPartition) bool { return !slices.Contains(c.cfg.Topics, tp.Topic) }) {
		c.requestRejoin()
		return
	}
	c.nextAutoCommitAt = c.now + c.cfg.AutoCommitIntervalMs
	if c.protocol == spec.Cooperative {
		revoked := slices.DeleteFunc(slices.Clone(c.owned), func(tp spec.TopicPartition) bool { return slices.Contains(assigned, tp) })
		if mutant.On(mutant.CooperativeRevokesAll) {
			revoked = slices.Clone(c.owned)
		}
		if len(revoked) > 0 {
			c.requestRejoin()
			c.revoke(revoked, thenFinishAssignment, assigned)
			return
		}
	}
	c.finishAssignment(assigned)
}

// finishAssignment takes the assigned partitions it does not own yet and
// reports them to onPartitionsAssigned (called even when empty, as Kafka does;
// reported only when not).
func (c *Consumer) finishAssignment(assigned []spec.TopicPartition) {
	added := slices.DeleteFunc(slices.Clone(assigned), func(tp spec.TopicPartition) bool { return slices.Contains(c.owned, tp) })
	c.owned = append(c.owned, added...)
	spec.SortPartitions(c.owned)
	if len(added) > 0 {
		c.emit(spec.Event{Kind: spec.EvAssigned, Partitions: added, Generation: c.generation})
	}
	c.maybeFetchPositions()
}

// requestRejoin marks that the consumer must join again; the next poll does.
func (c *Consumer) requestRejoin() {
	c.rejoinNeeded = true
}

// resetGeneration is AbstractCoordinator.resetStateAndRejoin: forget the
// generation (and the member id when the coordinator no longer knows it);
// the next join first loses the partitions.
func (c *Consumer) resetGeneration(memberIDToo bool) {
	c.generation = -1
	if memberIDToo {
		c.memberID = ""
	}
	c.state = spec.ClientUnjoined
	c.rejoinNeeded = true
	c.needsJoinPrepare = true
	c.leader, c.snapshot = false, nil
}
