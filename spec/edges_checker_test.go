package spec

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// The Checker's rules at their edges (issue 9): each applies exactly where
// its doc says — the group it checks, the answers that grant, the consumers
// that cooperate — and keeps the first violation.

func ask(ck *Checker, at int64, from string, corr int32, req Request) {
	ck.Request(at, Message{From: from, To: CoordinatorNode, Correlation: corr, Body: req})
}

func answer(ck *Checker, at int64, after GroupView, to string, corr int32, resp Response) {
	ck.Response(at, after, Message{From: CoordinatorNode, To: to, Correlation: corr, Body: resp})
}

func joinedAs(ck *Checker, addr string, corr int32, gen int32, members ...JoinGroupMember) {
	ask(ck, 1, addr, corr, &JoinGroupRequest{GroupID: "g"})
	answer(ck, 1, group(CompletingRebalance, gen, member(addr+"-1", t1)), addr, corr,
		&JoinGroupResponse{GenerationID: gen, MemberID: addr + "-1", Leader: "c1-1", Members: members})
}

func claims(id string, owned ...string) JoinGroupMember {
	return JoinGroupMember{MemberID: id, Metadata: Subscription{Topics: t1, OwnedPartitions: tps(owned...)}}
}

func leaderPlan(ck *Checker, addr string, corr int32, plan ...SyncGroupAssignment) {
	ask(ck, 2, addr, corr, &SyncGroupRequest{GroupID: "g", MemberID: addr + "-1", GenerationID: 2, Assignments: plan})
}

func gives(id string, owned ...string) SyncGroupAssignment {
	return SyncGroupAssignment{MemberID: id, Assignment: MemberAssignment{Partitions: AssignmentOf(tps(owned...))}}
}

func TestEdgeCheckerPlans(t *testing.T) {
	moves := []SyncGroupAssignment{gives("c1-1", "t-0"), gives("c2-1", "t-1")}
	// The leader's plan is checked against the claims of its last
	// successful JoinGroup answer: t-1 moves from c1-1 to c2-1.
	ck := NewChecker("g")
	joinedAs(ck, "c1", 1, 2, claims("c1-1", "t-0", "t-1"), claims("c2-1"))
	leaderPlan(ck, "c1", 2, moves...)
	wantErr(t, ck.Err(), "at 2: cooperative: t-1 moves from c1-1 to c2-1")
	// Withholding t-1 is fine; so is a plan of another leader address.
	ck = NewChecker("g")
	joinedAs(ck, "c1", 1, 2, claims("c1-1", "t-0", "t-1"), claims("c2-1"))
	leaderPlan(ck, "c1", 2, gives("c1-1", "t-0"), gives("c2-1"))
	leaderPlan(ck, "c2", 3, moves...)
	wantOK(t, ck.Err())
	// A failed JoinGroup answer carries no claims and leaves the last ones.
	ck = NewChecker("g")
	joinedAs(ck, "c1", 1, 2, claims("c1-1", "t-0", "t-1"), claims("c2-1"))
	ask(ck, 1, "c1", 2, &JoinGroupRequest{GroupID: "g"})
	answer(ck, 1, group(PreparingRebalance, 2), "c1", 2, &JoinGroupResponse{ErrorCode: RebalanceInProgress,
		Members: []JoinGroupMember{claims("c1-1"), claims("c2-1")}})
	leaderPlan(ck, "c1", 3, moves...)
	wantErr(t, ck.Err(), "t-1 moves")
	// A follower's answer lists no members: a plan it sends anyway, which
	// the coordinator ignores (only the leader's SyncGroup assigns), is not
	// judged against the claims of a round it led.
	ck = NewChecker("g")
	joinedAs(ck, "c1", 1, 2, claims("c1-1", "t-0", "t-1"), claims("c2-1"))
	joinedAs(ck, "c1", 2, 3)
	leaderPlan(ck, "c1", 3, moves...)
	wantOK(t, ck.Err())
	// A follower's SyncGroup, with no assignments, is no plan.
	ck = NewChecker("g")
	joinedAs(ck, "c1", 1, 2, claims("c1-1", "t-0", "t-1"), claims("c2-1"))
	leaderPlan(ck, "c1", 2)
	wantOK(t, ck.Err())
}

func TestEdgeCheckerResponses(t *testing.T) {
	g := group(Stable, 2, member("c1-1", t1))
	hbReq := &HeartbeatRequest{GroupID: "g", MemberID: "c1-1", GenerationID: 2}
	// Each request is answered once: a second answer, or one to another
	// correlation id or address, was never asked.
	for i, c := range []struct {
		to   string
		corr int32
	}{{"c1", 7}, {"c1", 8}, {"c2", 7}} {
		ck := NewChecker("g")
		ask(ck, 1, "c1", 7, hbReq)
		if i == 0 {
			answer(ck, 1, g, "c1", 7, &HeartbeatResponse{})
			wantOK(t, ck.Err())
		}
		answer(ck, 2, g, c.to, c.corr, &HeartbeatResponse{})
		wantErr(t, ck.Err(), "at 2: coordinator answered", "which nobody asked")
	}
	// Fencing applies to the checker's own group only.
	ck := NewChecker("g")
	zombie := &HeartbeatRequest{GroupID: "other", MemberID: "x", GenerationID: 1}
	ask(ck, 1, "c1", 1, zombie)
	answer(ck, 1, g, "c1", 1, &HeartbeatResponse{})
	wantOK(t, ck.Err())
	zombie.GroupID = "g"
	ask(ck, 2, "c1", 2, zombie)
	answer(ck, 3, g, "c1", 2, &HeartbeatResponse{})
	wantErr(t, ck.Err(), "at 3: fencing: Heartbeat")
	// A response that is no response is refused even when a request waits.
	ck = NewChecker("g")
	ask(ck, 1, "c1", 1, hbReq)
	ck.Response(4, g, Message{To: "c1", Correlation: 1, Body: hbReq})
	wantErr(t, ck.Err(), "at 4: coordinator answered")
	// After a failover the requests the old coordinator held are forgotten.
	ck = NewChecker("g")
	ask(ck, 1, "c1", 1, hbReq)
	ck.Failover()
	answer(ck, 5, g, "c1", 1, &HeartbeatResponse{})
	wantErr(t, ck.Err(), "at 5: coordinator answered")
}

func TestEdgeCheckerRevokes(t *testing.T) {
	owned := tps("t-0", "t-1")
	synced := &SyncGroupResponse{Assignment: MemberAssignment{Partitions: Assignment{"t": {0}}}}
	view := func(p RebalanceProtocol) ConsumerView {
		return ConsumerView{Name: "c1", Alive: true, Owned: owned, Protocol: p}
	}
	deliver := func(ck *Checker, v ConsumerView, body any) {
		ck.Delivered(1, v, Message{From: CoordinatorNode, To: "c1", Body: body})
	}
	ev := func(kind EventKind, parts ...string) Event {
		return Event{At: 2, Kind: kind, Node: "c1", Partitions: tps(parts...)}
	}
	for _, c := range []struct {
		name   string
		view   ConsumerView
		body   any
		events []Event
		want   string // "" for no violation
	}{
		{"exact", view(Cooperative), synced, []Event{ev(EvRevoked, "t-1")}, ""},
		{"too much", view(Cooperative), synced, []Event{ev(EvRevoked, "t-0", "t-1")}, "must revoke t[1]"},
		{"too little", view(Cooperative), synced, []Event{ev(EvRevoked)}, "must revoke t[1]"},
		{"assigned without revoking", view(Cooperative), synced, []Event{ev(EvAssigned, "t-0")}, "revoked -"},
		{"only the first revoke counts", view(Cooperative), synced, []Event{ev(EvRevoked, "t-1"), ev(EvRevoked, "t-0")}, ""},
		{"eager revokes all", view(Eager), synced, []Event{ev(EvRevoked, "t-0", "t-1")}, ""},
		{"a failed sync", view(Cooperative), &SyncGroupResponse{ErrorCode: RebalanceInProgress}, []Event{ev(EvRevoked, "t-0")}, ""},
		{"another answer", view(Cooperative), &HeartbeatResponse{}, []Event{ev(EvRevoked, "t-0")}, ""},
		{"lost", view(Cooperative), synced, []Event{ev(EvLost, "t-0", "t-1"), ev(EvRevoked)}, ""},
		{"failed", view(Cooperative), synced, []Event{ev(EvFailed), ev(EvRevoked)}, ""},
		{"closed", view(Cooperative), synced, []Event{ev(EvClose), ev(EvRevoked)}, ""},
		{"crashed", view(Cooperative), synced, []Event{ev(EvCrash), ev(EvRevoked)}, ""},
		{"restarted", view(Cooperative), synced, []Event{ev(EvRestart), ev(EvRevoked)}, ""},
		{"another consumer", view(Cooperative), synced, []Event{{At: 2, Kind: EvRevoked, Node: "c2"}}, ""},
		{"after another consumer", view(Cooperative), synced, []Event{{At: 2, Kind: EvRevoked, Node: "c2"}, ev(EvRevoked)}, "must revoke t[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ck := NewChecker("g")
			deliver(ck, c.view, c.body)
			for _, e := range c.events {
				ck.Event(e)
			}
			if c.want == "" {
				wantOK(t, ck.Err())
			} else {
				wantErr(t, ck.Err(), "at 2: cooperative", c.want)
			}
		})
	}
}

func TestEdgeCheckerLedger(t *testing.T) {
	tp := TopicPartition{"t", 0}
	processed := func(from, to int64, parts ...TopicPartition) Event {
		return Event{At: from, Kind: EvProcessed, Node: "c1", Partitions: parts, Offset: from, End: to}
	}
	ck := NewChecker("g")
	ck.Event(processed(0, 5, tp))
	ck.Event(processed(5, 9, tp))
	wantOK(t, ck.Err())
	if ck.Ledger().End(tp) != 9 {
		t.Fatalf("ledger end %d", ck.Ledger().End(tp))
	}
	ck.Event(processed(10, 11, tp))
	wantErr(t, ck.Err(), "at 10: no loss")
	ck = NewChecker("g")
	ck.Event(processed(0, 1, tp, TopicPartition{"t", 1}))
	wantErr(t, ck.Err(), "names 2 partitions, not one")
}

// stepped is a checker that has seen one step: a Stable group at
// generation 2 with member a (consumer c1) and t-0 committed at 5.
func stepped() (*Checker, Snapshot) {
	ck := NewChecker("g")
	s := Snapshot{At: 1, Topics: map[string]int32{"t": 1}, Group: group(Stable, 2, member("a", t1, "t-0")),
		Consumers: []ConsumerView{consumer("c1", "a", 2, "t-0")}, Committed: map[TopicPartition]int64{{"t", 0}: 5}}
	ck.Event(Event{Kind: EvProcessed, Node: "c1", Partitions: tps("t-0"), End: 5})
	ck.Step(s)
	return ck, s
}

func TestEdgeCheckerSteps(t *testing.T) {
	ck, s := stepped()
	wantOK(t, ck.Err())
	next := s
	next.At = 2
	ck.Step(next)
	if ck.Steps() != 2 {
		t.Fatalf("%d steps counted, want 2", ck.Steps())
	}
	// Between steps: an offset one back, the group one generation back.
	ck, s = stepped()
	next.Committed = map[TopicPartition]int64{{"t", 0}: 4}
	ck.Step(next)
	wantErr(t, ck.Err(), "at 2: offsets: the committed offset of t-0 went back from 5 to 4")
	ck, s = stepped()
	next = s
	next.At, next.Group.Generation, next.Consumers = 2, 1, nil
	ck.Step(next)
	wantErr(t, ck.Err(), "at 2: generations: the group went back")
	// After a failover generations may go back, offsets still may not.
	ck, _ = stepped()
	ck.Failover()
	ck.Step(next)
	wantOK(t, ck.Err())
	next.Committed = map[TopicPartition]int64{{"t", 0}: 4}
	ck.Step(next)
	wantErr(t, ck.Err(), "went back from 5 to 4")
	// At one instant: every rule of CheckSnapshot, and no commit past what
	// was processed.
	ck, s = stepped()
	next = s
	next.Committed = map[TopicPartition]int64{{"t", 0}: 6}
	ck.Step(next)
	wantErr(t, ck.Err(), "t-0 committed at 6 but only processed up to 5")
	ck, s = stepped()
	next = s
	next.Consumers = append(next.Consumers, consumer("c2", "a", 1, "t-0"))
	next.Consumers[0].Generation = 1
	ck.Step(next)
	wantErr(t, ck.Err(), "is stable at 1")
	// The first violation is kept.
	ck.Step(Snapshot{Group: group(Stable, 0)})
	wantErr(t, ck.Err(), "is stable at 1")
	if ck.Steps() != 3 {
		t.Fatalf("%d steps counted, want 3", ck.Steps())
	}
}

func TestEdgeCheckerRebuild(t *testing.T) {
	live := group(Stable, 2, member("a", t1, "t-0"))
	for _, c := range []struct {
		name       string
		transition Transition
		state      GroupState
		rebuilt    GroupView
		err        error
		want       string // "" for no violation
		calls      int
	}{
		{"to Stable, rebuilt alike", Transition{Group: "g", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 2}, Stable, live, nil, "", 1},
		{"to Stable, rebuilt otherwise", Transition{Group: "g", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 2}, Stable, group(Stable, 2, member("a", t1)), nil, "records: the log rebuilds the group", 1},
		{"to Stable, no log", Transition{Group: "g", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 2}, Stable, live, errors.New("torn"), "records: the log does not load: torn", 1},
		{"to Empty", Transition{Group: "g", From: PreparingRebalance, To: Empty, FromGeneration: 1, ToGeneration: 2}, Empty, group(Stable, 9), nil, "records", 1},
		{"Stable, then rebalancing by the step's end", Transition{Group: "g", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 2}, PreparingRebalance, group(Stable, 9), nil, "", 0},
		{"to PreparingRebalance", Transition{Group: "g", From: Stable, To: PreparingRebalance, FromGeneration: 2, ToGeneration: 2}, Stable, group(Stable, 9), nil, "", 0},
		{"another group", Transition{Group: "h", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 2}, Stable, group(Stable, 9), nil, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ck := NewChecker("g")
			calls := 0
			ck.Rebuild = func() (GroupView, error) { calls++; return c.rebuilt, c.err }
			ck.Transition(1, c.transition)
			g := live
			g.State = c.state
			if c.state == Empty {
				g.Members = nil
			}
			ck.Step(Snapshot{At: 1, Group: g})
			ck.Step(Snapshot{At: 2, Group: g}) // settled once, rebuilt once
			if calls != c.calls {
				t.Fatalf("Rebuild called %d times, want %d", calls, c.calls)
			}
			if c.want == "" {
				wantOK(t, ck.Err())
			} else {
				wantErr(t, ck.Err(), "at 1: "+c.want)
			}
		})
	}
	// Without Rebuild nothing is rebuilt; a bad transition is still caught.
	ck := NewChecker("g")
	ck.Transition(3, Transition{Group: "g", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 3})
	ck.Step(Snapshot{Group: live})
	wantErr(t, ck.Err(), "at 3: generations")
	// Empty and nil lists and assignments rebuild alike.
	ck = NewChecker("g")
	ck.Rebuild = func() (GroupView, error) {
		return GroupView{GroupID: "g", State: Stable, Generation: 2, Members: []MemberView{{MemberID: "a", Topics: []string{}, Assignment: Assignment{"t": {}}}}}, nil
	}
	ck.Transition(1, Transition{Group: "g", From: CompletingRebalance, To: Stable, FromGeneration: 2, ToGeneration: 2})
	ck.Step(Snapshot{Group: GroupView{GroupID: "g", State: Stable, Generation: 2, Members: []MemberView{{MemberID: "a"}}}})
	wantOK(t, ck.Err())
}

func TestEdgeCheckerStateAndClone(t *testing.T) {
	enc := func(ck *Checker) []byte { return ck.AppendState(nil, StateFrame{}) }
	base, _ := stepped()
	// Each part of what future verdicts depend on changes the encoding.
	for name, change := range map[string]func(*Checker){
		"violation": func(ck *Checker) { ck.Event(Event{Kind: EvProcessed}) },
		"failover":  func(ck *Checker) { ck.Failover() },
		"request":   func(ck *Checker) { ask(ck, 1, "c1", 1, &HeartbeatRequest{GroupID: "g"}) },
		"claims":    func(ck *Checker) { joinedAs(ck, "c1", 1, 2, claims("c1-1", "t-0")) },
		"revoke": func(ck *Checker) {
			ck.Delivered(1, ConsumerView{Name: "c1", Protocol: Cooperative}, Message{Body: &SyncGroupResponse{}})
		},
		"ledger": func(ck *Checker) {
			ck.Event(Event{Kind: EvProcessed, Partitions: tps("t-0"), Offset: 5, End: 6})
		},
	} {
		ck := base.Clone()
		change(ck)
		if bytes.Equal(enc(ck), enc(base)) {
			t.Errorf("%s: the encoding did not change", name)
		}
		if ck.Err() == nil && name == "violation" {
			t.Error("the planted violation was not seen")
		}
	}
	// A leader that follows in the next round encodes as one that never led.
	led, never := NewChecker("g"), NewChecker("g")
	joinedAs(led, "c1", 1, 2, claims("c1-1"))
	joinedAs(led, "c1", 2, 3)
	joinedAs(never, "c1", 2, 3)
	if !bytes.Equal(enc(led), enc(never)) || !bytes.Equal(enc(never), enc(NewChecker("g"))) {
		t.Error("a former leader keeps the claims of the round it led")
	}
	if bytes.Equal(enc(base), enc(NewChecker("g"))) {
		t.Error("a checker that has stepped encodes as a new one")
	}
	// Counters are statistics, not state; a clone encodes alike and evolves alone.
	c := base.Clone()
	c.Step(Snapshot{At: 2, Group: base.prev.Group, Consumers: base.prev.Consumers, Committed: base.prev.Committed})
	if !bytes.Equal(enc(c), enc(base)) || c.Steps() == base.Steps() {
		t.Error("a step that changes nothing changed the encoding, or steps were shared")
	}
	c.Event(Event{Kind: EvProcessed, Partitions: tps("t-0"), Offset: 0, End: 9})
	ask(c, 1, "c1", 1, &HeartbeatRequest{})
	joinedAs(c, "c2", 1, 2, claims("c2-1"))
	c.Delivered(1, ConsumerView{Name: "c1", Protocol: Cooperative}, Message{Body: &SyncGroupResponse{}})
	if base.Ledger().End(TopicPartition{"t", 0}) != 5 || len(base.requests) != 0 || len(base.joinMembers) != 0 || len(base.revokes) != 0 {
		t.Error("a clone shares its state")
	}
	base.Rebuild = func() (GroupView, error) { return GroupView{}, nil }
	if base.Clone().Rebuild != nil {
		t.Error("a clone keeps its original's Rebuild")
	}
}

// TestEdgeCheckerFencingViewCache: the Checker validates a view once per
// member list it is given, and a new list (equal in length, another
// slice) is validated again; an empty group is checked too (the cached
// validation of Checker.fencing, whose conditions gremlins mutated).
func TestEdgeCheckerFencingViewCache(t *testing.T) {
	hb := &HeartbeatRequest{GroupID: "g", MemberID: "c1-1", GenerationID: 1}
	ck := NewChecker("g")
	ask(ck, 1, "c1", 1, hb)
	answer(ck, 1, group(Stable, 1), "c1", 1, &HeartbeatResponse{})
	wantErr(t, ck.Err(), "at 1: fencing: Heartbeat")

	ck = NewChecker("g")
	ask(ck, 1, "c1", 1, hb)
	answer(ck, 1, group(Stable, 1, member("c1-1", t1), member("c2-1", t1)), "c1", 1, &HeartbeatResponse{})
	wantOK(t, ck.Err())
	ask(ck, 2, "c1", 2, hb)
	answer(ck, 2, group(Stable, 1, member("c1-1", t1), member("c1-1", t1)), "c1", 2, &HeartbeatResponse{})
	wantErr(t, ck.Err(), "listed twice")
}

// TestEdgeGenerationsMatchConsumersByName: CheckGenerations compares each
// consumer with the one of the same name before, wherever it stands in the
// list: one gone before it, or one more after the last.
func TestEdgeGenerationsMatchConsumersByName(t *testing.T) {
	g := group(Stable, 2, member("c1-1", t1), member("c2-1", t1))
	prev := Snapshot{Group: g, Consumers: []ConsumerView{consumer("c1", "c1-1", 2), consumer("c2", "c2-1", 2)}}
	back := Snapshot{Group: g, Consumers: []ConsumerView{consumer("c2", "c2-1", 1)}}
	wantErr(t, CheckGenerations(prev, back), "c2 (member c2-1) went back from generation 2 to 1")
	more := Snapshot{Group: g, Consumers: append(slices.Clone(prev.Consumers), consumer("c3", "c3-1", 2))}
	wantOK(t, CheckGenerations(prev, more))
}

// TestEdgeStepChangedRefusesMalformedSnapshots: the incremental step
// validates its snapshot as Step does, also where its incremental
// ownership check would not fall back to the full one (the same number of
// consumers, each name found before).
func TestEdgeStepChangedRefusesMalformedSnapshots(t *testing.T) {
	g := group(Stable, 1, member("c1-1", t1, "t-0"), member("c2-1", t1))
	two := []ConsumerView{consumer("c1", "c1-1", 1, "t-0"), consumer("c2", "c2-1", 1)}
	ck := NewChecker("g")
	ck.StepChanged(Snapshot{At: 1, Group: g, Consumers: two}, nil)
	ck.StepChanged(Snapshot{At: 2, Group: g, Consumers: two}, nil)
	wantOK(t, ck.Err())
	twice := []ConsumerView{two[0], two[0]}
	ck.StepChanged(Snapshot{At: 3, Group: g, Consumers: twice}, nil)
	wantErr(t, ck.Err(), "at 3", "consumer \"c1\" is listed twice")
}

// TestEdgeStepChangedOwnership: the incremental exclusive-ownership check
// sees a double owner that appears without the consumer's partitions
// changing: the member list changed under it (same length, other ids), or
// the consumer came alive, took a member id, or reached the generation.
func TestEdgeStepChangedOwnership(t *testing.T) {
	c1 := consumer("c1", "c1-1", 1, "t-0")
	c2 := consumer("c2", "c2-1", 1, "t-0")
	dead, stranger, behind := c2, c2, c2
	dead.Alive = false
	stranger.MemberID = "x-1"
	behind.Generation, behind.State = 0, ClientUnjoined
	members := group(Stable, 1, member("c1-1", t1, "t-0"), member("c2-1", t1))
	for _, tc := range []struct {
		name         string
		before       GroupView
		was, becomes ConsumerView
	}{
		{"the member list", group(Stable, 1, member("a-1", t1), member("b-1", t1)), c2, c2},
		{"alive", members, dead, c2},
		{"member id", members, stranger, c2},
		{"generation", members, behind, c2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ck := NewChecker("g")
			first := Snapshot{At: 1, Group: tc.before, Consumers: []ConsumerView{c1, tc.was}}
			ck.StepChanged(first, nil)
			first.At = 2
			ck.StepChanged(first, nil) // the owners are kept from here
			wantOK(t, ck.Err())
			ck.StepChanged(Snapshot{At: 3, Group: members, Consumers: []ConsumerView{c1, tc.becomes}}, nil)
			wantErr(t, ck.Err(), "at 3: exclusive ownership", "t-0")
		})
	}
}
