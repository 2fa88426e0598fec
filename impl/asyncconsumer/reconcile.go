package asyncconsumer

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// Reconciliation (AbstractMembershipManager.maybeReconcile and
// revokeAndAssign) and closing (leaveGroup), both run by the application's
// poll because they call the rebalance listener.
//
// Before revoking, Kafka may send two commits: the auto-commit of
// signalReconciliationStarted (all consumed positions, retried with the
// latest epoch on STALE_MEMBER_EPOCH until the rebalance timeout) and the
// listener's commitSync in onPartitionsRevoked. As in package consumer, one
// model commit stands for both: all owned positions with auto-commit,
// otherwise those of the revoked partitions when the listener commits. The
// reconciliation waits for its answer (or gives up at the deadline) and only
// then revokes, assigns and acknowledges.

// reconciliation is one in progress.
type reconciliation struct {
	target         localAssignment
	revoked, added []spec.TopicPartition
	commit         int32 // the commit waited for; 0 while none is in flight
	retryAt        int64 // when a failed commit is sent again
	deadline       int64 // when the wait for a commit is given up
	committed      bool  // the commit phase is over
	auto           bool  // the commit is auto-commit's (all owned), not the listener's
}

// reconcile is maybeReconcile, and the continuation of one in progress.
func (c *Consumer) reconcile() {
	if c.state != spec.AsyncReconciling {
		c.rec = nil // maybeAbortReconciliation
		return
	}
	if c.rec == nil {
		c.startReconciliation()
	}
	r := c.rec
	if r == nil || r.committed {
		c.finishReconciliation()
		return
	}
	switch {
	case c.now >= r.deadline:
		r.committed = true // proceed without the commit
		c.finishReconciliation()
	case r.commit == 0 && c.now >= r.retryAt && !c.coordinatorUnknown:
		c.sendReconcileCommit()
		if r.commit == 0 {
			c.finishReconciliation()
		}
	}
}

// startReconciliation computes what to revoke and add, or acknowledges at
// once a target whose partitions the member already has.
func (c *Consumer) startReconciliation() {
	if c.current.equal(c.target) {
		return
	}
	if !c.current.isNone() && slices.Equal(c.current.parts, c.target.parts) {
		c.current = c.target // bump the local epoch and acknowledge
		c.state = spec.AsyncAcknowledging
		return
	}
	r := &reconciliation{target: c.target, revoked: minus(c.owned, c.target.parts), added: minus(c.target.parts, c.owned)}
	r.auto = c.cfg.AutoCommit
	wait := c.cfg.DefaultAPITimeoutMs
	if r.auto {
		wait = int64(c.cfg.RebalanceTimeoutMs)
	}
	r.deadline = c.now + wait
	c.rec = r
	if c.coordinatorUnknown {
		return // sent once FindCoordinator answers
	}
	c.sendReconcileCommit()
}

// reconcileCommitParts are the partitions the reconciliation commits.
func (c *Consumer) reconcileCommitParts() []spec.TopicPartition {
	switch r := c.rec; {
	case r.auto:
		return c.owned
	case c.cfg.CommitOnRevoke:
		return r.revoked
	}
	return nil
}

// sendReconcileCommit sends the reconciliation's commit of the latest
// positions; with nothing to commit the commit phase is over.
func (c *Consumer) sendReconcileCommit() {
	r := c.rec
	r.commit = c.commitPositions(c.reconcileCommitParts(), roleReconcileCommit)
	if r.commit == 0 {
		r.committed = true
	}
}

// reconcileCommitDone takes the reconciliation commit's outcome: retriable
// errors are retried after the backoff (STALE_MEMBER_EPOCH too, for
// auto-commit: with the latest epoch), anything else ends the wait.
func (c *Consumer) reconcileCommitDone(code spec.ErrorCode) {
	r := c.rec
	r.commit = 0
	if retriableCommit(code) || (code == spec.StaleMemberEpoch && r.auto) {
		r.retryAt = c.now + c.cfg.RetryBackoffMs
		return
	}
	r.committed = true
}

// finishReconciliation is revokeAndAssign: onPartitionsRevoked, then
// onPartitionsAssigned with only the added partitions (reported only when
// not empty), then ACKNOWLEDGING with the new assignment.
func (c *Consumer) finishReconciliation() {
	r := c.rec
	if r == nil || !r.committed {
		return
	}
	c.rec = nil
	c.release(spec.EvRevoked, r.revoked)
	if len(r.added) > 0 {
		c.owned = append(c.owned, r.added...)
		spec.SortPartitions(c.owned)
		c.emit(spec.Event{Kind: spec.EvAssigned, Partitions: r.added, Generation: c.epoch})
	}
	c.current = r.target
	c.nextAutoCommitAt = c.now + c.cfg.AutoCommitIntervalMs // signalReconciliationCompleting
	c.state = spec.AsyncAcknowledging
}

// closeWork is a close waiting for its commit before it revokes.
type closeWork struct {
	commit   int32
	deadline int64
	done     bool
}

// close is KafkaConsumer.close: commit (auto-commit, or the listener's
// commit on revoke), then leaveGroup: PREPARE_LEAVING, onPartitionsRevoked
// (onPartitionsLost without an epoch), the leave heartbeat, UNSUBSCRIBED.
// The process ends once the leave is sent; its answer is not waited for.
func (c *Consumer) close() {
	c.stalled = false // close is the application's call
	if c.notInGroup() {
		c.lost = nil
		c.releaseAll(spec.EvLost)
		c.state = spec.AsyncUnsubscribed
		c.leaveDone()
		return
	}
	c.rec = nil
	c.state = spec.AsyncPrepareLeaving
	c.leaving = &closeWork{deadline: c.now + c.cfg.RequestTimeoutMs}
	if (c.cfg.AutoCommit || c.cfg.CommitOnRevoke) && c.epoch > 0 && !c.coordinatorUnknown {
		c.leaving.commit = c.commitPositions(c.owned, roleCloseCommit)
	}
	c.leaving.done = c.leaving.commit == 0
}

// continueClose revokes and sends the leave once the close's commit was
// answered or given up.
func (c *Consumer) continueClose() {
	w := c.leaving
	if w == nil || (!w.done && c.now < w.deadline) {
		return
	}
	c.leaving = nil
	if c.epoch > 0 {
		c.releaseAll(spec.EvRevoked)
	} else {
		c.releaseAll(spec.EvLost)
	}
	c.current, c.target = noAssignment, noAssignment
	c.transitionToSendingLeaveGroup(false)
}

// applicationDeadlines reports when the application's poll next acts.
func (c *Consumer) applicationDeadlines(at func(int64)) {
	if r := c.rec; r != nil && !r.committed {
		at(r.deadline)
		if r.commit == 0 && !c.coordinatorUnknown {
			at(r.retryAt)
		}
	}
	if w := c.leaving; w != nil && !w.done {
		at(w.deadline)
	}
	if c.fetchRetryAt > c.now {
		at(c.fetchRetryAt)
	}
}
