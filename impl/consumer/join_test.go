package consumer_test

// JoinGroup and SyncGroup: the handshake for leader and follower, and every
// error path of AbstractCoordinator.JoinGroupResponseHandler and
// SyncGroupResponseHandler.

import (
	"slices"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// ConsumerCoordinatorTest.testNormalJoinGroupLeader: the leader runs the
// selected assignor over the member list of its JoinGroup response and sends
// everyone's assignment in its SyncGroup.
func TestKafka_testNormalJoinGroupLeader(t *testing.T) {
	h := start(t, baseConfig())
	j := h.expect(spec.KeyJoinGroup)
	req := body[*spec.JoinGroupRequest](h, j)
	if req.MemberID != "" || req.ProtocolType != spec.ProtocolTypeConsumer || req.SessionTimeoutMs != 45000 ||
		req.RebalanceTimeoutMs != 300000 || len(req.Protocols) != 1 || req.Protocols[0].Name != "range" {
		t.Fatalf("first JoinGroup = %+v", req)
	}
	if sub := req.Protocols[0].Metadata; !slices.Equal(sub.Topics, []string{"t"}) || len(sub.OwnedPartitions) != 0 || sub.GenerationID != -1 {
		t.Fatalf("subscription = %+v", sub)
	}
	h.reply(j, joinOK(1, "c1-1", "c1-1", "range", member("c1-1", []string{"t"}), member("c2-2", []string{"t"})))
	h.wantView("c1-1", 1, spec.ClientCompletingRebalance)
	sm := h.expect(spec.KeySyncGroup)
	s := body[*spec.SyncGroupRequest](h, sm)
	if s.GenerationID != 1 || s.MemberID != "c1-1" || s.ProtocolName != "range" || len(s.Assignments) != 2 ||
		s.Assignments[0].MemberID != "c1-1" || s.Assignments[0].Assignment.Partitions.String() != "t[0]" ||
		s.Assignments[1].MemberID != "c2-2" || s.Assignments[1].Assignment.Partitions.String() != "t[1]" {
		t.Fatalf("leader SyncGroup = %v", spec.FormatBody(s))
	}
	h.reply(sm, syncOK("range", tp("t", 0)))
	h.wantEvents("assigned t[0]")
	h.wantView("c1-1", 1, spec.ClientStable)
	h.wantOwned(tp("t", 0))
	if v := h.c.View(); v.RejoinNeeded {
		t.Fatal("rejoin still needed after a successful SyncGroup")
	}
}

// ConsumerCoordinatorTest.testNormalJoinGroupFollower: a follower's SyncGroup
// carries no assignments; it gets its own in the response.
func TestKafka_testNormalJoinGroupFollower(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "c1-1")
	sm := h.expect(spec.KeySyncGroup)
	s := body[*spec.SyncGroupRequest](h, sm)
	if s.GenerationID != 1 || s.MemberID != "c1-1" || len(s.Assignments) != 0 {
		t.Fatalf("follower SyncGroup = %v", spec.FormatBody(s))
	}
	h.reply(sm, syncOK("range", tp("t", 0), tp("t", 1)))
	h.wantEvents("assigned t[0 1]")
	h.wantOwned(tp("t", 0), tp("t", 1))
	h.none(spec.KeyJoinGroup)
}

// AbstractCoordinatorTest.testJoinGroupRequestWithMemberIdRequired (KIP-394):
// MEMBER_ID_REQUIRED hands out an id; the consumer joins again at once with
// it, still without a generation. A later UNKNOWN_MEMBER_ID forgets it.
func TestKafka_testJoinGroupRequestWithMemberIdRequired(t *testing.T) {
	h := start(t, baseConfig())
	h.reply(h.expect(spec.KeyJoinGroup), joinErr(spec.MemberIDRequired, "c1-abc"))
	h.wantView("c1-abc", -1, spec.ClientPreparingRebalance)
	j := h.expect(spec.KeyJoinGroup)
	if id := body[*spec.JoinGroupRequest](h, j).MemberID; id != "c1-abc" {
		t.Fatalf("second JoinGroup member = %q, want c1-abc", id)
	}
	h.reply(j, joinErr(spec.UnknownMemberID, ""))
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("JoinGroup after UNKNOWN_MEMBER_ID has member %q, want none", id)
	}
	h.wantEvents()
}

// fatalOnJoin answers the first JoinGroup with code and checks the consumer dies.
func fatalOnJoin(t *testing.T, code spec.ErrorCode, instance string) {
	cfg := baseConfig()
	cfg.InstanceID = instance
	h := start(t, cfg)
	j := h.expect(spec.KeyJoinGroup)
	if got := body[*spec.JoinGroupRequest](h, j).GroupInstanceID; got != instance {
		t.Fatalf("JoinGroup instance id %q, want %q", got, instance)
	}
	h.reply(j, joinErr(code, ""))
	h.wantFailed(code.String())
	h.runTo(100000)
	h.none(spec.KeyJoinGroup)
}

// AbstractCoordinatorTest.testJoinGroupRequestWithFencedInstanceIdException.
func TestKafka_testJoinGroupRequestWithFencedInstanceIdException(t *testing.T) {
	fatalOnJoin(t, spec.FencedInstanceID, "i1")
}

// AbstractCoordinatorTest.testGroupMaxSizeExceptionIsFatal.
func TestKafka_testGroupMaxSizeExceptionIsFatal(t *testing.T) {
	fatalOnJoin(t, spec.GroupMaxSizeReached, "")
}

// ConsumerCoordinatorTest.testInvalidSessionTimeout.
func TestKafka_testInvalidSessionTimeout(t *testing.T) {
	fatalOnJoin(t, spec.InvalidSessionTimeout, "")
}

// ConsumerCoordinatorTest.testJoinGroupInvalidGroupId.
func TestKafka_testJoinGroupInvalidGroupId(t *testing.T) {
	fatalOnJoin(t, spec.InvalidGroupID, "")
}

// JoinGroupResponseHandler has no case for ILLEGAL_GENERATION or
// INCONSISTENT_GROUP_PROTOCOL that retries: both end the consumer.
func TestKafka_JoinGroupResponseHandler_illegalGenerationIsFatal(t *testing.T) {
	fatalOnJoin(t, spec.IllegalGeneration, "")
	fatalOnJoin(t, spec.InconsistentGroupProtocol, "")
}

// AbstractCoordinatorTest.testJoinGroupRequestWithGroupInstanceIdNotFound:
// UNKNOWN_MEMBER_ID on JoinGroup resets generation and member id; the
// consumer rejoins at once as a new member.
func TestKafka_testJoinGroupRequestWithGroupInstanceIdNotFound(t *testing.T) {
	h := stableUntilFirstHeartbeat(t)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	j := h.expect(spec.KeyJoinGroup)
	if id := body[*spec.JoinGroupRequest](h, j).MemberID; id != "m" {
		t.Fatalf("rejoin member %q, want m", id)
	}
	h.reply(j, joinErr(spec.UnknownMemberID, ""))
	h.wantView("", -1, spec.ClientPreparingRebalance)
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("JoinGroup after UNKNOWN_MEMBER_ID has member %q", id)
	}
}

// AbstractCoordinatorTest.testJoinGroupRequestWithRebalanceInProgress:
// REBALANCE_IN_PROGRESS on JoinGroup retries at once with the same member id,
// without running the pre-join step (onJoinPrepare) again.
func TestKafka_testJoinGroupRequestWithRebalanceInProgress(t *testing.T) {
	h := stableUntilFirstHeartbeat(t)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	h.reply(h.expect(spec.KeyJoinGroup), joinErr(spec.RebalanceInProgress, "m"))
	h.wantEvents()
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "m" {
		t.Fatalf("retry member %q, want m", id)
	}
	h.wantView("m", 1, spec.ClientPreparingRebalance)
}

// AbstractCoordinatorTest.testBackoffAndRetryUponRetriableError:
// COORDINATOR_LOAD_IN_PROGRESS on JoinGroup retries after retry.backoff.ms.
func TestKafka_testBackoffAndRetryUponRetriableError(t *testing.T) {
	h := start(t, baseConfig())
	h.reply(h.expect(spec.KeyJoinGroup), joinErr(spec.CoordinatorLoadInProgress, ""))
	h.none(spec.KeyJoinGroup)
	if d, _ := h.c.NextDeadline(); d != 100 {
		t.Fatalf("next deadline %d, want the retry backoff at 100", d)
	}
	h.at(99)
	h.none(spec.KeyJoinGroup)
	h.at(100)
	h.expect(spec.KeyJoinGroup)
}

// AbstractCoordinatorTest.testJoinGroupRequestTimeout: the JoinGroup request
// may take the rebalance timeout plus JOIN_GROUP_TIMEOUT_LAPSE (5 s) before
// the client gives up, disconnects and retries.
func TestKafka_testJoinGroupRequestTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 60000
	h := start(t, cfg)
	old := h.expect(spec.KeyJoinGroup)
	h.runTo(30001)
	h.none(spec.KeyJoinGroup)
	h.runTo(64999)
	h.none(spec.KeyJoinGroup)
	h.at(65000) // 60000 + 5000: the request times out, the coordinator is marked unknown
	h.none(spec.KeyJoinGroup)
	h.at(65100) // rediscovered after retry.backoff.ms
	h.expect(spec.KeyJoinGroup)
	h.reply(old, joinOK(1, "late", "late", "range")) // the abandoned request's answer is ignored
	h.wantView("", -1, spec.ClientPreparingRebalance)
}

// AbstractCoordinatorTest.testJoinGroupRequestTimeoutLowerBoundedByDefaultRequestTimeout.
func TestKafka_testJoinGroupRequestTimeoutLowerBoundedByDefaultRequestTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 20000 // 20000 + 5000 < request.timeout.ms 30000
	h := start(t, cfg)
	h.expect(spec.KeyJoinGroup)
	h.runTo(29999)
	h.at(30000)
	h.at(30100)
	h.expect(spec.KeyJoinGroup)
}

// AbstractCoordinatorTest.testJoinGroupProtocolTypeAndName: an absent
// protocol type or name is accepted; a wrong protocol type in JoinGroup or
// SyncGroup, or a wrong protocol name in SyncGroup, is fatal.
func TestKafka_testJoinGroupProtocolTypeAndName(t *testing.T) {
	run := func(t *testing.T, joinType, syncType, syncName string) *harness {
		h := start(t, baseConfig())
		resp := joinOK(1, "m", "leader", "range")
		resp.ProtocolType = joinType
		h.reply(h.expect(spec.KeyJoinGroup), resp)
		if !h.c.Alive() {
			return h
		}
		sync := syncOK(syncName, tp("t", 0))
		sync.ProtocolType = syncType
		h.reply(h.expect(spec.KeySyncGroup), sync)
		return h
	}
	t.Run("absent", func(t *testing.T) {
		h := run(t, "", "", "")
		h.wantEvents("assigned t[0]")
		h.wantView("m", 1, spec.ClientStable)
	})
	t.Run("present", func(t *testing.T) {
		h := run(t, "consumer", "consumer", "range")
		h.wantEvents("assigned t[0]")
	})
	t.Run("wrong-join-type", func(t *testing.T) { run(t, "wrong", "", "").wantFailed("INCONSISTENT_GROUP_PROTOCOL") })
	t.Run("wrong-sync-type", func(t *testing.T) { run(t, "consumer", "wrong", "range").wantFailed("INCONSISTENT_GROUP_PROTOCOL") })
	t.Run("wrong-sync-name", func(t *testing.T) { run(t, "consumer", "consumer", "wrong").wantFailed("INCONSISTENT_GROUP_PROTOCOL") })
}

// rebalanceFrom makes a stable member m of generation gen rejoin (a
// heartbeat answered REBALANCE_IN_PROGRESS) and returns its JoinGroup.
func rebalanceFrom(h *harness) spec.Message {
	h.t.Helper()
	h.runTo(h.now + 3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.events = nil
	return h.expect(spec.KeyJoinGroup)
}

// AbstractCoordinatorTest.testRetainMemberIdAfterJoinGroupDisconnect.
func TestKafka_testRetainMemberIdAfterJoinGroupDisconnect(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(5, "memberId")
	h.reply(rebalanceFrom(h), joinErr(spec.NotCoordinator, ""))
	h.none(spec.KeyJoinGroup)
	h.at(h.now + 100)
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "memberId" {
		t.Fatalf("JoinGroup after disconnect has member %q", id)
	}
}

// AbstractCoordinatorTest.testRetainMemberIdAfterSyncGroupDisconnect: a
// SyncGroup that times out restarts the rebalance from JoinGroup, member id kept.
func TestKafka_testRetainMemberIdAfterSyncGroupDisconnect(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(5, "memberId")
	h.reply(rebalanceFrom(h), joinOK(10, "memberId", "leader", "range"))
	h.expect(spec.KeySyncGroup)
	h.answerHeartbeats()
	h.runTo(h.now + 30000 + 100)
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "memberId" {
		t.Fatalf("JoinGroup after SyncGroup timeout has member %q", id)
	}
}

// ConsumerCoordinatorTest.testDisconnectInJoin: a lost coordinator during
// the first JoinGroup makes the consumer find it again and join; nothing is revoked.
func TestKafka_testDisconnectInJoin(t *testing.T) {
	h := start(t, baseConfig())
	h.reply(h.expect(spec.KeyJoinGroup), joinErr(spec.NotCoordinator, ""))
	h.at(100)
	h.stable(1, "m", tp("t", 0))
}

// AbstractCoordinatorTest.testSyncGroupRequestWithFencedInstanceIdException.
func TestKafka_testSyncGroupRequestWithFencedInstanceIdException(t *testing.T) {
	cfg := baseConfig()
	cfg.InstanceID = "i1"
	h := start(t, cfg)
	h.joinAs(-1, "m")
	h.reply(h.expect(spec.KeySyncGroup), syncErr(spec.FencedInstanceID))
	h.wantFailed("FENCED_INSTANCE_ID")
}

// ConsumerCoordinatorTest.testUnexpectedErrorOnSyncGroup.
func TestKafka_testUnexpectedErrorOnSyncGroup(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	h.reply(h.expect(spec.KeySyncGroup), syncErr(spec.UnknownServerError))
	h.wantFailed("UNKNOWN_SERVER_ERROR")
}

// syncFailsThenRejoin answers the first SyncGroup with code and returns the
// member id of the JoinGroup that follows, after finishing that round.
func syncFailsThenRejoin(t *testing.T, code spec.ErrorCode) string {
	h := start(t, baseConfig())
	h.joinAs(1, "consumer")
	h.reply(h.expect(spec.KeySyncGroup), syncErr(code))
	j := h.expect(spec.KeyJoinGroup)
	h.reply(j, joinOK(2, "consumer", "leader", "range"))
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
	h.wantView("consumer", 2, spec.ClientStable)
	return body[*spec.JoinGroupRequest](h, j).MemberID
}

// ConsumerCoordinatorTest.testUnknownMemberIdOnSyncGroup.
func TestKafka_testUnknownMemberIdOnSyncGroup(t *testing.T) {
	if id := syncFailsThenRejoin(t, spec.UnknownMemberID); id != "" {
		t.Fatalf("rejoin member %q, want none", id)
	}
}

// ConsumerCoordinatorTest.testRebalanceInProgressOnSyncGroup.
func TestKafka_testRebalanceInProgressOnSyncGroup(t *testing.T) {
	if id := syncFailsThenRejoin(t, spec.RebalanceInProgress); id != "consumer" {
		t.Fatalf("rejoin member %q, want consumer", id)
	}
}

// ConsumerCoordinatorTest.testIllegalGenerationOnSyncGroup: the member id
// is kept under ILLEGAL_GENERATION.
func TestKafka_testIllegalGenerationOnSyncGroup(t *testing.T) {
	if id := syncFailsThenRejoin(t, spec.IllegalGeneration); id != "consumer" {
		t.Fatalf("rejoin member %q, want consumer", id)
	}
}

// AbstractCoordinatorTest.testJoinGroupUnknownMemberResponseWithOldGeneration:
// an UNKNOWN_MEMBER_ID answering a JoinGroup sent under a generation the
// consumer has since left does not reset the member id.
func TestKafka_testJoinGroupUnknownMemberResponseWithOldGeneration(t *testing.T) {
	h := stableUntilFirstHeartbeat(t)
	beat := h.expect(spec.KeyHeartbeat)
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	join := h.expect(spec.KeyJoinGroup) // sent as (gen 1, m)
	h.reply(beat, hb(spec.IllegalGeneration))
	h.wantView("m", -1, spec.ClientUnjoined)
	h.reply(join, joinErr(spec.UnknownMemberID, ""))
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "m" {
		t.Fatalf("rejoin member %q, want m: a stale UNKNOWN_MEMBER_ID must not reset it", id)
	}
}

// AbstractCoordinatorTest.testSyncGroupUnknownMemberResponseWithOldGeneration.
func TestKafka_testSyncGroupUnknownMemberResponseWithOldGeneration(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	sync := h.expect(spec.KeySyncGroup)
	h.runTo(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.IllegalGeneration)) // generation reset, member id kept
	h.wantView("m", -1, spec.ClientUnjoined)
	h.reply(sync, syncErr(spec.UnknownMemberID))
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "m" {
		t.Fatalf("rejoin member %q, want m: a stale UNKNOWN_MEMBER_ID must not reset it", id)
	}
}

// AbstractCoordinatorTest.testSyncGroupIllegalGenerationResponseWithOldGeneration.
func TestKafka_testSyncGroupIllegalGenerationResponseWithOldGeneration(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	sync := h.expect(spec.KeySyncGroup)
	h.runTo(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.UnknownMemberID))
	h.reply(sync, syncErr(spec.IllegalGeneration))
	h.wantView("", -1, spec.ClientPreparingRebalance)
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("rejoin member %q", id)
	}
}

// AbstractCoordinatorTest.testNoGenerationWillNotTriggerProtocolNameCheck:
// a SyncGroup answer arriving after the generation was reset (here by the
// poll timeout) fails the round as ILLEGAL_GENERATION without checking the
// protocol name, and the consumer rejoins.
func TestKafka_testNoGenerationWillNotTriggerProtocolNameCheck(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 10000
	h := start(t, cfg)
	h.answerHeartbeats()
	h.joinAs(1, "m")
	sync := h.expect(spec.KeySyncGroup)
	h.stall()
	h.runTo(10000)
	h.expect(spec.KeyLeaveGroup)
	h.wantView("", -1, spec.ClientUnjoined)
	h.reply(sync, syncOK("wrong-name", tp("t", 0)))
	if !h.c.Alive() {
		t.Fatal("a SyncGroup answer for a reset generation was treated as fatal")
	}
	h.wantEvents()
	h.wantOwned()
	h.unstall()
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("rejoin member %q", id)
	}
}

// ConsumerCoordinatorTest.testPrepareJoinAndRejoinAfterFailedRebalance: the
// generation is cleared (poll timeout) while SyncGroup is in flight; its
// successful answer must not complete the join. The next join loses what
// the cooperative member still owned.
func TestKafka_testPrepareJoinAndRejoinAfterFailedRebalance(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.MaxPollIntervalMs = 10000
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.answerHeartbeats()
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(42, "consumer-42", "leader", "coop"))
	sync := h.expect(spec.KeySyncGroup)
	h.stall()
	h.runTo(h.now + 10000)
	h.expect(spec.KeyLeaveGroup)
	h.reply(sync, syncOK("coop", tp("t", 0)))
	h.wantEvents()
	if v := h.c.View(); v.State == spec.ClientStable {
		t.Fatalf("join completed on a cleared generation: %+v", v)
	}
	h.unstall()
	h.wantEvents("lost t[0]")
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(43, "consumer-43", "leader", "coop"))
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
}

// ConsumerCoordinatorTest.shouldLoseAllOwnedPartitionsBeforeRejoiningAfterDroppingOutOfTheGroup.
func TestKafka_shouldLoseAllOwnedPartitionsBeforeRejoiningAfterDroppingOutOfTheGroup(t *testing.T) {
	if id := cooperativeSyncError(t, spec.UnknownMemberID); id != "" {
		t.Fatalf("rejoin member %q, want none", id)
	}
}

// ConsumerCoordinatorTest.shouldLoseAllOwnedPartitionsBeforeRejoiningAfterResettingGenerationId.
func TestKafka_shouldLoseAllOwnedPartitionsBeforeRejoiningAfterResettingGenerationId(t *testing.T) {
	if id := cooperativeSyncError(t, spec.IllegalGeneration); id != "consumer-42" {
		t.Fatalf("rejoin member %q, want consumer-42", id)
	}
}

// cooperativeSyncError: a cooperative member keeps its partitions while it
// rejoins; when SyncGroup then fails with code, the next join loses them.
func cooperativeSyncError(t *testing.T, code spec.ErrorCode) string {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.wantEvents()
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(42, "consumer-42", "leader", "coop"))
	h.reply(h.expect(spec.KeySyncGroup), syncErr(code))
	h.wantEvents("lost t[0]")
	h.wantOwned()
	return body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID
}
