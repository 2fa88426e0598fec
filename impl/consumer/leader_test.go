package consumer_test

// The leader's side (ConsumerCoordinator.onLeaderElected, its assignment
// snapshot and rejoinNeededOrPending) and cooperative rebalancing
// (onJoinPrepare, onJoinComplete, validateCooperativeAssignment).

import (
	"slices"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// ConsumerCoordinatorTest.testSelectRebalanceProtocol: the consumer runs the
// highest protocol every assignor supports; none in common is a config error.
func TestKafka_testSelectRebalanceProtocol(t *testing.T) {
	cfg := baseConfig()
	coopOnly := &mockAssignor{name: "coop-only", protocols: []spec.RebalanceProtocol{spec.Cooperative}}
	cfg.Assignors = []assignors.Assignor{eagerMock("eager"), coopOnly}
	if _, _, err := consumer.New(cfg, 0); err == nil {
		t.Fatal("assignors with no common protocol were accepted")
	}
	for _, tc := range []struct {
		assignors []assignors.Assignor
		want      spec.RebalanceProtocol
	}{
		{[]assignors.Assignor{cooperativeMock("a"), cooperativeMock("b")}, spec.Cooperative},
		{[]assignors.Assignor{assignors.Range{}, cooperativeMock("b")}, spec.Eager},
	} {
		cfg.Assignors = tc.assignors
		c, _, err := consumer.New(cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.Protocol() != tc.want {
			t.Fatalf("protocol %v, want %v", c.Protocol(), tc.want)
		}
	}
}

// leaderWith starts a consumer with assignor a and answers its JoinGroup as
// leader "c1-1" of members.
func leaderWith(t *testing.T, a assignors.Assignor, members ...spec.JoinGroupMember) *harness {
	cfg := baseConfig()
	cfg.Assignors = []assignors.Assignor{a}
	h := start(t, cfg)
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "c1-1", "c1-1", a.Name(), members...))
	return h
}

// syncAssignments is the leader SyncGroup's plan, as text.
func syncAssignments(h *harness, m spec.Message) []string {
	var out []string
	for _, a := range body[*spec.SyncGroupRequest](h, m).Assignments {
		out = append(out, a.MemberID+"="+a.Assignment.Partitions.String())
	}
	return out
}

// moveOwned: c1-1 owns both partitions and the assignor gives t-1 straight to c2-2.
func moveOwned(a *mockAssignor) []spec.JoinGroupMember {
	a.prepared = map[string][]spec.TopicPartition{"c1-1": {tp("t", 0)}, "c2-2": {tp("t", 1)}}
	return []spec.JoinGroupMember{member("c1-1", []string{"t"}, tp("t", 0), tp("t", 1)), member("c2-2", []string{"t"})}
}

// ConsumerCoordinatorTest.testPerformAssignmentShouldValidateCooperativeAssignment:
// under COOPERATIVE an assignor may not hand an owned partition straight to
// another member (validateCooperativeAssignment throws); under EAGER nothing
// is checked.
func TestKafka_testPerformAssignmentShouldValidateCooperativeAssignment(t *testing.T) {
	coop := cooperativeMock("coop")
	h := leaderWith(t, coop, moveOwned(coop)...)
	h.wantFailed("t-1")
	h.none(spec.KeySyncGroup)

	eager := eagerMock("eager")
	h = leaderWith(t, eager, moveOwned(eager)...)
	if got := syncAssignments(h, h.expect(spec.KeySyncGroup)); !slices.Equal(got, []string{"c1-1=t[0]", "c2-2=t[1]"}) {
		t.Fatalf("eager plan %v", got)
	}
}

// ConsumerCoordinatorTest.testPerformAssignmentShouldSkipValidateCooperativeAssignmentForBuiltInCooperativeStickyAssignor:
// the built-in cooperative-sticky assignor weighs the generation of owned
// partitions itself, so its plan is not validated.
func TestKafka_testPerformAssignmentShouldSkipValidateCooperativeAssignmentForBuiltInCooperativeStickyAssignor(t *testing.T) {
	sticky := cooperativeMock("cooperative-sticky")
	h := leaderWith(t, sticky, moveOwned(sticky)...)
	if got := syncAssignments(h, h.expect(spec.KeySyncGroup)); !slices.Equal(got, []string{"c1-1=t[0]", "c2-2=t[1]"}) {
		t.Fatalf("plan %v", got)
	}
}

// ConsumerCoordinator.validateCooperativeAssignment compares, per member,
// what it is given with what it owns itself: a partition two members both
// claim (a zombie's stale claim) may stay with one of them.
func TestKafka_validateCooperativeAssignment_doubleClaim(t *testing.T) {
	coop := cooperativeMock("coop")
	coop.prepared = map[string][]spec.TopicPartition{"b": {tp("t", 0), tp("t", 1)}}
	h := leaderWith(t, coop,
		member("b", []string{"t"}, tp("t", 0), tp("t", 1)), member("a", []string{"t"}, tp("t", 0)))
	if got := syncAssignments(h, h.expect(spec.KeySyncGroup)); !slices.Equal(got, []string{"a=-", "b=t[0 1]"}) {
		t.Fatalf("plan %v", got)
	}
}

// ConsumerCoordinatorTest.testOnLeaderElectedShouldSkipAssignment: a
// returning static leader told to skip the assignment (JoinGroup v9+) does
// not run the assignor and sends an empty SyncGroup.
func TestKafka_testOnLeaderElectedShouldSkipAssignment(t *testing.T) {
	mock := eagerMock("mock-assignor")
	cfg := baseConfig()
	cfg.InstanceID = "i1"
	cfg.Assignors = []assignors.Assignor{mock}
	h := start(t, cfg)
	resp := joinOK(1, "c1-1", "c1-1", "mock-assignor", member("c1-1", []string{"t"}))
	resp.SkipAssignment = true
	h.reply(h.expect(spec.KeyJoinGroup), resp)
	if got := syncAssignments(h, h.expect(spec.KeySyncGroup)); len(got) != 0 || mock.calls != 0 {
		t.Fatalf("skip-assignment leader sent %v after %d assignor calls", got, mock.calls)
	}
}

// staticLeaderSkips makes a static member the returning leader (skip
// assignment) of members, stable with t-0.
func staticLeaderSkips(t *testing.T, topics map[string]int32, members ...spec.JoinGroupMember) *harness {
	cfg := baseConfig()
	cfg.InstanceID = "i1"
	cfg.CommitOnRevoke = false
	h := startWith(t, cfg, topics)
	resp := joinOK(1, "c1-1", "c1-1", "range", members...)
	resp.SkipAssignment = true
	h.reply(h.expect(spec.KeyJoinGroup), resp)
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
	return h
}

// ConsumerCoordinatorTest.testStaticLeaderRejoinsGroupAndCanTriggersRebalance:
// the leader that skipped the assignment still watches the group's topics.
func TestKafka_testStaticLeaderRejoinsGroupAndCanTriggersRebalance(t *testing.T) {
	h := staticLeaderSkips(t, map[string]int32{"t": 1}, member("c1-1", []string{"t"}))
	h.metadata(map[string]int32{"t": 2})
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testStaticLeaderRejoinsGroupAndCanDetectMetadataChangesForOtherMembers.
func TestKafka_testStaticLeaderRejoinsGroupAndCanDetectMetadataChangesForOtherMembers(t *testing.T) {
	h := staticLeaderSkips(t, map[string]int32{"t": 1, "u": 1},
		member("c1-1", []string{"t"}), member("c2-2", []string{"u"}))
	h.metadata(map[string]int32{"t": 1, "u": 2})
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testMetadataChangeTriggersRebalance: the leader
// sees partitions added to a group topic and rebalances; a follower does not.
func TestKafka_testMetadataChangeTriggersRebalance(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "c1-1", "c1-1", "range", member("c1-1", []string{"t"})))
	h.syncWith(tp("t", 0), tp("t", 1))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0 1]")
	h.metadata(map[string]int32{"t": 3})
	h.wantEvents("revoked t[0 1]")
	h.expect(spec.KeyJoinGroup)

	f := start(t, cfg)
	f.stable(1, "c2-2", tp("t", 0))
	f.metadata(map[string]int32{"t": 3})
	f.none(spec.KeyJoinGroup)
}

// ConsumerCoordinatorTest.testUpdateMetadataDuringRebalance: metadata that
// changes after the leader assigned, while its SyncGroup is in flight, still
// triggers the next rebalance once the first completes.
func TestKafka_testUpdateMetadataDuringRebalance(t *testing.T) {
	cfg := consumer.DefaultConfig("c1", "g", "t", "u")
	cfg.AutoCommit, cfg.CommitOnRevoke = false, false
	h := start(t, cfg)
	h.metadata(map[string]int32{"t": 1}) // only t exists yet
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "leader", "leader", "range", member("leader", []string{"t", "u"})))
	sync := h.expect(spec.KeySyncGroup)
	h.metadata(map[string]int32{"t": 1, "u": 1})
	h.reply(sync, syncOK("range", tp("t", 0)))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]", "revoked t[0]")
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(2, "leader", "leader", "range", member("leader", []string{"t", "u"})))
	if got := syncAssignments(h, h.sent[len(h.sent)-1]); !slices.Equal(got, []string{"leader=t[0] u[0]"}) {
		t.Fatalf("second plan %v", got)
	}
}

// ConsumerCoordinatorTest.testRebalanceWithMetadataChange (both protocols):
// a metadata change makes the leader rejoin; if that JoinGroup fails and the
// metadata reverts, it still rejoins; nothing is lost. (Kafka also calls
// onPartitionsAssigned with nothing added; kgroup reports only non-empty calls.)
func TestKafka_testRebalanceWithMetadataChange(t *testing.T) {
	for _, protocol := range []spec.RebalanceProtocol{spec.Eager, spec.Cooperative} {
		t.Run(protocol.String(), func(t *testing.T) {
			cfg := consumer.DefaultConfig("c1", "g", "t", "u")
			cfg.AutoCommit, cfg.CommitOnRevoke = false, false
			all := []spec.TopicPartition{tp("t", 0), tp("u", 0)}
			if protocol == spec.Cooperative {
				coop := cooperativeMock("coop")
				coop.prepared = map[string][]spec.TopicPartition{"leader": all}
				cfg.Assignors = []assignors.Assignor{coop}
			}
			name := cfg.Assignors[0].Name()
			h := start(t, cfg)
			h.metadata(map[string]int32{"t": 1, "u": 1})
			h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "leader", "leader", name, member("leader", []string{"t", "u"})))
			h.syncWith(all...)
			h.fetchAt(nil)
			h.wantEvents("assigned t[0] u[0]")
			h.metadata(map[string]int32{"t": 1})
			if protocol == spec.Eager {
				h.wantEvents("revoked t[0] u[0]")
			} else {
				h.wantEvents()
			}
			j := h.expect(spec.KeyJoinGroup)
			h.metadata(map[string]int32{"t": 1, "u": 1})
			h.reply(j, joinErr(spec.NotCoordinator, ""))
			h.at(100)
			h.reply(h.expect(spec.KeyJoinGroup), joinOK(2, "leader", "leader", name, member("leader", []string{"t", "u"}, h.c.View().Owned...)))
			h.syncWith(all...)
			if protocol == spec.Eager {
				h.fetchAt(nil)
				h.wantEvents("assigned t[0] u[0]")
			} else {
				h.wantEvents()
			}
			h.wantOwned(all...)
			h.none(spec.KeyJoinGroup)
		})
	}
}

// ConsumerCoordinatorTest.testOutdatedCoordinatorAssignment: an assignment
// outside the subscription means the group moved on without this member's
// current subscription: no callbacks, rejoin.
func TestKafka_testOutdatedCoordinatorAssignment(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	h.syncWith(tp("u", 0))
	h.wantEvents()
	h.wantOwned()
	h.expect(spec.KeyJoinGroup)
}

// ConsumerCoordinator.onJoinComplete under COOPERATIVE (the revoke counts of
// ConsumerCoordinatorTest.verifyOnCallbackExceptions): the member kept its
// partitions while rejoining and reported them with their generation; it
// revokes owned − assigned, committing them under the new generation, and
// then rejoins so the next round can hand them over.
func TestKafka_onJoinComplete_cooperativeRevokeThenRejoin(t *testing.T) {
	cfg := baseConfig()
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	cfg.Rack = "rack-a"
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0), tp("t", 1))
	h.consume(10)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantEvents()
	j := h.expect(spec.KeyJoinGroup)
	sub := body[*spec.JoinGroupRequest](h, j).Protocols[0].Metadata
	if !slices.Equal(sub.OwnedPartitions, []spec.TopicPartition{tp("t", 0), tp("t", 1)}) || sub.GenerationID != 1 || sub.RackID != "rack-a" {
		t.Fatalf("cooperative subscription %+v", sub)
	}
	h.reply(j, joinOK(2, "m", "leader", "coop"))
	h.syncWith(tp("t", 0))
	c := h.expect(spec.KeyOffsetCommit)
	wantCommit(h, c, 2, "m", 10)
	h.none(spec.KeyJoinGroup)
	h.wantOwned(tp("t", 0), tp("t", 1))
	h.reply(c, commitResp(c, spec.None))
	h.wantEvents("revoked t[1]")
	h.wantOwned(tp("t", 0))
	sub = body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).Protocols[0].Metadata
	if !slices.Equal(sub.OwnedPartitions, []spec.TopicPartition{tp("t", 0)}) || sub.GenerationID != 2 {
		t.Fatalf("follow-up subscription %+v", sub)
	}
}

// ConsumerCoordinatorTest.testSubscriptionRackId: the rack travels in the
// JoinGroup subscription; an eager member reports nothing owned.
func TestKafka_testSubscriptionRackId(t *testing.T) {
	cfg := baseConfig()
	cfg.Rack = "rack-a"
	h := start(t, cfg)
	sub := body[*spec.JoinGroupRequest](h, h.expect(spec.KeyJoinGroup)).Protocols[0].Metadata
	if sub.RackID != "rack-a" || len(sub.OwnedPartitions) != 0 || sub.GenerationID != -1 {
		t.Fatalf("subscription %+v", sub)
	}
}
