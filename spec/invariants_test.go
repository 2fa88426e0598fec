package spec

import (
	"strings"
	"testing"
)

func tps(s ...string) []TopicPartition {
	out := make([]TopicPartition, len(s))
	for i, x := range s {
		tp, err := ParseTopicPartition(x)
		if err != nil {
			panic(err)
		}
		out[i] = tp
	}
	return out
}

func group(state GroupState, gen int32, members ...MemberView) GroupView {
	return GroupView{GroupID: "g", State: state, Generation: gen, Members: members}
}

func member(id string, topics []string, owned ...string) MemberView {
	return MemberView{MemberID: id, Topics: topics, Assignment: AssignmentOf(tps(owned...))}
}

func consumer(name, id string, gen int32, owned ...string) ConsumerView {
	return ConsumerView{Name: name, Alive: true, MemberID: id, Generation: gen, State: ClientStable, Owned: tps(owned...)}
}

// wantErr fails unless err is non-nil and mentions every fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("checker accepted a planted violation; want an error mentioning %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not mention %q", err, f)
		}
	}
}

func wantOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("checker rejected a valid case: %v", err)
	}
}

var t1 = []string{"t"}

func TestExclusiveOwnership(t *testing.T) {
	g := group(Stable, 3, member("a", t1, "t-0"), member("b", t1, "t-1"))
	ok := Snapshot{Group: g, Consumers: []ConsumerView{consumer("c1", "a", 3, "t-0"), consumer("c2", "b", 3, "t-1")}}
	wantOK(t, CheckExclusiveOwnership(ok))

	// A zombie (not a member any more) may still think it owns t-0.
	zombie := ok
	zombie.Consumers = append(zombie.Consumers, consumer("c3", "z", 2, "t-0"))
	wantOK(t, CheckExclusiveOwnership(zombie))
	// So may a crashed process.
	dead := ok
	crashed := consumer("c4", "a", 3, "t-1")
	crashed.Alive = false
	dead.Consumers = append(dead.Consumers, crashed)
	wantOK(t, CheckExclusiveOwnership(dead))

	// A member of an older generation (a static member that missed a
	// rebalance) is fenced by its generation, so it is not counted.
	stale := ok
	stale.Consumers = append(stale.Consumers, consumer("c5", "b", 2, "t-0"))
	wantOK(t, CheckExclusiveOwnership(stale))

	// Planted: two members of the current generation consume t-0.
	bad := ok
	bad.Consumers = []ConsumerView{consumer("c1", "a", 3, "t-0"), consumer("c2", "b", 3, "t-0", "t-1")}
	wantErr(t, CheckExclusiveOwnership(bad), "t-0", "c1", "c2")
}

func TestCheckAssignment(t *testing.T) {
	topics := map[string]int32{"t": 3, "u": 1}
	subs := map[string][]string{"a": {"t"}, "b": {"t", "u"}}
	good := map[string]Assignment{"a": {"t": {0, 1}}, "b": {"t": {2}, "u": {0}}}
	wantOK(t, CheckAssignment(topics, subs, good, false))

	cases := []struct {
		name  string
		plan  map[string]Assignment
		wantS []string
	}{
		{"double", map[string]Assignment{"a": {"t": {0, 1}}, "b": {"t": {1, 2}, "u": {0}}}, []string{"t-1", "both"}},
		{"missing", map[string]Assignment{"a": {"t": {0}}, "b": {"t": {2}, "u": {0}}}, []string{"t-1", "nobody"}},
		{"unsubscribed", map[string]Assignment{"a": {"t": {0, 1}, "u": {0}}, "b": {"t": {2}}}, []string{"u-0", "does not subscribe"}},
		{"out of range", map[string]Assignment{"a": {"t": {0, 1, 3}}, "b": {"t": {2}, "u": {0}}}, []string{"t-3", "3 partitions"}},
		{"no topic", map[string]Assignment{"a": {"t": {0, 1}, "x": {0}}, "b": {"t": {2}, "u": {0}}}, []string{"x-0", "does not exist"}},
		{"not a member", map[string]Assignment{"a": {"t": {0, 1, 2}}, "b": {"u": {0}}, "c": {}}, []string{"c", "not a member"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, CheckAssignment(topics, subs, c.plan, false), c.wantS...) })
	}
	// Withholding is allowed only when asked for.
	withheld := map[string]Assignment{"a": {"t": {0}}, "b": {"t": {2}, "u": {0}}}
	wantOK(t, CheckAssignment(topics, subs, withheld, true))
}

func TestCheckBalance(t *testing.T) {
	subs := map[string][]string{"a": {"t"}, "b": {"t"}}
	wantOK(t, CheckBalance(subs, map[string]Assignment{"a": {"t": {0, 1}}, "b": {"t": {2}}}))
	wantErr(t, CheckBalance(subs, map[string]Assignment{"a": {"t": {0, 1, 2}}, "b": {}}), "a holds 3", "b holds 0")
	// Different subscriptions: not judged by this rule.
	mixed := map[string][]string{"a": {"t"}, "b": {"t", "u"}}
	wantOK(t, CheckBalance(mixed, map[string]Assignment{"a": {"t": {0, 1, 2}}, "b": {}}))

	wantOK(t, CheckBalancePerTopic(mixed, map[string]Assignment{"a": {"t": {0, 1}}, "b": {"t": {2}, "u": {0, 1, 2}}}))
	wantErr(t, CheckBalancePerTopic(mixed, map[string]Assignment{"a": {"t": {0, 1, 2}}, "b": {"u": {0}}}), "topic t")
}

func TestCheckFencing(t *testing.T) {
	g := group(Stable, 4, member("a", t1, "t-0"), MemberView{MemberID: "s", InstanceID: "i1", Topics: t1})
	accepted := &OffsetCommitResponse{Partitions: []OffsetCommitPartitionResponse{{TopicPartition{"t", 0}, None}}}
	rejected := &OffsetCommitResponse{Partitions: []OffsetCommitPartitionResponse{{TopicPartition{"t", 0}, IllegalGeneration}}}
	commit := func(id string, gen int32) *OffsetCommitRequest {
		return &OffsetCommitRequest{GroupID: "g", MemberID: id, GenerationID: gen}
	}
	wantOK(t, CheckFencing(g, commit("a", 4), accepted))
	wantOK(t, CheckFencing(g, commit("a", 3), rejected))
	wantErr(t, CheckFencing(g, commit("a", 3), accepted), "generation 3")
	wantErr(t, CheckFencing(g, commit("zombie", 4), accepted), "not a member")
	wantErr(t, CheckFencing(g, &OffsetCommitRequest{MemberID: "a", GroupInstanceID: "i1", GenerationID: 4}, accepted), "instance")
	empty := group(Empty, 4)
	wantOK(t, CheckFencing(empty, commit("", -1), accepted))
	wantErr(t, CheckFencing(group(CompletingRebalance, 4, member("a", t1)), commit("a", 4), accepted), "Stable and PreparingRebalance")

	sync := &SyncGroupRequest{MemberID: "a", GenerationID: 4}
	wantOK(t, CheckFencing(g, sync, &SyncGroupResponse{Assignment: MemberAssignment{Partitions: Assignment{"t": {0}}}}))
	wantErr(t, CheckFencing(g, sync, &SyncGroupResponse{Assignment: MemberAssignment{Partitions: Assignment{"t": {0, 1}}}}), "holds")
	wantErr(t, CheckFencing(g, &SyncGroupRequest{MemberID: "gone", GenerationID: 4}, &SyncGroupResponse{}), "not a member")

	wantOK(t, CheckFencing(g, &HeartbeatRequest{MemberID: "a", GenerationID: 4}, &HeartbeatResponse{}))
	wantErr(t, CheckFencing(g, &HeartbeatRequest{MemberID: "a", GenerationID: 2}, &HeartbeatResponse{}), "generation 2")
	wantOK(t, CheckFencing(g, &HeartbeatRequest{MemberID: "a", GenerationID: 2}, &HeartbeatResponse{ErrorCode: IllegalGeneration}))

	wantErr(t, CheckFencing(g, &JoinGroupRequest{}, &JoinGroupResponse{MemberID: "a", GenerationID: 5}), "generation 5")
}

func TestOffsetsAndLedger(t *testing.T) {
	tp := TopicPartition{"t", 0}
	wantOK(t, CheckOffsetsMonotonic(map[TopicPartition]int64{tp: 5}, map[TopicPartition]int64{tp: 9}, nil))
	wantErr(t, CheckOffsetsMonotonic(map[TopicPartition]int64{tp: 9}, map[TopicPartition]int64{tp: 5}, nil), "from 9 to 5")
	wantErr(t, CheckOffsetsMonotonic(map[TopicPartition]int64{tp: 9}, map[TopicPartition]int64{}, nil), "disappeared")
	wantOK(t, CheckOffsetsMonotonic(map[TopicPartition]int64{tp: 9}, map[TopicPartition]int64{tp: 5}, map[TopicPartition]bool{tp: true}))

	var l Ledger
	wantOK(t, l.Process(tp, 0, 1000))
	wantOK(t, l.Process(tp, 850, 1100)) // 150 replayed
	if l.Duplicates != 150 || l.Processed != 1250 || l.End(tp) != 1100 {
		t.Fatalf("ledger: duplicates=%d processed=%d end=%d", l.Duplicates, l.Processed, l.End(tp))
	}
	wantErr(t, l.Process(tp, 1200, 1300), "1100..1199")
	wantOK(t, CheckCommittedProcessed(map[TopicPartition]int64{tp: 1100}, &l))
	wantErr(t, CheckCommittedProcessed(map[TopicPartition]int64{tp: 1101}, &l), "committed at 1101")
}

func TestGenerationRules(t *testing.T) {
	wantOK(t, CheckTransition(PreparingRebalance, 3, CompletingRebalance, 4))
	wantOK(t, CheckTransition(PreparingRebalance, 3, Empty, 4))
	wantOK(t, CheckTransition(Stable, 4, PreparingRebalance, 4))
	wantErr(t, CheckTransition(PreparingRebalance, 3, CompletingRebalance, 3), "not up by one")
	wantErr(t, CheckTransition(Stable, 3, PreparingRebalance, 4), "without a join")
	wantErr(t, CheckTransition(Empty, 3, Stable, 3), "never does")

	prev := Snapshot{Group: group(Stable, 4), Consumers: []ConsumerView{consumer("c1", "a", 4)}}
	next := prev
	wantOK(t, CheckGenerations(prev, next))
	next.Group = group(Stable, 3)
	wantErr(t, CheckGenerations(prev, next), "went back")
	next = Snapshot{Group: group(Stable, 4), Consumers: []ConsumerView{consumer("c1", "a", 5)}}
	wantErr(t, CheckGenerations(prev, next), "only at 4")
	prev.Group, next.Group = group(Stable, 6), group(Stable, 6)
	prev.Consumers = []ConsumerView{consumer("c1", "a", 5)}
	next.Consumers = []ConsumerView{consumer("c1", "a", 4)}
	wantErr(t, CheckGenerations(prev, next), "from generation 5 to 4")

	s := Snapshot{Group: group(Stable, 6, member("a", t1)), Consumers: []ConsumerView{consumer("c1", "a", 5)}}
	wantErr(t, CheckStableGeneration(s), "stable at 5")
	s.Consumers[0].Generation = 6
	wantOK(t, CheckStableGeneration(s))
	// A static member that missed the rebalance is exempt.
	static := Snapshot{Group: group(Stable, 6, MemberView{MemberID: "a", InstanceID: "i1"}), Consumers: []ConsumerView{consumer("c1", "a", 5)}}
	wantOK(t, CheckStableGeneration(static))
}

func TestCheckConverged(t *testing.T) {
	topics := map[string]int32{"t": 2}
	g := group(Stable, 2, member("a", t1, "t-0"), member("b", t1, "t-1"))
	s := Snapshot{Topics: topics, Group: g, Consumers: []ConsumerView{consumer("c1", "a", 2, "t-0"), consumer("c2", "b", 2, "t-1")}}
	wantOK(t, CheckConverged(s))

	notMember := s
	notMember.Consumers = append([]ConsumerView{}, s.Consumers...)
	notMember.Consumers = append(notMember.Consumers, consumer("c3", "", -1))
	wantErr(t, CheckConverged(notMember), "c3", "not a member")

	mismatch := s
	mismatch.Consumers = []ConsumerView{consumer("c1", "a", 2), consumer("c2", "b", 2, "t-1")}
	wantErr(t, CheckConverged(mismatch), "c1 consumes -")

	unassigned := s
	unassigned.Group = group(Stable, 2, member("a", t1, "t-0"), member("b", t1))
	unassigned.Consumers = []ConsumerView{consumer("c1", "a", 2, "t-0"), consumer("c2", "b", 2)}
	wantErr(t, CheckConverged(unassigned), "t-1", "nobody")

	rebalancing := s
	rebalancing.Group.State = PreparingRebalance
	wantErr(t, CheckConverged(rebalancing), "not Stable")
}
