package coordinator

// Conformance tests: the record log — replay (Load) and unloading. GMMT and
// OMMT as in kafka_join_test.go and kafka_leave_offsets_test.go.

import (
	"errors"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// twoStaticMembersRecord is the GroupMetadataValue of Kafka's replay tests:
// two static members, generation 1, leader member-0, session 4000 and the
// given rebalance timeout.
func twoStaticMembersRecord(rebalanceMs int32) Record {
	rec := &GroupRecord{GroupID: "group-id", ProtocolType: "consumer", Generation: 1, Protocol: "range", Leader: "member-0"}
	for _, i := range []string{"0", "1"} {
		rec.Members = append(rec.Members, GroupRecordMember{MemberID: "member-" + i, InstanceID: "group-instance-id-" + i,
			ClientID: "client-" + i, RebalanceTimeoutMs: rebalanceMs, SessionTimeoutMs: 4000,
			Subscription: spec.Subscription{Topics: []string{"foo"}}, Assignment: spec.MemberAssignment{UserData: []byte{2}}})
	}
	return Record{Group: rec}
}

func loadHarness(t *testing.T, cfg Config, now int64, records ...Record) *harness {
	t.Helper()
	c, rd, err := Load(cfg, now, records)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, c: c, now: now, answers: map[callKey]spec.Response{}}
	h.absorb(rd)
	return h
}

// GMMT.testReplayGroupMetadataRecords (both parameters): a group record with
// members loads as a Stable group; a rebalance timeout of -1 (records older
// than the field) stands for the session timeout. The leader's member list
// shows the loaded members.
func TestKafka_testReplayGroupMetadataRecords(t *testing.T) {
	for _, tc := range []struct{ recorded, want int32 }{{9000, 9000}, {-1, 4000}} {
		h := loadHarness(t, kafkaTestConfig(), 0, twoStaticMembersRecord(tc.recorded))
		v := h.c.Describe("group-id")
		if v.State != spec.Stable || v.Generation != 1 || v.Protocol != "range" || v.Leader != "member-0" {
			t.Fatalf("loaded %+v", v)
		}
		g := h.group("group-id")
		for _, m := range g.members {
			if m.rebalanceTimeoutMs != tc.want || m.sessionTimeoutMs != 4000 || m.clientID == "" {
				t.Fatalf("member %+v", m)
			}
		}
		diff(t, []spec.JoinGroupMember{
			{MemberID: "member-0", GroupInstanceID: "group-instance-id-0", Metadata: spec.Subscription{Topics: []string{"foo"}}},
			{MemberID: "member-1", GroupInstanceID: "group-instance-id-1", Metadata: spec.Subscription{Topics: []string{"foo"}}},
		}, g.memberList())
	}
}

// GMMT.testOnLoadedExceedGroupMaxSizeTriggersRebalance.
func TestKafka_testOnLoadedExceedGroupMaxSizeTriggersRebalance(t *testing.T) {
	cfg := kafkaTestConfig()
	cfg.GroupMaxSize = 1
	h := loadHarness(t, cfg, 0, twoStaticMembersRecord(9000))
	h.wantState("group-id", spec.PreparingRebalance, 1)
	h.wantMembers("group-id", "member-0", "member-1")
}

// GMMT.testOnLoadedSchedulesClassicGroupMemberHeartbeats: every loaded member
// gets a fresh session from the load time.
func TestKafka_testOnLoadedSchedulesClassicGroupMemberHeartbeats(t *testing.T) {
	h := loadHarness(t, kafkaTestConfig(), 50000, twoStaticMembersRecord(9000))
	for _, m := range h.group("group-id").members {
		if m.session.at != 50000+4000 {
			t.Fatalf("session of %s due at %d", m.id, m.session.at)
		}
	}
	if at, _ := h.c.NextDeadline(); at != 54000 {
		t.Fatalf("next deadline %d", at)
	}
	h.sleep(3999)
	h.wantMembers("group-id", "member-0", "member-1")
	h.sleep(1)
	h.wantMembers("group-id")
}

// The log a coordinator writes rebuilds its groups (kgroup's Load, Kafka's
// replay plus onLoaded; no single Kafka test): a Stable group comes back
// Stable with its assignments, generation and leader, and one that became
// Empty comes back Empty with its generation.
func TestKafkaSource_loadRebuildsStableAndEmptyGroups(t *testing.T) {
	h := newKafkaHarness(t)
	r := h.staticMembersJoinAndRebalanceDefault("group-id", leaderInst, followerInst)
	resp := h.joinAndCompleteJoin(joinReq("empty-group"))
	h.leave("empty-group", spec.LeaveGroupMember{MemberID: resp.MemberID})
	h.wantState("empty-group", spec.Empty, 2)

	l := loadHarness(t, h.c.cfg, h.now, h.records...)
	diff(t, h.c.Describe("group-id"), l.c.Describe("group-id"))
	l.wantState("group-id", spec.Stable, 1)
	l.wantState("empty-group", spec.Empty, 2)
	s := l.sendSync(spec.SyncGroupRequest{GroupID: "group-id", GroupInstanceID: followerInst, MemberID: r.followerID, GenerationID: 1})
	diff(t, r.followerAssignment, s.sync().Assignment)
	if id := l.sendJoin(joinReq("group-id").instance(leaderInst).superset()).joinOK().MemberID; id == r.leaderID || id == r.followerID {
		t.Fatalf("loaded coordinator reused member id %s", id)
	}
}

// OMMT.testReplay: replayed offsets are stored as they come — the last record
// wins, also a lower offset — and create the group if needed.
func TestKafka_testReplay(t *testing.T) {
	rec := func(p int32, o int64) Record {
		return Record{Offset: &OffsetRecord{GroupID: "foo", TopicPartition: spec.TopicPartition{Topic: "bar", Partition: p}, Offset: o, Metadata: "small"}}
	}
	h := loadHarness(t, kafkaTestConfig(), 0, rec(0, 100), rec(0, 200), rec(1, 200), rec(1, 300), rec(1, 250))
	h.wantState("foo", spec.Empty, 0)
	diff(t, map[spec.TopicPartition]int64{{Topic: "bar", Partition: 0}: 200, {Topic: "bar", Partition: 1}: 250}, h.c.Committed("foo"))
	got := h.fetch("foo", spec.TopicPartition{Topic: "bar", Partition: 1})
	diff(t, []spec.OffsetFetchPartition{{TopicPartition: spec.TopicPartition{Topic: "bar", Partition: 1}, Offset: 250, Metadata: "small"}}, got.Partitions)
}

// GMMT.testClassicGroupOnUnloadedEmptyAndPreparingRebalance: unloading kills
// every group; parked joins are answered NOT_COORDINATOR with the member's id
// (GroupMetadataManager.onUnloaded), and so is everything afterwards.
func TestKafka_testClassicGroupOnUnloadedEmptyAndPreparingRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	h.createGroup("empty-group")
	j1 := h.joinDynamic(joinReq("preparing-group"))
	j2 := h.joinDynamic(joinReq("preparing-group"))
	id1, id2 := h.parkedID("preparing-group", j1), h.parkedID("preparing-group", j2)
	h.wantState("preparing-group", spec.PreparingRebalance, 0)
	rd, err := h.c.Step(h.now, spec.Message{Body: &spec.Unload{}})
	if err != nil {
		t.Fatal(err)
	}
	h.absorb(rd)
	h.wantState("empty-group", spec.Dead, 0)
	h.wantState("preparing-group", spec.Dead, 0)
	diff(t, &spec.JoinGroupResponse{ErrorCode: spec.NotCoordinator, GenerationID: -1, MemberID: id1}, j1.join())
	diff(t, &spec.JoinGroupResponse{ErrorCode: spec.NotCoordinator, GenerationID: -1, MemberID: id2}, j2.join())
	h.sendJoin(joinReq("preparing-group").member(id1)).wantJoinError(spec.NotCoordinator)
	if code := h.hb("preparing-group", id1, 0); code != spec.NotCoordinator {
		t.Fatalf("heartbeat %v", code)
	}
}

// GMMT.testClassicGroupOnUnloadedCompletingRebalance: parked syncs are
// answered NOT_COORDINATOR.
func TestKafka_testClassicGroupOnUnloadedCompletingRebalance(t *testing.T) {
	h := newKafkaHarness(t)
	p := h.setupGroupWithPendingMember("group-id")
	j := h.sendJoin(joinReq("group-id").member(p.pendingID))
	h.wantNoRecords()
	gen := j.joinOK().GenerationID
	h.wantMembers("group-id", p.leaderID, p.followerID, p.pendingID)
	fs := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: p.followerID, GenerationID: gen})
	ps := h.sendSync(spec.SyncGroupRequest{GroupID: "group-id", MemberID: p.pendingID, GenerationID: gen})
	fs.wantPending()
	ps.wantPending()
	h.wantState("group-id", spec.CompletingRebalance, gen)
	rd, err := h.c.Step(h.now, spec.Message{Body: &spec.Unload{}})
	if err != nil {
		t.Fatal(err)
	}
	h.absorb(rd)
	h.wantState("group-id", spec.Dead, gen)
	diff(t, &spec.SyncGroupResponse{ErrorCode: spec.NotCoordinator}, fs.sync())
	diff(t, &spec.SyncGroupResponse{ErrorCode: spec.NotCoordinator}, ps.sync())
}

// TestLoadRejectsRecordsNoCoordinatorWrites: a log from outside (a file, a
// fuzzer) that holds a record no coordinator writes is an error naming the
// record and what is wrong, not a group that breaks invariants later (a
// negative rebalance timeout armed a timer that fired forever; generation
// 2^31-1 wrapped on the next rebalance — both found by FuzzRecords).
func TestLoadRejectsRecordsNoCoordinatorWrites(t *testing.T) {
	member := func(id, instance string, session, rebalance int32) GroupRecordMember {
		return GroupRecordMember{MemberID: id, InstanceID: instance, ClientID: "c", SessionTimeoutMs: session, RebalanceTimeoutMs: rebalance}
	}
	group := func(gen int32, protocol, leader string, ms ...GroupRecordMember) Record {
		return Record{Group: &GroupRecord{GroupID: "g", ProtocolType: "consumer", Generation: gen, Protocol: protocol, Leader: leader, Members: ms}}
	}
	ok := member("m-1", "", 10000, 10000)
	for _, c := range []struct {
		rec  Record
		want string
	}{
		{Record{}, "record 0: must hold exactly one kind of record"},
		{Record{Offset: &OffsetRecord{GroupID: "g", TopicPartition: spec.TopicPartition{Topic: "t", Partition: -1}}}, "partition -1"},
		{Record{Offset: &OffsetRecord{TopicPartition: spec.TopicPartition{Topic: "t"}}}, `offset record of group ""`},
		{group(-1, "", ""), "generation -1; want one from 0 to 1073741824"},
		{group(MaxGeneration+1, "", ""), "generation 1073741825"},
		{group(0, "range", "m-1", ok), "wants a generation from 1"},
		{group(1, "", "m-1", ok), "a protocol type and a protocol"},
		{group(1, "range", "m-2", ok), `leader "m-2" is not a member`},
		{group(1, "range", "m-1", ok, ok), `member id "m-1" is empty or listed twice`},
		{group(1, "range", "m-1", member("", "", 10000, 10000)), `member id "" is empty`},
		{group(1, "range", "m-1", member("m-1", "i", 10000, 10000), member("m-2", "i", 10000, 10000)), `instance id "i" is listed twice`},
		{group(1, "range", "m-1", member("m-1", "", 10000, -5)), "rebalance timeout -5 ms"},
		{group(1, "range", "m-1", member("m-1", "", 0, 10000)), "session timeout 0 ms"},
	} {
		if _, _, err := Load(DefaultConfig(), 0, []Record{c.rec}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.rec, err, c.want)
		}
	}
	if _, _, err := Load(DefaultConfig(), 0, []Record{group(MaxGeneration, "range", "m-1", member("m-1", "", 10000, -1))}); err != nil {
		t.Errorf("the largest generation and an old record's rebalance timeout of -1: %v", err)
	}
}

// TestGenerationLimitHalts: a group one below MaxGeneration rebalances to
// it and its log loads; at MaxGeneration the rebalance it must start halts
// the coordinator with ErrGenerationLimit, for that Step and every later
// one, and nothing is written (found by FuzzRecords: the group went to
// 2^30+1, a generation Load refuses, so its own log no longer loaded).
func TestGenerationLimitHalts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.InitialRebalanceDelayMs = 0
	for _, gen := range []int32{MaxGeneration - 1, MaxGeneration} {
		log := []Record{{Group: &GroupRecord{GroupID: "g", ProtocolType: "consumer", Generation: gen}}}
		c, _, err := Load(cfg, 0, log)
		if err != nil {
			t.Fatal(err)
		}
		req := joinReq("g").session(10000).r
		var rd Ready
		// Join (a first join is asked to come back with its member id),
		// then fire the join timer.
		for i := 0; i < 3 && err == nil && c.Describe("g").Generation == gen; i++ {
			if i < 2 {
				rd, err = c.Step(0, spec.Message{From: "c", Correlation: int32(i + 1), Body: &req})
				for _, r := range rd.Responses {
					req.MemberID = r.Body.(*spec.JoinGroupResponse).MemberID
				}
			} else {
				rd, err = c.Tick(0)
			}
			log = append(log, rd.Records...)
		}
		if gen < MaxGeneration {
			if err != nil || c.Describe("g").Generation != MaxGeneration {
				t.Fatalf("from %d: %v, generation %d", gen, err, c.Describe("g").Generation)
			}
			if _, _, err := Load(cfg, 0, log); err != nil {
				t.Fatalf("the log written at MaxGeneration does not load: %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrGenerationLimit) || len(rd.Records) > 0 || c.Describe("g").Generation != MaxGeneration {
			t.Fatalf("at MaxGeneration: %v, %d records; want ErrGenerationLimit and none", err, len(rd.Records))
		}
		if _, err := c.Tick(1); !errors.Is(err, ErrGenerationLimit) {
			t.Fatalf("the Step after: %v", err)
		}
	}
}

// TestLoadRejectsUnknownMemberState: a current assignment record in a
// state Kafka does not know (MemberState.fromValue throws) is refused; it
// used to load, and wrote back as JSON that no longer read (found by
// FuzzConsumerGroupRecords).
func TestLoadRejectsUnknownMemberState(t *testing.T) {
	rec := Record{CGCurrent: &CGCurrentRecord{GroupID: "g", MemberID: "m", State: 5, Epoch: 1}}
	if _, _, err := Load(DefaultConfig(), 0, []Record{rec}); err == nil || !strings.Contains(err.Error(), "in state MemberState(5)") {
		t.Fatalf("error %v, want one naming the state", err)
	}
	rec.CGCurrent.State = spec.MemberUnknown
	if _, _, err := Load(DefaultConfig(), 0, []Record{rec}); err != nil {
		t.Fatal(err)
	}
}

// TestConsumerGroupEpochLimitHalts: a consumer group one below
// MaxGeneration takes a new member and its log loads; at MaxGeneration the
// epoch bump a join (or a fencing) must write halts the coordinator with
// ErrGenerationLimit, and nothing is written. It used to write epoch
// 2^30+1, which Load refuses, so the coordinator's own log no longer
// loaded (found by FuzzConsumerGroupRecords).
func TestConsumerGroupEpochLimitHalts(t *testing.T) {
	join := func(id string) spec.Message {
		return spec.Message{From: id, Body: &spec.ConsumerGroupHeartbeatRequest{GroupID: "g", MemberID: id, RebalanceTimeoutMs: 5000,
			SubscribedTopicNames: []string{"foo"}, TopicPartitions: spec.Assignment{}}}
	}
	for _, epoch := range []int32{MaxGeneration - 1, MaxGeneration} {
		log := []Record{cgEpochRecord("g", epoch), cgTargetEpochRecord("g", epoch)}
		c, _, err := Load(DefaultConfig(), 0, log)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := c.Step(0, join("m1"))
		if epoch < MaxGeneration {
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := Load(DefaultConfig(), 0, append(log, rd.Records...)); err != nil {
				t.Fatalf("the log written at MaxGeneration does not load: %v", err)
			}
			// The member's session ends: its fencing must bump the epoch.
			if _, err := c.Tick(int64(DefaultConfig().ConsumerSessionTimeoutMs) + 1); !errors.Is(err, ErrGenerationLimit) {
				t.Fatalf("fencing at MaxGeneration: %v, want ErrGenerationLimit", err)
			}
			continue
		}
		if !errors.Is(err, ErrGenerationLimit) || len(rd.Records) > 0 {
			t.Fatalf("at MaxGeneration: %v, %d records; want ErrGenerationLimit and none", err, len(rd.Records))
		}
		if _, err := c.Tick(1); !errors.Is(err, ErrGenerationLimit) {
			t.Fatalf("the Step after: %v", err)
		}
	}
}
