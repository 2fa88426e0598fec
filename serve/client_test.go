package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// A raw Kafka client for the tests: kmsg requests over one connection.

type rawClient struct {
	t    testing.TB
	nc   net.Conn
	corr int32
	f    *kmsg.RequestFormatter
}

func dial(t testing.TB, s *Server, clientID string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, f: kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))}
}

// do sends req at its version, or at the highest served if that is 0, and
// reads the answer (doV sends v0 as v0).
func (c *rawClient) do(req kmsg.Request) (kmsg.Response, error) {
	c.t.Helper()
	if req.GetVersion() == 0 {
		req.SetVersion(apis[req.Key()].max)
	}
	return c.doV(req)
}

// doV sends req at its version, whatever it is.
func (c *rawClient) doV(req kmsg.Request) (kmsg.Response, error) {
	c.corr++
	if _, err := c.nc.Write(c.f.AppendRequest(nil, req, c.corr)); err != nil {
		return nil, err
	}
	return c.read(req)
}

func (c *rawClient) read(req kmsg.Request) (kmsg.Response, error) {
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c.nc, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.nc, b); err != nil {
		return nil, err
	}
	if corr := int32(binary.BigEndian.Uint32(b)); corr != c.corr {
		return nil, fmt.Errorf("correlation %d, want %d", corr, c.corr)
	}
	b = b[4:]
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		b = b[1:] // no tagged fields in our response headers
	}
	if req.Key() == kmsg.ApiVersions.Int16() && !supported(req.Key(), req.GetVersion()) {
		resp.SetVersion(0)
	}
	return resp, resp.ReadFrom(b)
}

func (c *rawClient) must(req kmsg.Request) kmsg.Response {
	c.t.Helper()
	resp, err := c.do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

// closed reports whether the server closed the connection (read EOF).
func (c *rawClient) closed() bool {
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.nc.Read(make([]byte, 1))
	return err == io.EOF || isReset(err)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "reset")
}

// testConfig is a server for tests: topic t with 4 partitions, short
// sessions allowed, no initial rebalance delay.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Topics = []TopicSpec{{"t", 4}}
	cfg.Coordinator.MinSessionTimeoutMs = 100
	cfg.Coordinator.InitialRebalanceDelayMs = 0
	return cfg
}

func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// subscription is consumer-protocol metadata for topics.
func subscription(t testing.TB, owned []spec.TopicPartition, topics ...string) []byte {
	b, err := assignors.EncodeSubscription(assignors.SubscriptionVersion, spec.Subscription{Topics: topics, OwnedPartitions: owned, GenerationID: -1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assignment(t testing.TB, a spec.Assignment) []byte {
	b, err := assignors.EncodeAssignment(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// member is one raw group member.
type member struct {
	*rawClient
	group, id string
	gen       int32
}

// join joins (both rounds of KIP-394) with the range protocol; it returns
// the answer.
func (m *member) join(protocol string, meta []byte) *kmsg.JoinGroupResponse {
	m.t.Helper()
	for range 2 {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis, req.MemberID = m.group, 1000, 2000, m.id
		req.ProtocolType = "consumer"
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: protocol, Metadata: meta}}
		resp := m.must(req).(*kmsg.JoinGroupResponse)
		m.id = resp.MemberID
		if resp.ErrorCode != int16(spec.MemberIDRequired) {
			m.gen = resp.Generation
			return resp
		}
	}
	m.t.Fatal("MEMBER_ID_REQUIRED twice")
	return nil
}

func (m *member) sync(plan map[string][]byte) *kmsg.SyncGroupResponse {
	m.t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.Generation, req.MemberID = m.group, m.gen, m.id
	for _, id := range spec.SortedKeys(plan) {
		req.GroupAssignment = append(req.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: id, MemberAssignment: plan[id]})
	}
	return m.must(req).(*kmsg.SyncGroupResponse)
}

func (m *member) heartbeat() int16 {
	m.t.Helper()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.Generation, req.MemberID = m.group, m.gen, m.id
	return m.must(req).(*kmsg.HeartbeatResponse).ErrorCode
}

// commit commits offset o of t-p at generation gen; it returns the code.
func (m *member) commit(gen int32, p int32, o int64) int16 {
	m.t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = m.group, gen, m.id
	req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: p, Offset: o}}}}
	return m.must(req).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
}

// fetchOffset is the committed offset of t-p.
func (m *member) fetchOffset(p int32) int64 {
	m.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 7
	req.Group = m.group
	req.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{p}}}
	return m.must(req).(*kmsg.OffsetFetchResponse).Topics[0].Partitions[0].Offset
}

// stableGroup makes a one-member group of s, Stable at generation 1 with
// every partition of t, and returns the member.
func stableGroup(t testing.TB, s *Server, group string) *member {
	t.Helper()
	m := &member{rawClient: dial(t, s, "c1"), group: group}
	resp := m.join("range", subscription(t, nil, "t"))
	if resp.ErrorCode != 0 || resp.LeaderID != m.id {
		t.Fatalf("join: %+v", resp)
	}
	if s := m.sync(map[string][]byte{m.id: assignment(t, spec.Assignment{"t": {0, 1, 2, 3}})}); s.ErrorCode != 0 {
		t.Fatalf("sync: error %d", s.ErrorCode)
	}
	return m
}

// waitEvent waits (bounded) for an event.
func waitEvent(t testing.TB, s *Server, ok func(Event) bool) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e, _, err := s.WaitFor(ctx, 0, ok)
	if err != nil {
		t.Fatalf("%v; events:\n%s", err, eventsText(s))
	}
	return e
}

func eventsText(s *Server) string {
	var b bytes.Buffer
	for _, e := range s.Events() {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

func noViolations(t testing.TB, s *Server) {
	t.Helper()
	if v := s.Violations(); len(v) > 0 {
		t.Fatalf("rules broken: %v\n%s", v, eventsText(s))
	}
}

var _ = coordinator.DefaultConfig
