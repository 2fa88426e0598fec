package coordinator

// Conformance tests: SyncGroup and Heartbeat. GMMT and GCST as in
// kafka_join_test.go.

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// syncProtocolTypeAndName is GMMT.testSyncGroupProtocolTypeAndNameWith: two
// static members join; the leader assigns only itself and syncs with the
// given protocol type and name, then the follower. The join completes at the
// initial delay (Kafka sleeps 10000: its mock runs the timer at the end of
// the sleep, which kgroup's 500 ms sessions would not survive).
func syncProtocolTypeAndName(t *testing.T, protocolType, protocolName string, want spec.ErrorCode, wantType, wantName string) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance(leaderInst).superset()
	lj := h.sendJoin(b)
	fj := h.sendJoin(b.instance(followerInst))
	h.sleep(3000)
	leader, follower := lj.joinOK(), fj.joinOK()
	sync := spec.SyncGroupRequest{GroupID: "group-id", MemberID: leader.MemberID, GenerationID: leader.GenerationID,
		ProtocolType: protocolType, ProtocolName: protocolName,
		Assignments: []spec.SyncGroupAssignment{assignTo(leader.MemberID, "foo", 0)}}
	ls := h.sendSync(sync)
	sync.MemberID = follower.MemberID
	fs := h.sendSync(sync)
	h.wantNoRecords()
	for _, s := range []*call{ls, fs} {
		r := s.sync()
		if r.ErrorCode != want || r.ProtocolType != wantType || r.ProtocolName != wantName {
			t.Fatalf("SyncGroup answered %+v", r)
		}
	}
	if want == spec.None { // the follower, left out of the plan, gets an empty assignment
		diff(t, spec.MemberAssignment{Partitions: spec.Assignment{}}, fs.sync().Assignment)
	}
}

// GMMT.testSyncGroupReturnsAnErrorWhenProtocolTypeIsInconsistent.
func TestKafka_testSyncGroupReturnsAnErrorWhenProtocolTypeIsInconsistent(t *testing.T) {
	syncProtocolTypeAndName(t, "protocolType", "", spec.InconsistentGroupProtocol, "", "")
}

// GMMT.testSyncGroupReturnsAnErrorWhenProtocolNameIsInconsistent.
func TestKafka_testSyncGroupReturnsAnErrorWhenProtocolNameIsInconsistent(t *testing.T) {
	syncProtocolTypeAndName(t, "", "protocolName", spec.InconsistentGroupProtocol, "", "")
}

// GMMT.testSyncGroupSucceedWhenProtocolTypeAndNameAreNotProvided.
func TestKafka_testSyncGroupSucceedWhenProtocolTypeAndNameAreNotProvided(t *testing.T) {
	syncProtocolTypeAndName(t, "", "", spec.None, "consumer", "range")
}

// GMMT.testSyncGroupSucceedWhenProtocolTypeAndNameAreConsistent.
func TestKafka_testSyncGroupSucceedWhenProtocolTypeAndNameAreConsistent(t *testing.T) {
	syncProtocolTypeAndName(t, "consumer", "range", spec.None, "consumer", "range")
}

// GMMT.testSyncGroupFromUnknownGroup.
func TestKafka_testSyncGroupFromUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: "member-id", GenerationID: 1}).wantSyncError(spec.UnknownMemberID)
	h.wantNoRecords()
}

// GMMT.testSyncGroupFromUnknownMember.
func TestKafka_testSyncGroupFromUnknownMember(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.joinAndCompleteJoin(joinReq("group-id").instance(leaderInst))
	sync := spec.SyncGroupRequest{GroupID: "group-id", MemberID: resp.MemberID, GenerationID: resp.GenerationID,
		Assignments: []spec.SyncGroupAssignment{{MemberID: resp.MemberID}}}
	s := h.sendSync(sync)
	s.wantSyncError(spec.None)
	diff(t, spec.MemberAssignment{Partitions: spec.Assignment{}}, s.sync().Assignment)
	sync.MemberID = "unknown-member-id"
	s = h.sendSync(sync)
	h.wantNoRecords()
	diff(t, &spec.SyncGroupResponse{ErrorCode: spec.UnknownMemberID}, s.sync())
}

// GMMT.testSyncGroupFromIllegalGeneration.
func TestKafka_testSyncGroupFromIllegalGeneration(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.joinAndCompleteJoin(joinReq("group-id").instance(leaderInst))
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: resp.MemberID, GenerationID: resp.GenerationID + 1}).wantSyncError(spec.IllegalGeneration)
	h.wantNoRecords()
}

// twoMembersJoined is the opening of Kafka's SyncGroup tests: a group Stable
// at generation 1, a follower (rebalance 10000, session 5000) joins, the
// leader rejoins, and the group is CompletingRebalance at generation 2.
func (h *harness) twoMembersJoined() (leader, follower string) {
	h.t.Helper()
	l := h.completeRebalance("group-id")
	b := joinReq("group-id").rebalance(10000).session(5000)
	f := h.joinDynamic(b)
	f.wantPending()
	lj := h.sendJoin(b.member(l.MemberID))
	h.wantNoRecords()
	if lj.joinOK().Leader != l.MemberID || f.joinOK().Leader != l.MemberID || f.join().GenerationID != 2 {
		h.t.Fatal("join answers")
	}
	h.wantState("group-id", spec.CompletingRebalance, 2)
	return l.MemberID, f.join().MemberID
}

// GMMT.testLeaderFailureInSyncGroup: the leader never syncs; when its session
// (5000) expires the follower's parked sync is answered
// REBALANCE_IN_PROGRESS. Kafka sleeps 10000; kgroup acts at the expiry, after
// which the follower's session counts again, so the test sleeps to the
// expiry.
func TestKafka_testLeaderFailureInSyncGroup(t *testing.T) {
	h := newKafkaHarness(t)
	_, follower := h.twoMembersJoined()
	fs := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: follower, GenerationID: 2})
	h.wantNoRecords()
	fs.wantPending()
	h.sleep(5000)
	h.wantNoRecords()
	fs.wantSyncError(spec.RebalanceInProgress)
	h.wantMembers("group-id", follower)
	h.wantState("group-id", spec.PreparingRebalance, 2)
}

// GMMT.testSyncGroupFollowerAfterLeader.
func TestKafka_testSyncGroupFollowerAfterLeader(t *testing.T) {
	h := newKafkaHarness(t)
	leader, follower := h.twoMembersJoined()
	plan := []spec.SyncGroupAssignment{assignTo(leader, "foo", 0), assignTo(follower, "foo", 1)}
	ls := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: leader, GenerationID: 2, Assignments: plan})
	h.wantRecordOfGroup("group-id")
	diff(t, plan[0].Assignment, ls.sync().Assignment)
	fs := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: follower, GenerationID: 2, Assignments: plan})
	h.wantNoRecords()
	diff(t, plan[1].Assignment, fs.sync().Assignment)
	h.wantState("group-id", spec.Stable, 2)
}

// GMMT.testSyncGroupLeaderAfterFollower: the follower's sync waits for the
// leader's, whose plan is written in one record and answers both.
func TestKafka_testSyncGroupLeaderAfterFollower(t *testing.T) {
	h := newKafkaHarness(t)
	leader, follower := h.twoMembersJoined()
	fs := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: follower, GenerationID: 2})
	h.wantNoRecords()
	fs.wantPending()
	plan := []spec.SyncGroupAssignment{assignTo(leader, "foo", 0), assignTo(follower, "foo", 1)}
	ls := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: leader, GenerationID: 2, Assignments: plan})
	rec := h.wantRecordOfGroup("group-id")
	if rec.Generation != 2 || len(rec.Members) != 2 {
		t.Fatalf("record %+v", rec)
	}
	for _, m := range rec.Members {
		want := plan[0].Assignment
		if m.MemberID == follower {
			want = plan[1].Assignment
		}
		diff(t, want, m.Assignment)
	}
	diff(t, plan[0].Assignment, ls.sync().Assignment)
	diff(t, plan[1].Assignment, fs.sync().Assignment)
	h.wantState("group-id", spec.Stable, 2)
}

// GMMT.testRebalanceTimesOutWhenSyncRequestIsNotReceived: nobody syncs within
// the rebalance timeout; everyone is removed and the group is Empty.
func TestKafka_testRebalanceTimesOutWhenSyncRequestIsNotReceived(t *testing.T) {
	h := newKafkaHarness(t)
	joins := h.joinWithNMembers("group-id", 3, 5000, 5000)
	h.sleep(2500)
	for _, j := range joins {
		if code := h.hb("group-id", j.MemberID, j.GenerationID); code != spec.None {
			t.Fatalf("heartbeat %v", code)
		}
	}
	h.sleep(2500)
	h.wantRecordOfGroup("group-id")
	for _, j := range joins {
		if code := h.hb("group-id", j.MemberID, j.GenerationID); code != spec.UnknownMemberID {
			t.Fatalf("heartbeat %v", code)
		}
	}
	h.wantState("group-id", spec.Empty, 2)
}

// GMMT.testRebalanceTimesOutWhenSyncRequestIsNotReceivedFromFollowers.
func TestKafka_testRebalanceTimesOutWhenSyncRequestIsNotReceivedFromFollowers(t *testing.T) {
	h := newKafkaHarness(t)
	joins := h.joinWithNMembers("group-id", 3, 5000, 5000)
	h.sleep(2500)
	for _, j := range joins {
		h.hb("group-id", j.MemberID, 1)
	}
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: joins[0].MemberID, GenerationID: 1}).wantSyncError(spec.None)
	h.wantState("group-id", spec.Stable, 1)
	if code := h.hb("group-id", joins[0].MemberID, 1); code != spec.None {
		t.Fatalf("heartbeat %v", code)
	}
	h.sleep(2500)
	h.wantNoRecords()
	want := []spec.ErrorCode{spec.RebalanceInProgress, spec.UnknownMemberID, spec.UnknownMemberID}
	for i, j := range joins {
		if code := h.hb("group-id", j.MemberID, 1); code != want[i] {
			t.Fatalf("heartbeat of member %d: %v, want %v", i, code, want[i])
		}
	}
	h.wantState("group-id", spec.PreparingRebalance, 1)
}

// GMMT.testRebalanceTimesOutWhenSyncRequestIsNotReceivedFromLeaders.
func TestKafka_testRebalanceTimesOutWhenSyncRequestIsNotReceivedFromLeaders(t *testing.T) {
	h := newKafkaHarness(t)
	joins := h.joinWithNMembers("group-id", 3, 5000, 5000)
	h.sleep(2500)
	for _, j := range joins {
		h.hb("group-id", j.MemberID, 1)
	}
	var syncs []*call
	for _, j := range joins[1:] {
		s := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: j.MemberID, GenerationID: 1})
		h.wantNoRecords()
		s.wantPending()
		syncs = append(syncs, s)
	}
	h.sleep(2500)
	h.wantNoRecords()
	for _, s := range syncs {
		s.wantSyncError(spec.RebalanceInProgress)
	}
	want := []spec.ErrorCode{spec.UnknownMemberID, spec.RebalanceInProgress, spec.RebalanceInProgress}
	for i, j := range joins {
		if code := h.hb("group-id", j.MemberID, 1); code != want[i] {
			t.Fatalf("heartbeat of member %d: %v, want %v", i, code, want[i])
		}
	}
	h.wantState("group-id", spec.PreparingRebalance, 1)
}

// GMMT.testRebalanceDoesNotTimeOutWhenAllSyncAreReceived.
func TestKafka_testRebalanceDoesNotTimeOutWhenAllSyncAreReceived(t *testing.T) {
	h := newKafkaHarness(t)
	joins := h.joinWithNMembers("group-id", 3, 5000, 5000)
	h.sleep(2500)
	for i, j := range joins {
		h.hb("group-id", j.MemberID, 1)
		s := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: j.MemberID, GenerationID: 1})
		if i == 0 {
			h.wantRecordOfGroup("group-id")
		} else {
			h.wantNoRecords()
		}
		s.wantSyncError(spec.None)
	}
	for range 2 {
		h.sleep(2500)
		h.wantNoRecords()
		for _, j := range joins {
			if code := h.hb("group-id", j.MemberID, 1); code != spec.None {
				t.Fatalf("heartbeat %v", code)
			}
		}
	}
	h.wantState("group-id", spec.Stable, 1)
}

// GCST.testSyncGroupInvalidGroupId, with the same check GroupCoordinatorService
// makes for Heartbeat and LeaveGroup (isGroupIdNotEmpty).
func TestKafka_testSyncGroupInvalidGroupId(t *testing.T) {
	h := newKafkaHarness(t)
	h.sendSync(spec.SyncGroupRequest{}).wantSyncError(spec.InvalidGroupID)
	if code := h.hb("", "", 0); code != spec.InvalidGroupID {
		t.Fatalf("heartbeat %v", code)
	}
	diff(t, &spec.LeaveGroupResponse{ErrorCode: spec.InvalidGroupID}, h.leave("", spec.LeaveGroupMember{MemberID: "m"}))
}

// GMMT.testHeartbeatUnknownGroup.
func TestKafka_testHeartbeatUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	if code := h.hb("group-id", "member-id", -1); code != spec.UnknownMemberID {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testHeartbeatDeadGroup.
func TestKafka_testHeartbeatDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("group-id")
	h.force("group-id", spec.Dead)
	if code := h.hb("group-id", "member-id", -1); code != spec.CoordinatorNotAvailable {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testHeartbeatEmptyGroup: a member of an Empty group (Kafka adds it by
// hand; here a waiting member's group is forced to Empty).
func TestKafka_testHeartbeatEmptyGroup(t *testing.T) {
	h := newKafkaHarness(t)
	c := h.joinDynamic(joinReq("group-id"))
	h.force("group-id", spec.Empty)
	if code := h.hb("group-id", h.parkedID("group-id", c), 0); code != spec.UnknownMemberID {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testHeartbeatUnknownMemberExistingGroup.
func TestKafka_testHeartbeatUnknownMemberExistingGroup(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.completeRebalance("group-id")
	if code := h.hb("group-id", "unknown-member-id", resp.GenerationID); code != spec.UnknownMemberID {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testHeartbeatDuringPreparingRebalance.
func TestKafka_testHeartbeatDuringPreparingRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	c := h.joinDynamic(joinReq("group-id"))
	h.wantState("group-id", spec.PreparingRebalance, 0)
	if code := h.hb("group-id", h.parkedID("group-id", c), 0); code != spec.RebalanceInProgress {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testHeartbeatDuringCompletingRebalance.
func TestKafka_testHeartbeatDuringCompletingRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.joinAndCompleteJoin(joinReq("group-id"))
	h.wantState("group-id", spec.CompletingRebalance, 1)
	if code := h.hb("group-id", resp.MemberID, resp.GenerationID); code != spec.None {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testHeartbeatIllegalGeneration.
func TestKafka_testHeartbeatIllegalGeneration(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.completeRebalance("group-id")
	if code := h.hb("group-id", resp.MemberID, resp.GenerationID+1); code != spec.IllegalGeneration {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testValidHeartbeat.
func TestKafka_testValidHeartbeat(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.completeRebalance("group-id")
	if code := h.hb("group-id", resp.MemberID, resp.GenerationID); code != spec.None {
		t.Fatalf("heartbeat %v", code)
	}
	h.wantNoRecords()
}

// GMMT.testClassicGroupMemberSessionTimeout.
func TestKafka_testClassicGroupMemberSessionTimeout(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.completeRebalance("group-id")
	h.verifySessionExpiration("group-id", 5000)
	if code := h.hb("group-id", resp.MemberID, resp.GenerationID); code != spec.UnknownMemberID {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testClassicGroupMemberHeartbeatMaintainsSession.
func TestKafka_testClassicGroupMemberHeartbeatMaintainsSession(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.completeRebalance("group-id")
	for range 2 {
		h.sleep(2500)
		if code := h.hb("group-id", resp.MemberID, resp.GenerationID); code != spec.None {
			t.Fatalf("heartbeat %v", code)
		}
	}
}

// GMMT.testClassicGroupMemberSessionTimeoutDuringRebalance: a member that
// does not rejoin expires even though its heartbeats got
// REBALANCE_IN_PROGRESS (which extend the session); its removal completes the
// join.
func TestKafka_testClassicGroupMemberSessionTimeoutDuringRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	leader := h.completeRebalance("group-id")
	other := h.joinDynamic(joinReq("group-id").rebalance(10000).session(5000))
	other.wantPending()
	h.wantState("group-id", spec.PreparingRebalance, 1)
	h.sleep(2500)
	if code := h.hb("group-id", leader.MemberID, 1); code != spec.RebalanceInProgress {
		t.Fatalf("heartbeat %v", code)
	}
	h.sleep(4999)
	h.wantMembers("group-id", leader.MemberID, h.parkedID("group-id", other))
	h.sleep(1)
	if code := h.hb("group-id", leader.MemberID, 1); code != spec.UnknownMemberID {
		t.Fatalf("heartbeat %v", code)
	}
	h.sleep(2500)
	other.joinOK()
	if h.numMembers("group-id") != 1 {
		t.Fatal("want one member")
	}
	h.wantState("group-id", spec.CompletingRebalance, 2)
}

// GMMT.testHeartbeatDuringRebalanceCausesRebalanceInProgress.
func TestKafka_testHeartbeatDuringRebalanceCausesRebalanceInProgress(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").rebalance(10000).session(5000)
	leader := h.joinAndCompleteJoin(b)
	h.joinDynamic(b).wantPending()
	if code := h.hb("group-id", leader.MemberID, leader.GenerationID); code != spec.RebalanceInProgress {
		t.Fatalf("heartbeat %v", code)
	}
}
