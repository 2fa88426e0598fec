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
	owns := func(tps ...int32) []ConsumerView {
		v := ConsumerView{Name: "c1", Alive: true, MemberID: "a"}
		for _, p := range tps {
			v.Owned = append(v.Owned, TopicPartition{Topic: "t", Partition: p})
		}
		return []ConsumerView{v}
	}
	for _, c := range []struct {
		name      string
		next      ConsumerGroupView
		consumers []ConsumerView
		want      string
	}{
		{"released after the consumer revoked", released, owns(0), ""},
		{"released while the consumer owns it", released, owns(0, 1), "released t-1 from member a, whose consumer c1 still owns it"},
		{"fenced while the consumer owns it", gone, owns(0, 1), ""},
	} {
		err := CheckConsumerReleases(revoking, c.next, c.consumers)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestCheckConsumerFencing(t *testing.T) {
	v := ConsumerGroupView{GroupID: "g", State: CGStable, Epoch: 3, AssignmentEpoch: 3,
		Members: []ConsumerMemberView{{MemberID: "m", Epoch: 3, Assigned: Assignment{"t": {0}}}}}
	tp := TopicPartition{Topic: "t"}
	commit := func(member string, epoch int32) *OffsetCommitRequest {
		return &OffsetCommitRequest{GroupID: "g", MemberID: member, GenerationID: epoch,
			Offsets: []OffsetCommitPartition{{TopicPartition: tp, Offset: 1}}}
	}
	ok := &OffsetCommitResponse{Partitions: []OffsetCommitPartitionResponse{{TopicPartition: tp}}}
	stale := &OffsetCommitResponse{Partitions: []OffsetCommitPartitionResponse{{TopicPartition: tp, ErrorCode: StaleMemberEpoch}}}
	beat := &ConsumerGroupHeartbeatRequest{GroupID: "g", MemberID: "m", MemberEpoch: 3, RebalanceTimeoutMs: -1}
	for _, c := range []struct {
		name string
		req  Request
		resp Response
		want string
	}{
		{"current epoch", commit("m", 3), ok, ""},
		{"stale epoch refused", commit("m", 2), stale, ""},
		{"stale epoch accepted", commit("m", 2), ok, "at epoch 3"},
		{"non-member accepted", commit("x", 3), ok, `"x" is not a member`},
		{"admin commit to a group with members", commit("", -1), ok, "not a member"},
		{"fetch at a stale epoch", &OffsetFetchRequest{GroupID: "g", MemberID: "m", MemberEpoch: 1}, &OffsetFetchResponse{}, "at epoch 3"},
		{"heartbeat", beat, &ConsumerGroupHeartbeatResponse{MemberID: "m", MemberEpoch: 3, Assignment: Assignment{"t": {0}}}, ""},
		{"heartbeat to a non-member", beat, &ConsumerGroupHeartbeatResponse{MemberID: "x", MemberEpoch: 3}, "not a member"},
		{"heartbeat with a wrong epoch", beat, &ConsumerGroupHeartbeatResponse{MemberID: "m", MemberEpoch: 2}, "not 2"},
		{"heartbeat granting more", beat, &ConsumerGroupHeartbeatResponse{MemberID: "m", MemberEpoch: 3, Assignment: Assignment{"t": {0, 1}}}, "grants t[0 1]"},
		{"mismatched", beat, ok, "cannot answer"},
	} {
		err := CheckConsumerFencing(v, c.req, c.resp)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
