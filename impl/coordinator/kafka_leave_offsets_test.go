package coordinator

// Conformance tests: LeaveGroup, OffsetCommit and OffsetFetch. GMMT and CGT as
// in kafka_join_test.go; OMMT is
// group-coordinator/src/test/java/org/apache/kafka/coordinator/group/OffsetMetadataManagerTest.java.
// Kafka throws UnknownMemberIdException for a LeaveGroup to an unknown group;
// GroupCoordinatorService turns it into per-member UNKNOWN_MEMBER_ID, which is
// what kgroup answers.

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

func left(ms ...spec.LeaveGroupMemberResponse) *spec.LeaveGroupResponse {
	return &spec.LeaveGroupResponse{Members: ms}
}

// GMMT.testPendingMembersLeaveGroup: the pending member was the last one the
// join waited for.
func TestKafka_testPendingMembersLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	p := h.setupGroupWithPendingMember("group-id")
	r := h.leave("group-id", spec.LeaveGroupMember{MemberID: p.pendingID})
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: p.pendingID}), r)
	h.wantNoRecords()
	h.wantState("group-id", spec.CompletingRebalance, 3)
	h.wantMembers("group-id", p.leaderID, p.followerID)
	if len(h.group("group-id").pending) != 0 {
		t.Fatal("still pending")
	}
}

// GMMT.testLeaveGroupInvalidGroup.
func TestKafka_testLeaveGroupInvalidGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("group-id")
	diff(t, left(), h.leave("invalid-group-id"))
}

// GMMT.testLeaveGroupUnknownGroup.
func TestKafka_testLeaveGroupUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: "member-id", ErrorCode: spec.UnknownMemberID}),
		h.leave("unknown-group-id", spec.LeaveGroupMember{MemberID: "member-id"}))
}

// GMMT.testLeaveGroupUnknownMemberIdExistingGroup.
func TestKafka_testLeaveGroupUnknownMemberIdExistingGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.joinAndCompleteJoin(joinReq("group-id"))
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: "unknown-member-id", ErrorCode: spec.UnknownMemberID}),
		h.leave("group-id", spec.LeaveGroupMember{MemberID: "unknown-member-id"}))
	h.wantNoRecords()
}

// GMMT.testLeaveDeadGroup.
func TestKafka_testLeaveDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("group-id")
	h.force("group-id", spec.Dead)
	diff(t, &spec.LeaveGroupResponse{ErrorCode: spec.CoordinatorNotAvailable}, h.leave("group-id", spec.LeaveGroupMember{MemberID: "member-id"}))
	h.wantNoRecords()
}

// GMMT.testValidLeaveGroup: the last member leaves; the group is Empty at the
// next generation and a record says so.
func TestKafka_testValidLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.joinAndCompleteJoin(joinReq("group-id"))
	r := h.leave("group-id", spec.LeaveGroupMember{MemberID: resp.MemberID})
	rec := h.wantRecordOfGroup("group-id")
	if rec.Generation != 2 || len(rec.Members) != 0 {
		t.Fatalf("record %+v", rec)
	}
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: resp.MemberID}), r)
	h.wantState("group-id", spec.Empty, 2)
}

// GMMT.testLeaveGroupWithFencedInstanceId.
func TestKafka_testLeaveGroupWithFencedInstanceId(t *testing.T) {
	h := newKafkaHarness(t)
	h.joinAndCompleteJoin(joinReq("group-id").instance("group-instance-id"))
	r := h.leave("group-id", spec.LeaveGroupMember{MemberID: "other-member-id", GroupInstanceID: "group-instance-id"})
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: "other-member-id", GroupInstanceID: "group-instance-id",
		ErrorCode: spec.FencedInstanceID}), r)
	h.wantNoRecords()
}

// GMMT.testLeaveGroupStaticMemberWithUnknownMemberId: the admin path removes
// a static member by instance id alone.
func TestKafka_testLeaveGroupStaticMemberWithUnknownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	h.joinAndCompleteJoin(joinReq("group-id").instance("group-instance-id"))
	r := h.leave("group-id", spec.LeaveGroupMember{GroupInstanceID: "group-instance-id"})
	diff(t, left(spec.LeaveGroupMemberResponse{GroupInstanceID: "group-instance-id"}), r)
	h.wantMembers("group-id")
}

// GMMT.testStaticMembersValidBatchLeaveGroup.
func TestKafka_testStaticMembersValidBatchLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	r := h.leave("group-id", spec.LeaveGroupMember{GroupInstanceID: leaderInst}, spec.LeaveGroupMember{GroupInstanceID: followerInst})
	diff(t, left(spec.LeaveGroupMemberResponse{GroupInstanceID: leaderInst}, spec.LeaveGroupMemberResponse{GroupInstanceID: followerInst}), r)
	h.wantRecordOfGroup("group-id")
	h.wantState("group-id", spec.Empty, 2)
}

// GMMT.testStaticMembersLeaveUnknownGroup.
func TestKafka_testStaticMembersLeaveUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	r := h.leave("invalid-group-id", spec.LeaveGroupMember{GroupInstanceID: leaderInst}, spec.LeaveGroupMember{GroupInstanceID: followerInst})
	diff(t, left(spec.LeaveGroupMemberResponse{GroupInstanceID: leaderInst, ErrorCode: spec.UnknownMemberID},
		spec.LeaveGroupMemberResponse{GroupInstanceID: followerInst, ErrorCode: spec.UnknownMemberID}), r)
}

// GMMT.testStaticMembersFencedInstanceBatchLeaveGroup.
func TestKafka_testStaticMembersFencedInstanceBatchLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	r := h.leave("group-id", spec.LeaveGroupMember{GroupInstanceID: leaderInst},
		spec.LeaveGroupMember{GroupInstanceID: followerInst, MemberID: "invalid-member-id"})
	diff(t, left(spec.LeaveGroupMemberResponse{GroupInstanceID: leaderInst},
		spec.LeaveGroupMemberResponse{GroupInstanceID: followerInst, MemberID: "invalid-member-id", ErrorCode: spec.FencedInstanceID}), r)
}

// GMMT.testStaticMembersUnknownInstanceBatchLeaveGroup: one member leaving a
// Stable group starts a rebalance, which writes nothing.
func TestKafka_testStaticMembersUnknownInstanceBatchLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	r0 := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	r := h.leave("group-id", spec.LeaveGroupMember{GroupInstanceID: "unknown-instance-id"}, spec.LeaveGroupMember{GroupInstanceID: followerInst})
	diff(t, left(spec.LeaveGroupMemberResponse{GroupInstanceID: "unknown-instance-id", ErrorCode: spec.UnknownMemberID},
		spec.LeaveGroupMemberResponse{GroupInstanceID: followerInst}), r)
	h.wantNoRecords()
	h.wantMembers("group-id", r0.leaderID)
	h.wantState("group-id", spec.PreparingRebalance, 1)
}

// GMMT.testPendingMemberBatchLeaveGroup.
func TestKafka_testPendingMemberBatchLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	p := h.setupGroupWithPendingMember("group-id")
	r := h.leave("group-id", spec.LeaveGroupMember{GroupInstanceID: "unknown-instance-id"}, spec.LeaveGroupMember{MemberID: p.pendingID})
	diff(t, left(spec.LeaveGroupMemberResponse{GroupInstanceID: "unknown-instance-id", ErrorCode: spec.UnknownMemberID},
		spec.LeaveGroupMemberResponse{MemberID: p.pendingID}), r)
}

// GMMT.testJoinedMemberPendingMemberBatchLeaveGroup: everyone leaves; with no
// member left the join completes into Empty.
func TestKafka_testJoinedMemberPendingMemberBatchLeaveGroup(t *testing.T) {
	h := newKafkaHarness(t)
	p := h.setupGroupWithPendingMember("group-id")
	r := h.leave("group-id", spec.LeaveGroupMember{MemberID: p.leaderID}, spec.LeaveGroupMember{MemberID: p.followerID},
		spec.LeaveGroupMember{MemberID: p.pendingID})
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: p.leaderID}, spec.LeaveGroupMemberResponse{MemberID: p.followerID},
		spec.LeaveGroupMemberResponse{MemberID: p.pendingID}), r)
	h.wantRecordOfGroup("group-id")
	h.wantState("group-id", spec.Empty, 3)
}

// GMMT.testJoinedMemberPendingMemberBatchLeaveGroupWithUnknownMember.
func TestKafka_testJoinedMemberPendingMemberBatchLeaveGroupWithUnknownMember(t *testing.T) {
	h := newKafkaHarness(t)
	p := h.setupGroupWithPendingMember("group-id")
	r := h.leave("group-id", spec.LeaveGroupMember{MemberID: p.leaderID}, spec.LeaveGroupMember{MemberID: p.followerID},
		spec.LeaveGroupMember{MemberID: p.pendingID}, spec.LeaveGroupMember{MemberID: "unknown-member-id"})
	diff(t, left(spec.LeaveGroupMemberResponse{MemberID: p.leaderID}, spec.LeaveGroupMemberResponse{MemberID: p.followerID},
		spec.LeaveGroupMemberResponse{MemberID: p.pendingID},
		spec.LeaveGroupMemberResponse{MemberID: "unknown-member-id", ErrorCode: spec.UnknownMemberID}), r)
}

var barZero = spec.TopicPartition{Topic: "bar", Partition: 0}

// commitOne commits offset 100 of bar-0.
func commitOne(group, member, instance string, gen int32) spec.OffsetCommitRequest {
	return spec.OffsetCommitRequest{GroupID: group, MemberID: member, GroupInstanceID: instance, GenerationID: gen,
		Offsets: []spec.OffsetCommitPartition{{TopicPartition: barZero, Offset: 100}}}
}

func (h *harness) wantCommit(r spec.OffsetCommitRequest, want spec.ErrorCode) {
	h.t.Helper()
	got := h.commit(r)
	diff(h.t, &spec.OffsetCommitResponse{Partitions: []spec.OffsetCommitPartitionResponse{{TopicPartition: barZero, ErrorCode: want}}}, got)
	if want != spec.None {
		h.wantNoRecords()
	}
}

// OMMT.testOffsetCommitWithUnknownGroup (OffsetCommit v9+, the version kgroup
// models; older versions get ILLEGAL_GENERATION).
func TestKafka_testOffsetCommitWithUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("foo", "member", "", 10), spec.GroupIDNotFound)
	if len(h.c.groups) != 0 {
		t.Fatal("a group was created")
	}
}

// GroupCoordinatorService.commitOffsets: an empty group id is
// INVALID_GROUP_ID, and nothing is written (a commit by the admin path, at
// generation -1, used to write an offset record of group "", which Load
// refuses: FuzzConsumerGroupHeartbeat found it).
func TestCommitWithEmptyGroupID(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("", "", "", -1), spec.InvalidGroupID)
	h.wantNoRecords()
	if len(h.c.groups) != 0 || len(h.records) != 0 {
		t.Fatalf("a group or a record was made: %d groups, %d records", len(h.c.groups), len(h.records))
	}
	if _, _, err := Load(h.c.cfg, h.now, h.records); err != nil {
		t.Fatal(err)
	}
}

// OMMT.testGenericGroupOffsetCommitWithDeadGroup.
func TestKafka_testGenericGroupOffsetCommitWithDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("foo")
	h.force("foo", spec.Dead)
	h.wantCommit(commitOne("foo", "member", "", 10), spec.CoordinatorNotAvailable)
}

// OMMT.testGenericGroupOffsetCommitWithUnknownMemberId.
func TestKafka_testGenericGroupOffsetCommitWithUnknownMemberId(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("foo")
	h.wantCommit(commitOne("foo", "member", "", 10), spec.UnknownMemberID)
}

// memberAtGeneration1 is a member of group foo at generation 1
// (CompletingRebalance); Kafka adds it by hand and calls initNextGeneration.
func (h *harness) memberAtGeneration1(instance string) string {
	h.t.Helper()
	return h.joinAndCompleteJoin(joinReq("foo").instance(instance).session(5000).rebalance(10000)).MemberID
}

// OMMT.testGenericGroupOffsetCommitWithIllegalGeneration.
func TestKafka_testGenericGroupOffsetCommitWithIllegalGeneration(t *testing.T) {
	h := newKafkaHarness(t)
	id := h.memberAtGeneration1("new-instance-id")
	h.wantCommit(commitOne("foo", id, "", 10), spec.IllegalGeneration)
}

// OMMT.testGenericGroupOffsetCommitWithUnknownInstanceId.
func TestKafka_testGenericGroupOffsetCommitWithUnknownInstanceId(t *testing.T) {
	h := newKafkaHarness(t)
	id := h.memberAtGeneration1("")
	h.wantCommit(commitOne("foo", id, "instanceid", 10), spec.UnknownMemberID)
}

// OMMT.testGenericGroupOffsetCommitWithFencedInstanceId (Kafka's test sends an
// unknown instance id, UNKNOWN_MEMBER_ID); a known instance id with another
// member id is fenced.
func TestKafka_testGenericGroupOffsetCommitWithFencedInstanceId(t *testing.T) {
	h := newKafkaHarness(t)
	id := h.memberAtGeneration1("new-instance-id")
	h.wantCommit(commitOne("foo", id, "old-instance-id", 10), spec.UnknownMemberID)
	h.wantCommit(commitOne("foo", "member", "new-instance-id", 1), spec.FencedInstanceID)
}

// OMMT.testGenericGroupOffsetCommitWhileInCompletingRebalanceState.
func TestKafka_testGenericGroupOffsetCommitWhileInCompletingRebalanceState(t *testing.T) {
	h := newKafkaHarness(t)
	id := h.memberAtGeneration1("new-instance-id")
	h.wantCommit(commitOne("foo", id, "", 1), spec.RebalanceInProgress)
}

// OMMT.testGenericGroupOffsetCommitWithoutMemberIdAndGeneration.
func TestKafka_testGenericGroupOffsetCommitWithoutMemberIdAndGeneration(t *testing.T) {
	h := newKafkaHarness(t)
	h.memberAtGeneration1("new-instance-id")
	h.wantCommit(commitOne("foo", "", "", -1), spec.UnknownMemberID)
}

// OMMT.testGenericGroupOffsetCommitMaintainsSession: in Stable a commit
// extends the member's session — and in PreparingRebalance too, as the
// comment in OffsetMetadataManager.commitOffset says (the second half).
func TestKafka_testGenericGroupOffsetCommitMaintainsSession(t *testing.T) {
	h := newKafkaHarness(t)
	resp := h.completeRebalance("foo")
	h.sleep(2500)
	h.wantCommit(commitOne("foo", resp.MemberID, "", 1), spec.None)
	h.sleep(2500)
	h.wantMembers("foo", resp.MemberID)
	h.sleep(2500)
	h.wantMembers("foo")

	resp = h.completeRebalance("bar")
	other := h.joinDynamic(joinReq("bar").rebalance(10000))
	h.wantState("bar", spec.PreparingRebalance, 1)
	h.sleep(2500)
	r := commitOne("bar", resp.MemberID, "", 1)
	h.wantCommit(r, spec.None)
	h.sleep(2500)
	h.wantMembers("bar", resp.MemberID, h.parkedID("bar", other))
	h.sleep(2500)
	other.joinOK() // the member expired; the join completes without it
	h.wantState("bar", spec.CompletingRebalance, 2)
}

// OMMT.testSimpleGroupOffsetCommit: generation -1 and no member id is a
// consumer assigning itself; the group springs into being (Empty, nothing
// but the offset written).
func TestKafka_testSimpleGroupOffsetCommit(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("foo", "", "", -1), spec.None)
	diff(t, []Record{{Offset: &OffsetRecord{GroupID: "foo", TopicPartition: barZero, Offset: 100}}}, h.last.Records)
	h.group("foo")
	h.wantState("foo", spec.Empty, 0)
}

// OMMT.testSimpleGroupOffsetCommitWithInstanceId.
func TestKafka_testSimpleGroupOffsetCommitWithInstanceId(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("foo", "", "instance-id", -1), spec.None)
	diff(t, []Record{{Offset: &OffsetRecord{GroupID: "foo", TopicPartition: barZero, Offset: 100}}}, h.last.Records)
}

// OMMT.testConsumerGroupOffsetCommitWithOffsetMetadataTooLarge (a consumer
// group there; the check is the same for classic groups): an oversized
// metadata fails its partition only. OffsetMetadataManager.isMetadataInvalid
// compares String.length() — UTF-16 code units — with
// offset.metadata.max.bytes (default 4096).
func TestKafka_testConsumerGroupOffsetCommitWithOffsetMetadataTooLarge(t *testing.T) {
	cfg := kafkaTestConfig()
	cfg.OffsetMetadataMaxBytes = 5
	h := newHarness(t, cfg)
	bar1 := spec.TopicPartition{Topic: "bar", Partition: 1}
	r := h.commit(spec.OffsetCommitRequest{GroupID: "foo", GenerationID: -1, Offsets: []spec.OffsetCommitPartition{
		{TopicPartition: barZero, Offset: 100, Metadata: "toolarge"}, {TopicPartition: bar1, Offset: 100, Metadata: "small"}}})
	diff(t, &spec.OffsetCommitResponse{Partitions: []spec.OffsetCommitPartitionResponse{
		{TopicPartition: barZero, ErrorCode: spec.OffsetMetadataTooLarge}, {TopicPartition: bar1}}}, r)
	diff(t, []Record{{Offset: &OffsetRecord{GroupID: "foo", TopicPartition: bar1, Offset: 100, Metadata: "small"}}}, h.last.Records)

	h = newKafkaHarness(t)
	for _, tc := range []struct {
		metadata string
		want     spec.ErrorCode
	}{
		{strings.Repeat("a", 4096), spec.None},
		{strings.Repeat("a", 4097), spec.OffsetMetadataTooLarge},
		{strings.Repeat("é", 4096), spec.None}, // 8192 bytes, 4096 units
		{strings.Repeat("😀", 2048), spec.None}, // a surrogate pair each: 4096 units
		{strings.Repeat("😀", 2048) + "a", spec.OffsetMetadataTooLarge},
	} {
		r := commitOne("foo", "", "", -1)
		r.Offsets[0].Metadata = tc.metadata
		if got := h.commit(r).Partitions[0].ErrorCode; got != tc.want {
			t.Fatalf("metadata of %d bytes: %v, want %v", len(tc.metadata), got, tc.want)
		}
	}
}

// CGT.testValidateOffsetCommit: the checks of ClassicGroup.validateOffsetCommit
// in order, through the coordinator. Kafka accepts a commit with the current
// generation also in PreparingRebalance.
func TestKafka_testValidateOffsetCommit(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("foo", "", "", -1), spec.None) // an admin commit to an Empty group
	id := h.memberAtGeneration1("instance-id")
	h.wantCommit(commitOne("foo", "", "", -1), spec.UnknownMemberID)
	h.wantCommit(commitOne("foo", "unknown", "unknown", -1), spec.UnknownMemberID)
	h.wantCommit(commitOne("foo", id, "unknown", -1), spec.UnknownMemberID)
	h.wantCommit(commitOne("foo", id, "instance-id", 0), spec.IllegalGeneration)
	h.wantCommit(commitOne("foo", id, "instance-id", 1), spec.RebalanceInProgress)
	h.sendSync(spec.SyncGroupRequest{GroupID: "foo", MemberID: id, GenerationID: 1}).wantSyncError(spec.None)
	h.wantCommit(commitOne("foo", id, "instance-id", 1), spec.None)
	h.prepareRebalance("foo")
	h.wantCommit(commitOne("foo", id, "instance-id", 1), spec.None)
	h.sendJoin(joinReq("foo").instance("instance-id").session(5000).rebalance(10000)).joinOK() // replaces id
	h.wantCommit(commitOne("foo", id, "instance-id", 2), spec.FencedInstanceID)
	h.force("foo", spec.Dead)
	h.wantCommit(commitOne("foo", id, "instance-id", 2), spec.CoordinatorNotAvailable)
}

func fetched(tps []spec.TopicPartition, offsets ...int64) *spec.OffsetFetchResponse {
	r := &spec.OffsetFetchResponse{}
	for i, tp := range tps {
		r.Partitions = append(r.Partitions, spec.OffsetFetchPartition{TopicPartition: tp, Offset: offsets[i]})
	}
	return r
}

var fooBar = []spec.TopicPartition{{Topic: "foo", Partition: 0}, {Topic: "foo", Partition: 1}, {Topic: "bar", Partition: 0}}

// OMMT.testGenericGroupFetchOffsetsWithDeadGroup: a Dead group's offsets read
// as never committed (-1), even where some were.
func TestKafka_testGenericGroupFetchOffsetsWithDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("group", "", "", -1), spec.None)
	h.force("group", spec.Dead)
	diff(t, fetched(fooBar, -1, -1, -1), h.fetch("group", fooBar...))
}

// OMMT.testFetchOffsetsWithUnknownGroup.
func TestKafka_testFetchOffsetsWithUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	diff(t, fetched(fooBar, -1, -1, -1), h.fetch("group", fooBar...))
	if len(h.c.groups) != 0 {
		t.Fatal("a group was created")
	}
}

// OMMT.testGenericGroupFetchAllOffsetsWithDeadGroup.
func TestKafka_testGenericGroupFetchAllOffsetsWithDeadGroup(t *testing.T) {
	h := newKafkaHarness(t)
	h.wantCommit(commitOne("group", "", "", -1), spec.None)
	h.force("group", spec.Dead)
	diff(t, &spec.OffsetFetchResponse{}, h.fetch("group"))
}

// OMMT.testFetchAllOffsetsWithUnknownGroup, and a partition never committed
// in a known group.
func TestKafka_testFetchAllOffsetsWithUnknownGroup(t *testing.T) {
	h := newKafkaHarness(t)
	diff(t, &spec.OffsetFetchResponse{}, h.fetch("group"))
	h.wantCommit(commitOne("group", "", "", -1), spec.None)
	diff(t, fetched([]spec.TopicPartition{barZero}, 100), h.fetch("group"))
	diff(t, fetched(fooBar, -1, -1, 100), h.fetch("group", fooBar...))
}

// A commit naming a partition no topic can have (topic "", partition -1)
// is refused per partition, UNKNOWN_TOPIC_OR_PARTITION, and writes no
// record: the log still loads (the fuzzers found such a record making the
// next failover fail).
func TestCommitOfImpossiblePartitionIsRefused(t *testing.T) {
	h := newKafkaHarness(t)
	bad := []spec.TopicPartition{{Topic: "", Partition: 0}, {Topic: "t", Partition: -1}}
	good := spec.TopicPartition{Topic: "t", Partition: 0}
	req := &spec.OffsetCommitRequest{GroupID: "g", GenerationID: -1}
	for _, tp := range append(bad, good) {
		req.Offsets = append(req.Offsets, spec.OffsetCommitPartition{TopicPartition: tp, Offset: 5})
	}
	resp := h.send(req).answer().(*spec.OffsetCommitResponse)
	want := []spec.ErrorCode{spec.UnknownTopicOrPartition, spec.UnknownTopicOrPartition, spec.None}
	for i, p := range resp.Partitions {
		if p.ErrorCode != want[i] {
			t.Fatalf("partition %s: %s, want %s", p.TopicPartition, p.ErrorCode, want[i])
		}
	}
	if _, _, err := Load(kafkaTestConfig(), h.now, h.records); err != nil {
		t.Fatalf("the log no longer loads: %v", err)
	}
	if o, ok := h.c.CommittedOffset("g", good); !ok || o != 5 {
		t.Fatalf("the valid partition's commit: %d, %v", o, ok)
	}
}
