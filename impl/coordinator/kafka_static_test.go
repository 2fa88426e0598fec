package coordinator

// Conformance tests: static membership (KIP-345). GMMT as in
// kafka_join_test.go. kgroup answers JoinGroup as v9+ does, so where Kafka
// runs a test for both sides of supportsSkippingAssignment only the v9+ side
// is mirrored. Where Kafka's answer lists members in HashMap order, kgroup
// lists them in admission order (a replacement keeps its predecessor's place).

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

const (
	leaderInst   = "leader-instance-id"
	followerInst = "follower-instance-id"
)

// joinMember is one entry of a leader's member list, with its metadata for
// the selected protocol (toJoinResponseMembers in GMMT).
func joinMember(id, inst, topic string) spec.JoinGroupMember {
	return spec.JoinGroupMember{MemberID: id, GroupInstanceID: inst, Metadata: spec.Subscription{Topics: []string{topic}, GenerationID: -1}}
}

func fenced(memberID string) *spec.JoinGroupResponse {
	return &spec.JoinGroupResponse{ErrorCode: spec.FencedInstanceID, GenerationID: -1, MemberID: memberID}
}

// GMMT.testStaticMemberJoinAsFirstMember.
func TestKafka_testStaticMemberJoinAsFirstMember(t *testing.T) {
	h := newKafkaHarness(t)
	h.joinAndCompleteJoin(joinReq("group-id").instance("group-instance-id"))
}

// GMMT.testStaticMemberRejoinWithExplicitUnknownMemberId.
func TestKafka_testStaticMemberRejoinWithExplicitUnknownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance("group-instance-id").session(5000).rebalance(5000)
	h.joinAndCompleteJoin(b)
	h.sendJoin(b.member("unknown-member-id")).wantJoinError(spec.FencedInstanceID)
	h.wantNoRecords()
}

// GMMT.testJoinGroupReplaceStaticMember: a static member joining again with
// no member id during a rebalance takes over; the old parked join is fenced.
func TestKafka_testJoinGroupReplaceStaticMember(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance("group-instance-id").session(5000)
	old := h.sendJoin(b)
	old.wantPending()
	g := h.group("group-id")
	if g.numAwaitingJoin != 1 || h.numMembers("group-id") != 1 {
		t.Fatal("want one member waiting")
	}
	nw := h.sendJoin(b)
	h.wantNoRecords()
	nw.wantPending()
	old.wantJoinError(spec.FencedInstanceID)
	if g.numAwaitingJoin != 1 || h.numMembers("group-id") != 1 {
		t.Fatal("want one member waiting")
	}
	h.sleep(3000)
	nw.joinOK()
	if g.numAwaitingJoin != 0 || h.numMembers("group-id") != 1 {
		t.Fatal("want one member, none waiting")
	}
}

// GMMT.testReplaceStaticMemberInStableStateNoError (v9+): in Stable, with the
// selected protocol unchanged, the replacement persists the group and is
// answered at once; as the leader it gets the members but skipAssignment.
func TestKafka_testReplaceStaticMemberInStableStateNoError(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance("group-instance-id")
	old := h.joinAndCompleteJoin(b).MemberID
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: old, GenerationID: 1}).wantSyncError(spec.None)
	h.wantState("group-id", spec.Stable, 1)

	c := h.sendJoin(b.superset().rebalance(7000).session(4500))
	rec := h.wantRecordOfGroup("group-id")
	nw := h.c.Describe("group-id").Members[0].MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 1, ProtocolType: "consumer", ProtocolName: "range", Leader: nw,
		SkipAssignment: true, MemberID: nw, Members: []spec.JoinGroupMember{joinMember(nw, "group-instance-id", "foo")}}, c.join())
	if nw == old || rec.Members[0].MemberID != nw || rec.Members[0].RebalanceTimeoutMs != 7000 || rec.Members[0].SessionTimeoutMs != 4500 {
		t.Fatalf("record %+v", rec)
	}
	diff(t, protocols("range", "roundrobin"), h.group("group-id").members[nw].protocols)
	h.wantState("group-id", spec.Stable, 1)
}

// GMMT.testReplaceStaticMemberInStableStateWithUpdatedProtocolTriggersRebalance.
func TestKafka_testReplaceStaticMemberInStableStateWithUpdatedProtocolTriggersRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance("group-instance-id").superset()
	old := h.joinAndCompleteJoin(b).MemberID
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: old, GenerationID: 1}).wantSyncError(spec.None)
	c := h.sendJoin(b.protocols("roundrobin"))
	h.wantNoRecords()
	c.joinOK()
	h.wantState("group-id", spec.CompletingRebalance, 2)
	if h.numMembers("group-id") != 1 {
		t.Fatal("want one member")
	}
}

// GMMT.testReplaceStaticMemberInCompletingRebalanceStateTriggersRebalance.
func TestKafka_testReplaceStaticMemberInCompletingRebalanceStateTriggersRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance("group-instance-id")
	h.joinAndCompleteJoin(b)
	c := h.sendJoin(b)
	h.wantNoRecords()
	c.joinOK()
	h.wantState("group-id", spec.CompletingRebalance, 2)
	if h.numMembers("group-id") != 1 {
		t.Fatal("want one member")
	}
}

// GMMT.testStaticMemberFenceDuplicateRejoinedFollower.
func TestKafka_testStaticMemberFenceDuplicateRejoinedFollower(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.joinDynamic(joinReq("group-id")).wantPending()
	h.wantState("group-id", spec.PreparingRebalance, 1)
	old := h.sendJoin(joinReq("group-id").member(r.followerID).instance(followerInst))
	h.wantNoRecords()
	old.wantPending()
	h.sendJoin(joinReq("group-id").instance(followerInst))
	diff(t, fenced(r.followerID), old.join())
	h.wantState("group-id", spec.PreparingRebalance, 1)
}

// GMMT.testStaticMemberFenceDuplicateSyncingFollowerAfterMemberIdChanged: a
// replacement in CompletingRebalance fences the old member's parked sync and
// rebalances. The rejoins set session timeouts to 500 ms: the leader, which
// does not rejoin, expires 500 ms later and the replacement completes the
// join alone. (Kafka sleeps 10000; its mock timer runs that expiry at the end
// of the sleep, kgroup at the deadline.)
func TestKafka_testStaticMemberFenceDuplicateSyncingFollowerAfterMemberIdChanged(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	b := joinReq("group-id").instance(leaderInst).member(r.leaderID).superset().rebalance(10000)
	lj := h.sendJoin(b)
	lj.wantPending()
	h.wantState("group-id", spec.PreparingRebalance, 1)
	fj := h.sendJoin(b.member(r.followerID).instance(followerInst))
	h.wantNoRecords()
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.leaderID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "foo"),
			joinMember(r.followerID, followerInst, "foo")}}, lj.join())
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.followerID}, fj.join())
	h.wantState("group-id", spec.CompletingRebalance, 2)

	oldSync := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: followerInst, MemberID: r.followerID, GenerationID: 2})
	oldSync.wantPending()
	dup := h.sendJoin(b.member("").instance(followerInst))
	h.wantNoRecords()
	h.wantState("group-id", spec.PreparingRebalance, 2)
	dup.wantPending()
	oldSync.wantSyncError(spec.FencedInstanceID)

	h.sleep(500)
	id := dup.joinOK().MemberID
	if dup.join().Leader != id {
		t.Fatal("the replacement must lead")
	}
	h.wantState("group-id", spec.CompletingRebalance, 3)
	h.wantMembers("group-id", id)
}

// GMMT.testStaticMemberFenceDuplicateRejoiningFollowerAfterMemberIdChanged.
func TestKafka_testStaticMemberFenceDuplicateRejoiningFollowerAfterMemberIdChanged(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	b := joinReq("group-id").instance(leaderInst).member(r.leaderID).rebalance(10000)
	lj := h.sendJoin(b)
	lj.wantPending()
	dup := h.sendJoin(b.member("").instance(followerInst))
	h.wantNoRecords()
	newID := dup.joinOK().MemberID
	old := h.sendJoin(b.member(r.followerID).instance(followerInst))
	h.wantNoRecords()
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.leaderID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "foo"),
			joinMember(newID, followerInst, "foo")}}, lj.join())
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: newID}, dup.join())
	diff(t, fenced(r.followerID), old.join())
	h.wantState("group-id", spec.CompletingRebalance, 2)
}

// GMMT.testStaticMemberRejoinWithKnownMemberId.
func TestKafka_testStaticMemberRejoinWithKnownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").instance("group-instance-id")
	id := h.joinAndCompleteJoin(b).MemberID
	c := h.sendJoin(b.member(id))
	h.wantNoRecords()
	c.joinOK()
	h.wantState("group-id", spec.CompletingRebalance, 1)
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: "group-instance-id", MemberID: id, GenerationID: 1}).wantSyncError(spec.None)
	h.wantState("group-id", spec.Stable, 1)
}

// GMMT.testStaticMemberRejoinWithLeaderIdAndUnknownMemberId (v9+).
func TestKafka_testStaticMemberRejoinWithLeaderIdAndUnknownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	b := joinReq("group-id").instance(leaderInst).superset()
	c := h.sendJoin(b)
	h.wantRecordOfGroup("group-id")
	nw := c.joinOK().MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 1, ProtocolType: "consumer", ProtocolName: "range", Leader: nw,
		SkipAssignment: true, MemberID: nw, Members: []spec.JoinGroupMember{joinMember(nw, leaderInst, "foo"),
			joinMember(r.followerID, followerInst, "foo")}}, c.join())
	h.wantState("group-id", spec.Stable, 1)

	h.sendJoin(b.member(r.leaderID)).wantJoinError(spec.FencedInstanceID)
	h.wantNoRecords()
	sync := spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: leaderInst, MemberID: r.leaderID, GenerationID: 1}
	h.sendSync(sync).wantSyncError(spec.FencedInstanceID)
	sync.GroupInstanceID = ""
	h.sendSync(sync).wantSyncError(spec.UnknownMemberID)
	h.wantNoRecords()
}

// GMMT.testStaticMemberRejoinWithLeaderIdAndKnownMemberId: the follower's
// session (5000) expires during the leader's rebalance and the join completes
// without it. Kafka sleeps the rebalance timeout (10000); the test sleeps to
// the expiry, after which kgroup would count the leader's new 500 ms session
// from the deadline and expire it before Kafka's mock does.
func TestKafka_testStaticMemberRejoinWithLeaderIdAndKnownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	c := h.sendJoin(joinReq("group-id").instance(leaderInst).member(r.leaderID).rebalance(10000))
	c.wantPending()
	h.sleep(5000)
	h.wantMembers("group-id", r.leaderID)
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.leaderID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "foo")}}, c.join())
	h.wantState("group-id", spec.CompletingRebalance, 2)
}

// GMMT.testStaticMemberRejoinWithLeaderIdAndUnexpectedDeadGroup.
func TestKafka_testStaticMemberRejoinWithLeaderIdAndUnexpectedDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.force("group-id", spec.Dead)
	h.sendJoin(joinReq("group-id").instance(leaderInst).member(r.leaderID)).wantJoinError(spec.CoordinatorNotAvailable)
	h.wantNoRecords()
}

// GMMT.testStaticMemberRejoinWithLeaderIdAndUnexpectedEmptyGroup.
func TestKafka_testStaticMemberRejoinWithLeaderIdAndUnexpectedEmptyGroup(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.force("group-id", spec.PreparingRebalance, spec.Empty)
	h.sendJoin(joinReq("group-id").instance(leaderInst).member(r.leaderID)).wantJoinError(spec.UnknownMemberID)
	h.wantNoRecords()
}

// GMMT.testStaticMemberRejoinWithFollowerIdAndChangeOfProtocol: the leader
// does not rejoin, stays (static) and loses the leadership; the new protocol
// is the only one both support.
func TestKafka_testStaticMemberRejoinWithFollowerIdAndChangeOfProtocol(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalance("group-id", leaderInst, followerInst, 10000, 15000)
	c := h.sendJoin(joinReq("group-id").instance(followerInst).member(r.followerID).protocols("roundrobin").rebalance(10000).session(15000))
	h.wantNoRecords()
	c.wantPending()
	h.sleep(10000)
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "roundrobin", Leader: r.followerID,
		MemberID: r.followerID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "bar"),
			joinMember(r.followerID, followerInst, "foo")}}, c.join())
	h.wantState("group-id", spec.CompletingRebalance, 2)
	h.wantMembers("group-id", r.leaderID, r.followerID)
}

// GMMT.testStaticMemberRejoinWithUnknownMemberIdAndChangeOfProtocolWithSelectedProtocolChanged.
func TestKafka_testStaticMemberRejoinWithUnknownMemberIdAndChangeOfProtocolWithSelectedProtocolChanged(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalance("group-id", leaderInst, followerInst, 10000, 15000)
	c := h.sendJoin(joinReq("group-id").instance(followerInst).protocols("roundrobin").rebalance(10000).session(15000))
	h.wantNoRecords()
	c.wantPending()
	h.wantState("group-id", spec.PreparingRebalance, 1)
	h.sleep(10000)
	nw := c.joinOK().MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "roundrobin", Leader: nw,
		MemberID: nw, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "bar"),
			joinMember(nw, followerInst, "foo")}}, c.join())
	if nw == r.followerID {
		t.Fatal("want a new member id")
	}
	h.wantState("group-id", spec.CompletingRebalance, 2)
}

// GMMT.testStaticMemberRejoinWithUnknownMemberIdAndChangeOfProtocolWhileSelectProtocolUnchanged.
func TestKafka_testStaticMemberRejoinWithUnknownMemberIdAndChangeOfProtocolWhileSelectProtocolUnchanged(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	b := joinReq("group-id").instance(followerInst).protocols("range")
	c := h.sendJoin(b)
	h.wantRecordOfGroup("group-id")
	nw := c.joinOK().MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 1, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: nw}, c.join())
	h.wantState("group-id", spec.Stable, 1)
	if nw == r.followerID {
		t.Fatal("want a new member id")
	}
	h.sendJoin(b.member(r.followerID)).wantJoinError(spec.FencedInstanceID)
	h.wantNoRecords()
	sync := spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: followerInst, MemberID: r.followerID, GenerationID: 1}
	h.sendSync(sync).wantSyncError(spec.FencedInstanceID)
	sync.MemberID = nw
	s := h.sendSync(sync)
	h.wantNoRecords()
	diff(t, r.followerAssignment, s.sync().Assignment)
}

// GMMT.testStaticMemberRejoinWithKnownLeaderIdToTriggerRebalanceAndFollowerWithChangeofProtocol.
func TestKafka_testStaticMemberRejoinWithKnownLeaderIdToTriggerRebalanceAndFollowerWithChangeofProtocol(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	b := joinReq("group-id").instance(leaderInst).member(r.leaderID).superset().rebalance(10000).session(5000)
	lj := h.sendJoin(b)
	lj.wantPending()
	fj := h.sendJoin(b.instance(followerInst).member(r.followerID))
	h.wantNoRecords()
	h.wantState("group-id", spec.CompletingRebalance, 2)
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.leaderID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "foo"),
			joinMember(r.followerID, followerInst, "foo")}}, lj.join())
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.followerID}, fj.join())

	fj = h.sendJoin(b.instance(followerInst).member(r.followerID).protocols("range"))
	h.wantNoRecords()
	fj.wantPending()
	h.wantState("group-id", spec.PreparingRebalance, 2)
	h.sleep(5000) // the leader, not rejoining, expires
	diff(t, &spec.JoinGroupResponse{GenerationID: 3, ProtocolType: "consumer", ProtocolName: "range", Leader: r.followerID,
		MemberID: r.followerID, Members: []spec.JoinGroupMember{joinMember(r.followerID, followerInst, "foo")}}, fj.join())
	h.wantState("group-id", spec.CompletingRebalance, 3)
}

// GMMT.testStaticMemberRejoinAsFollowerWithUnknownMemberId.
func TestKafka_testStaticMemberRejoinAsFollowerWithUnknownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	c := h.sendJoin(joinReq("group-id").instance(followerInst).superset())
	h.wantRecordOfGroup("group-id")
	nw := c.joinOK().MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 1, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: nw}, c.join())
	h.wantState("group-id", spec.Stable, 1)
	h.wantMembers("group-id", r.leaderID, nw)
	s := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: followerInst, MemberID: nw, GenerationID: 1})
	h.wantNoRecords()
	s.wantSyncError(spec.None)
	diff(t, r.followerAssignment, s.sync().Assignment)
}

// GMMT.testStaticMemberRejoinAsFollowerWithKnownMemberIdAndNoProtocolChange.
func TestKafka_testStaticMemberRejoinAsFollowerWithKnownMemberIdAndNoProtocolChange(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	c := h.sendJoin(joinReq("group-id").instance(followerInst).member(r.followerID).superset())
	h.wantNoRecords()
	diff(t, &spec.JoinGroupResponse{GenerationID: 1, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.followerID}, c.join())
	h.wantState("group-id", spec.Stable, 1)
	h.wantMembers("group-id", r.leaderID, r.followerID)
}

// GMMT.testStaticMemberRejoinAsFollowerWithMismatchedInstanceId.
func TestKafka_testStaticMemberRejoinAsFollowerWithMismatchedInstanceId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.sendJoin(joinReq("group-id").instance(leaderInst).member(r.followerID).superset()).wantJoinError(spec.FencedInstanceID)
	h.wantNoRecords()
}

// GMMT.testStaticMemberRejoinAsLeaderWithMismatchedInstanceId.
func TestKafka_testStaticMemberRejoinAsLeaderWithMismatchedInstanceId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.sendJoin(joinReq("group-id").instance(followerInst).member(r.leaderID).superset()).wantJoinError(spec.FencedInstanceID)
	h.wantNoRecords()
}

// GMMT.testStaticMemberSyncAsLeaderWithInvalidMemberId.
func TestKafka_testStaticMemberSyncAsLeaderWithInvalidMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: followerInst, MemberID: "invalid-member-id"}).wantSyncError(spec.FencedInstanceID)
	h.wantNoRecords()
}

// GMMT.testGetDifferentStaticMemberIdAfterEachRejoin: kgroup's ids are
// "<instance id>-<n>" with a coordinator-wide n, never reused.
func TestKafka_testGetDifferentStaticMemberIdAfterEachRejoin(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	last := r.leaderID
	for range 5 {
		c := h.sendJoin(joinReq("group-id").instance(leaderInst).superset())
		h.wantRecordOfGroup("group-id")
		id := c.joinOK().MemberID
		if id != h.group("group-id").static[leaderInst] || id == last {
			t.Fatalf("member id %s after %s", id, last)
		}
		last = id
	}
}

// GMMT.testStaticMemberJoinWithUnknownInstanceIdAndKnownMemberId.
func TestKafka_testStaticMemberJoinWithUnknownInstanceIdAndKnownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.sendJoin(joinReq("group-id").instance("unknown-instance-id").member(r.leaderID).superset()).wantJoinError(spec.UnknownMemberID)
	h.wantNoRecords()
}

// GMMT.testStaticMemberFollowerFailToRejoinBeforeRebalanceTimeout.
func TestKafka_testStaticMemberFollowerFailToRejoinBeforeRebalanceTimeout(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalance("group-id", leaderInst, followerInst, 10000, 15000)
	b := joinReq("group-id").instance("new-member-instance-id").superset()
	nm := h.sendJoin(b)
	nm.wantPending()
	h.wantState("group-id", spec.PreparingRebalance, 1)
	lj := h.sendJoin(b.instance(leaderInst).member(r.leaderID))
	lj.wantPending()
	h.sleep(10000)
	nw := nm.joinOK().MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: r.leaderID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "foo"),
			joinMember(r.followerID, followerInst, "foo"), joinMember(nw, "new-member-instance-id", "foo")}}, lj.join())
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.leaderID,
		MemberID: nw}, nm.join())
	h.wantState("group-id", spec.CompletingRebalance, 2)
}

// GMMT.testStaticMemberLeaderFailToRejoinBeforeRebalanceTimeout: the new
// leader is a member that rejoined — Kafka's first in HashMap order (the test
// accepts either), kgroup's first in admission order: the old follower.
func TestKafka_testStaticMemberLeaderFailToRejoinBeforeRebalanceTimeout(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalance("group-id", leaderInst, followerInst, 10000, 15000)
	b := joinReq("group-id").instance("new-member-instance-id").superset()
	nm := h.sendJoin(b)
	fj := h.sendJoin(b.instance(followerInst).member(r.followerID))
	fj.wantPending()
	h.sleep(10000)
	nw := nm.joinOK().MemberID
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.followerID,
		MemberID: r.followerID, Members: []spec.JoinGroupMember{joinMember(r.leaderID, leaderInst, "foo"),
			joinMember(r.followerID, followerInst, "foo"), joinMember(nw, "new-member-instance-id", "foo")}}, fj.join())
	diff(t, &spec.JoinGroupResponse{GenerationID: 2, ProtocolType: "consumer", ProtocolName: "range", Leader: r.followerID,
		MemberID: nw}, nm.join())
	h.wantState("group-id", spec.CompletingRebalance, 2)
}

// GMMT.testStaticMemberHeartbeatLeaderWithInvalidMemberId.
func TestKafka_testStaticMemberHeartbeatLeaderWithInvalidMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: leaderInst, MemberID: r.leaderID, GenerationID: 1}).wantSyncError(spec.None)
	h.wantNoRecords()
	if code := h.hb("group-id", r.leaderID, 1); code != spec.None {
		t.Fatalf("heartbeat %v", code)
	}
	code := h.heartbeat(spec.HeartbeatRequest{GroupID: "group-id", GroupInstanceID: leaderInst, MemberID: "invalid-member-id", GenerationID: 1})
	if code != spec.FencedInstanceID {
		t.Fatalf("heartbeat %v", code)
	}
}

// No Kafka test covers this; it follows from the source. A static member
// replaced in Stable before it synced leaves its old id among the members
// Kafka waits a sync from (ClassicGroup.replaceStaticMember does not touch
// pendingSyncMembers), the new member's sync does not remove it, and at the
// sync timeout GroupMetadataManager.expirePendingSync removes nobody but
// still rebalances the group.
func TestKafkaSource_expirePendingSyncAfterStaticMemberReplaced(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").superset().rebalance(10000).session(30000)
	leader := h.sendJoin(b.instance(leaderInst))
	follower := h.sendJoin(b.instance(followerInst))
	h.runUntil(follower.done)
	l, f := leader.joinOK(), follower.joinOK()
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: l.MemberID, GenerationID: 1,
		Assignments: []spec.SyncGroupAssignment{assignTo(l.MemberID, "foo", 0), assignTo(f.MemberID, "foo", 1)}}).wantSyncError(spec.None)
	h.wantState("group-id", spec.Stable, 1)

	nw := h.sendJoin(b.instance(followerInst)).joinOK().MemberID // replaced before it synced
	s := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: followerInst, MemberID: nw, GenerationID: 1})
	diff(t, spec.Assignment{"foo": {1}}, s.sync().Assignment.Partitions)
	h.runUntil(func() bool { return h.c.Describe("group-id").State != spec.Stable })
	h.wantState("group-id", spec.PreparingRebalance, 1)
	h.wantMembers("group-id", l.MemberID, nw)
	if h.now != 6000+10000 {
		t.Fatalf("rebalanced at %d, want the sync timeout 16000", h.now)
	}
}
