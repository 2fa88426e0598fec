package asyncconsumer

import (
	"github.com/kgroup/kgroup/impl/internal/positions"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Positions and commits (CommitRequestManager): OffsetCommit carries the
// member epoch as its generation; OffsetFetch gives newly assigned
// partitions their positions.

// commitPositions sends OffsetCommit for the known positions of parts at
// the current member epoch, or returns 0 if there is nothing to commit.
func (c *Consumer) commitPositions(parts []spec.TopicPartition, r role) int32 {
	offsets := c.positions.Known(parts)
	if len(offsets) == 0 {
		return 0
	}
	return c.sendCommit(offsets, r)
}

func (c *Consumer) sendCommit(offsets []spec.OffsetCommitPartition, r role) int32 {
	return c.send(&spec.OffsetCommitRequest{GroupID: c.cfg.GroupID, GenerationID: c.epoch, MemberID: c.memberID,
		GroupInstanceID: c.cfg.InstanceID, Offsets: offsets}, r, true)
}

// retriableCommit: the commit may succeed if sent again
// (OffsetCommitRequestState.onResponse: COORDINATOR_NOT_AVAILABLE,
// NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS; a timeout counts as one).
func retriableCommit(code spec.ErrorCode) bool {
	switch code {
	case spec.CoordinatorNotAvailable, spec.NotCoordinator, spec.CoordinatorLoadInProgress:
		return true
	}
	return false
}

// onCommitResponse routes a commit's outcome to whoever waits for it.
// UNKNOWN_MEMBER_ID and every other error fail the commit
// (CommitFailedException); the heartbeat, not the commit, fences the member.
func (c *Consumer) onCommitResponse(req request, code spec.ErrorCode) {
	if code == spec.CoordinatorNotAvailable || code == spec.NotCoordinator {
		c.markCoordinatorUnknown()
	}
	switch {
	case req.role == roleReconcileCommit && c.rec != nil && c.rec.commit == req.corr:
		c.reconcileCommitDone(code)
	case req.role == roleCloseCommit && c.leaving != nil && c.leaving.commit == req.corr:
		c.leaving.done = true
	case req.role == roleAutoCommit && retriableCommit(code):
		c.nextAutoCommitAt = c.now + c.cfg.RetryBackoffMs // maybeResetTimerWithBackoff
	}
}

// maybeAutoCommit is maybeAutoCommitAsync: when the interval passed, commit
// every known position unless an auto-commit is still in flight; the timer
// restarts either way.
//
// Not while the member is out of the group (epoch -1: it left on a poll
// timeout and its application has not yet run the lost callback). Kafka's
// background auto-commit is not known to check this: its commit would go
// at epoch -1, which the coordinator accepts once the group is Empty (the
// admin path), putting back the committed offset of a partition another
// member has moved on since — the random model found that run. Whether
// Kafka's client really sends it is unverified; kgroup's consumer does not.
func (c *Consumer) maybeAutoCommit() {
	if !c.cfg.AutoCommit || c.coordinatorUnknown || c.leaving != nil || c.now < c.nextAutoCommitAt {
		return
	}
	c.nextAutoCommitAt = c.now + c.cfg.AutoCommitIntervalMs
	if c.epoch >= 0 && !c.inFlight(roleAutoCommit) {
		c.commitPositions(c.owned, roleAutoCommit)
	}
}

// commitSync is the application's commitSync of its current positions with
// metadataBytes of metadata each. The KIP-848 consumer refuses nothing
// locally: the coordinator judges the member epoch.
func (c *Consumer) commitSync(metadataBytes int) {
	offsets := c.positions.Known(c.owned)
	positions.WithMetadata(offsets, metadataBytes)
	if len(offsets) > 0 {
		c.sendCommit(offsets, roleAppCommit)
	}
}

// maybeFetchPositions fetches the committed offsets of owned partitions
// whose position is unknown, except those being revoked.
func (c *Consumer) maybeFetchPositions() {
	if c.coordinatorUnknown || c.inFlight(roleFetch) || c.now < c.fetchRetryAt {
		return
	}
	var missing []spec.TopicPartition
	for _, tp := range c.owned {
		if _, ok := c.positions[tp]; !ok && !c.revoking(tp) {
			missing = append(missing, tp)
		}
	}
	if len(missing) > 0 {
		// v9+: the member's id and epoch, which the coordinator checks.
		c.send(&spec.OffsetFetchRequest{GroupID: c.cfg.GroupID, Partitions: missing, MemberID: c.memberID, MemberEpoch: c.epoch},
			roleFetch, true)
	}
}

// revoking reports whether tp waits to be revoked (fetching is paused:
// markPendingRevocation).
func (c *Consumer) revoking(tp spec.TopicPartition) bool {
	return c.rec != nil && has(c.rec.revoked, tp)
}

// onFetchResponse seeks every still-owned partition without a position to
// its committed offset, or to 0 when none was committed. A failed fetch is
// sent again by a poll after retry.backoff.ms (STALE_MEMBER_EPOCH or
// UNKNOWN_MEMBER_ID: by then the heartbeat has the member's new epoch, or
// the member lost its partitions).
func (c *Consumer) onFetchResponse(r *spec.OffsetFetchResponse) {
	switch r.ErrorCode {
	case spec.None:
	case spec.CoordinatorNotAvailable, spec.NotCoordinator:
		c.markCoordinatorUnknown()
		return
	default:
		c.fetchRetryAt = c.now + c.cfg.RetryBackoffMs
		return
	}
	c.positions.Seek(c.owned, r.Partitions, c.cfg.Bugs.Has(mutant.SkipAhead))
}

// consume processes n records of each owned partition with a known
// position that is not being revoked (or of tp alone), reporting each batch.
func (c *Consumer) consume(n int64, tp *spec.TopicPartition) {
	c.positions.Consume(c.owned, n, tp, c.revoking, c.emit)
}

// Revoking reports whether tp is pending revocation: a reconciliation will
// give it up, so fetching it is paused (Kafka's markPendingRevocation) and
// a poll returns none of its records.
func (c *Consumer) Revoking(tp spec.TopicPartition) bool { return c.revoking(tp) }
