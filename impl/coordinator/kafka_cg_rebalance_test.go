package coordinator

// Consumer group rebalancing conformance: reconciliation, group states,
// subscription metadata after a load, and the session and rebalance
// timers, each test mirroring one of GroupMetadataManagerTest (GMMT, trunk
// 1eb7644349cb). Kafka's MockCoordinatorTimer and kgroup's Tick agree here:
// every sleep passes the deadline it is about.

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// GMMT.testReconciliationProcess: a third member joins two; each old member
// first revokes what moves (UNREVOKED_PARTITIONS, at its old epoch), the
// newcomer gets each partition only once its owner reported it released
// (UNRELEASED_PARTITIONS), and the group is Stable when all three are.
func TestKafkaCGReconciliationProcess(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6, "bar": 3})
	h.withGroup(twoMembers(false, false))
	h.mock.plan = map[string]spec.Assignment{
		"m1": asg("foo", 0, 1, "bar", 0), "m2": asg("foo", 2, 3, "bar", 2), "m3": asg("foo", 4, 5, "bar", 1)}
	want := func(member string, ms spec.MemberState, gs spec.ConsumerGroupState) {
		t.Helper()
		if got := h.member("fooup", member).State; got != ms {
			t.Fatalf("%s is %s, want %s", member, got, ms)
		}
		if got := h.cgState("fooup"); got != gs {
			t.Fatalf("the group is %s, want %s", got, gs)
		}
	}
	resp := func(member string, epoch int32, a spec.Assignment) spec.ConsumerGroupHeartbeatResponse {
		return spec.ConsumerGroupHeartbeatResponse{MemberID: member, MemberEpoch: epoch, HeartbeatIntervalMs: 5000, Assignment: a}
	}
	want("m1", spec.MemberStable, spec.CGStable)
	want("m2", spec.MemberStable, spec.CGStable)

	// m3 joins: a new target at epoch 11; everything it gets is still held.
	h.wantResponse(h.beat(cgJoin("fooup", "m3", "foo", "bar").assignor("range").req()), resp("m3", 11, spec.Assignment{}))
	if last := h.last.Records[len(h.last.Records)-1].String(); last != "cg-current fooup m3 UNRELEASED_PARTITIONS epoch=11 prev=0 assigned=- revoking=-" {
		t.Fatalf("last record %s", last)
	}
	want("m3", spec.MemberUnreleasedPartition, spec.CGReconciling)

	// m1 and m2 stay at epoch 10 and must revoke first.
	h.wantResponse(h.beat(cgBeat("fooup", "m1", 10).req()), resp("m1", 10, asg("foo", 0, 1, "bar", 0)))
	h.wantLast("cg-current fooup m1 UNREVOKED_PARTITIONS epoch=10 prev=10 assigned=bar[0] foo[0 1] revoking=bar[1] foo[2]")
	want("m1", spec.MemberUnrevokedPartitions, spec.CGReconciling)
	h.wantResponse(h.beat(cgBeat("fooup", "m2", 10).req()), resp("m2", 10, asg("foo", 3, "bar", 2)))
	h.wantLast("cg-current fooup m2 UNREVOKED_PARTITIONS epoch=10 prev=10 assigned=bar[2] foo[3] revoking=foo[4 5]")
	want("m2", spec.MemberUnrevokedPartitions, spec.CGReconciling)

	// m3 still waits; only its previous epoch moves.
	h.wantResponse(h.beat(cgBeat("fooup", "m3", 11).req()), resp("m3", 11, nil))
	h.wantLast("cg-current fooup m3 UNRELEASED_PARTITIONS epoch=11 prev=11 assigned=- revoking=-")
	want("m3", spec.MemberUnreleasedPartition, spec.CGReconciling)

	// m1 reports it revoked: epoch 11, Stable.
	h.wantResponse(h.beat(cgBeat("fooup", "m1", 10).owned(asg("foo", 0, 1, "bar", 0)).req()), resp("m1", 11, nil))
	h.wantLast("cg-current fooup m1 STABLE epoch=11 prev=10 assigned=bar[0] foo[0 1] revoking=-")
	want("m1", spec.MemberStable, spec.CGReconciling)

	// m2 has not revoked yet: nothing changes.
	h.wantResponse(h.beat(cgBeat("fooup", "m2", 10).req()), resp("m2", 10, nil))
	h.wantLast()
	want("m2", spec.MemberUnrevokedPartitions, spec.CGReconciling)

	// m3 gets bar[1], which m1 released, and waits for the rest.
	h.wantResponse(h.beat(cgBeat("fooup", "m3", 11).req()), resp("m3", 11, asg("bar", 1)))
	h.wantLast("cg-current fooup m3 UNRELEASED_PARTITIONS epoch=11 prev=11 assigned=bar[1] revoking=-")
	want("m3", spec.MemberUnreleasedPartition, spec.CGReconciling)
	h.wantResponse(h.beat(cgBeat("fooup", "m3", 11).req()), resp("m3", 11, nil))
	h.wantLast()

	// m2 revokes: epoch 11, and it gets foo[2], which m1 released.
	h.wantResponse(h.beat(cgBeat("fooup", "m2", 10).owned(asg("foo", 3, "bar", 2)).req()), resp("m2", 11, asg("foo", 2, 3, "bar", 2)))
	h.wantLast("cg-current fooup m2 STABLE epoch=11 prev=10 assigned=bar[2] foo[2 3] revoking=-")
	want("m2", spec.MemberStable, spec.CGReconciling)

	// m3 gets the rest: the group is Stable.
	h.wantResponse(h.beat(cgBeat("fooup", "m3", 11).owned(asg("bar", 1)).req()), resp("m3", 11, asg("foo", 4, 5, "bar", 1)))
	h.wantLast("cg-current fooup m3 STABLE epoch=11 prev=11 assigned=bar[1] foo[4 5] revoking=-")
	want("m3", spec.MemberStable, spec.CGStable)
}

// GMMT.testConsumerGroupStates: Empty without members, Assigning while the
// group epoch is ahead of the target's, Reconciling while a member is not
// at the target, Stable when all are; replayed record by record.
func TestKafkaCGConsumerGroupStates(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	h.withGroup(cgFixture{group: "fooup", epoch: 10})
	want := func(s spec.ConsumerGroupState) {
		t.Helper()
		if got := h.cgState("fooup"); got != s {
			t.Fatalf("the group is %s, want %s", got, s)
		}
	}
	want(spec.CGEmpty)
	m := fixtureMember{id: "m1", state: spec.MemberStable, topics: []string{"foo"}}
	h.replay(m.memberRecord("fooup"), cgEpochRecord("fooup", 11))
	want(spec.CGAssigning)
	h.replay(cgTargetRecord("fooup", "m1", asg("foo", 1, 2, 3)), cgTargetEpochRecord("fooup", 11))
	want(spec.CGReconciling)
	m.state, m.epoch, m.prev, m.assigned = spec.MemberUnrevokedPartitions, 11, 10, asg("foo", 1, 2, 3)
	h.replay(m.currentRecord("fooup"))
	want(spec.CGReconciling)
	m.state = spec.MemberStable
	h.replay(m.currentRecord("fooup"))
	want(spec.CGStable)
}

// GMMT.testSubscriptionMetadataRefreshedAfterGroupIsLoaded: a loaded group
// refreshes its subscription metadata on the next heartbeat; a changed
// partition count bumps the epoch and the target. Kafka's fixture stores
// foo with 3 partitions while the image has 6; kgroup does that, and also
// the way a running coordinator sees it: a group loaded while foo had 3
// partitions, then a MetadataUpdate with 6. Kafka refreshes again after
// group.consumer.metadata.refresh.interval.ms; kgroup has no such interval
// and refreshes after every Load and MetadataUpdate, which writes nothing
// when the counts did not change.
func TestKafkaCGSubscriptionMetadataRefreshedAfterGroupIsLoaded(t *testing.T) {
	for _, changed := range []bool{false, true} {
		image := map[string]int32{"foo": 6}
		if changed {
			image = map[string]int32{"foo": 3}
		}
		h := newCGHarness(t, image)
		f := cgFixture{group: "fooup", epoch: 10, assignmentEpoch: 10,
			members: []fixtureMember{{id: "m1", state: spec.MemberStable, epoch: 10, prev: 10, topics: []string{"foo", "bar"},
				assigned: asg("foo", 0, 1, 2)}},
			targets: map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2)}}
		if !changed {
			f.subscription = map[string]int32{"foo": 3}
		}
		h.withGroup(f)
		if changed {
			h.metadata(map[string]int32{"foo": 6})
		}
		h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5)}
		h.wantResponse(h.beat(cgBeat("fooup", "m1", 10).req()), spec.ConsumerGroupHeartbeatResponse{MemberID: "m1",
			MemberEpoch: 11, HeartbeatIntervalMs: 5000, Assignment: asg("foo", 0, 1, 2, 3, 4, 5)})
		h.wantLast(
			"cg-subscription fooup foo=6",
			"cg-epoch fooup epoch=11",
			"cg-target fooup m1=foo[0 1 2 3 4 5]",
			"cg-target-epoch fooup epoch=11",
			"cg-current fooup m1 STABLE epoch=11 prev=10 assigned=foo[0 1 2 3 4 5] revoking=-")
	}
}

// GMMT.testSessionTimeoutLifecycle: every heartbeat re-arms the session
// timer for group.consumer.session.timeout.ms; leaving disarms both timers.
func TestKafkaCGSessionTimeoutLifecycle(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5)}
	wantSession := func() {
		t.Helper()
		if s, _ := h.timers("fooup", "m1"); s != h.now+45000 {
			t.Fatalf("session timer at %d, want %d", s, h.now+45000)
		}
	}
	resp := h.beatOK(cgJoin("fooup", "m1", "foo").rebalance(90000).req())
	if resp.MemberEpoch != 1 {
		t.Fatalf("epoch %d", resp.MemberEpoch)
	}
	wantSession()
	h.tick(int64(resp.HeartbeatIntervalMs))
	h.wantLast()
	resp = h.beatOK(cgBeat("fooup", "m1", 1).req())
	wantSession()
	h.tick(int64(resp.HeartbeatIntervalMs))
	h.wantLast()
	if resp = h.beatOK(cgBeat("fooup", "m1", spec.LeaveEpoch).req()); resp.MemberEpoch != spec.LeaveEpoch {
		t.Fatalf("leave answered epoch %d", resp.MemberEpoch)
	}
	if s, r := h.timers("fooup", "m1"); s != -1 || r != -1 {
		t.Fatalf("timers after leaving: session %d, rebalance %d", s, r)
	}
}

// GMMT.testSessionTimeoutExpiration: a member silent for the session
// timeout is fenced: tombstones, empty subscription metadata, epoch +1.
func TestKafkaCGSessionTimeoutExpiration(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5)}
	h.beatOK(cgJoin("fooup", "m1", "foo").rebalance(90000).req())
	if s, _ := h.timers("fooup", "m1"); s != 45000 {
		t.Fatalf("session timer at %d", s)
	}
	h.tick(45000 + 1)
	h.wantLast(
		"cg-current fooup m1 tombstone", "cg-target fooup m1 tombstone", "cg-member fooup m1 tombstone",
		"cg-subscription fooup", "cg-epoch fooup epoch=2")
	if s, r := h.timers("fooup", "m1"); s != -1 || r != -1 {
		t.Fatalf("timers after the expiry: session %d, rebalance %d", s, r)
	}
	h.beatError(cgBeat("fooup", "m1", 1).req(), spec.UnknownMemberID)
}

// GMMT.testSessionTimeoutExpirationStaticMember: a static member that left
// with -2 keeps its session timer; if no one rejoins under its instance id
// it is fenced when the session expires.
func TestKafkaCGSessionTimeoutExpirationStaticMember(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 6})
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2, 3, 4, 5)}
	h.beatOK(cgJoin("fooup", "m1", "foo").instance("m1").rebalance(90000).req())
	resp := h.beatOK(cgBeat("fooup", "m1", spec.StaticLeaveEpoch).instance("m1").rebalance(90000).topics("foo").
		owned(spec.Assignment{}).req())
	if resp.MemberEpoch != spec.StaticLeaveEpoch {
		t.Fatalf("static leave answered epoch %d", resp.MemberEpoch)
	}
	if s, _ := h.timers("fooup", "m1"); s != 45000 {
		t.Fatalf("session timer at %d after the static leave, want 45000", s)
	}
	h.tick(45000 + 1)
	h.wantLast(
		"cg-current fooup m1 tombstone", "cg-target fooup m1 tombstone", "cg-member fooup m1 tombstone",
		"cg-subscription fooup", "cg-epoch fooup epoch=2")
	if s, r := h.timers("fooup", "m1"); s != -1 || r != -1 {
		t.Fatalf("timers after the expiry: session %d, rebalance %d", s, r)
	}
}

// revocationSetup is the start of GMMT's rebalance timeout tests: m1 owns
// foo[0 1 2], m2 joins and m1 must give up foo[2]; m1 heartbeats (with
// req) and moves to UNREVOKED_PARTITIONS.
func revocationSetup(h *cgHarness, rebalance1, rebalance2 int32, req *cgReq) {
	h.t.Helper()
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1, 2)}
	h.wantResponse(h.beat(cgJoin("fooup", "m1", "foo").rebalance(rebalance1).req()), spec.ConsumerGroupHeartbeatResponse{
		MemberID: "m1", MemberEpoch: 1, HeartbeatIntervalMs: 5000, Assignment: asg("foo", 0, 1, 2)})
	h.tick(5000)
	h.wantLast()
	h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1), "m2": asg("foo", 2)}
	h.wantResponse(h.beat(cgJoin("fooup", "m2", "foo").rebalance(rebalance2).req()), spec.ConsumerGroupHeartbeatResponse{
		MemberID: "m2", MemberEpoch: 2, HeartbeatIntervalMs: 5000, Assignment: spec.Assignment{}})
	h.tick(5000)
	h.wantLast()
	h.wantResponse(h.beat(req.req()), spec.ConsumerGroupHeartbeatResponse{
		MemberID: "m1", MemberEpoch: 1, HeartbeatIntervalMs: 5000, Assignment: asg("foo", 0, 1)})
}

// GMMT.testRebalanceTimeoutLifecycle: moving to UNREVOKED_PARTITIONS arms
// the rebalance timer with the member's (just changed) rebalance timeout;
// revoking disarms it, and the stale timer firing would do nothing.
func TestKafkaCGRebalanceTimeoutLifecycle(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 3})
	revocationSetup(h, 180000, 90000, cgBeat("fooup", "m1", 1).rebalance(12000).topics("foo"))
	if _, r := h.timers("fooup", "m1"); r != h.now+12000 {
		t.Fatalf("rebalance timer at %d, want %d", r, h.now+12000)
	}
	h.tick(5000)
	h.wantLast()
	h.wantResponse(h.beat(cgBeat("fooup", "m1", 1).owned(asg("foo", 0, 1)).req()), spec.ConsumerGroupHeartbeatResponse{
		MemberID: "m1", MemberEpoch: 2, HeartbeatIntervalMs: 5000})
	if _, r := h.timers("fooup", "m1"); r != -1 {
		t.Fatalf("rebalance timer still at %d", r)
	}
	// The stale timeout Kafka runs by hand: its epoch is gone, a no-op.
	g := h.c.cgroups["fooup"]
	h.c.expireCGRebalance(g, g.members["m1"])
	if rd := h.c.flush(); len(rd.Records) != 0 {
		t.Fatalf("a stale rebalance timeout wrote %v", rd.Records)
	}
}

// GMMT.testRebalanceTimeoutExpiration: a member that does not revoke within
// its rebalance timeout is fenced (no subscription change: m2 still
// subscribes to foo).
func TestKafkaCGRebalanceTimeoutExpiration(t *testing.T) {
	h := newCGHarness(t, map[string]int32{"foo": 3})
	revocationSetup(h, 10000, 10000, cgBeat("fooup", "m1", 1))
	h.tick(10000 + 1)
	h.wantLast(
		"cg-current fooup m1 tombstone", "cg-target fooup m1 tombstone", "cg-member fooup m1 tombstone",
		"cg-epoch fooup epoch=3")
	if s, r := h.timers("fooup", "m1"); s != -1 || r != -1 {
		t.Fatalf("timers after the fencing: session %d, rebalance %d", s, r)
	}
}
