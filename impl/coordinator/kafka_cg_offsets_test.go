package coordinator

// Offsets of consumer groups, mirroring OffsetMetadataManagerTest (OMMT,
// trunk 1eb7644349cb): commits and fetches fenced by the member epoch
// (ConsumerGroup.validateOffsetCommit and validateOffsetFetch); and the
// meeting points of the two group types on one group id.
//
// Not modelled, so not mirrored: transactional commits (OMMT.
// testConsumerGroupTransactionalOffsetCommit*), OffsetDelete
// (testConsumerGroupOffsetDelete*), members using the classic protocol in
// a consumer group (…WithIllegalGenerationId: ILLEGAL_GENERATION), and
// request versions (a KIP-848 member committing below v9 gets
// UNSUPPORTED_VERSION).

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/spec"
)

// emptyConsumerGroup is getOrMaybeCreatePersistedConsumerGroup(id, true):
// an Empty consumer group at epoch 0.
func emptyConsumerGroup(h *cgHarness, id string) { h.t.Helper(); h.replay(cgEpochRecord(id, 0)) }

// withMember is group.updateMember(new ConsumerGroupMember.Builder(id)
// .setMemberEpoch(epoch).setPreviousMemberEpoch(epoch)).
func withMember(h *cgHarness, group, id string, epoch int32) {
	h.t.Helper()
	m := fixtureMember{id: id, state: spec.MemberStable, epoch: epoch, prev: epoch}
	h.replay(m.memberRecord(group), m.currentRecord(group))
}

func commitBar0(group, member string, epoch int32, metadata ...string) spec.OffsetCommitRequest {
	r := spec.OffsetCommitRequest{GroupID: group, MemberID: member, GenerationID: epoch}
	for i, md := range append([]string{""}, metadata...)[min(1, len(metadata)):] {
		r.Offsets = append(r.Offsets, spec.OffsetCommitPartition{TopicPartition: spec.TopicPartition{Topic: "bar", Partition: int32(i)},
			Offset: 100, Metadata: md})
	}
	return r
}

func (h *cgHarness) wantCommit(r spec.OffsetCommitRequest, codes ...spec.ErrorCode) {
	h.t.Helper()
	resp := h.commit(r)
	h.checkReplay()
	var got []spec.ErrorCode
	for _, p := range resp.Partitions {
		got = append(got, p.ErrorCode)
	}
	if diff := cmp.Diff(codes, got); diff != "" {
		h.t.Fatalf("commit %s (-want +got):\n%s", spec.FormatBody(&r), diff)
	}
}

// fetchAs is an OffsetFetch of bar-0 (or of everything, all set) as member
// at epoch; member "" with epoch -1 is the admin client's.
func (h *cgHarness) fetchAs(group, member string, epoch int32, all bool) *spec.OffsetFetchResponse {
	h.t.Helper()
	r := &spec.OffsetFetchRequest{GroupID: group, MemberID: member, MemberEpoch: epoch}
	if !all {
		r.Partitions = []spec.TopicPartition{{Topic: "bar", Partition: 0}}
	}
	return h.send(r).answer().(*spec.OffsetFetchResponse)
}

// OMMT.testConsumerGroupOffsetCommitWithUnknownMemberId: an epoch with a
// member id the group does not know.
func TestKafkaCGOffsetCommitWithUnknownMemberId(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	emptyConsumerGroup(h, "foo")
	h.wantCommit(commitBar0("foo", "member", 10), spec.UnknownMemberID)
	h.wantLast()
}

// OMMT.testConsumerGroupOffsetCommitWithStaleMemberEpoch: the epoch must be
// the member's exactly, neither smaller nor larger.
func TestKafkaCGOffsetCommitWithStaleMemberEpoch(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	emptyConsumerGroup(h, "foo")
	withMember(h, "foo", "member", 10)
	h.wantCommit(commitBar0("foo", "member", 9), spec.StaleMemberEpoch)
	h.wantCommit(commitBar0("foo", "member", 11), spec.StaleMemberEpoch)
	h.wantLast()
}

// OMMT.testConsumerGroupOffsetCommitFromAdminClient: no member, epoch -1,
// an Empty group: accepted.
func TestKafkaCGOffsetCommitFromAdminClient(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	emptyConsumerGroup(h, "foo")
	h.wantCommit(commitBar0("foo", "", -1), spec.None)
	h.wantLast("offset foo bar-0=100")
	// Not in OMMT, from validateOffsetCommit: once the group has members,
	// the admin path is closed (the member "" is unknown).
	withMember(h, "foo", "member", 10)
	h.wantCommit(commitBar0("foo", "", -1), spec.UnknownMemberID)
}

// OMMT.testConsumerGroupOffsetCommit: the member at its epoch commits.
func TestKafkaCGOffsetCommit(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	emptyConsumerGroup(h, "foo")
	withMember(h, "foo", "member", 10)
	h.wantCommit(commitBar0("foo", "member", 10, "metadata"), spec.None)
	h.wantLast("offset foo bar-0=100")
	if o, ok := h.c.CommittedOffset("foo", spec.TopicPartition{Topic: "bar", Partition: 0}); !ok || o != 100 {
		t.Fatalf("committed %d %v", o, ok)
	}
}

// OMMT.testConsumerGroupOffsetCommitWithOffsetMetadataTooLarge: partitions
// fail one by one; the others are written.
func TestKafkaCGOffsetCommitWithOffsetMetadataTooLarge(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	h.c.cfg.OffsetMetadataMaxBytes = 5 // withOffsetMetadataMaxSize(5); replay keeps it
	emptyConsumerGroup(h, "foo")
	withMember(h, "foo", "member", 10)
	h.wantCommit(commitBar0("foo", "member", 10, "toolarge", "small"), spec.OffsetMetadataTooLarge, spec.None)
	h.wantLast("offset foo bar-1=100")
}

// offsetFetchGroup is OMMT's fetch fixture: consumer group "group" with
// member "member" at epoch 0, and offset 100 committed for bar-0
// (context.commitOffset replays the record).
func offsetFetchGroup(h *cgHarness, member bool) {
	h.t.Helper()
	emptyConsumerGroup(h, "group")
	if member {
		withMember(h, "group", "member", 0)
	}
	h.replay(Record{Offset: &OffsetRecord{GroupID: "group", TopicPartition: spec.TopicPartition{Topic: "bar", Partition: 0},
		Offset: 100, Metadata: "metadata"}})
}

func wantFetched(t *testing.T, resp *spec.OffsetFetchResponse) {
	t.Helper()
	want := &spec.OffsetFetchResponse{Partitions: []spec.OffsetFetchPartition{
		{TopicPartition: spec.TopicPartition{Topic: "bar", Partition: 0}, Offset: 100, Metadata: "metadata"}}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Fatalf("fetch (-want +got):\n%s", diff)
	}
}

func wantFetchError(t *testing.T, resp *spec.OffsetFetchResponse, code spec.ErrorCode) {
	t.Helper()
	if resp.ErrorCode != code || len(resp.Partitions) != 0 {
		t.Fatalf("fetch answered %s %v, want %s", resp.ErrorCode, resp.Partitions, code)
	}
}

// OMMT.testConsumerGroupOffsetFetchWithMemberIdAndEpoch: the member at its
// epoch reads the offsets, of one partition or all.
func TestKafkaCGOffsetFetchWithMemberIdAndEpoch(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	offsetFetchGroup(h, true)
	wantFetched(t, h.fetchAs("group", "member", 0, false))
	wantFetched(t, h.fetchAs("group", "member", 0, true))
}

// OMMT.testConsumerGroupOffsetFetchFromAdminClient: no member id and epoch
// -1 (Kafka's null and default) always read.
func TestKafkaCGOffsetFetchFromAdminClient(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	offsetFetchGroup(h, true)
	wantFetched(t, h.fetchAs("group", "", -1, false))
	wantFetched(t, h.fetchAs("group", "", -1, true))
}

// OMMT.testConsumerGroupOffsetFetchWithUnknownMemberId: a member id the
// group does not know, "" included when an epoch is given: the admin path
// is a null member id with epoch -1 only.
func TestKafkaCGOffsetFetchWithUnknownMemberId(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	offsetFetchGroup(h, false)
	for _, all := range []bool{false, true} {
		wantFetchError(t, h.fetchAs("group", "", 0, all), spec.UnknownMemberID)
		wantFetchError(t, h.fetchAs("group", "member", 0, all), spec.UnknownMemberID)
	}
}

// OMMT.testConsumerGroupOffsetFetchWithStaleMemberEpoch: another epoch than
// the member's.
func TestKafkaCGOffsetFetchWithStaleMemberEpoch(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	offsetFetchGroup(h, true)
	for _, all := range []bool{false, true} {
		wantFetchError(t, h.fetchAs("group", "member", 10, all), spec.StaleMemberEpoch)
	}
}

// A JoinGroup to a consumer group: Kafka takes a classic member into a
// non-empty consumer group (the online upgrade path,
// classicGroupJoinToConsumerGroup), which kgroup does not model: it
// answers INCONSISTENT_GROUP_PROTOCOL, as Kafka does to a member whose
// protocols the group cannot take (cg_classic.go). An Empty consumer group
// gives way: its tombstones, then a classic group (Kafka's
// classicGroupJoinToClassicGroup deletes it), offsets kept.
func TestKafkaCGJoinGroupToConsumerGroup(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 3})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2)}
	h.beatOK(cgJoin("fooup", "m1", "foo").req())
	h.wantCommit(commitBar0("fooup", "m1", 1), spec.None)
	j := h.sendJoin(joinReq("fooup").member(""))
	j.wantJoinError(spec.InconsistentGroupProtocol)
	h.wantLast()
	h.checkReplay()
	h.beatOK(cgBeat("fooup", "m1", spec.LeaveEpoch).req())
	if s := h.cgState("fooup"); s != spec.CGEmpty {
		t.Fatalf("the group is %s after its last member left", s)
	}
	j = h.sendJoin(joinReq("fooup").member(""))
	j.wantJoinError(spec.MemberIDRequired)
	// The new classic group's empty record follows (Kafka's
	// newEmptyGroupMetadataRecord for a new group).
	h.wantLast("cg-target-epoch fooup epoch=0 tombstone", "cg-subscription fooup tombstone", "cg-epoch fooup epoch=0 tombstone",
		"group fooup gen=0 protocol=- leader=-")
	h.checkReplay()
	if _, ok := h.c.DescribeConsumerGroup("fooup"); ok {
		t.Fatal("the consumer group outlived the JoinGroup")
	}
	if o, ok := h.c.CommittedOffset("fooup", spec.TopicPartition{Topic: "bar", Partition: 0}); !ok || o != 100 {
		t.Fatalf("the offsets did not survive: %d %v", o, ok)
	}
}

// A ConsumerGroupHeartbeat to a classic group: an Empty one (here made by
// an offset commit of a consumer assigning its own partitions) is replaced
// by the consumer group, its tombstone first, its offsets kept (Kafka's
// maybeDeleteEmptyClassicGroup); a non-empty one is GROUP_ID_NOT_FOUND
// (Kafka converts it when every member uses the consumer protocol, the
// online upgrade, which kgroup does not model).
func TestKafkaCGHeartbeatToClassicGroup(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 3})
	h.wantCommit(commitBar0("simple", "", -1), spec.None)
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2)}
	h.beatOK(cgJoin("simple", "m1", "foo").req())
	if r := h.last.Records[0].String(); r != "group simple tombstone" {
		t.Fatalf("first record %s, want the classic group's tombstone", r)
	}
	if o, ok := h.c.CommittedOffset("simple", spec.TopicPartition{Topic: "bar", Partition: 0}); !ok || o != 100 {
		t.Fatalf("the offsets did not survive: %d %v", o, ok)
	}
	if d := h.c.Describe("simple"); len(d.Members) != 1 {
		t.Fatalf("not the consumer group: %+v", d)
	}

	h.completeRebalance("classic")
	h.wantMessage(cgJoin("classic", "m1", "foo").req(), spec.GroupIDNotFound, "Group classic is not a consumer group")
	h.wantMessage(cgBeat("classic", "m1", 1).req(), spec.GroupIDNotFound, "Group classic is not a consumer group")
}

// A JoinGroup to an Empty consumer group loaded from a log that holds a
// target of no member (no coordinator writes one; Load takes it in, as
// Kafka's replay does): the group is deleted, the stray target tombstoned
// first. It used to write the target epoch's tombstone while the target
// was still there, which replay refuses: an internal invariant broken
// (found by FuzzConsumerGroupRecords).
func TestJoinGroupDeletesConsumerGroupWithStrayTarget(t *testing.T) {
	log := []Record{
		cgEpochRecord("g", 1),
		cgTargetRecord("g", "gone", spec.Assignment{"foo": {0}}),
		cgTargetEpochRecord("g", 1),
	}
	c, _, err := Load(DefaultConfig(), 0, log)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := c.Step(0, spec.Message{From: "x", Body: &spec.JoinGroupRequest{GroupID: "g", SessionTimeoutMs: 10000,
		RebalanceTimeoutMs: 10000, ProtocolType: "consumer", Protocols: []spec.Protocol{{Name: "range"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.DescribeConsumerGroup("g"); ok {
		t.Fatal("the consumer group outlived the JoinGroup")
	}
	log = append(log, rd.Records...)
	if _, _, err := Load(DefaultConfig(), 0, log); err != nil {
		t.Fatalf("the log written does not load: %v", err)
	}
}
