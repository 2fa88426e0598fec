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
	mock *mockAssignor
}

func newCGHarness(t *testing.T, topics map[string]int32) *cgHarness {
	t.Helper()
	mock := &mockAssignor{}
	cfg := kafkaTestConfig()
	cfg.mockAssignor = mock
	h := &cgHarness{harness: newHarness(t, cfg), mock: mock}
	h.metadata(topics)
	return h
}

// metadata gives the coordinator a new metadata image.
func (h *cgHarness) metadata(topics map[string]int32) {
	h.t.Helper()
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
