package coordinator

// The harness of the Kafka conformance tests (kafka_*_test.go): a coordinator
// driven like Kafka's GroupMetadataManagerTestContext drives
// GroupMetadataManager — send a request, look at its answer (now or, for a
// parked JoinGroup or SyncGroup, later), sleep to fire timers, inspect the
// records written.
//
// One difference in timing runs through every test: Kafka's
// MockCoordinatorTimer runs an expired timer at the end of the sleep that
// passed its deadline, so a timer armed by it counts from that later time;
// kgroup's Tick fires each timer at its own deadline. The tests therefore
// sleep to deadlines exactly (sleepUntil), which makes both clocks agree.

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/spec"
)

// kafkaTestConfig is the configuration of GroupMetadataManagerTestContext:
// Kafka's defaults, except session timeouts from 10 ms to 10 minutes.
func kafkaTestConfig() Config {
	cfg := DefaultConfig()
	cfg.MinSessionTimeoutMs = 10
	cfg.MaxSessionTimeoutMs = 10 * 60 * 1000
	return cfg
}

type callKey struct {
	to   string
	corr int32
}

type harness struct {
	t       *testing.T
	c       *Coordinator
	now     int64
	corr    int32
	answers map[callKey]spec.Response
	last    Ready    // what the last request or sleep produced
	records []Record // every record written so far
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, c: c, answers: map[callKey]spec.Response{}}
}

func newKafkaHarness(t *testing.T) *harness { return newHarness(t, kafkaTestConfig()) }

// absorb files the responses of rd by (to, correlation); a request answered
// twice is a bug.
func (h *harness) absorb(rd Ready) {
	h.t.Helper()
	for _, m := range rd.Responses {
		k := callKey{m.To, m.Correlation}
		if _, dup := h.answers[k]; dup {
			h.t.Fatalf("request %v answered twice", k)
		}
		h.answers[k] = m.Body.(spec.Response)
	}
	for _, tr := range rd.Transitions {
		if !spec.CanTransition(tr.From, tr.To) {
			h.t.Fatalf("transition %v not allowed by Kafka", tr)
		}
	}
	// A Ready's slices are reused by the coordinator's next step: keep copies.
	h.last = Ready{Responses: slices.Clone(rd.Responses), Records: slices.Clone(rd.Records),
		Transitions: slices.Clone(rd.Transitions)}
	h.records = append(h.records, rd.Records...)
}

// call is a request sent; its answer may come later.
type call struct {
	h   *harness
	key callKey
}

func (h *harness) send(req spec.Request) *call {
	h.t.Helper()
	h.corr++
	k := callKey{"client", h.corr}
	rd, err := h.c.Step(h.now, spec.Message{From: k.to, To: spec.CoordinatorNode, Correlation: k.corr, Body: req})
	if err != nil {
		h.t.Fatal(err)
	}
	h.absorb(rd)
	return &call{h, k}
}

func (c *call) done() bool { _, ok := c.h.answers[c.key]; return ok }

func (c *call) answer() spec.Response {
	c.h.t.Helper()
	r, ok := c.h.answers[c.key]
	if !ok {
		c.h.t.Fatalf("request %v not answered yet", c.key)
	}
	return r
}

func (c *call) join() *spec.JoinGroupResponse {
	c.h.t.Helper()
	return c.answer().(*spec.JoinGroupResponse)
}
func (c *call) sync() *spec.SyncGroupResponse {
	c.h.t.Helper()
	return c.answer().(*spec.SyncGroupResponse)
}

// joinOK returns the JoinGroup answer, which must be a success.
func (c *call) joinOK() *spec.JoinGroupResponse {
	c.h.t.Helper()
	r := c.join()
	if r.ErrorCode != spec.None {
		c.h.t.Fatalf("JoinGroup answered %v", r.ErrorCode)
	}
	return r
}

// wantPending fails unless the request is still parked.
func (c *call) wantPending() {
	c.h.t.Helper()
	if c.done() {
		c.h.t.Fatalf("request %v answered %+v, want it parked", c.key, c.h.answers[c.key])
	}
}

// wantJoinError fails unless the JoinGroup was answered with code.
func (c *call) wantJoinError(code spec.ErrorCode) {
	c.h.t.Helper()
	if got := c.join().ErrorCode; got != code {
		c.h.t.Fatalf("JoinGroup answered %v, want %v", got, code)
	}
}

// wantSyncError fails unless the SyncGroup was answered with code.
func (c *call) wantSyncError(code spec.ErrorCode) {
	c.h.t.Helper()
	if got := c.sync().ErrorCode; got != code {
		c.h.t.Fatalf("SyncGroup answered %v, want %v", got, code)
	}
}

// sleep advances the clock by ms, firing every timer due on the way.
func (h *harness) sleep(ms int64) { h.t.Helper(); h.sleepUntil(h.now + ms) }

func (h *harness) sleepUntil(at int64) {
	h.t.Helper()
	h.now = at
	rd, err := h.c.Tick(at)
	if err != nil {
		h.t.Fatal(err)
	}
	h.absorb(rd)
}

// runUntil sleeps from deadline to deadline until cond holds.
func (h *harness) runUntil(cond func() bool) {
	h.t.Helper()
	for i := 0; !cond(); i++ {
		at, ok := h.c.NextDeadline()
		if !ok || i > 100 {
			h.t.Fatal("condition never became true")
		}
		h.sleepUntil(max(at, h.now))
	}
}

// joinB builds a JoinGroup request; its defaults are those of Kafka's
// JoinGroupRequestBuilder with withDefaultProtocolTypeAndProtocols().
type joinB struct{ r spec.JoinGroupRequest }

func joinReq(group string) joinB {
	return joinB{spec.JoinGroupRequest{GroupID: group, ProtocolType: "consumer", Protocols: protocols("range"),
		SessionTimeoutMs: 500, RebalanceTimeoutMs: 500, ClientID: "client"}}
}

func (b joinB) member(id string) joinB      { b.r.MemberID = id; return b }
func (b joinB) instance(id string) joinB    { b.r.GroupInstanceID = id; return b }
func (b joinB) protocolType(t string) joinB { b.r.ProtocolType = t; return b }
func (b joinB) session(ms int32) joinB      { b.r.SessionTimeoutMs = ms; return b }
func (b joinB) rebalance(ms int32) joinB    { b.r.RebalanceTimeoutMs = ms; return b }
func (b joinB) protocols(n ...string) joinB { b.r.Protocols = protocols(n...); return b }
func (b joinB) superset() joinB             { return b.protocols("range", "roundrobin") }

// protocols is GroupMetadataManagerTestContext.toProtocols: the i-th protocol
// subscribes to foo, bar or baz in turn.
func protocols(names ...string) []spec.Protocol {
	topics := []string{"foo", "bar", "baz"}
	ps := []spec.Protocol{}
	for i, n := range names {
		ps = append(ps, spec.Protocol{Name: n, Metadata: spec.Subscription{Topics: []string{topics[i%3]}, GenerationID: -1}})
	}
	return ps
}

func (h *harness) sendJoin(b joinB) *call {
	h.t.Helper()
	r := b.r
	r.Protocols = slices.Clone(r.Protocols)
	return h.send(&r)
}

// joinDynamic is a dynamic member's two JoinGroups (KIP-394): the first is
// answered MEMBER_ID_REQUIRED with an id, the second, with that id, is
// returned (usually parked).
func (h *harness) joinDynamic(b joinB) *call {
	h.t.Helper()
	first := h.sendJoin(b.member(""))
	first.wantJoinError(spec.MemberIDRequired)
	return h.sendJoin(b.member(first.join().MemberID))
}

// joinAndCompleteJoin is joinClassicGroupAsDynamicMemberAndCompleteJoin (and,
// with an instance id, joinClassicGroupAndCompleteJoin): the first member of
// a new group joins and the initial delay completes the join.
func (h *harness) joinAndCompleteJoin(b joinB) *spec.JoinGroupResponse {
	h.t.Helper()
	var c *call
	if b.r.GroupInstanceID == "" && b.r.MemberID == "" {
		c = h.joinDynamic(b)
	} else {
		c = h.sendJoin(b)
	}
	c.wantPending()
	h.sleep(h.c.cfg.InitialRebalanceDelayMs)
	return c.joinOK()
}

// completeRebalance is joinClassicGroupAsDynamicMemberAndCompleteRebalance:
// one dynamic member (rebalance 10000, session 5000) joins, syncs, and the
// group is Stable at generation 1.
func (h *harness) completeRebalance(group string) *spec.JoinGroupResponse {
	h.t.Helper()
	resp := h.joinAndCompleteJoin(joinReq(group).rebalance(10000).session(5000))
	h.wantState(group, spec.CompletingRebalance, 1)
	s := h.sendSync(spec.SyncGroupRequest{GroupID: group, MemberID: resp.MemberID, GenerationID: resp.GenerationID})
	s.wantSyncError(spec.None)
	h.wantGroupRecords(1)
	h.wantState(group, spec.Stable, 1)
	return resp
}

func (h *harness) sendSync(r spec.SyncGroupRequest) *call { h.t.Helper(); return h.send(&r) }

func (h *harness) heartbeat(r spec.HeartbeatRequest) spec.ErrorCode {
	h.t.Helper()
	return h.send(&r).answer().(*spec.HeartbeatResponse).ErrorCode
}

// hb is a heartbeat of a dynamic member.
func (h *harness) hb(group, member string, gen int32) spec.ErrorCode {
	h.t.Helper()
	return h.heartbeat(spec.HeartbeatRequest{GroupID: group, MemberID: member, GenerationID: gen})
}

func (h *harness) leave(group string, ms ...spec.LeaveGroupMember) *spec.LeaveGroupResponse {
	h.t.Helper()
	return h.send(&spec.LeaveGroupRequest{GroupID: group, Members: ms}).answer().(*spec.LeaveGroupResponse)
}

func (h *harness) commit(r spec.OffsetCommitRequest) *spec.OffsetCommitResponse {
	h.t.Helper()
	return h.send(&r).answer().(*spec.OffsetCommitResponse)
}

func (h *harness) fetch(group string, tps ...spec.TopicPartition) *spec.OffsetFetchResponse {
	h.t.Helper()
	return h.send(&spec.OffsetFetchRequest{GroupID: group, Partitions: tps}).answer().(*spec.OffsetFetchResponse)
}

func assignTo(member, topic string, parts ...int32) spec.SyncGroupAssignment {
	return spec.SyncGroupAssignment{MemberID: member, Assignment: spec.MemberAssignment{Partitions: spec.Assignment{topic: parts}}}
}

// group is the coordinator's own group (the test context's
// getOrMaybeCreateClassicGroup); it must exist.
func (h *harness) group(id string) *group {
	h.t.Helper()
	g, ok := h.c.groups[id]
	if !ok {
		h.t.Fatalf("no group %s", id)
	}
	return g
}

// force moves a group through states as Kafka's tests do with
// ClassicGroup.transitionTo, checking each step is allowed.
func (h *harness) force(id string, states ...spec.GroupState) {
	h.t.Helper()
	for _, s := range states {
		h.c.transition(h.group(id), s)
	}
	h.c.flush()
}

func (h *harness) wantState(id string, state spec.GroupState, gen int32) {
	h.t.Helper()
	v := h.c.Describe(id)
	if v.State != state || v.Generation != gen {
		h.t.Fatalf("group %s is %v gen %d, want %v gen %d", id, v.State, v.Generation, state, gen)
	}
}

// wantMembers fails unless the group counts exactly these members.
func (h *harness) wantMembers(id string, members ...string) {
	h.t.Helper()
	var got []string
	for _, m := range h.c.Describe(id).Members {
		got = append(got, m.MemberID)
	}
	slices.Sort(members)
	if !slices.Equal(got, members) {
		h.t.Fatalf("group %s has members %v, want %v", id, got, members)
	}
}

func (h *harness) numMembers(id string) int { return len(h.c.Describe(id).Members) }

// wantGroupRecords fails unless the last step wrote n records, all group
// records, and returns them.
func (h *harness) wantGroupRecords(n int) []*GroupRecord {
	h.t.Helper()
	if len(h.last.Records) != n {
		h.t.Fatalf("last step wrote %d records %v, want %d", len(h.last.Records), h.last.Records, n)
	}
	var out []*GroupRecord
	for _, r := range h.last.Records {
		if r.Group == nil {
			h.t.Fatalf("record %v is not a group record", r)
		}
		out = append(out, r.Group)
	}
	return out
}

func (h *harness) wantNoRecords() { h.t.Helper(); h.wantGroupRecords(0) }

// wantRecordOfGroup fails unless the last step wrote exactly one group
// record, equal to the group as it now stands (Kafka's
// newGroupMetadataRecord(group, group.groupAssignment())).
func (h *harness) wantRecordOfGroup(id string) *GroupRecord {
	h.t.Helper()
	got := h.wantGroupRecords(1)[0]
	want := groupRecord(h.group(id)).Group
	if d := cmp.Diff(want, got); d != "" {
		h.t.Fatalf("group record differs from the group (-group +record):\n%s", d)
	}
	return got
}

// verifySessionExpiration is the test context's helper of that name: after
// ms every member's session has expired, the group is Empty, and only the
// last removal wrote a record, of the empty group.
func (h *harness) verifySessionExpiration(id string, ms int64) {
	h.t.Helper()
	gen := h.c.Describe(id).Generation
	h.sleep(ms)
	rec := h.wantGroupRecords(1)[0]
	if len(rec.Members) != 0 || rec.Generation != gen+1 || rec.Leader != "" || rec.Protocol != "" || rec.ProtocolType != "consumer" {
		h.t.Fatalf("record %+v is not the empty group at generation %d", rec, gen+1)
	}
	h.wantState(id, spec.Empty, gen+1)
	h.wantMembers(id)
}

func diff[T any](t *testing.T, want, got T) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// rebalanceResult is the test context's RebalanceResult.
type rebalanceResult struct {
	gen                                  int32
	leaderID, followerID                 string
	leaderAssignment, followerAssignment spec.MemberAssignment
}

// staticMembersJoinAndRebalance is the test context's helper of that name:
// two static members with protocols [range, roundrobin] join a new group,
// the leader assigns foo-0 to itself and foo-1 to the follower, both sync,
// and the group is Stable at generation 1.
func (h *harness) staticMembersJoinAndRebalance(group, leaderInst, followerInst string, rebalanceMs, sessionMs int32) rebalanceResult {
	h.t.Helper()
	b := joinReq(group).superset().rebalance(rebalanceMs).session(sessionMs)
	leader := h.sendJoin(b.instance(leaderInst))
	follower := h.sendJoin(b.instance(followerInst))
	leader.wantPending()
	follower.wantPending()
	// The first delay ends with a member added during it: the join waits
	// another delay (or what is left of the rebalance timeout).
	h.sleep(h.c.cfg.InitialRebalanceDelayMs)
	leader.wantPending()
	h.runUntil(leader.done)
	l, f := leader.joinOK(), follower.joinOK()
	if l.GenerationID != 1 || f.GenerationID != 1 || l.Leader != l.MemberID {
		h.t.Fatalf("join answers %+v %+v", l, f)
	}
	h.wantState(group, spec.CompletingRebalance, 1)
	s := h.sendSync(spec.SyncGroupRequest{GroupID: group, GroupInstanceID: leaderInst, MemberID: l.MemberID, GenerationID: 1,
		Assignments: []spec.SyncGroupAssignment{assignTo(l.MemberID, "foo", 0), assignTo(f.MemberID, "foo", 1)}})
	rec := h.wantGroupRecords(1)[0]
	if len(rec.Members) != 2 || rec.Generation != 1 {
		h.t.Fatalf("leader's sync wrote %+v", rec)
	}
	s.wantSyncError(spec.None)
	h.wantState(group, spec.Stable, 1)
	fs := h.sendSync(spec.SyncGroupRequest{GroupID: group, GroupInstanceID: followerInst, MemberID: f.MemberID, GenerationID: 1})
	h.wantNoRecords()
	fs.wantSyncError(spec.None)
	return rebalanceResult{gen: 1, leaderID: l.MemberID, followerID: f.MemberID,
		leaderAssignment: s.sync().Assignment, followerAssignment: fs.sync().Assignment}
}

func (h *harness) staticMembersJoinAndRebalanceDefault(group, leaderInst, followerInst string) rebalanceResult {
	h.t.Helper()
	return h.staticMembersJoinAndRebalance(group, leaderInst, followerInst, 10000, 5000)
}

// pendingResult is the test context's PendingMemberGroupResult.
type pendingResult struct{ leaderID, followerID, pendingID string }

// setupGroupWithPendingMember is the test context's helper of that name: a
// leader and a follower (rebalance 10000, session 5000) in a group that is
// PreparingRebalance at generation 2 with both rejoining — the follower still
// parked — and a third member pending (KIP-394, session 2500).
func (h *harness) setupGroupWithPendingMember(group string) pendingResult {
	h.t.Helper()
	b := joinReq(group).rebalance(10000).session(5000)
	leader := h.joinAndCompleteJoin(b)
	h.sendSync(spec.SyncGroupRequest{GroupID: group, MemberID: leader.MemberID, GenerationID: leader.GenerationID,
		Assignments: []spec.SyncGroupAssignment{{MemberID: leader.MemberID}}}).wantSyncError(spec.None)
	h.wantRecordOfGroup(group)

	follower := h.joinDynamic(b)
	follower.wantPending()
	lj := h.sendJoin(b.member(leader.MemberID))
	h.wantState(group, spec.CompletingRebalance, 2)
	if lj.joinOK().Leader != leader.MemberID || follower.joinOK().Leader != leader.MemberID {
		h.t.Fatal("the leader changed")
	}
	followerID := follower.join().MemberID
	h.sendSync(spec.SyncGroupRequest{GroupID: group, MemberID: leader.MemberID, GenerationID: 2,
		Assignments: []spec.SyncGroupAssignment{{MemberID: leader.MemberID}}}).wantSyncError(spec.None)
	h.wantRecordOfGroup(group)
	h.wantState(group, spec.Stable, 2)

	h.sendJoin(b.member(leader.MemberID)).wantPending()
	h.wantState(group, spec.PreparingRebalance, 2)
	pending := h.sendJoin(b.member("").session(2500))
	pending.wantJoinError(spec.MemberIDRequired)
	if n := len(h.group(group).pending); n != 1 {
		h.t.Fatalf("%d pending members, want 1", n)
	}
	h.sendJoin(b.member(followerID)).wantPending()
	h.wantState(group, spec.PreparingRebalance, 2)
	if h.numMembers(group) != 2 {
		h.t.Fatal("want 2 members")
	}
	return pendingResult{leader.MemberID, followerID, pending.join().MemberID}
}

// joinWithNMembers is the test context's helper of that name: n dynamic
// members join a new group, wait out the initial delay and its extension,
// and the group is CompletingRebalance at generation 1.
func (h *harness) joinWithNMembers(group string, n int, rebalanceMs, sessionMs int32) []*spec.JoinGroupResponse {
	h.t.Helper()
	b := joinReq(group).rebalance(rebalanceMs).session(sessionMs)
	var ids []string
	for range n {
		c := h.sendJoin(b)
		c.wantJoinError(spec.MemberIDRequired)
		ids = append(ids, c.join().MemberID)
	}
	var calls []*call
	for _, id := range ids {
		c := h.sendJoin(b.member(id))
		c.wantPending()
		calls = append(calls, c)
	}
	h.sleep(h.c.cfg.InitialRebalanceDelayMs)
	for _, c := range calls {
		c.wantPending()
	}
	h.runUntil(calls[0].done)
	var out []*spec.JoinGroupResponse
	for _, c := range calls {
		out = append(out, c.joinOK())
	}
	h.wantState(group, spec.CompletingRebalance, 1)
	if h.numMembers(group) != n {
		h.t.Fatalf("want %d members", n)
	}
	return out
}

// createGroup is the test context's createClassicGroup: an Empty group in
// memory, with nothing written.
func (h *harness) createGroup(id string) { h.c.group(id) }

// prepareRebalance is GroupMetadataManager.prepareRebalance called directly,
// as some Kafka tests do.
func (h *harness) prepareRebalance(id string) {
	h.c.prepareRebalance(h.group(id))
	h.absorb(h.c.flush())
}

// verifyJoinResponses is GroupMetadataManagerTest.verifyClassicGroupJoinResponses:
// every JoinGroup is answered, want of them successfully and the rest with
// failure; it returns the member ids answered ("" for the failures).
func (h *harness) verifyJoinResponses(calls []*call, want int, failure spec.ErrorCode) []string {
	h.t.Helper()
	ok := 0
	var ids []string
	for _, c := range calls {
		r := c.join()
		switch r.ErrorCode {
		case spec.None:
			ok++
		case failure:
		default:
			h.t.Fatalf("JoinGroup answered %v, want NONE or %v", r.ErrorCode, failure)
		}
		ids = append(ids, r.MemberID)
	}
	if ok != want {
		h.t.Fatalf("%d JoinGroups succeeded, want %d", ok, want)
	}
	return ids
}

// parkedID is the member id of the member whose JoinGroup c is parked.
func (h *harness) parkedID(group string, c *call) string {
	h.t.Helper()
	for _, m := range h.group(group).members {
		if m.join != nil && *m.join == (parked{c.key.to, c.key.corr}) {
			return m.id
		}
	}
	h.t.Fatal("no member parked with that request")
	return ""
}
