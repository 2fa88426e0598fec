package consumer_test

// Commits and positions: the eager pre-join commit (ConsumerCoordinator.
// onJoinPrepare), auto-commit, OffsetCommitResponseHandler's error paths,
// and positions from OffsetFetch.

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// prepareRejoin brings an auto-committing member m to generation 1 owning
// t-0 at position 100 and makes it rejoin; it returns the pre-join commit.
func prepareRejoin(t *testing.T, autoCommit bool) *harness {
	cfg := baseConfig()
	cfg.AutoCommit = autoCommit
	cfg.CommitOnRevoke = autoCommit
	cfg.MaxPollIntervalMs = 60000
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.consume(100)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.answerHeartbeats()
	return h
}

// wantCommit checks an OffsetCommit request's generation, member and offset of t-0.
func wantCommit(h *harness, m spec.Message, gen int32, id string, offset int64) {
	h.t.Helper()
	c := body[*spec.OffsetCommitRequest](h, m)
	if c.GenerationID != gen || c.MemberID != id || len(c.Offsets) != 1 || c.Offsets[0].Offset != offset {
		h.t.Fatalf("commit = %s, want gen=%d member=%s t-0=%d", spec.FormatBody(c), gen, id, offset)
	}
}

// ConsumerCoordinatorTest.testJoinPrepareAndCommitCompleted: before an eager
// rejoin the consumer commits under its old generation and waits for the
// answer; only then does it revoke and send JoinGroup.
func TestKafka_testJoinPrepareAndCommitCompleted(t *testing.T) {
	h := prepareRejoin(t, true)
	c := h.expect(spec.KeyOffsetCommit)
	wantCommit(h, c, 1, "m", 100)
	h.none(spec.KeyJoinGroup)
	h.wantEvents()
	h.wantOwned(tp("t", 0))
	h.reply(c, commitResp(c, spec.None))
	h.wantEvents("revoked t[0]")
	h.wantOwned()
	if j := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)); j.MemberID != "m" || len(j.Protocols[0].Metadata.OwnedPartitions) != 0 {
		t.Fatalf("eager rejoin = %s", spec.FormatBody(j))
	}
}

// ConsumerCoordinatorTest.testJoinPrepareWithDisableAutoCommit: with neither
// auto-commit nor a committing listener the revoke and JoinGroup are immediate.
func TestKafka_testJoinPrepareWithDisableAutoCommit(t *testing.T) {
	h := prepareRejoin(t, false)
	h.none(spec.KeyOffsetCommit)
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testJoinPrepareAndCommitWithCoordinatorNotAvailable:
// a retriable failure of the pre-join commit does not let the join go on;
// the commit is retried once the coordinator is found again.
func TestKafka_testJoinPrepareAndCommitWithCoordinatorNotAvailable(t *testing.T) {
	h := prepareRejoin(t, true)
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.CoordinatorNotAvailable))
	h.none(spec.KeyJoinGroup)
	h.wantEvents()
	h.wantOwned(tp("t", 0))
	h.at(3100)
	retry := h.expect(spec.KeyOffsetCommit)
	wantCommit(h, retry, 1, "m", 100)
	h.none(spec.KeyJoinGroup)
	h.reply(retry, commitResp(retry, spec.None))
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testOnJoinPrepareWithOffsetCommitShouldSuccessAfterRetry:
// a retriable error (here COORDINATOR_LOAD_IN_PROGRESS) is retried after
// retry.backoff.ms without losing the coordinator.
func TestKafka_testOnJoinPrepareWithOffsetCommitShouldSuccessAfterRetry(t *testing.T) {
	h := prepareRejoin(t, true)
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.CoordinatorLoadInProgress))
	h.none(spec.KeyOffsetCommit)
	h.at(3099)
	h.none(spec.KeyOffsetCommit)
	h.at(3100)
	retry := h.expect(spec.KeyOffsetCommit)
	h.none(spec.KeyJoinGroup)
	h.reply(retry, commitResp(retry, spec.None))
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testOnJoinPrepareWithOffsetCommitShouldKeepJoinAfterRebalanceTimeout:
// the pre-join commit is retried for at most the rebalance timeout, then the
// consumer revokes and joins anyway.
func TestKafka_testOnJoinPrepareWithOffsetCommitShouldKeepJoinAfterRebalanceTimeout(t *testing.T) {
	h := prepareRejoin(t, true) // rebalance timeout 60000, from 3000
	h.auto[spec.KeyOffsetCommit] = func(m spec.Message) spec.Response { return commitResp(m, spec.CoordinatorLoadInProgress) }
	h.runTo(62999)
	h.none(spec.KeyJoinGroup)
	h.wantOwned(tp("t", 0))
	h.runTo(63100)
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testOnJoinPrepareWithOffsetCommitShouldKeepJoinAfterNonRetryableException:
// a non-retriable failure (ILLEGAL_GENERATION here) ends the wait; the join
// goes on with the member id kept.
func TestKafka_testOnJoinPrepareWithOffsetCommitShouldKeepJoinAfterNonRetryableException(t *testing.T) {
	h := prepareRejoin(t, true)
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.IllegalGeneration))
	h.wantEvents("revoked t[0]")
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "m" {
		t.Fatalf("join member %q, want m", id)
	}
}

// ConsumerCoordinatorTest.testJoinPrepareAndCommitWithUnknownMemberId: the
// commit's UNKNOWN_MEMBER_ID resets the member id, and the join goes on.
func TestKafka_testJoinPrepareAndCommitWithUnknownMemberId(t *testing.T) {
	h := prepareRejoin(t, true)
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.UnknownMemberID))
	h.wantEvents("revoked t[0]")
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("join member %q, want none", id)
	}
}

// autoCommitter is a stable auto-committing member at position 100 of t-0.
func autoCommitter(t *testing.T) *harness {
	cfg := baseConfig()
	cfg.AutoCommit = true
	h := start(t, cfg)
	h.answerHeartbeats()
	h.stable(1, "m", tp("t", 0))
	h.consume(100)
	return h
}

// ConsumerCoordinatorTest.testAutoCommitDynamicAssignment.
func TestKafka_testAutoCommitDynamicAssignment(t *testing.T) {
	h := autoCommitter(t)
	h.runTo(4999)
	h.none(spec.KeyOffsetCommit)
	h.at(5000)
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 100)
}

// ConsumerCoordinatorTest.testAutoCommitRetryBackoff: a failed auto-commit
// is retried after retry.backoff.ms, not after a whole interval.
func TestKafka_testAutoCommitRetryBackoff(t *testing.T) {
	h := autoCommitter(t)
	h.runTo(5000)
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.NotCoordinator))
	h.consume(100)
	h.at(5050)
	h.none(spec.KeyOffsetCommit)
	h.at(5100)
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 200)
}

// ConsumerCoordinatorTest.testAutoCommitAwaitsInterval.
func TestKafka_testAutoCommitAwaitsInterval(t *testing.T) {
	h := autoCommitter(t)
	h.runTo(5000)
	c := h.expect(spec.KeyOffsetCommit)
	h.runTo(7500)
	h.none(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.None))
	h.consume(100)
	h.runTo(9999)
	h.none(spec.KeyOffsetCommit)
	h.at(10000)
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 200)
}

// ConsumerCoordinatorTest.testAutoCommitDynamicAssignmentRebalance: nothing
// is auto-committed before the consumer has joined.
func TestKafka_testAutoCommitDynamicAssignmentRebalance(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit = true
	h := start(t, cfg)
	j := h.expect(spec.KeyJoinGroup)
	h.runTo(6000)
	h.none(spec.KeyOffsetCommit)
	h.reply(j, joinOK(1, "m", "leader", "range"))
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.consume(100)
	h.answerHeartbeats()
	h.runTo(11000)
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 100)
}

// commitFails sends an application commit from a stable member and answers it with code.
func commitFails(t *testing.T, code spec.ErrorCode) *harness {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, code))
	return h
}

// ConsumerCoordinatorTest.testCommitOffsetIllegalGenerationShouldResetGenerationId
// (and testCommitOffsetIllegalGeneration): CommitFailedException; the
// generation is reset, the member id kept; the next poll loses the partitions.
func TestKafka_testCommitOffsetIllegalGenerationShouldResetGenerationId(t *testing.T) {
	h := commitFails(t, spec.IllegalGeneration)
	h.wantEvents("lost t[0]")
	h.wantView("m", -1, spec.ClientPreparingRebalance)
}

// ConsumerCoordinatorTest.testCommitOffsetUnknownMemberShouldResetToNoGeneration
// (and testCommitOffsetUnknownMemberId).
func TestKafka_testCommitOffsetUnknownMemberShouldResetToNoGeneration(t *testing.T) {
	h := commitFails(t, spec.UnknownMemberID)
	h.wantEvents("lost t[0]")
	h.wantView("", -1, spec.ClientPreparingRebalance)
}

// ConsumerCoordinatorTest.testCommitOffsetMetadataTooLarge: the error goes
// to the caller; membership is untouched.
func TestKafka_testCommitOffsetMetadataTooLarge(t *testing.T) {
	h := commitFails(t, spec.OffsetMetadataTooLarge)
	h.wantEvents()
	h.wantView("m", 1, spec.ClientStable)
	h.none(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testCommitOffsetRequestSyncWithFencedInstanceIdException.
func TestKafka_testCommitOffsetRequestSyncWithFencedInstanceIdException(t *testing.T) {
	h := commitFails(t, spec.FencedInstanceID)
	h.wantFailed("FENCED_INSTANCE_ID")
}

// ConsumerCoordinatorTest.testCommitOffsetRebalanceInProgress: no commit
// leaves the client while it rebalances (RebalanceInProgressException);
// a REBALANCE_IN_PROGRESS answer requests a rejoin but keeps the generation.
func TestKafka_testCommitOffsetRebalanceInProgress(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	if r := h.commit(); r != "RebalanceInProgressException" {
		t.Fatalf("commit while joining: refused %q", r)
	}
	h.joinAs(1, "leader")
	if r := h.commit(); r != "RebalanceInProgressException" {
		t.Fatalf("commit while syncing: refused %q", r)
	}
	h.none(spec.KeyOffsetCommit)
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	h.wantView("leader", 1, spec.ClientPreparingRebalance)
	h.expect(spec.KeyJoinGroup)
}

// rejoinWithCommitInFlight leaves an application commit of generation 1 in
// flight while the member joins generation 2 and restarts the join after
// SyncGroup REBALANCE_IN_PROGRESS; it returns that commit.
func rejoinWithCommitInFlight(t *testing.T, instance string) (*harness, spec.Message) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.InstanceID = instance
	h := start(t, cfg)
	h.stable(1, "memberId", tp("t", 0))
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	h.joinAs(2, "memberId")
	h.reply(h.expect(spec.KeySyncGroup), syncErr(spec.RebalanceInProgress))
	h.wantView("memberId", 2, spec.ClientPreparingRebalance)
	return h, c
}

// staleCommitDuringRebalance: the old commit's error is reported as
// RebalanceInProgressException; nothing is reset and the rejoin goes on.
func staleCommitDuringRebalance(t *testing.T, instance string, code spec.ErrorCode) {
	h, c := rejoinWithCommitInFlight(t, instance)
	h.reply(c, commitResp(c, code))
	h.wantView("memberId", 2, spec.ClientPreparingRebalance)
	h.joinAs(3, "memberId")
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
}

// ConsumerCoordinatorTest.testCommitOffsetIllegalGenerationWithNewGeneration.
func TestKafka_testCommitOffsetIllegalGenerationWithNewGeneration(t *testing.T) {
	staleCommitDuringRebalance(t, "", spec.IllegalGeneration)
}

// ConsumerCoordinatorTest.testCommitOffsetUnknownMemberWithNewGeneration.
func TestKafka_testCommitOffsetUnknownMemberWithNewGeneration(t *testing.T) {
	staleCommitDuringRebalance(t, "", spec.UnknownMemberID)
}

// ConsumerCoordinatorTest.testCommitOffsetFencedInstanceWithRebalancingGeneration.
func TestKafka_testCommitOffsetFencedInstanceWithRebalancingGeneration(t *testing.T) {
	staleCommitDuringRebalance(t, "i1", spec.FencedInstanceID)
}

// ConsumerCoordinatorTest.testCommitOffsetFencedInstanceWithNewGeneration:
// a stale FENCED_INSTANCE_ID outside a rebalance is a CommitFailedException,
// not fatal, and resets nothing.
func TestKafka_testCommitOffsetFencedInstanceWithNewGeneration(t *testing.T) {
	h, c := rejoinWithCommitInFlight(t, "i1")
	h.joinAs(3, "memberId")
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
	h.reply(c, commitResp(c, spec.FencedInstanceID))
	h.wantEvents()
	h.wantView("memberId", 3, spec.ClientStable)
}

// ConsumerCoordinatorTest.testCommitOffsetIllegalGenerationWithResetGeneration:
// the generation was reset (and no rejoin has started) before the old
// commit's ILLEGAL_GENERATION arrives: it stays reset.
func TestKafka_testCommitOffsetIllegalGenerationWithResetGeneration(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "memberId", tp("t", 0))
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.stall() // the application stops polling, so no rejoin starts
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.UnknownMemberID))
	h.wantView("", -1, spec.ClientUnjoined)
	h.reply(c, commitResp(c, spec.IllegalGeneration))
	h.wantView("", -1, spec.ClientUnjoined)
	h.unstall()
	h.wantEvents("lost t[0]")
}

// coordinatorDropsInFlight: an error about the coordinator on one commit
// disconnects it, which fails the other requests in flight.
func coordinatorDropsInFlight(t *testing.T, code spec.ErrorCode) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	h.commit()
	h.commit()
	first, second := h.expect(spec.KeyOffsetCommit), h.expect(spec.KeyOffsetCommit)
	h.reply(first, commitResp(first, code))
	h.reply(second, commitResp(second, spec.UnknownMemberID)) // failed already: ignored
	h.wantView("m", 1, spec.ClientStable)
	h.wantEvents()
}

// ConsumerCoordinatorTest.testCoordinatorDisconnectAfterNotCoordinatorError.
func TestKafka_testCoordinatorDisconnectAfterNotCoordinatorError(t *testing.T) {
	coordinatorDropsInFlight(t, spec.NotCoordinator)
}

// ConsumerCoordinatorTest.testCoordinatorDisconnectAfterCoordinatorNotAvailableError.
func TestKafka_testCoordinatorDisconnectAfterCoordinatorNotAvailableError(t *testing.T) {
	coordinatorDropsInFlight(t, spec.CoordinatorNotAvailable)
}

// ConsumerCoordinatorTest.testRefreshOffset: a newly assigned partition
// starts at its committed offset.
func TestKafka_testRefreshOffset(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0), tp("t", 1))
	f := h.expect(spec.KeyOffsetFetch)
	if ps := body[*spec.OffsetFetchRequest](h, f).Partitions; len(ps) != 2 {
		t.Fatalf("OffsetFetch partitions %v", ps)
	}
	h.reply(f, fetchResp(f, map[spec.TopicPartition]int64{tp("t", 0): 100}))
	pos := h.c.Positions()
	if pos[tp("t", 0)] != 100 || pos[tp("t", 1)] != 0 {
		t.Fatalf("positions %v", pos)
	}
}

// ConsumerCoordinatorTest.testRefreshOffsetWithNoFetchableOffsets: with no
// committed offset (-1) the reset policy applies; kgroup's documented choice
// is auto.offset.reset=earliest, so the position is 0.
func TestKafka_testRefreshOffsetWithNoFetchableOffsets(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	if pos, ok := h.c.Positions()[tp("t", 0)]; !ok || pos != 0 {
		t.Fatalf("position %d (known %v), want 0", pos, ok)
	}
}

// ConsumerCoordinatorTest.testRefreshOffsetRetriableErrorCoordinatorLookup:
// a coordinator error on OffsetFetch finds the coordinator again and fetches anew.
func TestKafka_testRefreshOffsetRetriableErrorCoordinatorLookup(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0))
	f := h.expect(spec.KeyOffsetFetch)
	h.reply(f, &spec.OffsetFetchResponse{ErrorCode: spec.CoordinatorNotAvailable})
	h.none(spec.KeyOffsetFetch)
	h.at(100)
	f = h.expect(spec.KeyOffsetFetch)
	h.reply(f, fetchResp(f, map[spec.TopicPartition]int64{tp("t", 0): 7}))
	if pos := h.c.Positions()[tp("t", 0)]; pos != 7 {
		t.Fatalf("position %d, want 7", pos)
	}
}

// ConsumerCoordinator.fetchCommittedOffsets only uses an answer to the
// request of the current generation (PendingCommittedOffsetRequest.sameRequest):
// an OffsetFetch answered after the member lost and regained the partition
// must not set its position, since another member may have committed since.
func TestKafka_fetchCommittedOffsets_staleGenerationIgnored(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0))
	h.wantEvents("assigned t[0]")
	old := h.expect(spec.KeyOffsetFetch) // generation 1; its answer is delayed
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	h.joinAs(2, "m")
	h.syncWith(tp("t", 0))
	h.wantEvents("assigned t[0]")
	cur := h.expect(spec.KeyOffsetFetch) // generation 2 asks again
	h.reply(old, fetchResp(old, map[spec.TopicPartition]int64{tp("t", 0): 10}))
	if _, ok := h.c.Positions()[tp("t", 0)]; ok {
		t.Fatal("position taken from an OffsetFetch of an older generation")
	}
	h.reply(cur, fetchResp(cur, map[spec.TopicPartition]int64{tp("t", 0): 50}))
	if pos := h.c.Positions()[tp("t", 0)]; pos != 50 {
		t.Fatalf("position %d, want 50", pos)
	}
}
