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
