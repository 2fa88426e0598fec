package consumer

import (
	"slices"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Giving partitions up: onJoinPrepare, the rebalance listener's
// onPartitionsRevoked and onPartitionsLost, and the commit it may wait for.

// defaultAPITimeoutMs is default.api.timeout.ms, how long the rebalance
// listener's commitSync retries.
const defaultAPITimeoutMs = 60000

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
			return c.subscribes(tp.Topic)
		})
	}
	if c.cfg.Bugs.Has(mutant.KeepOnRejoin) {
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
	spec.SortPartitions(parts)
	c.owned = slices.DeleteFunc(c.owned, func(tp spec.TopicPartition) bool { return has(parts, tp) })
	for _, tp := range parts {
		delete(c.positions, tp)
	}
	c.emit(spec.Event{Kind: kind, Partitions: parts})
}
