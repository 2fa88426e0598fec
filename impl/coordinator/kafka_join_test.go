package coordinator

// Conformance tests: JoinGroup validation, group.max.size and the initial
// rebalance delay, each mirroring one test of Apache Kafka's group
// coordinator (trunk 1eb7644349cb, Oct 2024). GMMT is
// group-coordinator/src/test/java/org/apache/kafka/coordinator/group/GroupMetadataManagerTest.java,
// GCST is GroupCoordinatorServiceTest.java in the same directory.
//
// kgroup speaks JoinGroup v9: a dynamic member always gets MEMBER_ID_REQUIRED
// first (KIP-394). Kafka tests that send v3 joins are mirrored with the two
// round trips, which reach the same group states.

import (
	"strconv"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// GCST.testJoinGroupInvalidGroupId.
func TestKafka_testJoinGroupInvalidGroupId(t *testing.T) {
	h := newKafkaHarness(t)
	c := h.sendJoin(joinReq(""))
	diff(t, &spec.JoinGroupResponse{ErrorCode: spec.InvalidGroupID, GenerationID: -1}, c.join())
	if len(h.c.groups) != 0 {
		t.Fatal("a group was created")
	}
}

// GCST.testJoinGroupInvalidSessionTimeout: the session timeout must lie in
// [group.min.session.timeout.ms, group.max.session.timeout.ms] (the test's
// config: 120 and 50000; Kafka tries 119 and 50001).
func TestKafka_testJoinGroupInvalidSessionTimeout(t *testing.T) {
	cfg := kafkaTestConfig()
	cfg.MinSessionTimeoutMs, cfg.MaxSessionTimeoutMs = 120, 50000
	h := newHarness(t, cfg)
	for _, ms := range []int32{119, 50001} {
		h.sendJoin(joinReq("group-id").session(ms)).wantJoinError(spec.InvalidSessionTimeout)
	}
	for _, ms := range []int32{120, 50000} { // the bounds themselves are valid
		h.sendJoin(joinReq("group-id").session(ms)).wantJoinError(spec.MemberIDRequired)
	}
}

// GMMT.testJoinGroupUnknownMemberNewGroup.
func TestKafka_testJoinGroupUnknownMemberNewGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.sendJoin(joinReq("group-id").member("member-id")).wantJoinError(spec.UnknownMemberID)
	h.wantNoRecords()
	h.sendJoin(joinReq("group-id").member("member-id").instance("group-instance-id")).wantJoinError(spec.UnknownMemberID)
	h.wantNoRecords()
	if len(h.c.groups) != 0 {
		t.Fatal("the group was created")
	}
}

// GMMT.testClassicGroupJoinInconsistentProtocolType.
func TestKafka_testClassicGroupJoinInconsistentProtocolType(t *testing.T) {
	h := newKafkaHarness(t)
	h.joinAndCompleteJoin(joinReq("group-id"))
	h.sendJoin(joinReq("group-id").protocolType("connect")).wantJoinError(spec.InconsistentGroupProtocol)
	h.wantNoRecords()
}

// GMMT.testJoinGroupWithEmptyProtocolType.
func TestKafka_testJoinGroupWithEmptyProtocolType(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("group-id")
	b := joinReq("group-id").protocolType("")
	h.sendJoin(b).wantJoinError(spec.InconsistentGroupProtocol)
	h.wantNoRecords()
	h.sendJoin(b.instance("group-instance-id")).wantJoinError(spec.InconsistentGroupProtocol)
	h.wantNoRecords()
}

// GMMT.testJoinGroupWithEmptyGroupProtocol.
func TestKafka_testJoinGroupWithEmptyGroupProtocol(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("group-id")
	h.sendJoin(joinReq("group-id").protocols()).wantJoinError(spec.InconsistentGroupProtocol)
	h.wantNoRecords()
}

// GMMT.testJoinGroupInconsistentGroupProtocol: once the group has a member,
// a newcomer must share one of its protocols.
func TestKafka_testJoinGroupInconsistentGroupProtocol(t *testing.T) {
	h := newKafkaHarness(t)
	first := h.joinDynamic(joinReq("group-id"))
	first.wantPending()
	h.sendJoin(joinReq("group-id").protocols("roundrobin")).wantJoinError(spec.InconsistentGroupProtocol)
	h.sleep(3000)
	first.joinOK()
}

// GMMT.testJoinGroupSecondJoinInconsistentProtocol.
func TestKafka_testJoinGroupSecondJoinInconsistentProtocol(t *testing.T) {
	h := newKafkaHarness(t)
	first := h.sendJoin(joinReq("group-id"))
	first.wantJoinError(spec.MemberIDRequired)
	id := first.join().MemberID
	h.sendJoin(joinReq("group-id").member(id).protocols()).wantJoinError(spec.InconsistentGroupProtocol)
	h.wantNoRecords()
	c := h.sendJoin(joinReq("group-id").member(id))
	c.wantPending()
	h.sleep(3000)
	c.joinOK()
}

// GMMT.testJoinGroupUnknownConsumerExistingGroup.
func TestKafka_testJoinGroupUnknownConsumerExistingGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.joinAndCompleteJoin(joinReq("group-id").session(5000).rebalance(5000))
	h.sendJoin(joinReq("group-id").member("other-member-id")).wantJoinError(spec.UnknownMemberID)
	h.wantNoRecords()
}

// GMMT.testJoinGroupUnknownConsumerNewDeadGroup.
func TestKafka_testJoinGroupUnknownConsumerNewDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("group-id")
	h.force("group-id", spec.Dead)
	h.sendJoin(joinReq("group-id")).wantJoinError(spec.CoordinatorNotAvailable)
	h.wantNoRecords()
}

// GMMT.testExistingMemberJoinDeadGroup.
func TestKafka_testExistingMemberJoinDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.joinAndCompleteJoin(joinReq("group-id"))
	h.force("group-id", spec.Dead)
	h.sendJoin(joinReq("group-id")).wantJoinError(spec.CoordinatorNotAvailable)
	h.sendJoin(joinReq("group-id").member(resp.MemberID)).wantJoinError(spec.CoordinatorNotAvailable)
	h.wantNoRecords()
}

// GMMT.testJoinGroupProtocolTypeIsNotProvidedWhenAnErrorOccurs.
func TestKafka_testJoinGroupProtocolTypeIsNotProvidedWhenAnErrorOccurs(t *testing.T) {
	h := newKafkaHarness(t)
	c := h.sendJoin(joinReq("group-id").member("member-id"))
	diff(t, &spec.JoinGroupResponse{ErrorCode: spec.UnknownMemberID, GenerationID: -1, MemberID: "member-id"}, c.join())
}

// GMMT.testJoinGroupReturnsTheProtocolType.
func TestKafka_testJoinGroupReturnsTheProtocolType(t *testing.T) {
	h := newKafkaHarness(t)
	leader := h.joinDynamic(joinReq("group-id"))
	member := h.joinDynamic(joinReq("group-id"))
	leader.wantPending()
	member.wantPending()
	h.sleep(3000)
	if leader.joinOK().ProtocolType != "consumer" || member.joinOK().ProtocolType != "consumer" {
		t.Fatal("protocol type missing")
	}
}

// GMMT.testJoinGroupExistingPendingMemberWithGroupInstanceIdThrowsException:
// Kafka throws IllegalStateException, which GroupCoordinatorService answers
// UNKNOWN_SERVER_ERROR; nothing changes, so the pending member can still join.
func TestKafka_testJoinGroupExistingPendingMemberWithGroupInstanceIdThrowsException(t *testing.T) {
	h := newKafkaHarness(t)
	first := h.sendJoin(joinReq("group-id"))
	first.wantJoinError(spec.MemberIDRequired)
	id := first.join().MemberID
	h.sendJoin(joinReq("group-id").member(id).instance("group-instance-id")).wantJoinError(spec.UnknownServerError)
	h.wantMembers("group-id")
	if _, ok := h.group("group-id").pending[id]; !ok {
		t.Fatal("the pending member is gone")
	}
	h.sendJoin(joinReq("group-id").member(id)).wantPending()
	h.wantMembers("group-id", id)
}

// GMMT.testJoinGroupExistingMemberInEmptyState.
func TestKafka_testJoinGroupExistingMemberInEmptyState(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.joinAndCompleteJoin(joinReq("group-id"))
	h.force("group-id", spec.PreparingRebalance, spec.Empty)
	c := h.sendJoin(joinReq("group-id").member(resp.MemberID))
	diff(t, &spec.JoinGroupResponse{ErrorCode: spec.UnknownMemberID, GenerationID: -1, MemberID: resp.MemberID}, c.join())
	h.wantNoRecords()
}

// GMMT.testJoinGroupShouldReceiveErrorIfGroupOverMaxSize: in
// PreparingRebalance a newcomer is refused once group.max.size members wait.
func TestKafka_testJoinGroupShouldReceiveErrorIfGroupOverMaxSize(t *testing.T) {
	cfg := kafkaTestConfig()
	cfg.GroupMaxSize = 10
	h := newHarness(t, cfg)
	for range 10 {
		h.joinDynamic(joinReq("group-id")).wantPending()
	}
	c := h.sendJoin(joinReq("group-id"))
	diff(t, &spec.JoinGroupResponse{ErrorCode: spec.GroupMaxSizeReached, GenerationID: -1}, c.join())
	h.wantNoRecords()
}

func maxSizeConfig() Config {
	cfg := kafkaTestConfig()
	cfg.GroupMaxSize = 10
	cfg.InitialRebalanceDelayMs = 50
	return cfg
}

func maxSizeHarness(t *testing.T) *harness { return newHarness(t, maxSizeConfig()) }

// No Kafka test covers group.max.size in Stable; this follows
// GroupMetadataManager.acceptJoiningMember. A full Stable group refuses a
// newcomer, and also a static member rejoining without its member id (the
// check sees member id "" before the static replacement is considered), but
// takes a rejoin with a known id.
func TestKafkaSource_acceptJoiningMemberInStable(t *testing.T) {
	cfg := kafkaTestConfig()
	cfg.GroupMaxSize = 1
	h := newHarness(t, cfg)
	b := joinReq("group-id").instance("group-instance-id").session(5000)
	id := h.joinAndCompleteJoin(b).MemberID
	h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: id, GenerationID: 1}).wantSyncError(spec.None)
	h.wantState("group-id", spec.Stable, 1)
	h.sendJoin(joinReq("group-id")).wantJoinError(spec.GroupMaxSizeReached)
	h.sendJoin(b).wantJoinError(spec.GroupMaxSizeReached)
	h.wantMembers("group-id", id)
	if h.sendJoin(b.member(id)).joinOK().GenerationID != 2 {
		t.Fatal("want generation 2")
	}
}

// GMMT.testDynamicMembersJoinGroupWithMaxSizeAndRequiredKnownMember. Beyond
// Kafka's assertions: the refused pending member is no longer pending
// (ClassicGroup.remove also drops pending members), so when there is room
// again its id is unknown.
func TestKafka_testDynamicMembersJoinGroupWithMaxSizeAndRequiredKnownMember(t *testing.T) {
	h := maxSizeHarness(t)
	var ids []string
	for range 11 {
		c := h.sendJoin(joinReq("group-id"))
		c.wantJoinError(spec.MemberIDRequired)
		ids = append(ids, c.join().MemberID)
	}
	h.wantMembers("group-id")
	h.wantState("group-id", spec.Empty, 0)
	if n := len(h.group("group-id").pending); n != 11 {
		t.Fatalf("%d pending, want 11", n)
	}
	var second []*call
	for _, id := range ids {
		second = append(second, h.sendJoin(joinReq("group-id").member(id)))
	}
	second[10].wantJoinError(spec.GroupMaxSizeReached)
	h.sleep(50) // a member joined during the delay: wait another
	h.sleep(50)
	h.verifyJoinResponses(second, 10, spec.GroupMaxSizeReached)
	if h.numMembers("group-id") != 10 || len(h.group("group-id").pending) != 0 {
		t.Fatal("want 10 members and none pending")
	}
	h.wantState("group-id", spec.CompletingRebalance, 1)
	var third []*call
	for _, id := range ids {
		third = append(third, h.sendJoin(joinReq("group-id").member(id)))
	}
	h.verifyJoinResponses(third, 10, spec.GroupMaxSizeReached)

	h.leave("group-id", spec.LeaveGroupMember{MemberID: ids[0]})
	h.wantState("group-id", spec.PreparingRebalance, 1)
	h.sendJoin(joinReq("group-id").member(ids[10])).wantJoinError(spec.UnknownMemberID)
}

// GMMT.testStaticMembersJoinGroupWithMaxSize.
func TestKafka_testStaticMembersJoinGroupWithMaxSize(t *testing.T) {
	h := maxSizeHarness(t)
	var first []*call
	for i := range 11 {
		first = append(first, h.sendJoin(joinReq("group-id").instance(instanceID(i))))
	}
	if h.numMembers("group-id") != 10 || h.group("group-id").numAwaitingJoin != 10 {
		t.Fatal("want 10 members waiting")
	}
	h.wantState("group-id", spec.PreparingRebalance, 0)
	h.sleep(50)
	h.sleep(50)
	ids := h.verifyJoinResponses(first, 10, spec.GroupMaxSizeReached)
	var second []*call
	for i := range 11 {
		second = append(second, h.sendJoin(joinReq("group-id").member(ids[i]).instance(instanceID(i))))
	}
	h.verifyJoinResponses(second, 10, spec.GroupMaxSizeReached)
	if h.numMembers("group-id") != 10 || h.group("group-id").numAwaitingJoin != 0 {
		t.Fatal("want 10 members, none waiting")
	}
	h.wantState("group-id", spec.CompletingRebalance, 1)
}

func instanceID(i int) string { return "instance-id-" + strconv.Itoa(i) }

// GMMT.testDynamicMembersCanRejoinGroupWithMaxSizeWhileRebalancing.
func TestKafka_testDynamicMembersCanRejoinGroupWithMaxSizeWhileRebalancing(t *testing.T) {
	h := maxSizeHarness(t)
	var ids []string
	for range 11 {
		c := h.sendJoin(joinReq("group-id"))
		c.wantJoinError(spec.MemberIDRequired)
		ids = append(ids, c.join().MemberID)
	}
	for _, id := range ids {
		h.sendJoin(joinReq("group-id").member(id))
	}
	if h.numMembers("group-id") != 10 || h.group("group-id").numAwaitingJoin != 10 {
		t.Fatal("want 10 members waiting")
	}
	h.wantState("group-id", spec.PreparingRebalance, 0)
	var third []*call
	for _, id := range ids {
		third = append(third, h.sendJoin(joinReq("group-id").member(id)))
	}
	h.sleep(50)
	h.sleep(50)
	h.verifyJoinResponses(third, 10, spec.GroupMaxSizeReached)
	h.wantState("group-id", spec.CompletingRebalance, 1)
	if h.numMembers("group-id") != 10 || h.group("group-id").numAwaitingJoin != 0 {
		t.Fatal("want 10 members, none waiting")
	}
}

// GMMT.testLastJoiningMembersAreKickedOutWhenRejoiningGroupWithMaxSize. Kafka
// puts 12 members into the group by hand; here they come from the log of a
// coordinator with a larger group.max.size, and loading them rebalances
// (GMMT.testOnLoadedExceedGroupMaxSizeTriggersRebalance).
func TestKafka_testLastJoiningMembersAreKickedOutWhenRejoiningGroupWithMaxSize(t *testing.T) {
	rec := &GroupRecord{GroupID: "group-id", ProtocolType: "consumer", Generation: 1, Protocol: "range", Leader: "member-0"}
	var ids []string
	for i := range 12 {
		id := "member-" + strconv.Itoa(i)
		ids = append(ids, id)
		rec.Members = append(rec.Members, GroupRecordMember{MemberID: id, ClientID: "client-id", RebalanceTimeoutMs: 10000,
			SessionTimeoutMs: 5000, Subscription: protocols("range")[0].Metadata})
	}
	c, rd, err := Load(maxSizeConfig(), 0, []Record{{Group: rec}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, c: c, answers: map[callKey]spec.Response{}}
	h.absorb(rd)
	h.wantState("group-id", spec.PreparingRebalance, 1)
	var calls []*call
	for _, id := range ids {
		calls = append(calls, h.sendJoin(joinReq("group-id").member(id).rebalance(10000)))
	}
	if h.numMembers("group-id") != 10 || h.group("group-id").numAwaitingJoin != 10 {
		t.Fatal("want 10 members waiting")
	}
	h.sleep(10000)
	h.verifyJoinResponses(calls, 10, spec.GroupMaxSizeReached)
	h.wantState("group-id", spec.CompletingRebalance, 2)
	h.wantMembers("group-id", ids[:10]...)
}

// GMMT.testDelayInitialRebalanceByGroupInitialRebalanceDelayOnEmptyGroup.
func TestKafka_testDelayInitialRebalanceByGroupInitialRebalanceDelayOnEmptyGroup(t *testing.T) {
	h := newKafkaHarness(t)
	c := h.joinDynamic(joinReq("group-id"))
	h.sleep(1500)
	c.wantPending()
	h.sleep(1501)
	c.joinOK()
}

// GMMT.testResetRebalanceDelayWhenNewMemberJoinsGroupDuringInitialRebalance:
// a member arriving during the delay makes the join wait another delay.
func TestKafka_testResetRebalanceDelayWhenNewMemberJoinsGroupDuringInitialRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").rebalance(9000)
	first := h.joinDynamic(b)
	h.sleep(2999)
	second := h.joinDynamic(b)
	h.sleep(2)
	h.sleep(1501)
	first.wantPending()
	second.wantPending()
	h.sleep(1500)
	first.joinOK()
	second.joinOK()
}

// GMMT.testDelayRebalanceUptoRebalanceTimeout: the extensions stop at the
// rebalance timeout (6000 here), even while members keep arriving. Kafka's
// mock timer re-arms the second delay from the end of the sleep (3001), so
// Kafka completes at 6001; kgroup fires the first delay at its deadline (3000)
// and completes at 6000, the rebalance timeout.
func TestKafka_testDelayRebalanceUptoRebalanceTimeout(t *testing.T) {
	h := newKafkaHarness(t)
	b := joinReq("group-id").rebalance(6000)
	first := h.joinDynamic(b)
	second := h.joinDynamic(b)
	h.sleep(3000)
	third := h.joinDynamic(b)
	h.sleep(2998)
	fourth := h.joinDynamic(b) // still arriving: no further extension
	h.sleep(1)
	for _, c := range []*call{first, second, third, fourth} {
		c.wantPending()
	}
	h.sleep(1)
	for _, c := range []*call{first, second, third, fourth} {
		c.joinOK()
	}
}

// GMMT.testGenerateRecordsOnNewClassicGroup: a join that creates a group
// writes Kafka's empty group record. With a static member — the setup of
// GMMT.testGenerateRecordsOnNewClassicGroupFailureTransformsError — the record
// is the same empty one (GroupCoordinatorRecordHelpers.newEmptyGroupMetadataRecord),
// so a coordinator loading it sees an Empty group.
func TestKafka_testGenerateRecordsOnNewClassicGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.sendJoin(joinReq("group-id")).wantJoinError(spec.MemberIDRequired)
	empty := &GroupRecord{GroupID: "group-id", Members: []GroupRecordMember{}}
	diff(t, []*GroupRecord{empty}, h.wantGroupRecords(1))

	h.sendJoin(joinReq("static-group").instance("group-instance-id")).wantPending()
	empty = &GroupRecord{GroupID: "static-group", Members: []GroupRecordMember{}}
	diff(t, []*GroupRecord{empty}, h.wantGroupRecords(1))

	c, _, err := Load(h.c.cfg, h.now, h.records)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"group-id", "static-group"} {
		if v := c.Describe(id); v.State != spec.Empty || v.Generation != 0 || len(v.Members) != 0 {
			t.Fatalf("loaded %+v", v)
		}
	}
}
