package asyncconsumer_test

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// Tests named after Kafka's ConsumerMembershipManagerTest.

func TestConsumerMembershipManager_testReconcileNewPartitionsAssignedWhenNoPartitionOwned(t *testing.T) {
	s := launch(t, config())
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 1, part("t", 0), part("t", 1)))
	s.wantEvents("assigned t[0 1]")
	s.wantOwned(part("t", 0), part("t", 1))
	_, ack := s.heartbeat() // ACKNOWLEDGING sends at once
	if ack.TopicPartitions.String() != "t[0 1]" || ack.MemberEpoch != 1 || ack.MemberID != "m" {
		t.Fatalf("acknowledgement %+v", ack)
	}
	s.wantState(spec.AsyncStable, 1)
	f := s.next(spec.KeyOffsetFetch)
	s.answer(f, fetched(f, 7))
	if p := s.c.Positions(); p[part("t", 0)] != 7 || p[part("t", 1)] != 7 {
		t.Fatalf("positions %v", p)
	}
}

func TestConsumerMembershipManager_testTransitionToReconcilingIfEmptyAssignmentReceived(t *testing.T) {
	s := launch(t, config())
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 1))
	s.wantEvents() // onPartitionsAssigned of nothing is not reported
	_, ack := s.heartbeat()
	if ack.TopicPartitions == nil || ack.TopicPartitions.Len() != 0 {
		t.Fatalf("acknowledgement of an empty assignment %+v", ack)
	}
	s.wantState(spec.AsyncStable, 1)
}

func TestConsumerMembershipManager_testReconciliationSkippedWhenSameAssignmentReceived(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, assigned("m", 1, part("t", 0)))
	s.wantEvents()
	s.quiet(spec.KeyConsumerGroupHeartbeat)
	s.wantState(spec.AsyncStable, 1)
}

// Revoke before assign, and the listener's commit is waited for.
func TestConsumerMembershipManager_testReconcileNewPartitionsAssignedAndRevoked(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0), part("t", 1))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Consume{Records: 3})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 2, part("t", 1), part("t", 2)))
	s.wantState(spec.AsyncReconciling, 2)
	commit := s.next(spec.KeyOffsetCommit)
	body := commit.Body.(*spec.OffsetCommitRequest)
	if body.GenerationID != 2 || body.MemberID != "m" || len(body.Offsets) != 1 || body.Offsets[0].Offset != 3 {
		t.Fatalf("commit on revoke %+v", body)
	}
	s.wantEvents()
	s.quiet(spec.KeyConsumerGroupHeartbeat)
	s.step(&spec.Consume{Records: 1}) // t-0 is paused: pending revocation
	if s.c.Positions()[part("t", 0)] != 3 {
		t.Fatal("consumed a partition pending revocation")
	}
	s.answer(commit, committed(commit, spec.None))
	s.wantEvents("revoked t[0]", "assigned t[2]")
	_, ack2 := s.heartbeat()
	if ack2.TopicPartitions.String() != "t[1 2]" {
		t.Fatalf("acknowledgement %v", ack2.TopicPartitions)
	}
	s.wantState(spec.AsyncStable, 2)
}

func TestConsumerMembershipManager_testReconcilePartitionsRevokedWithFailedAutoCommitCompletesRevocationAnyway(t *testing.T) {
	cfg := config()
	cfg.AutoCommit, cfg.AutoCommitIntervalMs = true, 60000
	s := launch(t, cfg)
	ack, _ := s.join(1, part("t", 0), part("t", 1))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Consume{Records: 2})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 2, part("t", 1)))
	commit := s.next(spec.KeyOffsetCommit)
	if n := len(commit.Body.(*spec.OffsetCommitRequest).Offsets); n != 2 {
		t.Fatalf("auto-commit before revocation of %d partitions, want every one", n)
	}
	s.answer(commit, committed(commit, spec.UnknownMemberID))
	s.wantEvents("revoked t[0]")
	s.wantOwned(part("t", 1))
}

// CommitRequestManagerTest.testAutoCommitSyncBeforeRevocationRetriesOnRetriableAndStaleEpoch.
func TestCommitRequestManager_testAutoCommitSyncBeforeRevocationRetriesOnRetriableAndStaleEpoch(t *testing.T) {
	cfg := config()
	cfg.AutoCommit, cfg.AutoCommitIntervalMs = true, 60000
	s := launch(t, cfg)
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Consume{Records: 2})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 3))
	for _, code := range []spec.ErrorCode{spec.StaleMemberEpoch, spec.CoordinatorLoadInProgress} {
		c := s.next(spec.KeyOffsetCommit)
		s.answer(c, committed(c, code))
		s.wantEvents()
		s.at(s.now + 100)
	}
	c := s.next(spec.KeyOffsetCommit)
	if g := c.Body.(*spec.OffsetCommitRequest).GenerationID; g != 3 {
		t.Fatalf("retry at epoch %d, want the latest, 3", g)
	}
	s.answer(c, committed(c, spec.None))
	s.wantEvents("revoked t[0]")
}

func TestConsumerMembershipManager_testFencingWhenStateIsStable(t *testing.T) {
	for _, code := range []spec.ErrorCode{spec.FencedMemberEpoch, spec.UnknownMemberID} {
		t.Run(code.String(), func(t *testing.T) {
			s := launch(t, config())
			ack, _ := s.join(4, part("t", 0))
			s.answer(ack, beat("m", 4))
			s.step(&spec.Consume{Records: 5})
			s.at(5000)
			hb, _ := s.heartbeat()
			s.answer(hb, failed(code))
			s.wantEvents("lost t[0]") // no commit: the member is fenced
			s.quiet(spec.KeyOffsetCommit)
			_, join := s.heartbeat()
			if join.MemberEpoch != 0 || join.MemberID != "m" || join.TopicPartitions.Len() != 0 || !join.IsFull() {
				t.Fatalf("rejoin %+v", join)
			}
			s.wantState(spec.AsyncJoining, 0)
		})
	}
}

func TestConsumerMembershipManager_testFencingWhenStateIsReconciling(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Consume{Records: 1})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 2, part("t", 1)))
	commit := s.next(spec.KeyOffsetCommit) // waiting for the listener's commit
	s.at(10000)
	hb, _ = s.heartbeat()
	s.answer(hb, failed(spec.FencedMemberEpoch))
	s.wantEvents("lost t[0]")
	s.answer(commit, committed(commit, spec.None)) // the abandoned reconciliation stays abandoned
	s.wantEvents()
	s.wantState(spec.AsyncJoining, 0)
}

func TestConsumerMembershipManager_testSameAssignmentReconciledAgainWhenFenced(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, failed(spec.FencedMemberEpoch))
	s.wantEvents("lost t[0]")
	s.join(2, part("t", 0))
}

func TestConsumerMembershipManager_testNewAssignmentIgnoredWhenStateIsPrepareLeaving(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Consume{Records: 1})
	s.step(&spec.Close{})
	s.wantState(spec.AsyncPrepareLeaving, 1)
	commit := s.next(spec.KeyOffsetCommit)
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 2, part("t", 1)))
	s.wantEvents()
	s.answer(commit, committed(commit, spec.None))
	s.wantEvents("revoked t[0]")
	_, leave := s.heartbeat()
	if leave.MemberEpoch != spec.LeaveEpoch || s.c.Alive() {
		t.Fatalf("leave %+v alive=%v", leave, s.c.Alive())
	}
}

func TestConsumerMembershipManager_testLeaveGroupEpoch(t *testing.T) {
	for _, tc := range []struct {
		instance string
		epoch    int32
	}{{"", spec.LeaveEpoch}, {"i1", spec.StaticLeaveEpoch}} {
		cfg := config()
		cfg.InstanceID, cfg.CommitOnRevoke = tc.instance, false
		s := launch(t, cfg)
		ack, _ := s.join(1, part("t", 0))
		s.answer(ack, beat("m", 1))
		s.step(&spec.Close{})
		s.wantEvents("revoked t[0]")
		_, leave := s.heartbeat()
		if leave.MemberEpoch != tc.epoch {
			t.Fatalf("instance %q: leave epoch %d, want %d", tc.instance, leave.MemberEpoch, tc.epoch)
		}
		if v := s.c.View(); v.Alive || v.AsyncState != spec.AsyncUnsubscribed {
			t.Fatalf("after close %+v", v)
		}
	}
}

func TestConsumerMembershipManager_testFencingWhenStateIsPrepareLeaving(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Consume{Records: 1})
	s.step(&spec.Close{})
	s.next(spec.KeyOffsetCommit)
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, failed(spec.FencedMemberEpoch))
	s.wantEvents("lost t[0]")
	s.quiet(spec.KeyConsumerGroupHeartbeat) // no leave: it is out already
	if s.c.Alive() {
		t.Fatal("alive")
	}
}

func TestConsumerMembershipManager_testTransitionToLeavingWhileReconcilingDueToStaleMember(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Stall{})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 2, part("t", 1))) // the listener cannot run: stalled
	s.wantState(spec.AsyncReconciling, 2)
	s.at(300000)
	_, leave := s.heartbeat()
	if leave.MemberEpoch != spec.LeaveEpoch {
		t.Fatalf("leave %+v", leave)
	}
	s.wantState(spec.AsyncStale, spec.LeaveEpoch)
	s.step(&spec.Unstall{})
	s.wantEvents("lost t[0]")
	s.join(3, part("t", 1))
}

func TestConsumerMembershipManager_testStaticMemberLeavesWithMinusTwoOnPollTimeout(t *testing.T) {
	cfg := config()
	cfg.InstanceID = "i1"
	s := launch(t, cfg)
	ack, _ := s.join(1)
	s.answer(ack, beat("m", 1))
	s.step(&spec.Stall{})
	s.pending = nil
	s.at(300000)
	_, leave := s.heartbeat()
	if leave.MemberEpoch != spec.StaticLeaveEpoch || leave.InstanceID == nil {
		t.Fatalf("static leave %+v", leave)
	}
}
