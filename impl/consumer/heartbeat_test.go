package consumer_test

// The heartbeat thread: when it runs, its timing (Heartbeat), its response
// handler (AbstractCoordinator.HeartbeatResponseHandler), the client-side
// session timeout and the poll timeout (max.poll.interval.ms).

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// ConsumerCoordinatorTest.testNormalHeartbeat: a stable member heartbeats
// with its generation and member id, one heartbeat.interval.ms after the
// JoinGroup response (HeartbeatThread.enable resets the timer).
func TestKafka_testNormalHeartbeat(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	h.at(2999)
	h.none(spec.KeyHeartbeat)
	h.at(3000)
	b := body[*spec.HeartbeatRequest](h, h.sent[len(h.sent)-1])
	if b.GenerationID != 1 || b.MemberID != "m" || b.GroupID != "g" {
		t.Fatalf("heartbeat = %+v", b)
	}
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.None))
	h.wantView("m", 1, spec.ClientStable)
	h.none(spec.KeyJoinGroup)
}

// HeartbeatTest.testShouldHeartbeat, testShouldNotHeartbeat and
// testTimeToNextHeartbeat: the next heartbeat is one interval after the
// previous send, answered or not.
func TestKafka_testTimeToNextHeartbeat(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(1, "m")
	for _, at := range []int64{3000, 6000, 9000} {
		if d, _ := h.c.NextDeadline(); d != at {
			t.Fatalf("next deadline %d, want %d", d, at)
		}
		h.at(at - 1)
		h.none(spec.KeyHeartbeat)
		h.at(at)
		h.expect(spec.KeyHeartbeat) // left unanswered
	}
}

// AbstractCoordinator.HeartbeatThread.run disables itself while the member
// has not joined (UNJOINED, PREPARING_REBALANCE): no heartbeat goes out
// while a JoinGroup waits for its answer.
func TestKafka_HeartbeatThread_disabledUntilJoined(t *testing.T) {
	h := start(t, baseConfig())
	j := h.expect(spec.KeyJoinGroup)
	h.runTo(60000)
	h.none(spec.KeyHeartbeat)
	h.reply(j, joinOK(1, "m", "leader", "range"))
	h.at(62999)
	h.none(spec.KeyHeartbeat)
	h.at(63000)
	h.expect(spec.KeyHeartbeat)
}

// AbstractCoordinatorTest.testHeartbeatSentWhenCompletingRebalance: the
// thread runs in COMPLETING_REBALANCE, and REBALANCE_IN_PROGRESS outside
// STABLE is ignored.
func TestKafka_testHeartbeatSentWhenCompletingRebalance(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	sync := h.expect(spec.KeySyncGroup)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantView("m", 1, spec.ClientCompletingRebalance)
	h.reply(sync, syncOK("range", tp("t", 0)))
	h.wantView("m", 1, spec.ClientStable)
	h.none(spec.KeyJoinGroup)
	if h.c.View().RejoinNeeded {
		t.Fatal("REBALANCE_IN_PROGRESS during COMPLETING_REBALANCE requested a rejoin")
	}
}

// staleHeartbeat leaves a heartbeat of generation 1 unanswered while the
// member moves to generation 2, then answers it with code.
func staleHeartbeat(t *testing.T, instance string, code spec.ErrorCode) *harness {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.InstanceID = instance
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	beat := h.expect(spec.KeyHeartbeat)
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	h.joinAs(2, "m")
	h.syncWith(tp("t", 1))
	h.fetchAt(nil)
	h.wantEvents("assigned t[1]")
	h.reply(beat, hb(code))
	h.wantEvents()
	h.wantView("m", 2, spec.ClientStable)
	h.wantOwned(tp("t", 1))
	h.none(spec.KeyJoinGroup)
	return h
}

// AbstractCoordinatorTest.testHeartbeatIllegalGenerationResponseWithOldGeneration.
func TestKafka_testHeartbeatIllegalGenerationResponseWithOldGeneration(t *testing.T) {
	staleHeartbeat(t, "", spec.IllegalGeneration)
}

// AbstractCoordinatorTest.testHeartbeatUnknownMemberResponseWithOldGeneration.
func TestKafka_testHeartbeatUnknownMemberResponseWithOldGeneration(t *testing.T) {
	staleHeartbeat(t, "", spec.UnknownMemberID)
}

// AbstractCoordinatorTest.testHeartbeatInstanceFencedResponseWithOldGeneration:
// a stale FENCED_INSTANCE_ID is not fatal.
func TestKafka_testHeartbeatInstanceFencedResponseWithOldGeneration(t *testing.T) {
	if h := staleHeartbeat(t, "i1", spec.FencedInstanceID); !h.c.Alive() {
		t.Fatal("a stale FENCED_INSTANCE_ID killed the consumer")
	}
}

// HeartbeatResponseHandler completes a heartbeat whose error is about an
// older generation as a success, so the session timer restarts
// (Heartbeat.receiveHeartbeat).
func TestKafka_HeartbeatResponseHandler_staleErrorRestartsSession(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.RequestTimeoutMs = 100000 // no request times out here
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	beat := h.expect(spec.KeyHeartbeat)
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.joinAs(2, "m") // at 3000: the session runs to 48000
	h.syncWith()
	h.runTo(40000)
	h.drop(spec.KeyHeartbeat)
	h.reply(beat, hb(spec.IllegalGeneration)) // stale: ignored, but the session restarts
	h.wantView("m", 2, spec.ClientStable)
	h.runTo(47999)
	h.drop(spec.KeyHeartbeat)
	h.at(48000)
	h.expect(spec.KeyHeartbeat) // still heartbeating: the session did not expire at 48000
}

// AbstractCoordinatorTest.testHeartbeatRebalanceInProgressResponseDuringRebalancing:
// REBALANCE_IN_PROGRESS answering a heartbeat while the member already
// rejoins is ignored; the generation is kept until the JoinGroup answer.
func TestKafka_testHeartbeatRebalanceInProgressResponseDuringRebalancing(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	beat := h.expect(spec.KeyHeartbeat)
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	join := h.expect(spec.KeyJoinGroup)
	h.reply(beat, hb(spec.RebalanceInProgress))
	h.wantView("m", 1, spec.ClientPreparingRebalance)
	h.none(spec.KeyJoinGroup)
	h.reply(join, joinOK(2, "m", "leader", "range"))
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
	h.wantView("m", 2, spec.ClientStable)
}

// AbstractCoordinatorTest.testHeartbeatRequestWithFencedInstanceIdException.
func TestKafka_testHeartbeatRequestWithFencedInstanceIdException(t *testing.T) {
	cfg := baseConfig()
	cfg.InstanceID = "i1"
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	if id := body[*spec.HeartbeatRequest](h, h.sent[len(h.sent)-1]).GroupInstanceID; id != "i1" {
		t.Fatalf("heartbeat instance id %q", id)
	}
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.FencedInstanceID))
	h.wantFailed("FENCED_INSTANCE_ID")
}

// heartbeatResets answers the first heartbeat of a stable member with code.
func heartbeatResets(t *testing.T, code spec.ErrorCode) *harness {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(code))
	h.wantEvents("lost t[0]")
	h.wantOwned()
	return h
}

// ConsumerCoordinatorTest.testIllegalGeneration: ILLEGAL_GENERATION resets
// the generation (not the member id); the next poll loses the partitions.
func TestKafka_testIllegalGeneration(t *testing.T) {
	h := heartbeatResets(t, spec.IllegalGeneration)
	h.wantView("m", -1, spec.ClientPreparingRebalance)
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "m" {
		t.Fatalf("rejoin member %q, want m", id)
	}
}

// ConsumerCoordinatorTest.testUnknownMemberId: UNKNOWN_MEMBER_ID resets both.
func TestKafka_testUnknownMemberId(t *testing.T) {
	h := heartbeatResets(t, spec.UnknownMemberID)
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("rejoin member %q, want none", id)
	}
}

// coordinatorLost: a heartbeat error about the coordinator marks it unknown:
// every request in flight fails (their late answers are ignored), membership
// is kept, and after retry.backoff.ms the coordinator is found again.
func coordinatorLost(t *testing.T, code spec.ErrorCode) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	h.consume(5)
	h.at(3000)
	beat := h.expect(spec.KeyHeartbeat)
	h.commit()
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(beat, hb(code))
	h.reply(c, commitResp(c, spec.IllegalGeneration)) // failed with the connection: ignored
	h.wantView("m", 1, spec.ClientStable)
	h.wantOwned(tp("t", 0))
	if d, _ := h.c.NextDeadline(); d != 3100 {
		t.Fatalf("next deadline %d, want rediscovery at 3100", d)
	}
	h.runTo(6000)
	h.expect(spec.KeyHeartbeat)
	h.none(spec.KeyJoinGroup)
	h.wantEvents()
}

// ConsumerCoordinatorTest.testCoordinatorNotAvailable.
func TestKafka_testCoordinatorNotAvailable(t *testing.T) {
	coordinatorLost(t, spec.CoordinatorNotAvailable)
}

// ConsumerCoordinatorTest.testNotCoordinator.
func TestKafka_testNotCoordinator(t *testing.T) { coordinatorLost(t, spec.NotCoordinator) }

// ConsumerCoordinatorTest.testCoordinatorDisconnect: a heartbeat with no
// answer within request.timeout.ms disconnects: the coordinator is marked
// unknown, the member keeps its generation.
func TestKafka_testCoordinatorDisconnect(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	first := h.expect(spec.KeyHeartbeat)
	h.answerHeartbeats()
	h.runTo(32999)
	h.at(33000) // the first heartbeat times out
	h.reply(first, hb(spec.UnknownMemberID))
	h.wantView("m", 1, spec.ClientStable)
	h.wantEvents()
}

// HeartbeatTest.testSessionTimeoutExpired: with no heartbeat answered for a
// whole session the client assumes the coordinator is gone
// (markCoordinatorUnknown); it keeps its membership and looks again.
func TestKafka_testSessionTimeoutExpired(t *testing.T) {
	cfg := baseConfig()
	cfg.RequestTimeoutMs = 100000
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.runTo(44999)
	for range 14 { // at 3000, 6000, ..., 42000, all unanswered
		h.expect(spec.KeyHeartbeat)
	}
	h.none(spec.KeyHeartbeat)
	h.at(45000) // session expired: coordinator unknown, in-flight requests failed
	h.none(spec.KeyHeartbeat)
	h.none(spec.KeyLeaveGroup)
	h.wantView("m", 1, spec.ClientStable)
	h.at(45100) // found again; the session restarts
	h.runTo(90000)
	h.wantView("m", 1, spec.ClientStable)
	h.wantEvents()
	h.none(spec.KeyJoinGroup)
}

// HeartbeatTest.testResetSession: answered heartbeats keep the session
// alive, but they do not reset the poll timer.
func TestKafka_testResetSession(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 50000
	h := start(t, cfg)
	h.answerHeartbeats()
	h.stable(1, "m", tp("t", 0))
	h.stall()
	h.runTo(49999)
	h.none(spec.KeyLeaveGroup)
	h.wantView("m", 1, spec.ClientStable)
	h.at(50000)
	h.expect(spec.KeyLeaveGroup)
}

// HeartbeatTest.testPollTimeout: the poll timer expires exactly
// max.poll.interval.ms after the last poll.
func TestKafka_testPollTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 60000
	h := start(t, cfg)
	h.answerHeartbeats()
	h.stable(1, "m", tp("t", 0))
	h.runTo(10000)
	h.stall()
	h.runTo(40000)
	h.none(spec.KeyLeaveGroup)
	h.runTo(69999)
	h.none(spec.KeyLeaveGroup)
	h.at(70000)
	h.expect(spec.KeyLeaveGroup)
}

// ConsumerCoordinatorTest.testMaybeLeaveGroup, reached through
// AbstractCoordinator.handlePollTimeoutExpiry: a dynamic member leaves and
// forgets generation and member id; no callback runs until the application
// polls again, which then loses the partitions and joins as a new member.
func TestKafka_testMaybeLeaveGroup(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 60000
	h := start(t, cfg)
	h.answerHeartbeats()
	h.stable(1, "consumer", tp("t", 0))
	h.stall()
	h.runTo(60000)
	l := body[*spec.LeaveGroupRequest](h, h.expect(spec.KeyLeaveGroup))
	if l.GroupID != "g" || len(l.Members) != 1 || l.Members[0].MemberID != "consumer" {
		t.Fatalf("LeaveGroup = %+v", l)
	}
	h.wantView("", -1, spec.ClientUnjoined)
	h.wantEvents()
	h.wantOwned(tp("t", 0))
	h.runTo(120000)
	h.none(spec.KeyHeartbeat)
	h.none(spec.KeyJoinGroup)
	h.unstall()
	h.wantEvents("lost t[0]")
	if id := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).MemberID; id != "" {
		t.Fatalf("rejoin member %q", id)
	}
}

// AbstractCoordinator.maybeLeaveGroup: a static member never sends
// LeaveGroup (KIP-345), but the poll timeout still resets it; it rejoins
// with its instance id and no member id.
func TestKafka_handlePollTimeoutExpiry_staticMember(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 60000
	cfg.InstanceID = "i1"
	h := start(t, cfg)
	h.answerHeartbeats()
	h.stable(1, "i1-x", tp("t", 0))
	h.stall()
	h.runTo(60000)
	h.none(spec.KeyLeaveGroup)
	h.wantView("", -1, spec.ClientUnjoined)
	h.unstall()
	h.wantEvents("lost t[0]")
	j := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup))
	if j.MemberID != "" || j.GroupInstanceID != "i1" {
		t.Fatalf("static rejoin = %+v", j)
	}
}

// ConsumerCoordinatorTest.testUpdateLastHeartbeatPollWhenCoordinatorUnknown:
// an application that keeps polling never hits the poll timeout, even while
// the coordinator is being looked for.
func TestKafka_testUpdateLastHeartbeatPollWhenCoordinatorUnknown(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxPollIntervalMs = 10000
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.NotCoordinator))
	h.answerHeartbeats()
	h.runTo(30000)
	h.none(spec.KeyLeaveGroup)
	h.wantView("m", 1, spec.ClientStable)
}
