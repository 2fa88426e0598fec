package consumer

import (
	"slices"

	"github.com/kgroup/kgroup/impl/internal/positions"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// knownPositions lists the parts whose position is known, with it.
func (c *Consumer) knownPositions(parts []spec.TopicPartition) []spec.OffsetCommitPartition {
	return c.positions.Known(parts)
}

// commitPositions sends OffsetCommit for the positions of parts at the
// current generation, or returns 0 if there is nothing to commit.
func (c *Consumer) commitPositions(parts []spec.TopicPartition, role commitRole) int32 {
	offsets := c.knownPositions(parts)
	if len(offsets) == 0 {
		return 0
	}
	return c.sendCommit(offsets, role)
}

func (c *Consumer) sendCommit(offsets []spec.OffsetCommitPartition, role commitRole) int32 {
	return c.send(&spec.OffsetCommitRequest{GroupID: c.cfg.GroupID, GenerationID: c.generation, MemberID: c.memberID,
		GroupInstanceID: c.cfg.InstanceID, Offsets: offsets}, c.cfg.RequestTimeoutMs, role)
}

// onCommitResponse is OffsetCommitResponseHandler. A commit that failed
// because the consumer's generation is gone resets it (CommitFailedException),
// unless the consumer has meanwhile moved on to a rebalance. Retriable errors
// leave a waiting revocation, or auto-commit, to retry.
func (c *Consumer) onCommitResponse(req request, r *spec.OffsetCommitResponse) {
	code := r.Code()
	switch code {
	case spec.CoordinatorNotAvailable, spec.NotCoordinator:
		c.markCoordinatorUnknown()
		c.commitFailedRetriably(req)
		return
	case spec.CoordinatorLoadInProgress:
		c.commitFailedRetriably(req)
		return
	}
	if c.revoking != nil && c.revoking.corr == req.corr {
		defer c.revokeDone()
	}
	switch code {
	case spec.IllegalGeneration, spec.UnknownMemberID:
		if !c.sameGeneration(req) && c.state == spec.ClientPreparingRebalance {
			return // RebalanceInProgressException: the rejoin already under way settles it
		}
		c.resetGeneration(code == spec.UnknownMemberID)
	case spec.RebalanceInProgress:
		c.requestRejoin()
	case spec.FencedInstanceID:
		if c.sameGeneration(req) {
			c.fail("FENCED_INSTANCE_ID")
		}
	}
}

// commitFailedRetriably handles a commit that failed with a retriable error
// (RetriableCommitFailedException): a waiting revocation sends it again after
// the backoff (onJoinPrepare; the listener's commitSync), and auto-commit
// tries again after retry.backoff.ms instead of a whole interval
// (ConsumerCoordinator.autoCommitOffsetsAsync).
func (c *Consumer) commitFailedRetriably(req request) {
	if c.revoking != nil && c.revoking.corr == req.corr {
		c.revoking.corr = 0
		c.retryAt = max(c.retryAt, c.now+c.cfg.RetryBackoffMs)
	}
	if req.role == commitAuto {
		c.nextAutoCommitAt = c.now + c.cfg.RetryBackoffMs
	}
}

// maybeFetchPositions asks for the committed offsets of owned partitions
// whose position is unknown (ConsumerCoordinator.initWithCommittedOffsetsIfNeeded).
// A fetch still in flight from an older generation is abandoned
// (fetchCommittedOffsets: PendingCommittedOffsetRequest.sameRequest).
func (c *Consumer) maybeFetchPositions() {
	c.inflight = slices.DeleteFunc(c.inflight, func(r request) bool { return r.key == spec.KeyOffsetFetch && !c.sameGeneration(r) })
	if c.coordinatorUnknown || c.inFlight(spec.KeyOffsetFetch) {
		return
	}
	var missing []spec.TopicPartition
	for _, tp := range c.owned {
		if _, ok := c.positions[tp]; !ok {
			missing = append(missing, tp)
		}
	}
	if len(missing) > 0 {
		c.send(&spec.OffsetFetchRequest{GroupID: c.cfg.GroupID, Partitions: missing}, c.cfg.RequestTimeoutMs, 0)
	}
}

// onFetchResponse seeks every still-owned partition to its committed offset,
// or to 0 when nothing was committed (auto.offset.reset=earliest). An answer
// to a fetch of an older generation is not used: another member may have
// committed since.
func (c *Consumer) onFetchResponse(req request, r *spec.OffsetFetchResponse) {
	if r.ErrorCode != spec.None {
		c.markCoordinatorUnknown()
		return
	}
	if !c.sameGeneration(req) {
		return
	}
	var zero []spec.OffsetCommitPartition
	for _, tp := range c.positions.Seek(c.owned, r.Partitions, c.cfg.Bugs.Has(mutant.SkipAhead)) {
		zero = append(zero, spec.OffsetCommitPartition{TopicPartition: tp, Offset: 0})
	}
	if c.cfg.Bugs.Has(mutant.CommitZero) && len(zero) > 0 && c.state == spec.ClientStable {
		c.sendCommit(zero, commitByApp)
	}
}

// consume processes n records of each owned partition whose position is
// known (or of tp alone, if given), reporting each batch.
func (c *Consumer) consume(n int64, tp *spec.TopicPartition) {
	if tp == nil {
		c.out.Events = slices.Grow(c.out.Events, len(c.owned))
	}
	c.positions.Consume(c.owned, n, tp, nil, c.emit)
}

// commitSync is commitSync of the current positions (metadataBytes of
// metadata attached to each). Outside a stable generation the client refuses
// without sending anything, as Kafka's does; the refusal is Output.Refused.
func (c *Consumer) commitSync(metadataBytes int) {
	switch c.state {
	case spec.ClientPreparingRebalance, spec.ClientCompletingRebalance:
		c.out.Refused = "RebalanceInProgressException"
		return
	case spec.ClientUnjoined:
		c.out.Refused = "CommitFailedException"
		return
	}
	offsets := c.knownPositions(c.owned)
	positions.WithMetadata(offsets, metadataBytes)
	if len(offsets) > 0 {
		c.sendCommit(offsets, commitByApp)
	}
}
