package spec

import (
	"fmt"
	"testing"
)

// The rules over group views and snapshots at their edges (issue 9):
// generations one apart, every group state against every consumer state,
// the offender first, in the middle and last of unsorted lists.

func TestEdgeCheckFencing(t *testing.T) {
	static := MemberView{MemberID: "s", InstanceID: "i1", Topics: t1, Assignment: Assignment{"t": {1}}}
	view := func(state GroupState, first bool) GroupView {
		if first { // members unsorted either way round
			return group(state, 4, static, member("z", t1), member("a", t1, "t-0"))
		}
		return group(state, 4, member("z", t1), member("a", t1, "t-0"), static)
	}
	tp := TopicPartition{"t", 0}
	accepted := func(codes ...ErrorCode) *OffsetCommitResponse {
		r := &OffsetCommitResponse{}
		for _, c := range codes {
			r.Partitions = append(r.Partitions, OffsetCommitPartitionResponse{tp, c})
		}
		return r
	}
	// Each request of a current member at the group's generation, and the
	// states in which Kafka may answer it with success.
	type ask struct {
		name string
		req  func(member, instance string, gen int32) Request
		ok   func(member string, gen int32) Response
		in   []GroupState
	}
	asks := []ask{
		{"commit", func(m, i string, g int32) Request {
			return &OffsetCommitRequest{GroupID: "g", MemberID: m, GroupInstanceID: i, GenerationID: g}
		}, func(string, int32) Response { return accepted(IllegalGeneration, None) }, []GroupState{PreparingRebalance, Stable}},
		{"sync", func(m, i string, g int32) Request {
			return &SyncGroupRequest{MemberID: m, GroupInstanceID: i, GenerationID: g}
		},
			func(m string, _ int32) Response {
				a := Assignment{"t": {0}}
				if m == "s" {
					a = Assignment{"t": {1}}
				}
				return &SyncGroupResponse{Assignment: MemberAssignment{Partitions: a}}
			}, []GroupState{Stable}},
		{"heartbeat", func(m, i string, g int32) Request {
			return &HeartbeatRequest{MemberID: m, GroupInstanceID: i, GenerationID: g}
		}, func(string, int32) Response { return &HeartbeatResponse{} }, []GroupState{CompletingRebalance, Stable}},
		{"join", func(_, i string, _ int32) Request { return &JoinGroupRequest{GroupInstanceID: i} },
			func(m string, g int32) Response { return &JoinGroupResponse{MemberID: m, GenerationID: g} }, groupStates},
	}
	for _, a := range asks {
		for _, gs := range groupStates {
			for _, first := range []bool{true, false} {
				g := view(gs, first)
				name := fmt.Sprintf("%s/%s/static first=%v", a.name, gs, first)
				allowed := false
				for _, s := range a.in {
					allowed = allowed || s == gs
				}
				for _, m := range []string{"a", "s"} {
					inst := map[string]string{"a": "", "s": "i1"}[m]
					err := CheckFencing(g, a.req(m, inst, 4), a.ok(m, 4))
					if !allowed {
						wantErr(t, err, "answered with success")
						continue
					}
					wantOK(t, err)
					// A static member may omit its instance id.
					wantOK(t, CheckFencing(g, a.req(m, "", 4), a.ok(m, 4)))
					// The smallest violations: a generation one off either
					// way, a member id not (or no longer) in the group, an
					// instance id held by another member or by none.
					for _, bad := range []struct {
						member, instance string
						gen              int32
						want             string
					}{
						{m, inst, 3, "generation 3 is not the group's"},
						{m, inst, 5, "generation 5 is not the group's"},
						{"b", inst, 4, `"b" is not a member`},
						{"", "", 4, `"" is not a member`},
						{map[string]string{"a": "z", "s": "a"}[m], "i1", 4, "instance \"i1\" is not held by"},
						{m, "i2", 4, "instance \"i2\" is not held by " + m},
					} {
						t.Run(name+"/"+bad.want, func(t *testing.T) {
							resp := a.ok(bad.member, bad.gen)
							if a.name == "sync" {
								resp = a.ok(m, 4)
							}
							wantErr(t, CheckFencing(g, a.req(bad.member, bad.instance, bad.gen), resp), bad.want)
						})
					}
				}
			}
		}
	}
	g := view(Stable, true)
	// An error answer grants nothing, whoever asked.
	wantOK(t, CheckFencing(g, &HeartbeatRequest{MemberID: "x", GenerationID: 9}, &HeartbeatResponse{ErrorCode: IllegalGeneration}))
	wantOK(t, CheckFencing(g, &SyncGroupRequest{MemberID: "x"}, &SyncGroupResponse{ErrorCode: RebalanceInProgress}))
	wantOK(t, CheckFencing(g, &JoinGroupRequest{}, &JoinGroupResponse{ErrorCode: UnknownMemberID, MemberID: "x"}))
	zombie := &OffsetCommitRequest{MemberID: "x", GenerationID: 3}
	wantOK(t, CheckFencing(g, zombie, accepted(IllegalGeneration, UnknownMemberID)))
	wantOK(t, CheckFencing(g, zombie, accepted()))
	// One partition accepted is a grant, wherever it is in the answer.
	for _, codes := range [][]ErrorCode{{None, IllegalGeneration, IllegalGeneration}, {IllegalGeneration, None, IllegalGeneration}, {IllegalGeneration, IllegalGeneration, None}} {
		wantErr(t, CheckFencing(g, zombie, accepted(codes...)), `"x" is not a member`)
	}
	// LeaveGroup and OffsetFetch grant nothing this rule guards.
	wantOK(t, CheckFencing(g, &LeaveGroupRequest{Members: []LeaveGroupMember{{MemberID: "x"}}}, &LeaveGroupResponse{}))
	wantOK(t, CheckFencing(g, &OffsetFetchRequest{}, &OffsetFetchResponse{}))
	// A commit of no generation: accepted only while the group is Empty
	// (ClassicGroup.validateOffsetCommit), and generation 0 is a generation.
	for _, gs := range groupStates {
		empty := group(gs, 4)
		for _, gen := range []int32{-1, -2} {
			err := CheckFencing(empty, &OffsetCommitRequest{MemberID: "", GenerationID: gen}, accepted(None))
			if gs == Empty {
				wantOK(t, err)
			} else {
				wantErr(t, err, "answered with success")
			}
		}
		wantErr(t, CheckFencing(group(gs, 0), &OffsetCommitRequest{GenerationID: 0}, accepted(None)), "answered with success")
	}
	// SyncGroup: the assignment returned is exactly the one held, no
	// partition more or fewer.
	sync := &SyncGroupRequest{MemberID: "a", GenerationID: 4}
	held := group(Stable, 4, member("a", t1, "t-0", "t-2"))
	wantOK(t, CheckFencing(held, sync, &SyncGroupResponse{Assignment: MemberAssignment{Partitions: Assignment{"t": {2, 0}}}}))
	for _, a := range []Assignment{{"t": {0}}, {"t": {2}}, {"t": {0, 1, 2}}, {"t": {0, 2}, "u": {0}}, {}} {
		wantErr(t, CheckFencing(held, sync, &SyncGroupResponse{Assignment: MemberAssignment{Partitions: a}}), "but the group holds t[0 2]")
	}
}

func TestEdgeCheckTransition(t *testing.T) {
	allowed := map[[2]GroupState]bool{
		{PreparingRebalance, Empty}: true, {Stable, PreparingRebalance}: true, {CompletingRebalance, PreparingRebalance}: true,
		{Empty, PreparingRebalance}: true, {PreparingRebalance, CompletingRebalance}: true, {CompletingRebalance, Stable}: true,
	}
	// ClassicGroup.initNextGeneration: the generation goes up when the join
	// phase ends, to CompletingRebalance or (no members) to Empty.
	joins := map[[2]GroupState]bool{{PreparingRebalance, CompletingRebalance}: true, {PreparingRebalance, Empty}: true}
	for _, from := range groupStates {
		for _, to := range groupStates {
			k := [2]GroupState{from, to}
			for _, base := range []int32{-1, 0, 7} {
				for delta := int32(-1); delta <= 2; delta++ {
					err := CheckTransition(from, base, to, base+delta)
					switch {
					case !allowed[k] && to != Dead:
						wantErr(t, err, "which Kafka never does")
					case joins[k] && delta == 1, !joins[k] && delta == 0:
						wantOK(t, err)
					case joins[k]:
						wantErr(t, err, "not up by one")
					default:
						wantErr(t, err, "without a join completing")
					}
				}
			}
		}
	}
	wantErr(t, CheckTransition(Stable, 1, GroupState(5), 1), "never does")
	wantErr(t, CheckTransition(GroupState(-1), 1, Dead, 2), "without a join")
}

func TestEdgeCheckGenerations(t *testing.T) {
	rest := []ConsumerView{consumer("c3", "c", 6), consumer("c1", "a", 4), consumer("c2", "b", -1)}
	snap := func(gen int32, cs ...ConsumerView) Snapshot {
		return Snapshot{Group: group(Stable, gen), Consumers: cs}
	}
	prevOf := func(c ConsumerView) Snapshot { return snap(6, append([]ConsumerView{c}, rest...)...) }
	// The group: the same generation, or any higher, passes; one lower fails.
	for _, d := range []int32{0, 1, 100} {
		wantOK(t, CheckGenerations(snap(6, rest...), snap(6+d, rest...)))
	}
	wantErr(t, CheckGenerations(snap(6, rest...), snap(5, rest...)), "went back from generation 6 to 5")
	// A consumer: at most the group's generation, wherever it is listed,
	// whether alive or not.
	for _, p := range placed(rest, consumer("c9", "x", 7)) {
		wantErr(t, CheckGenerations(snap(6, rest...), snap(6, p.in...)), "c9 believes it is in generation 7, but the group is only at 6")
		wantOK(t, CheckGenerations(snap(6, rest...), snap(7, p.in...)))
	}
	// A consumer that keeps its member id: one generation back is the
	// smallest violation, wherever it is listed; staying is allowed.
	for _, cs := range clientStates {
		was := inState(consumer("c9", "x", 5), cs)
		for _, p := range placed(rest, inState(consumer("c9", "x", 4), cs)) {
			wantErr(t, CheckGenerations(prevOf(was), snap(6, p.in...)), "c9 (member x) went back from generation 5 to 4")
		}
		for _, p := range placed(rest, inState(consumer("c9", "x", 5), cs)) {
			wantOK(t, CheckGenerations(prevOf(was), snap(6, p.in...)))
		}
	}
	// Going back is allowed where the generation is not the same member's:
	// a new member id, a restart (dead before or after), no generation.
	deadBefore, deadAfter := consumer("c9", "x", 5), consumer("c9", "x", 4)
	deadBefore.Alive, deadAfter.Alive = false, false
	for name, c := range map[string][2]ConsumerView{
		"new member id": {consumer("c9", "x", 5), consumer("c9", "y", 4)},
		"dead before":   {deadBefore, consumer("c9", "x", 4)},
		"dead after":    {consumer("c9", "x", 5), deadAfter},
		"reset":         {consumer("c9", "x", 5), consumer("c9", "x", -1)},
		"new consumer":  {consumer("c8", "x", 5), consumer("c9", "x", 0)},
	} {
		t.Run(name, func(t *testing.T) { wantOK(t, CheckGenerations(prevOf(c[0]), snap(6, append(rest, c[1])...))) })
	}
	// Generation 0 is a generation: going back to it from 1 fails.
	wantErr(t, CheckGenerations(prevOf(consumer("c9", "x", 1)), snap(6, consumer("c9", "x", 0))), "from generation 1 to 0")
}

func TestEdgeCheckStableGeneration(t *testing.T) {
	g := func(state GroupState) GroupView {
		return group(state, 6, member("c", t1), MemberView{MemberID: "s", InstanceID: "i1"}, member("a", t1), member("x", t1))
	}
	rest := []ConsumerView{consumer("c3", "c", 6), consumer("c1", "a", 6)}
	for _, gs := range groupStates {
		for _, cs := range clientStates {
			for _, d := range []int32{-1, 0, 1} {
				for _, p := range placed(rest, inState(consumer("c9", "x", 6+d), cs)) {
					err := CheckStableGeneration(Snapshot{Group: g(gs), Consumers: p.in})
					if gs == Stable && cs == ClientStable && d != 0 {
						wantErr(t, err, fmt.Sprintf("member x (c9) is stable at %d", 6+d))
					} else {
						wantOK(t, err)
					}
				}
			}
		}
	}
	// Exempt: a static member, a consumer the group does not count, a dead one.
	dead := consumer("c9", "x", 5)
	dead.Alive = false
	for _, c := range []ConsumerView{consumer("c9", "s", 5), consumer("c9", "gone", 5), consumer("c9", "", 5), dead} {
		wantOK(t, CheckStableGeneration(Snapshot{Group: g(Stable), Consumers: append(rest, c)}))
	}
}

// settledRun is a settled group of three members of generation 2 over t's
// three partitions, its consumers listed unsorted, one of them dead.
func settledRun() Snapshot {
	dead := consumer("c0", "gone", 1, "t-0")
	dead.Alive = false
	return Snapshot{Topics: map[string]int32{"t": 3},
		Group: group(Stable, 2, member("b", t1, "t-1"), member("a", t1, "t-0"), member("c", t1, "t-2")),
		Consumers: []ConsumerView{consumer("c3", "c", 2, "t-2"), dead, consumer("c1", "a", 2, "t-0"),
			consumer("c2", "b", 2, "t-1")}}
}

func TestEdgeCheckSettled(t *testing.T) {
	wantOK(t, CheckSettled(settledRun()))
	wantOK(t, CheckConverged(settledRun()))
	// Replace c2 (member b) by a variant, placed first, in the middle or last.
	without := func() []ConsumerView {
		s := settledRun()
		return []ConsumerView{s.Consumers[0], s.Consumers[1], s.Consumers[2]}
	}
	with := func(c ConsumerView) []placement[ConsumerView] { return placed(without(), c) }
	rejoin := consumer("c2", "b", 2, "t-1")
	rejoin.RejoinNeeded = true
	for _, c := range []struct {
		c    ConsumerView
		want string
	}{
		{consumer("c2", "x", 2, "t-1"), "c2 is alive but not a member"},
		{consumer("c2", "", -1), "c2 is alive but not a member"},
		{inState(consumer("c2", "b", 2, "t-1"), ClientUnjoined), "c2 is UNJOINED"},
		{inState(consumer("c2", "b", 2, "t-1"), ClientPreparingRebalance), "c2 is PREPARING_REBALANCE"},
		{inState(consumer("c2", "b", 2, "t-1"), ClientCompletingRebalance), "c2 is COMPLETING_REBALANCE"},
		{rejoin, "rejoin needed: true"},
		{consumer("c2", "b", 1, "t-1"), "c2 is at generation 1, the group at 2"},
		{consumer("c2", "b", 3, "t-1"), "c2 is at generation 3"},
		{consumer("c2", "b", 2), "c2 consumes - but is assigned t[1]"},
		{consumer("c2", "b", 2, "t-1", "t-2"), "c2 consumes t[1 2]"},
		{consumer("c2", "b", 2, "t-0"), "c2 consumes t[0]"},
	} {
		for _, p := range with(c.c) {
			wantErr(t, CheckSettled(Snapshot{Topics: settledRun().Topics, Group: settledRun().Group, Consumers: p.in}), c.want)
		}
	}
	for _, gs := range groupStates {
		s := settledRun()
		s.Group.State = gs
		if gs != Stable {
			wantErr(t, CheckSettled(s), fmt.Sprintf("the group is %s, not Stable", gs))
		}
	}
	// The group's members are exactly the live consumers: one member too
	// many, and two live consumers sharing one member id, both fail.
	extra := settledRun()
	extra.Group.Members = append(extra.Group.Members, member("d", t1))
	wantErr(t, CheckSettled(extra), "4 members but 3 consumers are alive")
	for _, p := range with(consumer("c4", "a", 2, "t-0")) {
		s := settledRun()
		s.Consumers = p.in
		wantErr(t, CheckSettled(s), "member a")
	}
	// The assignment held must be valid, though it may withhold partitions.
	s := settledRun()
	s.Group.Members[0].Assignment = AssignmentOf(tps("t-1", "t-3"))
	s.Consumers[3].Owned = tps("t-1", "t-3")
	wantErr(t, CheckSettled(s), "t-3 given to b, but t has 3 partitions")
	// No live consumer: settled exactly when the group is Empty with no members.
	idle := settledRun()
	for i := range idle.Consumers {
		idle.Consumers[i].Alive = false
	}
	wantErr(t, CheckSettled(idle), "no consumer is alive but the group is Stable with 3 members")
	idle.Group.State = Empty
	wantErr(t, CheckSettled(idle), "group is Empty with 3 members")
	idle.Group.Members = nil
	wantOK(t, CheckSettled(idle))
	wantOK(t, CheckConverged(idle))
	for _, gs := range []GroupState{PreparingRebalance, CompletingRebalance, Stable, Dead} {
		idle.Group.State = gs
		wantErr(t, CheckSettled(idle), fmt.Sprintf("group is %s with 0 members", gs))
	}
}

func TestEdgeCheckConverged(t *testing.T) {
	// Settled but one partition, the first or the last, withheld: not converged.
	for _, p := range []string{"t-0", "t-2"} {
		s := settledRun()
		for i, m := range s.Group.Members {
			if m.Assignment.Has(tps(p)[0]) {
				s.Group.Members[i].Assignment = Assignment{}
			}
		}
		for i, c := range s.Consumers {
			if c.Alive && len(c.Owned) > 0 && c.Owned[0] == tps(p)[0] {
				s.Consumers[i].Owned = nil
			}
		}
		wantOK(t, CheckSettled(s))
		wantErr(t, CheckConverged(s), p+" is subscribed but assigned to nobody")
	}
	// Not settled comes first.
	s := settledRun()
	s.Group.State = CompletingRebalance
	wantErr(t, CheckConverged(s), "not Stable")
}

func TestEdgeCheckSnapshot(t *testing.T) {
	s := settledRun()
	wantOK(t, CheckSnapshot(s))
	both := settledRun()
	both.Consumers = append(both.Consumers, consumer("c5", "b", 2, "t-2"))
	wantErr(t, CheckSnapshot(both), "t-2 is owned by both")
	stale := settledRun()
	stale.Consumers[3].Generation = 1
	wantErr(t, CheckSnapshot(stale), "member b (c2) is stable at 1")
	stale.Consumers = append(stale.Consumers, consumer("c5", "a", 2, "t-2"))
	wantErr(t, CheckSnapshot(stale), "t-2 is owned by both", "member b (c2) is stable at 1")
}
