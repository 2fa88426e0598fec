package consumer

import (
	"slices"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Joining: JoinGroup and SyncGroup, their answers, and taking an assignment.

// joinGroupLapseMs is AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup
// may wait a rebalance timeout plus this before the client gives up.
const joinGroupLapseMs = 5000

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
	c.skipped = c.leader && r.SkipAssignment
	if c.skipped {
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
	if slices.ContainsFunc(assigned, func(tp spec.TopicPartition) bool { return !c.subscribes(tp.Topic) }) {
		c.requestRejoin()
		return
	}
	c.nextAutoCommitAt = c.now + c.cfg.AutoCommitIntervalMs
	if c.protocol == spec.Cooperative {
		revoked := slices.DeleteFunc(slices.Clone(c.owned), func(tp spec.TopicPartition) bool { return has(assigned, tp) })
		if c.cfg.Bugs.Has(mutant.CooperativeRevokesAll) {
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
	added := slices.DeleteFunc(slices.Clone(assigned), func(tp spec.TopicPartition) bool { return has(c.owned, tp) })
	c.owned = append(c.owned, added...)
	spec.SortPartitions(c.owned)
	if len(added) > 0 {
		c.emit(spec.Event{Kind: spec.EvAssigned, Partitions: added, Generation: c.generation})
	}
	c.maybeFetchPositions()
}
