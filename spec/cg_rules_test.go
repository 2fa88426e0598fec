package spec

import (
	"strings"
	"testing"
)

func cgm(id string, state MemberState, epoch int32, assigned, revoking, target Assignment) ConsumerMemberView {
	return ConsumerMemberView{MemberID: id, State: state, Epoch: epoch, Assigned: assigned,
		PendingRevocation: revoking, Target: target}
}

func TestCheckConsumerGroup(t *testing.T) {
	a := func(ps ...int32) Assignment { return Assignment{"t": ps} }
	for _, c := range []struct {
		name string
		v    ConsumerGroupView
		want string
	}{
		{"reconciling, partitions disjoint", ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: 2, AssignmentEpoch: 2,
			Members: []ConsumerMemberView{cgm("a", MemberUnrevokedPartitions, 1, a(0), a(1), a(0)), cgm("b", MemberUnreleasedPartition, 2, nil, nil, a(1))}}, ""},
		{"a partition held twice", ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: 2, AssignmentEpoch: 2,
			Members: []ConsumerMemberView{cgm("a", MemberUnrevokedPartitions, 1, a(0), a(1), a(0)), cgm("b", MemberStable, 2, a(1), nil, a(1))}},
			"ownership: t-1 is held by a and by b"},
		{"held assigned and revoking by one member", ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: 2, AssignmentEpoch: 2,
			Members: []ConsumerMemberView{cgm("a", MemberUnrevokedPartitions, 1, a(0), a(0), a(0))}}, "held by a and by a"},
		{"two targets share a partition", ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: 2, AssignmentEpoch: 2,
			Members: []ConsumerMemberView{cgm("a", MemberStable, 2, nil, nil, a(0)), cgm("b", MemberStable, 1, nil, nil, a(0))}},
			"in the targets of a and of b"},
		{"target ahead of the group", ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: 2, AssignmentEpoch: 3}, "ahead of its epoch"},
		{"member ahead of the target", ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: 3, AssignmentEpoch: 2,
			Members: []ConsumerMemberView{cgm("a", MemberStable, 3, nil, nil, nil)}}, "ahead of the target"},
		{"stable but a member behind", ConsumerGroupView{GroupID: "g", State: CGStable, Epoch: 3, AssignmentEpoch: 3,
			Members: []ConsumerMemberView{cgm("a", MemberStable, 2, nil, nil, nil)}}, "Stable at epoch 3, but member a"},
		{"a member listed twice", ConsumerGroupView{GroupID: "g", Members: []ConsumerMemberView{{MemberID: "a"}, {MemberID: "a"}}}, "listed twice"},
	} {
		err := CheckConsumerGroup(c.v)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestCheckConsumerGroupStep(t *testing.T) {
	a := func(ps ...int32) Assignment { return Assignment{"t": ps} }
	view := func(epoch int32, ms ...ConsumerMemberView) ConsumerGroupView {
		return ConsumerGroupView{GroupID: "g", State: CGReconciling, Epoch: epoch, AssignmentEpoch: epoch, Members: ms}
	}
	// a held t-0 and t-1; the new target moves t-1 to b.
	before := view(2, cgm("a", MemberStable, 1, a(0, 1), nil, a(0)), cgm("b", MemberStable, 0, nil, nil, a(1)))
	revoking := view(2, cgm("a", MemberUnrevokedPartitions, 1, a(0), a(1), a(0)), cgm("b", MemberStable, 0, nil, nil, a(1)))
	released := view(2, cgm("a", MemberStable, 2, a(0), nil, a(0)), cgm("b", MemberStable, 0, nil, nil, a(1)))
	handed := view(2, cgm("a", MemberStable, 2, a(0), nil, a(0)), cgm("b", MemberStable, 2, a(1), nil, a(1)))
	for _, c := range []struct {
		name       string
		prev, next ConsumerGroupView
		want       string
	}{
		{"revoke", before, revoking, ""},
		{"release", revoking, released, ""},
		{"hand off", released, handed, ""},
		{"hand off before the release", revoking, view(2, cgm("a", MemberUnrevokedPartitions, 1, a(0), a(1), a(0)), cgm("b", MemberStable, 2, a(1), nil, a(1))),
			"given t-1 while a still held it"},
		{"released and handed on in one step", before, handed, ""},
		{"given outside the target", before, view(2, cgm("a", MemberStable, 1, a(0, 1), nil, a(0)), cgm("b", MemberStable, 2, a(2), nil, a(1))),
			"which its target t[1] does not hold"},
		{"revoke what the target keeps", before, view(2, cgm("a", MemberUnrevokedPartitions, 1, a(1), a(0), a(0)), cgm("b", MemberStable, 0, nil, nil, a(1))),
			"must revoke t-0, which its target t[0] keeps"},
		{"revoke what it did not hold", before, view(2, cgm("a", MemberUnrevokedPartitions, 1, a(0), a(2), a(0, 2)), cgm("b", MemberStable, 0, nil, nil, a(1))),
			"must revoke t-2, which it did not hold"},
		{"given while revoking", before, view(2, cgm("a", MemberUnrevokedPartitions, 1, a(0), a(2), a(0)), cgm("b", MemberStable, 0, nil, nil, a(1))),
			"was given t-2, which its target t[0] does not hold"},
		{"group epoch back", view(3), view(2), "went back from epoch 3"},
		{"member epoch back", released, view(2, cgm("a", MemberStable, 1, a(0), nil, a(0)), cgm("b", MemberStable, 0, nil, nil, a(1))),
			"member a went back from epoch 2 to 1"},
		{"static leave", released, view(2, cgm("a", MemberStable, StaticLeaveEpoch, a(0), nil, a(0)), cgm("b", MemberStable, 0, nil, nil, a(1))), ""},
	} {
		err := CheckConsumerGroupStep(c.prev, c.next)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// A static member rejoining under a new id takes over its predecessor's
	// partitions in one step.
	left := ConsumerGroupView{GroupID: "g", State: CGStable, Epoch: 2, AssignmentEpoch: 2,
		Members: []ConsumerMemberView{{MemberID: "a", InstanceID: "i", Epoch: StaticLeaveEpoch, Assigned: a(0), Target: a(0)}}}
	back := ConsumerGroupView{GroupID: "g", State: CGStable, Epoch: 2, AssignmentEpoch: 2,
		Members: []ConsumerMemberView{{MemberID: "a2", InstanceID: "i", Epoch: 2, Assigned: a(0), Target: a(0)}}}
	if err := CheckConsumerGroupStep(left, back); err != nil {
		t.Errorf("static rejoin: %v", err)
	}
}

func TestCheckConsumerReleases(t *testing.T) {
	a := func(ps ...int32) Assignment { return Assignment{"t": ps} }
	revoking := ConsumerGroupView{GroupID: "g", Members: []ConsumerMemberView{cgm("a", MemberUnrevokedPartitions, 1, a(0), a(1), a(0))}}
	released := ConsumerGroupView{GroupID: "g", Members: []ConsumerMemberView{cgm("a", MemberStable, 2, a(0), nil, a(0))}}
	gone := ConsumerGroupView{GroupID: "g"}
	leftForAWhile := ConsumerGroupView{GroupID: "g",
		Members: []ConsumerMemberView{cgm("a", MemberUnrevokedPartitions, StaticLeaveEpoch, a(0), nil, a(0))}}
	for _, c := range []struct {
		name    string
		next    ConsumerGroupView
		reports map[string]Assignment
		want    string
	}{
		{"released on a report without it", released, map[string]Assignment{"a": a(0)}, ""},
		{"released on a report still with it", released, map[string]Assignment{"a": a(0, 1)},
			"released t-1 from member a, which did not report giving it up"},
		{"released with no report", released, nil, "did not report giving it up"},
		{"released on another member's report", released, map[string]Assignment{"b": {}}, "did not report"},
		{"fenced", gone, nil, ""},
		{"left for a while (-2)", leftForAWhile, nil, ""},
	} {
		err := CheckConsumerReleases(revoking, c.next, c.reports)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
