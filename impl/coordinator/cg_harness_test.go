package coordinator

// The consumer group side of the conformance harness: heartbeats, a mock
// server assignor (Kafka's MockPartitionAssignor: it answers what the test
// prepared), and the record-replay check after every step — a coordinator
// loaded from every record written so far holds the same consumer groups
// as the live one, timers aside.

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// mockAssignor returns the prepared plan, and an error when told to.
type mockAssignor struct {
	plan assignors.Plan
	err  error
	// calls counts the assignments computed.
	calls int
}

func (*mockAssignor) Name() string { return "range" }

func (a *mockAssignor) Assign(_ map[string]assignors.TopicMetadata, ms []assignors.Member) (assignors.Plan, error) {
	a.calls++
	if a.err != nil {
		return nil, a.err
	}
	out := assignors.Plan{}
	for _, m := range ms {
		out[m.ID] = a.plan[m.ID].Clone()
		if out[m.ID] == nil {
			out[m.ID] = spec.Assignment{}
		}
	}
	return out, nil
}

type cgHarness struct {
	*harness
	mock   *mockAssignor
	topics map[string]int32 // the last metadata image
}

func newCGHarness(t *testing.T, topics map[string]int32) *cgHarness {
	t.Helper()
	mock := &mockAssignor{}
	cfg := kafkaTestConfig()
	cfg.mockAssignor = mock
	// withConsumerGroupAssignors(singletonList(new MockPartitionAssignor("range"))).
	cfg.ConsumerAssignors = []string{"range"}
	h := &cgHarness{harness: newHarness(t, cfg), mock: mock}
	h.metadata(topics)
	return h
}

// metadata gives the coordinator a new metadata image.
func (h *cgHarness) metadata(topics map[string]int32) {
	h.t.Helper()
	h.topics = topics
	rd, err := h.c.Step(h.now, spec.Message{Body: &spec.MetadataUpdate{Topics: topics}})
	if err != nil {
		h.t.Fatal(err)
	}
	h.absorb(rd)
}

// beat sends a heartbeat and returns its answer, checking replay after.
func (h *cgHarness) beat(r *spec.ConsumerGroupHeartbeatRequest) *spec.ConsumerGroupHeartbeatResponse {
	h.t.Helper()
	resp := h.send(r).answer().(*spec.ConsumerGroupHeartbeatResponse)
	h.checkReplay()
	return resp
}

// beatOK is beat wanting no error.
func (h *cgHarness) beatOK(r *spec.ConsumerGroupHeartbeatRequest) *spec.ConsumerGroupHeartbeatResponse {
	h.t.Helper()
	resp := h.beat(r)
	if resp.ErrorCode != spec.None {
		h.t.Fatalf("heartbeat %s: %s (%s)", spec.FormatBody(r), resp.ErrorCode, resp.ErrorMessage)
	}
	return resp
}

// beatError is beat wanting the error code, and no records written.
func (h *cgHarness) beatError(r *spec.ConsumerGroupHeartbeatRequest, code spec.ErrorCode) {
	h.t.Helper()
	before := len(h.records)
	if resp := h.beat(r); resp.ErrorCode != code {
		h.t.Fatalf("heartbeat %s: %s (%s), want %s", spec.FormatBody(r), resp.ErrorCode, resp.ErrorMessage, code)
	}
	if len(h.records) != before {
		h.t.Fatalf("a failed heartbeat wrote %d records", len(h.records)-before)
	}
}

func (h *cgHarness) tick(ms int64) {
	h.t.Helper()
	h.sleep(ms)
	h.checkReplay()
}

// checkReplay loads the records written so far into a new coordinator and
// compares its consumer groups with the live ones'.
func (h *cgHarness) checkReplay() {
	h.t.Helper()
	cfg := h.c.cfg
	loaded, _, err := Load(cfg, h.now, h.records)
	if err != nil {
		h.t.Fatalf("replaying the log: %v", err)
	}
	if a, b := cgStateNoTimers(h.c), cgStateNoTimers(loaded); !bytes.Equal(a, b) {
		h.t.Fatalf("the live consumer groups differ from their replayed records:\nlive:   %s\nloaded: %s",
			describeCGs(h.c), describeCGs(loaded))
	}
}

// cgStateNoTimers encodes the consumer groups without their timers.
func cgStateNoTimers(c *Coordinator) []byte {
	n := c.Clone()
	for _, g := range n.cgroups {
		g.dead = false
		g.eachTimer(func(t *timer) { t.at = disarmed })
	}
	var b []byte
	e := stateEncoder{rank: map[*timer]int64{}}
	for _, id := range spec.SortedKeys(n.cgroups) {
		b = e.cgroup(b, n.cgroups[id])
	}
	return b
}

func describeCGs(c *Coordinator) string {
	var b bytes.Buffer
	for _, id := range spec.SortedKeys(c.cgroups) {
		v := c.cgroups[id].view()
		fmt.Fprintf(&b, "%s %s epoch=%d target-epoch=%d;", id, v.State, v.Epoch, v.AssignmentEpoch)
		for _, m := range v.Members {
			fmt.Fprintf(&b, " %s(%s e=%d p=%d a=%s r=%s t=%s)", m.MemberID, m.State, m.Epoch, m.PreviousEpoch,
				m.Assigned, m.PendingRevocation, m.Target)
		}
	}
	return b.String()
}

// cgReq builds heartbeats.
type cgReq struct {
	r spec.ConsumerGroupHeartbeatRequest
}

// cgJoin is a first heartbeat: epoch 0, every field a join needs.
func cgJoin(group, member string, topics ...string) *cgReq {
	return &cgReq{spec.ConsumerGroupHeartbeatRequest{GroupID: group, MemberID: member, MemberEpoch: 0,
		RebalanceTimeoutMs: 5000, SubscribedTopicNames: topics, TopicPartitions: spec.Assignment{}}}
}

// cgBeat is a plain heartbeat: every optional field null.
func cgBeat(group, member string, epoch int32) *cgReq {
	return &cgReq{spec.ConsumerGroupHeartbeatRequest{GroupID: group, MemberID: member, MemberEpoch: epoch,
		RebalanceTimeoutMs: -1}}
}

func (b *cgReq) owned(a spec.Assignment) *cgReq           { b.r.TopicPartitions = a; return b }
func (b *cgReq) instance(id string) *cgReq                { b.r.InstanceID = spec.Str(id); return b }
func (b *cgReq) topics(ts ...string) *cgReq               { b.r.SubscribedTopicNames = ts; return b }
func (b *cgReq) assignor(name string) *cgReq              { b.r.ServerAssignor = spec.Str(name); return b }
func (b *cgReq) rebalance(ms int32) *cgReq                { b.r.RebalanceTimeoutMs = ms; return b }
func (b *cgReq) req() *spec.ConsumerGroupHeartbeatRequest { r := b.r; return &r }

// asg builds an assignment: asg("foo", 0, 1, "bar", 2) is foo[0 1] bar[2].
func asg(args ...any) spec.Assignment {
	a := spec.Assignment{}
	topic := ""
	for _, x := range args {
		switch v := x.(type) {
		case string:
			topic = v
			a[topic] = a[topic][:len(a[topic]):len(a[topic])]
		case int:
			a[topic] = append(a[topic], int32(v))
		}
	}
	a.Normalize()
	return a
}

// cgMember returns the consumer group member's view.
func (h *cgHarness) member(group, id string) spec.ConsumerMemberView {
	h.t.Helper()
	v, ok := h.c.DescribeConsumerGroup(group)
	if !ok {
		h.t.Fatalf("no consumer group %s", group)
	}
	m, ok := v.Member(id)
	if !ok {
		h.t.Fatalf("group %s has no member %s: %s", group, id, describeCGs(h.c))
	}
	return m
}

// The fixtures of Kafka's tests: ConsumerGroupBuilder's records, and
// GroupMetadataManagerTestContext.replay, which kgroup does by loading a
// coordinator from every record so far.

// fixtureMember is a member as Kafka's tests build it with
// ConsumerGroupMember.Builder: rebalance timeout 5000 ms (kgroup's member
// record wants one; Kafka's tests often leave it unset) and server assignor
// "range".
type fixtureMember struct {
	id, instance       string
	state              spec.MemberState
	epoch, prev        int32
	topics             []string
	assigned, revoking spec.Assignment
}

func (m fixtureMember) memberRecord(group string) Record {
	return Record{CGMember: &CGMemberRecord{GroupID: group, MemberID: m.id, InstanceID: m.instance,
		RebalanceTimeoutMs: 5000, Topics: sortedSet(m.topics), ServerAssignor: "range"}}
}

func (m fixtureMember) currentRecord(group string) Record {
	return Record{CGCurrent: &CGCurrentRecord{GroupID: group, MemberID: m.id, State: m.state, Epoch: m.epoch,
		PreviousEpoch: m.prev, Assigned: normalized(m.assigned), PendingRevocation: normalized(m.revoking)}}
}

// cgFixture is ConsumerGroupBuilder.
type cgFixture struct {
	group                  string
	epoch, assignmentEpoch int32
	members                []fixtureMember
	targets                map[string]spec.Assignment
	// subscription is withSubscriptionMetadata; nil computes it from the
	// members' topics and the metadata image, as the builder does.
	subscription map[string]int32
}

// records are ConsumerGroupBuilder.build's records, in its order.
func (f cgFixture) records(image map[string]int32) []Record {
	var recs []Record
	for _, m := range f.members {
		recs = append(recs, m.memberRecord(f.group))
	}
	sub := f.subscription
	if sub == nil {
		sub = map[string]int32{}
		for _, m := range f.members {
			for _, t := range m.topics {
				if n, ok := image[t]; ok {
					sub[t] = n
				}
			}
		}
	}
	if len(sub) > 0 {
		recs = append(recs, cgSubscriptionRecord(f.group, sub))
	}
	recs = append(recs, cgEpochRecord(f.group, f.epoch))
	for _, id := range spec.SortedKeys(f.targets) {
		recs = append(recs, cgTargetRecord(f.group, id, f.targets[id]))
	}
	recs = append(recs, cgTargetEpochRecord(f.group, f.assignmentEpoch))
	for _, m := range f.members {
		recs = append(recs, m.currentRecord(f.group))
	}
	return recs
}

// withGroup is GroupMetadataManagerTestContext.Builder.withConsumerGroup.
func (h *cgHarness) withGroup(f cgFixture) { h.t.Helper(); h.replay(f.records(h.topics)...) }

// replay is GroupMetadataManagerTestContext.replay: the coordinator is
// loaded again from every record so far and recs, and given the metadata
// image again (Load starts without one).
func (h *cgHarness) replay(recs ...Record) {
	h.t.Helper()
	h.records = append(h.records, recs...)
	c, _, err := Load(h.c.cfg, h.now, h.records)
	if err != nil {
		h.t.Fatalf("replaying: %v", err)
	}
	h.c = c
	h.metadata(h.topics)
}

// wantResponse compares a heartbeat's answer with Kafka's, message aside.
func (h *cgHarness) wantResponse(got *spec.ConsumerGroupHeartbeatResponse, want spec.ConsumerGroupHeartbeatResponse) {
	h.t.Helper()
	g := *got
	g.ErrorMessage = ""
	if diff := cmp.Diff(&want, &g); diff != "" {
		h.t.Fatalf("response (-want +got):\n%s", diff)
	}
}

// wantLast compares the records of the last step with Kafka's.
func (h *cgHarness) wantLast(want ...string) {
	h.t.Helper()
	wantRecords(h.t, h.last.Records, want...)
}

// wantMessage is beatError that also wants Kafka's exception message.
func (h *cgHarness) wantMessage(r *spec.ConsumerGroupHeartbeatRequest, code spec.ErrorCode, msg string) {
	h.t.Helper()
	before := len(h.records)
	resp := h.beat(r)
	if resp.ErrorCode != code || resp.ErrorMessage != msg {
		h.t.Fatalf("heartbeat %s: %s %q, want %s %q", spec.FormatBody(r), resp.ErrorCode, resp.ErrorMessage, code, msg)
	}
	if len(h.records) != before {
		h.t.Fatalf("a failed heartbeat wrote %d records", len(h.records)-before)
	}
}

// cgState is context.consumerGroupState.
func (h *cgHarness) cgState(group string) spec.ConsumerGroupState {
	h.t.Helper()
	v, ok := h.c.DescribeConsumerGroup(group)
	if !ok {
		h.t.Fatalf("no consumer group %s", group)
	}
	return v.State
}

// timers returns when the member's session and rebalance timers are due,
// -1 when disarmed (assertSessionTimeout / assertRebalanceTimeout).
func (h *cgHarness) timers(group, member string) (session, rebalance int64) {
	h.t.Helper()
	g, ok := h.c.cgroups[group]
	if !ok {
		return -1, -1
	}
	m, ok := g.members[member]
	if !ok {
		return -1, -1
	}
	at := func(t *timer) int64 {
		if t.at == disarmed {
			return -1
		}
		return t.at
	}
	return at(&m.session), at(&m.rebalance)
}
