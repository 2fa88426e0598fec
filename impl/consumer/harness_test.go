package consumer_test

// The harness plays the group coordinator for one consumer: it collects the
// requests the consumer sends and lets a test answer them one by one with
// synthetic responses, the way Kafka's ConsumerCoordinatorTest and
// AbstractCoordinatorTest script a MockClient.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

type harness struct {
	t      *testing.T
	c      *consumer.Consumer
	now    int64
	topics map[string]int32
	// sent are the requests not answered yet, oldest first.
	sent []spec.Message
	// events are the callbacks not yet checked by wantEvents.
	events []spec.Event
	// auto answers every request of a kind at once.
	auto map[spec.APIKey]func(spec.Message) spec.Response
}

// tp builds a TopicPartition.
func tp(topic string, p int32) spec.TopicPartition {
	return spec.TopicPartition{Topic: topic, Partition: p}
}

// baseConfig is a dynamic consumer "c1" of group "g" subscribed to topic t,
// with the range assignor and Kafka's defaults, auto-commit off.
func baseConfig() consumer.Config {
	cfg := consumer.DefaultConfig("c1", "g", "t")
	cfg.AutoCommit = false
	return cfg
}

// start starts a consumer at time 0 with topic t of two partitions.
func start(t *testing.T, cfg consumer.Config) *harness {
	t.Helper()
	return startWith(t, cfg, map[string]int32{"t": 2})
}

// startWith starts a consumer at time 0 with the given topics.
func startWith(t *testing.T, cfg consumer.Config, topics map[string]int32) *harness {
	t.Helper()
	h := &harness{t: t, topics: topics, auto: map[spec.APIKey]func(spec.Message) spec.Response{}}
	c, out, err := consumer.New(cfg, 0)
	if err != nil {
		t.Fatalf("consumer.New: %v", err)
	}
	h.c = c
	h.absorb(out, nil)
	return h
}

// absorb records what the consumer did, answers metadata requests with
// h.topics, and answers requests of kinds with an auto responder.
func (h *harness) absorb(out consumer.Output, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("at %d: %v", h.now, err)
	}
	h.events = append(h.events, out.Events...)
	h.sent = append(h.sent, out.Messages...)
	if out.NeedMetadata {
		h.absorb(h.c.Step(h.now, spec.Message{Body: &spec.MetadataUpdate{Topics: h.topics}}))
	}
	for {
		i := slices.IndexFunc(h.sent, func(m spec.Message) bool { return h.auto[m.Key()] != nil })
		if i < 0 {
			return
		}
		m := h.sent[i]
		h.sent = slices.Delete(h.sent, i, i+1)
		h.deliver(m, h.auto[m.Key()](m))
	}
}

func (h *harness) deliver(req spec.Message, resp spec.Response) {
	h.t.Helper()
	h.absorb(h.c.Step(h.now, spec.Message{From: spec.CoordinatorNode, To: req.From, Correlation: req.Correlation, Body: resp}))
}

// reply answers req (which must have been taken with expect).
func (h *harness) reply(req spec.Message, resp spec.Response) { h.t.Helper(); h.deliver(req, resp) }

// expect takes the oldest unanswered request of kind; it fails the test if there is none.
func (h *harness) expect(kind spec.APIKey) spec.Message {
	h.t.Helper()
	i := slices.IndexFunc(h.sent, func(m spec.Message) bool { return m.Key() == kind })
	if i < 0 {
		h.t.Fatalf("at %d: no %s request; unanswered: %v", h.now, kind, h.sent)
	}
	m := h.sent[i]
	h.sent = slices.Delete(h.sent, i, i+1)
	return m
}

// none fails the test if an unanswered request of kind is waiting.
func (h *harness) none(kind spec.APIKey) {
	h.t.Helper()
	for _, m := range h.sent {
		if m.Key() == kind {
			h.t.Fatalf("at %d: unexpected %s", h.now, m)
		}
	}
}

// drop forgets every unanswered request of kind (the network lost them).
func (h *harness) drop(kind spec.APIKey) {
	h.sent = slices.DeleteFunc(h.sent, func(m spec.Message) bool { return m.Key() == kind })
}

// at fires the timers due at time t.
func (h *harness) at(t int64) { h.t.Helper(); h.now = t; h.absorb(h.c.Tick(t)) }

// runTo ticks at every deadline up to t, then at t. A deadline that a tick
// does not move on is a bug: the test fails instead of spinning.
func (h *harness) runTo(t int64) {
	h.t.Helper()
	for same := 0; ; same++ {
		d, ok := h.c.NextDeadline()
		if !ok || d > t {
			break
		}
		if d > h.now {
			same = 0
		} else if same > 100 {
			h.t.Fatalf("at %d: deadline %d stays due after ticks", h.now, d)
		}
		h.at(max(d, h.now))
	}
	h.at(t)
}

func (h *harness) stall()   { h.t.Helper(); h.input(&spec.Stall{}) }
func (h *harness) unstall() { h.t.Helper(); h.input(&spec.Unstall{}) }
func (h *harness) close()   { h.t.Helper(); h.input(&spec.Close{}) }

// input gives the consumer a local input now.
func (h *harness) input(body any) { h.t.Helper(); h.absorb(h.c.Step(h.now, spec.Message{Body: body})) }
func (h *harness) consume(n int64) {
	h.t.Helper()
	h.input(&spec.Consume{Records: n})
	h.events = slices.DeleteFunc(h.events, func(e spec.Event) bool { return e.Kind == spec.EvProcessed })
}

// commit is commitSync; it returns the local refusal, if any.
func (h *harness) commit() string {
	h.t.Helper()
	out, err := h.c.Step(h.now, spec.Message{Body: &spec.Commit{}})
	h.absorb(out, err)
	return out.Refused
}

// metadata changes the topics and tells the consumer.
func (h *harness) metadata(topics map[string]int32) {
	h.t.Helper()
	h.topics = topics
	h.input(&spec.MetadataUpdate{Topics: topics})
}

func evString(e spec.Event) string {
	switch e.Kind {
	case spec.EvFailed:
		return "failed " + e.Detail
	case spec.EvAssigned, spec.EvRevoked, spec.EvLost:
		return string(e.Kind) + " " + spec.FormatPartitions(e.Partitions)
	}
	return e.String()
}

// wantEvents checks the callbacks since the last check, in order.
func (h *harness) wantEvents(want ...string) {
	h.t.Helper()
	got := make([]string, 0, len(h.events))
	for _, e := range h.events {
		got = append(got, evString(e))
	}
	h.events = nil
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		h.t.Fatalf("at %d: callbacks\n got %q\nwant %q", h.now, got, want)
	}
}

// wantFailed checks that the consumer stopped on a fatal error mentioning what.
func (h *harness) wantFailed(what string) {
	h.t.Helper()
	if h.c.Alive() {
		h.t.Fatalf("at %d: consumer still alive, want a fatal %s", h.now, what)
	}
	for _, e := range h.events {
		if e.Kind == spec.EvFailed && strings.Contains(e.Detail, what) {
			h.events = nil
			return
		}
	}
	h.t.Fatalf("at %d: no failure mentioning %q in %v", h.now, what, h.events)
}

// wantView checks member id, generation and state.
func (h *harness) wantView(member string, gen int32, state spec.ClientState) {
	h.t.Helper()
	v := h.c.View()
	if v.MemberID != member || v.Generation != gen || v.State != state {
		h.t.Fatalf("at %d: view member=%q gen=%d %s, want member=%q gen=%d %s",
			h.now, v.MemberID, v.Generation, v.State, member, gen, state)
	}
}

// wantOwned checks the partitions the consumer owns.
func (h *harness) wantOwned(want ...spec.TopicPartition) {
	h.t.Helper()
	if got := h.c.View().Owned; !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		h.t.Fatalf("at %d: owns %v, want %v", h.now, got, want)
	}
}

func body[T any](h *harness, m spec.Message) T {
	h.t.Helper()
	b, ok := m.Body.(T)
	if !ok {
		h.t.Fatalf("message %v is not a %T", m, b)
	}
	return b
}

// --- responses ---

func joinOK(gen int32, member, leader, protocol string, members ...spec.JoinGroupMember) *spec.JoinGroupResponse {
	return &spec.JoinGroupResponse{GenerationID: gen, ProtocolType: spec.ProtocolTypeConsumer, ProtocolName: protocol,
		Leader: leader, MemberID: member, Members: members}
}

func joinErr(code spec.ErrorCode, member string) *spec.JoinGroupResponse {
	return &spec.JoinGroupResponse{ErrorCode: code, GenerationID: -1, MemberID: member}
}

func syncOK(protocol string, parts ...spec.TopicPartition) *spec.SyncGroupResponse {
	return &spec.SyncGroupResponse{ProtocolType: spec.ProtocolTypeConsumer, ProtocolName: protocol,
		Assignment: spec.MemberAssignment{Partitions: spec.AssignmentOf(parts)}}
}

func syncErr(code spec.ErrorCode) *spec.SyncGroupResponse {
	return &spec.SyncGroupResponse{ErrorCode: code}
}

func hb(code spec.ErrorCode) *spec.HeartbeatResponse { return &spec.HeartbeatResponse{ErrorCode: code} }

// commitResp answers every partition of an OffsetCommit request with code.
func commitResp(req spec.Message, code spec.ErrorCode) *spec.OffsetCommitResponse {
	r := &spec.OffsetCommitResponse{}
	for _, o := range req.Body.(*spec.OffsetCommitRequest).Offsets {
		r.Partitions = append(r.Partitions, spec.OffsetCommitPartitionResponse{TopicPartition: o.TopicPartition, ErrorCode: code})
	}
	return r
}

// fetchResp answers an OffsetFetch: the offsets given, -1 for the others.
func fetchResp(req spec.Message, offsets map[spec.TopicPartition]int64) *spec.OffsetFetchResponse {
	r := &spec.OffsetFetchResponse{}
	for _, p := range req.Body.(*spec.OffsetFetchRequest).Partitions {
		off, ok := offsets[p]
		if !ok {
			off = -1
		}
		r.Partitions = append(r.Partitions, spec.OffsetFetchPartition{TopicPartition: p, Offset: off})
	}
	return r
}

// member is one entry of a leader's JoinGroup response.
func member(id string, topics []string, owned ...spec.TopicPartition) spec.JoinGroupMember {
	return spec.JoinGroupMember{MemberID: id, Metadata: spec.Subscription{Topics: topics, OwnedPartitions: owned, GenerationID: -1}}
}

// --- handshakes ---

// joinAs answers the pending JoinGroup as a follower of "leader" at gen with
// member id id.
func (h *harness) joinAs(gen int32, id string) spec.Message {
	h.t.Helper()
	j := h.expect(spec.KeyJoinGroup)
	h.reply(j, joinOK(gen, id, "leader", h.protocol()))
	return j
}

// syncWith answers the pending SyncGroup with an assignment.
func (h *harness) syncWith(parts ...spec.TopicPartition) spec.Message {
	h.t.Helper()
	s := h.expect(spec.KeySyncGroup)
	h.reply(s, syncOK(h.protocol(), parts...))
	return s
}

// fetchAt answers the pending OffsetFetch with no committed offsets except those given.
func (h *harness) fetchAt(offsets map[spec.TopicPartition]int64) {
	h.t.Helper()
	f := h.expect(spec.KeyOffsetFetch)
	h.reply(f, fetchResp(f, offsets))
}

// stable joins as follower id at gen, is assigned parts and learns their
// positions (nothing committed), checking the assigned callback.
func (h *harness) stable(gen int32, id string, parts ...spec.TopicPartition) {
	h.t.Helper()
	h.joinAs(gen, id)
	h.syncWith(parts...)
	if len(parts) > 0 {
		h.fetchAt(nil)
		h.wantEvents("assigned " + spec.FormatPartitions(parts))
	}
	h.wantView(id, gen, spec.ClientStable)
}

// protocol is the assignor name the harness answers with: the consumer's first.
func (h *harness) protocol() string { return h.c.Config().Assignors[0].Name() }

// --- a scripted assignor, like Kafka's MockPartitionAssignor ---

// mockAssignor returns the plan prepared for it (every other member gets
// nothing) and counts its calls.
type mockAssignor struct {
	name      string
	protocols []spec.RebalanceProtocol
	prepared  map[string][]spec.TopicPartition
	calls     int
}

func (a *mockAssignor) Name() string                        { return a.name }
func (a *mockAssignor) Protocols() []spec.RebalanceProtocol { return a.protocols }
func (a *mockAssignor) Assign(_ map[string]int32, members []assignors.Member) (assignors.Plan, error) {
	a.calls++
	if a.prepared == nil {
		return nil, fmt.Errorf("mock assignor %s called without a prepared plan", a.name)
	}
	plan := assignors.Plan{}
	for _, m := range members {
		plan[m.ID] = spec.AssignmentOf(a.prepared[m.ID])
	}
	return plan, nil
}

func cooperativeMock(name string) *mockAssignor {
	return &mockAssignor{name: name, protocols: []spec.RebalanceProtocol{spec.Eager, spec.Cooperative}}
}

func eagerMock(name string) *mockAssignor {
	return &mockAssignor{name: name, protocols: []spec.RebalanceProtocol{spec.Eager}}
}

// answerHeartbeats makes the scripted coordinator answer every heartbeat
// with NONE, for tests about something else.
func (h *harness) answerHeartbeats() {
	h.auto[spec.KeyHeartbeat] = func(spec.Message) spec.Response { return hb(spec.None) }
}

// stableUntilFirstHeartbeat starts a consumer whose listener does not commit,
// makes it member "m" of generation 1 owning t-0, and runs to its first
// heartbeat (3000 ms), which the test then answers.
func stableUntilFirstHeartbeat(t *testing.T) *harness {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.runTo(3000)
	return h
}
