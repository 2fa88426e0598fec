package asyncconsumer_test

// A scripted KIP-848 coordinator for one consumer, the way Kafka's
// ConsumerMembershipManagerTest and ConsumerHeartbeatRequestManagerTest
// script a MockClient: the test takes each request the consumer sent and
// answers it with a hand-made response.

import (
	"slices"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/spec"
)

type script struct {
	t       *testing.T
	c       *asyncconsumer.Consumer
	now     int64
	pending []spec.Message // requests not answered yet, oldest first
	events  []spec.Event   // callbacks not checked yet (processed records are dropped)
}

func part(topic string, p int32) spec.TopicPartition {
	return spec.TopicPartition{Topic: topic, Partition: p}
}

// config is dynamic consumer "c1" of group "g" on topic t, auto-commit off,
// the listener committing on revoke.
func config() asyncconsumer.Config {
	cfg := asyncconsumer.DefaultConfig("c1", "g", "t")
	cfg.AutoCommit = false
	return cfg
}

func launch(t *testing.T, cfg asyncconsumer.Config) *script {
	t.Helper()
	c, out, err := asyncconsumer.New(cfg, 0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := &script{t: t, c: c}
	s.take(out, nil)
	return s
}

func (s *script) take(out asyncconsumer.Output, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("at %d: %v", s.now, err)
	}
	s.pending = append(s.pending, out.Messages...)
	for _, e := range out.Events {
		if e.Kind != spec.EvProcessed {
			s.events = append(s.events, e)
		}
	}
}

func (s *script) step(body any) { s.t.Helper(); s.take(s.c.Step(s.now, spec.Message{Body: body})) }

// at ticks at time t.
func (s *script) at(t int64) { s.t.Helper(); s.now = t; s.take(s.c.Tick(t)) }

// answer delivers resp to req.
func (s *script) answer(req spec.Message, resp spec.Response) {
	s.t.Helper()
	s.take(s.c.Step(s.now, spec.Message{From: spec.CoordinatorNode, To: req.From, Correlation: req.Correlation, Body: resp}))
}

// next takes the oldest unanswered request of key.
func (s *script) next(key spec.APIKey) spec.Message {
	s.t.Helper()
	i := slices.IndexFunc(s.pending, func(m spec.Message) bool { return m.Key() == key })
	if i < 0 {
		s.t.Fatalf("at %d: no %s sent; unanswered: %v", s.now, key, s.pending)
	}
	m := s.pending[i]
	s.pending = slices.Delete(s.pending, i, i+1)
	return m
}

// heartbeat takes the oldest unanswered heartbeat and its body.
func (s *script) heartbeat() (spec.Message, *spec.ConsumerGroupHeartbeatRequest) {
	s.t.Helper()
	m := s.next(spec.KeyConsumerGroupHeartbeat)
	return m, m.Body.(*spec.ConsumerGroupHeartbeatRequest)
}

// quiet fails if a request of key waits unanswered.
func (s *script) quiet(key spec.APIKey) {
	s.t.Helper()
	if slices.ContainsFunc(s.pending, func(m spec.Message) bool { return m.Key() == key }) {
		s.t.Fatalf("at %d: unexpected %s in %v", s.now, key, s.pending)
	}
}

func (s *script) wantEvents(want ...string) {
	s.t.Helper()
	var got []string
	for _, e := range s.events {
		switch e.Kind {
		case spec.EvAssigned, spec.EvRevoked, spec.EvLost:
			got = append(got, string(e.Kind)+" "+spec.FormatPartitions(e.Partitions))
		default:
			got = append(got, string(e.Kind)+" "+e.Detail)
		}
	}
	s.events = nil
	if !slices.Equal(got, want) {
		s.t.Fatalf("at %d: callbacks\n got %q\nwant %q", s.now, got, want)
	}
}

func (s *script) wantState(state spec.AsyncState, epoch int32) {
	s.t.Helper()
	if s.c.State() != state || s.c.MemberEpoch() != epoch {
		s.t.Fatalf("at %d: %s epoch %d, want %s epoch %d", s.now, s.c.State(), s.c.MemberEpoch(), state, epoch)
	}
}

func (s *script) wantOwned(want ...spec.TopicPartition) {
	s.t.Helper()
	if got := s.c.View().Owned; !slices.Equal(got, want) {
		s.t.Fatalf("at %d: owns %v, want %v", s.now, got, want)
	}
}

// assigned is a successful heartbeat answer carrying an assignment.
func assigned(member string, epoch int32, parts ...spec.TopicPartition) *spec.ConsumerGroupHeartbeatResponse {
	return &spec.ConsumerGroupHeartbeatResponse{MemberID: member, MemberEpoch: epoch, HeartbeatIntervalMs: 5000,
		Assignment: spec.AssignmentOf(parts)}
}

// beat is a successful heartbeat answer without an assignment.
func beat(member string, epoch int32) *spec.ConsumerGroupHeartbeatResponse {
	return &spec.ConsumerGroupHeartbeatResponse{MemberID: member, MemberEpoch: epoch, HeartbeatIntervalMs: 5000}
}

func failed(code spec.ErrorCode) *spec.ConsumerGroupHeartbeatResponse {
	return &spec.ConsumerGroupHeartbeatResponse{ErrorCode: code}
}

// committed answers every partition of an OffsetCommit with code.
func committed(req spec.Message, code spec.ErrorCode) *spec.OffsetCommitResponse {
	r := &spec.OffsetCommitResponse{}
	for _, o := range req.Body.(*spec.OffsetCommitRequest).Offsets {
		r.Partitions = append(r.Partitions, spec.OffsetCommitPartitionResponse{TopicPartition: o.TopicPartition, ErrorCode: code})
	}
	return r
}

// fetched answers an OffsetFetch: offset at for every partition asked.
func fetched(req spec.Message, at int64) *spec.OffsetFetchResponse {
	r := &spec.OffsetFetchResponse{}
	for _, p := range req.Body.(*spec.OffsetFetchRequest).Partitions {
		r.Partitions = append(r.Partitions, spec.OffsetFetchPartition{TopicPartition: p, Offset: at})
	}
	return r
}

// join answers the joining heartbeat with member id "m", epoch, and parts;
// answers the fetch with nothing committed and takes the acknowledgement,
// which it returns. The member is STABLE.
func (s *script) join(epoch int32, parts ...spec.TopicPartition) (spec.Message, *spec.ConsumerGroupHeartbeatRequest) {
	s.t.Helper()
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", epoch, parts...))
	if len(parts) > 0 {
		f := s.next(spec.KeyOffsetFetch)
		s.answer(f, fetched(f, -1))
	}
	ack, body := s.heartbeat()
	if len(parts) > 0 {
		s.wantEvents("assigned " + spec.FormatPartitions(parts))
	}
	s.wantState(spec.AsyncStable, epoch)
	return ack, body
}

// wantFatal checks that the consumer stopped on an error naming what.
func (s *script) wantFatal(what string) {
	s.t.Helper()
	if s.c.Alive() || s.c.State() != spec.AsyncFatal {
		s.t.Fatalf("at %d: %s and alive=%v, want FATAL", s.now, s.c.State(), s.c.Alive())
	}
	for _, e := range s.events {
		if e.Kind == spec.EvFailed && strings.Contains(e.Detail, what) {
			return
		}
	}
	s.t.Fatalf("no failure naming %s in %v", what, s.events)
}
