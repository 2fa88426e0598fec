package asyncconsumer_test

import (
	"slices"
	"testing"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/spec"
)

// Tests named after Kafka's ConsumerHeartbeatRequestManagerTest.

func TestConsumerHeartbeatRequestManager_testFirstHeartbeatIncludesRequiredInfoToJoinGroupAndGetAssignments(t *testing.T) {
	cfg := config()
	cfg.Topics = []string{"u", "t"}
	cfg.InstanceID, cfg.Rack, cfg.ServerAssignor = "i1", "r1", "uniform"
	s := launch(t, cfg)
	s.wantState(spec.AsyncJoining, spec.JoinEpoch)
	_, hb := s.heartbeat()
	switch {
	case hb.GroupID != "g" || hb.MemberID != "" || hb.MemberEpoch != 0:
		t.Fatalf("identity %q %q %d", hb.GroupID, hb.MemberID, hb.MemberEpoch)
	case hb.RebalanceTimeoutMs != 300000 || !slices.Equal(hb.SubscribedTopicNames, []string{"t", "u"}):
		t.Fatalf("timeout %d topics %v", hb.RebalanceTimeoutMs, hb.SubscribedTopicNames)
	case hb.TopicPartitions == nil || len(hb.TopicPartitions) != 0:
		t.Fatalf("owned partitions %v, want present and empty", hb.TopicPartitions)
	case hb.InstanceID == nil || *hb.InstanceID != "i1" || hb.RackID == nil || *hb.RackID != "r1":
		t.Fatal("instance id or rack missing")
	case hb.ServerAssignor == nil || *hb.ServerAssignor != "uniform":
		t.Fatal("server assignor missing")
	case !hb.IsFull():
		t.Fatal("the joining heartbeat is not full")
	}
}

func TestConsumerHeartbeatRequestManager_testValidateConsumerGroupHeartbeatRequest(t *testing.T) {
	s := launch(t, config())
	ackMsg, ack := s.join(1, part("t", 0))
	s.answer(ackMsg, beat("m", 1))
	if ack.TopicPartitions.Len() != 1 || ack.SubscribedTopicNames != nil || ack.RebalanceTimeoutMs != -1 || ack.InstanceID != nil {
		t.Fatalf("acknowledgement %+v: want only the new assignment", ack)
	}
	s.at(5000)
	_, hb := s.heartbeat()
	if hb.TopicPartitions != nil || hb.SubscribedTopicNames != nil || hb.RebalanceTimeoutMs != -1 || hb.MemberID != "m" || hb.MemberEpoch != 1 {
		t.Fatalf("steady heartbeat %+v: want nothing unchanged", hb)
	}
}

// After a failed heartbeat every field goes again (resetHeartbeatState).
func TestConsumerHeartbeatRequestManager_testHeartbeatState(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, failed(spec.CoordinatorLoadInProgress))
	s.quiet(spec.KeyConsumerGroupHeartbeat)
	s.at(5100) // retry.backoff.ms
	_, again := s.heartbeat()
	if !again.IsFull() || again.TopicPartitions.Len() != 1 || again.MemberEpoch != 1 {
		t.Fatalf("retry after a failure %+v: want every field", again)
	}
}

func TestConsumerHeartbeatRequestManager_testSuccessfulHeartbeatTiming(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1)
	s.answer(ack, beat("m", 1))
	for _, at := range []int64{4999} {
		s.at(at)
		s.quiet(spec.KeyConsumerGroupHeartbeat)
	}
	s.at(5000) // the interval the coordinator gave, from the acknowledgement
	hb, _ := s.heartbeat()
	s.answer(hb, beat("m", 1))
	if d, _ := s.c.NextDeadline(); d != 10000 {
		t.Fatalf("next deadline %d, want the next heartbeat at 10000", d)
	}
}

func TestConsumerHeartbeatRequestManager_testHeartbeatNotSentIfAnotherOneInFlight(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1)
	s.answer(ack, beat("m", 1))
	s.at(5000)
	hb, _ := s.heartbeat()
	s.at(12000) // past the next interval: the first is still unanswered
	s.quiet(spec.KeyConsumerGroupHeartbeat)
	s.answer(hb, beat("m", 1)) // the interval has passed: the next goes at once
	s.heartbeat()
	s.quiet(spec.KeyConsumerGroupHeartbeat)
}

func TestConsumerHeartbeatRequestManager_testNetworkTimeout(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1)
	s.answer(ack, beat("m", 1))
	s.at(5000)
	s.heartbeat() // never answered
	s.at(35000)   // request.timeout.ms: a retriable failure, sent again after the backoff
	s.quiet(spec.KeyConsumerGroupHeartbeat)
	s.at(35100)
	_, hb := s.heartbeat()
	if !hb.IsFull() {
		t.Fatal("the heartbeat after a timeout is not full")
	}
	s.wantState(spec.AsyncStable, 1)
}

func TestConsumerHeartbeatRequestManager_testHeartbeatResponseOnErrorHandling(t *testing.T) {
	fatal := []spec.ErrorCode{spec.UnreleasedInstanceID, spec.FencedInstanceID, spec.GroupMaxSizeReached,
		spec.UnsupportedAssignor, spec.InvalidRequest, spec.UnsupportedVersion, spec.UnknownServerError}
	for _, code := range fatal {
		t.Run(code.String(), func(t *testing.T) {
			s := launch(t, config())
			ack, _ := s.join(1, part("t", 0))
			s.answer(ack, beat("m", 1))
			s.at(5000)
			hb, _ := s.heartbeat()
			s.answer(hb, failed(code))
			s.wantFatal(code.String())
			if s.events[0].Kind != spec.EvLost {
				t.Fatalf("events %v: want the partitions lost first", s.events)
			}
			if _, ok := s.c.NextDeadline(); ok {
				t.Fatal("a failed consumer asks for ticks")
			}
		})
	}
	for _, code := range []spec.ErrorCode{spec.NotCoordinator, spec.CoordinatorNotAvailable} {
		t.Run(code.String(), func(t *testing.T) {
			s := launch(t, config())
			ack, _ := s.join(1, part("t", 0))
			s.answer(ack, beat("m", 1))
			s.at(5000)
			hb, _ := s.heartbeat()
			s.answer(hb, failed(code))
			s.quiet(spec.KeyConsumerGroupHeartbeat)
			s.at(5100) // the coordinator is found again
			s.heartbeat()
			s.wantState(spec.AsyncStable, 1)
			s.wantEvents()
		})
	}
}

func TestConsumerHeartbeatRequestManager_testFencedMemberStopHeartbeatUntilItReleasesAssignmentToRejoin(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Stall{})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, failed(spec.FencedMemberEpoch))
	s.wantState(spec.AsyncFenced, 0)
	s.at(20000)
	s.quiet(spec.KeyConsumerGroupHeartbeat) // the listener has not run
	s.wantOwned(part("t", 0))
	s.step(&spec.Unstall{})
	s.wantEvents("lost t[0]")
	_, join := s.heartbeat()
	if join.MemberEpoch != 0 || join.MemberID != "m" || !join.IsFull() {
		t.Fatalf("rejoin %+v: want epoch 0 with the same member id", join)
	}
}

func TestConsumerHeartbeatRequestManager_testPollTimerExpiration(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.step(&spec.Stall{})
	for s.now < 300000 {
		s.at(min(s.now+5000, 300000))
		for slices.ContainsFunc(s.pending, func(m spec.Message) bool { return m.Key() == spec.KeyConsumerGroupHeartbeat }) {
			hb, _ := s.heartbeat()
			if s.now < 300000 {
				s.answer(hb, beat("m", 1))
			} else if body := hb.Body.(*spec.ConsumerGroupHeartbeatRequest); body.MemberEpoch != spec.LeaveEpoch {
				t.Fatalf("at the poll timeout: %+v, want the leave", body)
			}
		}
	}
	s.wantState(spec.AsyncStale, spec.LeaveEpoch)
	s.at(400000)
	s.quiet(spec.KeyConsumerGroupHeartbeat) // a stale member sends nothing
	s.wantEvents()
	s.step(&spec.Unstall{})
	s.wantEvents("lost t[0]")
	_, join := s.heartbeat()
	if join.MemberEpoch != 0 || join.MemberID != "m" {
		t.Fatalf("rejoin %+v", join)
	}
	s.wantState(spec.AsyncJoining, 0)
}

func TestConsumerHeartbeatRequestManager_testSendingLeaveGroupHeartbeatWhenPreviousOneInFlight(t *testing.T) {
	cfg := config()
	cfg.CommitOnRevoke = false
	s := launch(t, cfg)
	s.join(1, part("t", 0)) // the acknowledgement is still in flight
	s.step(&spec.Close{})
	s.wantEvents("revoked t[0]")
	_, leave := s.heartbeat()
	if leave.MemberEpoch != spec.LeaveEpoch {
		t.Fatalf("leave %+v", leave)
	}
	if s.c.Alive() {
		t.Fatal("alive after close")
	}
}

// An acknowledgement that timed out is sent again with the assignment
// (the assignment counts as unsent after a failure).
func TestConsumerHeartbeatRequestManager_testConsumerAcksReconciledAssignmentAfterAckLost(t *testing.T) {
	s := launch(t, config())
	s.join(1, part("t", 0))
	s.at(30000) // the acknowledgement timed out
	s.at(30100)
	_, hb := s.heartbeat()
	if hb.TopicPartitions.Len() != 1 {
		t.Fatalf("heartbeat after a lost acknowledgement %+v", hb)
	}
}

// A regex subscription (subscribe(SubscriptionPattern)): the joining
// heartbeat sends the regex and no names, and counts as full; the steady
// heartbeat sends neither; a failed one sends the regex again.
func TestRegexSubscriptionHeartbeat(t *testing.T) {
	cfg := config()
	cfg.Topics, cfg.TopicRegex = nil, "t|u"
	s := launch(t, cfg)
	_, hb := s.heartbeat()
	switch {
	case hb.SubscribedTopicRegex == nil || *hb.SubscribedTopicRegex != "t|u":
		t.Fatalf("regex %v, want t|u", hb.SubscribedTopicRegex)
	case hb.SubscribedTopicNames != nil:
		t.Fatalf("names %v sent with the regex", hb.SubscribedTopicNames)
	case !hb.IsFull():
		t.Fatal("the joining heartbeat is not full")
	}
	s = launch(t, cfg)
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	s.at(5000)
	msg, steady := s.heartbeat()
	if steady.SubscribedTopicRegex != nil || steady.SubscribedTopicNames != nil {
		t.Fatalf("steady heartbeat %+v: want no subscription", steady)
	}
	s.answer(msg, failed(spec.CoordinatorLoadInProgress))
	s.quiet(spec.KeyConsumerGroupHeartbeat)
	s.at(5100)
	_, again := s.heartbeat()
	if again.SubscribedTopicRegex == nil || !again.IsFull() {
		t.Fatalf("heartbeat after a failure %+v: want the regex, full", again)
	}
}

func TestRegexOrNamesNotBoth(t *testing.T) {
	cfg := config()
	cfg.TopicRegex = "t"
	if asyncconsumer.Validate(cfg) == nil {
		t.Fatal("names and a regex validated")
	}
	cfg.Topics = nil
	if err := asyncconsumer.Validate(cfg); err != nil {
		t.Fatal(err)
	}
}
