package consumer_test

// Late answers (issue 9): a request sent in generation 1 is answered only
// when the consumer has moved on to generation 2 and is in some phase of the
// next rebalance — joining, syncing, revoking (cooperative, waiting for the
// listener's commit) or stable again. The random model seldom holds a
// request that long. The consumer treats them as Kafka's does:
// AbstractCoordinator's CoordinatorResponseHandler remembers the generation
// a request was sent under (sentGeneration), and an error about a
// generation already left behind resets nothing
// (HeartbeatResponseHandler: "Attempt to heartbeat with stale generation
// ... ignoring the error"; OffsetCommitResponseHandler: FENCED_INSTANCE_ID
// of an old generation is a CommitFailedException, not fatal; ILLEGAL_GENERATION
// and UNKNOWN_MEMBER_ID are ignored while PREPARING_REBALANCE and reset the
// generation otherwise; REBALANCE_IN_PROGRESS always asks to rejoin).

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

type phase int

const (
	joining phase = iota
	syncing
	revoking
	stableAgain
)

func (p phase) String() string { return [...]string{"joining", "syncing", "revoking", "stable"}[p] }

// lateAt makes member m of generation 1 (owning t-0 and t-1 at position
// 10) send a heartbeat and a commit that stay unanswered, takes it through
// a rebalance to generation 2 and into phase p of the next one (stable:
// generation 4, after its follow-up round), and returns the two requests of
// generation 1.
func lateAt(t *testing.T, p phase, instance string) (h *harness, heartbeat, commit spec.Message) {
	t.Helper()
	cfg := baseConfig()
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	cfg.InstanceID = instance
	cfg.RequestTimeoutMs = 120000 // the old requests outlive the rebalances
	h = start(t, cfg)
	h.stable(1, "m", tp("t", 0), tp("t", 1))
	h.consume(10)
	h.at(3000)
	heartbeat = h.expect(spec.KeyHeartbeat)
	h.commit()
	commit = h.expect(spec.KeyOffsetCommit)
	// A rebalance to generation 2 that keeps everything (cooperative: no
	// revocation, no commit to wait for).
	h.at(6000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.joinAs(2, "m")
	h.syncWith(tp("t", 0), tp("t", 1))
	h.wantView("m", 2, spec.ClientStable)
	// The next one.
	h.at(9000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantView("m", 2, spec.ClientPreparingRebalance)
	if p == joining {
		return h, heartbeat, commit
	}
	h.joinAs(3, "m")
	h.wantView("m", 3, spec.ClientCompletingRebalance)
	if p == syncing {
		return h, heartbeat, commit
	}
	h.syncWith(tp("t", 0)) // t-1 moves: the listener commits it first
	h.wantEvents()
	if p == revoking {
		wantCommit(h, h.expect(spec.KeyOffsetCommit), 3, "m", 10)
		h.wantOwned(tp("t", 0), tp("t", 1))
		return h, heartbeat, commit
	}
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.None))
	h.wantEvents("revoked t[1]")
	h.joinAs(4, "m") // the follow-up round, in which nothing moves
	h.syncWith(tp("t", 0))
	h.wantView("m", 4, spec.ClientStable)
	return h, heartbeat, commit
}

// unchanged fails unless the late answer left the consumer as it was.
func unchanged(h *harness, before spec.ConsumerView, sentBefore int) {
	h.t.Helper()
	if after := h.c.View(); !h.c.Alive() || after.MemberID != before.MemberID || after.Generation != before.Generation ||
		after.State != before.State || after.RejoinNeeded != before.RejoinNeeded || !slices.Equal(after.Owned, before.Owned) {
		h.t.Fatalf("a late answer changed the consumer: %+v, was %+v", after, before)
	}
	h.wantEvents()
	if len(h.sent) != sentBefore {
		h.t.Fatalf("a late answer sent %v", h.sent[sentBefore:])
	}
}

func TestLateHeartbeatAnswers(t *testing.T) {
	for _, p := range []phase{joining, syncing, revoking, stableAgain} {
		for _, code := range []spec.ErrorCode{spec.None, spec.IllegalGeneration, spec.UnknownMemberID, spec.FencedInstanceID} {
			for _, instance := range []string{"", "i1"} {
				t.Run(fmt.Sprintf("%s/%s/instance=%q", p, code, instance), func(t *testing.T) {
					h, heartbeat, _ := lateAt(t, p, instance)
					before, sent := h.c.View(), len(h.sent)
					h.reply(heartbeat, hb(code))
					unchanged(h, before, sent)
				})
			}
		}
		// REBALANCE_IN_PROGRESS carries no generation: a stable member rejoins
		// whichever heartbeat it answers; one already rebalancing goes on.
		t.Run(fmt.Sprintf("%s/REBALANCE_IN_PROGRESS", p), func(t *testing.T) {
			h, heartbeat, _ := lateAt(t, p, "")
			before, sent := h.c.View(), len(h.sent)
			h.reply(heartbeat, hb(spec.RebalanceInProgress))
			if p != stableAgain && p != revoking {
				unchanged(h, before, sent)
				return
			}
			if !h.c.View().RejoinNeeded {
				t.Fatal("a stable member ignored REBALANCE_IN_PROGRESS")
			}
		})
	}
}

func TestLateCommitAnswers(t *testing.T) {
	for _, p := range []phase{joining, syncing, revoking, stableAgain} {
		for _, instance := range []string{"", "i1"} {
			for _, code := range []spec.ErrorCode{spec.None, spec.FencedInstanceID} {
				// Success grants nothing new; an old generation's fencing is
				// not this member's: neither changes anything.
				t.Run(fmt.Sprintf("%s/%s/instance=%q", p, code, instance), func(t *testing.T) {
					h, _, commit := lateAt(t, p, instance)
					before, sent := h.c.View(), len(h.sent)
					h.reply(commit, commitResp(commit, code))
					unchanged(h, before, sent)
				})
			}
			for _, code := range []spec.ErrorCode{spec.IllegalGeneration, spec.UnknownMemberID} {
				t.Run(fmt.Sprintf("%s/%s/instance=%q", p, code, instance), func(t *testing.T) {
					h, _, commit := lateAt(t, p, instance)
					before, sent := h.c.View(), len(h.sent)
					h.reply(commit, commitResp(commit, code))
					if p == joining { // RebalanceInProgressException: the join under way settles it
						unchanged(h, before, sent)
						return
					}
					// Outside PREPARING_REBALANCE Kafka resets the generation
					// (resetStateOnResponseError), keeping the member id for
					// ILLEGAL_GENERATION.
					v := h.c.View()
					wantID := map[spec.ErrorCode]string{spec.IllegalGeneration: "m", spec.UnknownMemberID: ""}[code]
					if !h.c.Alive() || v.Generation != -1 || v.MemberID != wantID || !v.RejoinNeeded {
						t.Fatalf("after a late %s: %+v", code, v)
					}
				})
			}
		}
		t.Run(fmt.Sprintf("%s/REBALANCE_IN_PROGRESS", p), func(t *testing.T) {
			h, _, commit := lateAt(t, p, "")
			h.reply(commit, commitResp(commit, spec.RebalanceInProgress))
			gen := map[phase]int32{joining: 2, syncing: 3, revoking: 3, stableAgain: 4}[p]
			if v := h.c.View(); !h.c.Alive() || v.Generation != gen || v.MemberID != "m" || !v.RejoinNeeded {
				t.Fatalf("after a late REBALANCE_IN_PROGRESS: %+v", v)
			}
		})
	}
}

// A late success of the old commit does not end the wait for the
// listener's commit of this generation: the partition is revoked only when
// that one is answered.
func TestLateCommitDoesNotEndRevocation(t *testing.T) {
	h, heartbeat, commit := lateAt(t, revoking, "")
	h.reply(commit, commitResp(commit, spec.None))
	h.reply(heartbeat, hb(spec.None))
	h.wantOwned(tp("t", 0), tp("t", 1))
	h.wantEvents()
	h.none(spec.KeyJoinGroup)
}

// A stale error answer counts as an answered heartbeat: the session goes on
// from it (Heartbeat.receiveHeartbeat) and nothing in flight is failed, so
// the old commit's answer is still handled afterwards.
func TestLateHeartbeatErrorRestartsSession(t *testing.T) {
	h, heartbeat, commit := lateAt(t, stableAgain, "")
	h.reply(heartbeat, hb(spec.IllegalGeneration))
	h.at(h.now)
	h.wantView("m", 4, spec.ClientStable)
	h.reply(commit, commitResp(commit, spec.UnknownMemberID))
	if v := h.c.View(); v.Generation != -1 || v.MemberID != "" {
		t.Fatalf("the old commit's answer was not handled: %+v", v)
	}
}
