package consumer

import (
	"github.com/kgroup/kgroup/spec"
)

// The poll loop: what the application's poll() does for group membership.

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
		if !c.inFlight(spec.KeyOffsetCommit) {
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
	if c.inFlight(spec.KeyJoinGroup) || c.inFlight(spec.KeySyncGroup) || c.revoking != nil || c.now < c.retryAt {
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
