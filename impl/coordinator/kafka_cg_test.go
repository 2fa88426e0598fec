package coordinator

// Conformance tests of consumer groups (KIP-848), each mirroring one test
// of Apache Kafka's GroupMetadataManagerTest (GMMT, trunk 1eb7644349cb)
// with the records Kafka expects. Kafka's tests draw member ids from
// Uuid.randomUuid and prepare the assignor's answer (MockPartitionAssignor):
// so do these (mockAssignor), with fixed ids.

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/spec"
)

func wantRecords(t *testing.T, got []Record, want ...string) {
	t.Helper()
	var lines []string
	for _, r := range got {
		lines = append(lines, r.String())
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
}

// GMMT.testMemberJoinsEmptyConsumerGroup
func TestKafkaCGMemberJoinsEmptyConsumerGroup(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6, "bar": 3})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5, "bar", 0, 1, 2)}
	if _, ok := h.c.DescribeConsumerGroup("fooup"); ok {
		t.Fatal("the group exists before anyone joined")
	}
	resp := h.beatOK(cgJoin("fooup", "m1", "foo", "bar").assignor("range").req())
	want := &spec.ConsumerGroupHeartbeatResponse{MemberID: "m1", MemberEpoch: 1, HeartbeatIntervalMs: 5000,
		Assignment: asg("foo", 0, 1, 2, 3, 4, 5, "bar", 0, 1, 2)}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Fatalf("response (-want +got):\n%s", diff)
	}
	wantRecords(t, h.last.Records,
		"cg-member fooup m1 topics=[bar foo]",
		"cg-subscription fooup bar=3 foo=6",
		"cg-epoch fooup epoch=1",
		"cg-target fooup m1=bar[0 1 2] foo[0 1 2 3 4 5]",
		"cg-target-epoch fooup epoch=1",
		"cg-current fooup m1 STABLE epoch=1 prev=0 assigned=bar[0 1 2] foo[0 1 2 3 4 5] revoking=-")
}

// GMMT.testReconciliationProcess: three members; a new one takes
// partitions the others must first revoke; it gets each only once released.
func TestKafkaCGReconciliationProcess(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6, "bar": 3})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5, "bar", 0, 1, 2)}
	h.beatOK(cgJoin("g", "m1", "foo", "bar").req())
	h.mock.plan = map[string]spec.Assignment{
		"m1": asg("foo", 0, 1, 2, "bar", 0, 1),
		"m2": asg("foo", 3, 4, 5, "bar", 2),
	}
	r2 := h.beatOK(cgJoin("g", "m2", "foo", "bar").req())
	if r2.MemberEpoch != 2 {
		t.Fatalf("m2 epoch %d, want 2", r2.MemberEpoch)
	}
	// m1 got everything at epoch 1, now must give up foo[3 4 5] bar[2].
	r1 := h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0, 1, 2, 3, 4, 5, "bar", 0, 1, 2)).req())
	if r1.MemberEpoch != 1 || !r1.Assignment.Equal(asg("foo", 0, 1, 2, "bar", 0, 1)) {
		t.Fatalf("m1: %s, want epoch 1 assigned foo[0 1 2] bar[0 1]", spec.FormatBody(r1))
	}
	if m := h.member("g", "m1"); m.State != spec.MemberUnrevokedPartitions {
		t.Fatalf("m1 state %s", m.State)
	}
	// m2 waits: its partitions are still held by m1.
	r2 = h.beatOK(cgBeat("g", "m2", 2).req())
	if m := h.member("g", "m2"); m.State != spec.MemberUnreleasedPartition || r2.MemberEpoch != 2 || m.Assigned.Len() != 0 {
		t.Fatalf("m2: %s, state %s", spec.FormatBody(r2), m.State)
	}
	// m1 revokes: it moves to epoch 2.
	r1 = h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0, 1, 2, "bar", 0, 1)).req())
	if r1.MemberEpoch != 2 || r1.Assignment != nil {
		t.Fatalf("m1 after revoking: %s", spec.FormatBody(r1))
	}
	// m2 now gets them.
	r2 = h.beatOK(cgBeat("g", "m2", 2).req())
	if !r2.Assignment.Equal(asg("foo", 3, 4, 5, "bar", 2)) {
		t.Fatalf("m2: %s", spec.FormatBody(r2))
	}
	if v, _ := h.c.DescribeConsumerGroup("g"); v.State != spec.CGStable {
		t.Fatalf("group %s", describeCGs(h.c))
	}
}

// GMMT.testStaticMemberGetsBackAssignmentUponRejoin and
// testNoGroupEpochBumpWhenStaticMemberTemporarilyLeaves.
func TestKafkaCGStaticMemberGetsBackAssignmentUponRejoin(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5)}
	h.beatOK(cgJoin("g", "m1", "foo").instance("i1").req())
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2), "m2": asg("foo", 3, 4, 5)}
	h.beatOK(cgJoin("g", "m2", "foo").instance("i2").req())
	h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0, 1, 2, 3, 4, 5)).req())
	h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0, 1, 2)).req())
	h.beatOK(cgBeat("g", "m2", 2).req())
	before, _ := h.c.DescribeConsumerGroup("g")
	leave := h.beatOK(cgBeat("g", "m2", spec.StaticLeaveEpoch).instance("i2").req())
	if leave.MemberEpoch != spec.StaticLeaveEpoch {
		t.Fatalf("static leave: %s", spec.FormatBody(leave))
	}
	wantRecords(t, h.last.Records, "cg-current g m2 STABLE epoch=-2 prev=2 assigned=foo[3 4 5] revoking=-")
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2), "m3": asg("foo", 3, 4, 5)}
	back := h.beatOK(cgJoin("g", "m3", "foo").instance("i2").req())
	after, _ := h.c.DescribeConsumerGroup("g")
	if back.MemberEpoch != before.Epoch || after.Epoch != before.Epoch || !back.Assignment.Equal(asg("foo", 3, 4, 5)) {
		t.Fatalf("rejoin: %s; group epoch %d then %d", spec.FormatBody(back), before.Epoch, after.Epoch)
	}
	if h.mock.calls != 2 {
		t.Fatalf("%d target assignments computed, want 2 (none on the rejoin)", h.mock.calls)
	}
}

// GMMT.testSessionTimeoutExpiration: the member is fenced, the group epoch
// bumps and a new target assignment follows on the next heartbeat.
func TestKafkaCGSessionTimeoutExpiration(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 3})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2)}
	h.beatOK(cgJoin("g", "m1", "foo").req())
	h.tick(45000)
	wantRecords(t, h.last.Records,
		"cg-current g m1 tombstone", "cg-target g m1 tombstone", "cg-member g m1 tombstone",
		"cg-subscription g", "cg-epoch g epoch=2")
	h.beatError(cgBeat("g", "m1", 1).req(), spec.UnknownMemberID)
}

// GMMT.testRebalanceTimeoutExpiration: a member that does not revoke in
// time is fenced.
func TestKafkaCGRebalanceTimeoutExpiration(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 3})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2)}
	h.beatOK(cgJoin("g", "m1", "foo").rebalance(12000).req())
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1), "m2": asg("foo", 2)}
	h.beatOK(cgJoin("g", "m2", "foo").req())
	h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0, 1, 2)).req())
	if m := h.member("g", "m1"); m.State != spec.MemberUnrevokedPartitions {
		t.Fatalf("m1 %s", m.State)
	}
	h.tick(11999)
	h.member("g", "m1")
	h.tick(1)
	if v, _ := h.c.DescribeConsumerGroup("g"); len(v.Members) != 1 {
		t.Fatalf("m1 not fenced: %s", describeCGs(h.c))
	}
}
