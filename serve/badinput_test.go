package serve

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

// frameOf is a frame with a v1 header for key and version, then body.
func frameOf(key, version int16, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, 7)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, 'x')
	b = append(b, body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func sized(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// TestBadFramesCloseTheConnection: every kind of frame Kafka cannot read
// closes the connection with a "bad" event saying why; the server goes on
// serving, nothing panics, no rule breaks.
func TestBadFramesCloseTheConnection(t *testing.T) {
	s := start(t, testConfig())
	join := kmsg.NewPtrJoinGroupRequest()
	join.Version = 5
	join.Group, join.ProtocolType = "g", "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0}}}
	joinBody := join.AppendTo(nil)
	huge := binary.BigEndian.AppendUint32(kmsg.NewPtrMetadataRequest().AppendTo(nil)[:0], 1<<30) // a topic count no frame can hold
	cases := []struct {
		name, why string
		bytes     []byte
	}{
		{"oversized", "outside", sized(DefaultMaxFrameBytes + 1)},
		{"negative size", "outside", sized(-5)},
		{"shorter than a header", "outside", append(sized(3), 1, 2, 3)},
		{"client id past the end", "client id", append(sized(10), 0, 18, 0, 0, 0, 0, 0, 1, 0, 99)},
		{"unknown key", "unsupported", frameOf(1000, 0, nil)},
		{"unsupported version", "unsupported", frameOf(kmsg.Fetch.Int16(), 3, nil)},
		{"version too new", "unsupported", frameOf(kmsg.JoinGroup.Int16(), 10, joinBody)},
		{"truncated body", "malformed", frameOf(kmsg.JoinGroup.Int16(), 5, joinBody[:len(joinBody)-3])},
		{"count beyond the bytes", "malformed", frameOf(kmsg.Metadata.Int16(), 1, huge)},
		{"large non-produce frame", "at most", frameOf(kmsg.Metadata.Int16(), 1, make([]byte, smallFrameBytes))},
		{"bad tagged fields", "tagged", frameOf(kmsg.Heartbeat.Int16(), 4, []byte{5, 1})},
	}
	for _, tc := range cases {
		c := dial(t, s, "bad")
		if _, err := c.nc.Write(tc.bytes); err != nil {
			t.Fatal(err)
		}
		if !c.closed() {
			t.Errorf("%s: the connection stayed open", tc.name)
		}
		e := waitEvent(t, s, func(e Event) bool { return e.Kind == "bad" && strings.Contains(e.Detail, tc.why) })
		if !strings.Contains(e.Detail, "connection closed") {
			t.Errorf("%s: %s", tc.name, e)
		}
	}
	stillServes(t, s)
}

func stillServes(t *testing.T, s *Server) {
	t.Helper()
	c := dial(t, s, "after")
	if resp := c.must(kmsg.NewPtrApiVersionsRequest()).(*kmsg.ApiVersionsResponse); resp.ErrorCode != 0 {
		t.Fatalf("ApiVersions after bad input: %d", resp.ErrorCode)
	}
	noViolations(t, s)
}

// TestHalfClosed: a client that sends a request and closes its side gets
// its answer, then the server closes; one that stops mid-frame and closes
// is closed too.
func TestHalfClosed(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "half")
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	c.corr++
	if _, err := c.nc.Write(c.f.AppendRequest(nil, req, c.corr)); err != nil {
		t.Fatal(err)
	}
	c.nc.(*net.TCPConn).CloseWrite()
	resp, err := c.read(req)
	if err != nil || len(resp.(*kmsg.MetadataResponse).Topics) != 1 {
		t.Fatalf("answer after half-close: %v %v", resp, err)
	}
	if !c.closed() {
		t.Fatal("the server kept a half-closed connection open")
	}
	c2 := dial(t, s, "half2")
	c2.nc.Write(frameOf(kmsg.Metadata.Int16(), 1, nil)[:9])
	c2.nc.(*net.TCPConn).CloseWrite()
	if !c2.closed() {
		t.Fatal("the server kept a connection open after half a frame")
	}
	waitEvent(t, s, func(e Event) bool { return e.Kind == "close" && strings.Contains(e.Detail, "unexpected EOF") })
	stillServes(t, s)
}

// TestNotConsumerProtocol: a protocol type or metadata kgroup's
// coordinator cannot hold is answered INCONSISTENT_GROUP_PROTOCOL, with a
// "bad" event.
func TestNotConsumerProtocol(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "x")
	for _, tc := range []struct{ typ, meta string }{{"connect", "anything"}, {"consumer", "\x00\x00\xff\xff\xff\xff"}} {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group, req.SessionTimeoutMillis, req.ProtocolType = "g", 1000, tc.typ
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "p", Metadata: []byte(tc.meta)}}
		if resp := c.must(req).(*kmsg.JoinGroupResponse); resp.ErrorCode != int16(spec.InconsistentGroupProtocol) {
			t.Fatalf("%s: error %d", tc.typ, resp.ErrorCode)
		}
	}
	if n := len(filter(s.Events(), "bad")); n != 2 {
		t.Fatalf("%d bad events, want 2", n)
	}
	stillServes(t, s)
}

func filter(evs []Event, kind string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// TestTooManyConnections: connections beyond MaxConns are closed at once.
func TestTooManyConnections(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConns = 2
	s := start(t, cfg)
	a, b := dial(t, s, "a"), dial(t, s, "b")
	a.must(kmsg.NewPtrApiVersionsRequest())
	b.must(kmsg.NewPtrApiVersionsRequest())
	c := dial(t, s, "c")
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Read(make([]byte, 1)); err != io.EOF && !isReset(err) {
		t.Fatalf("third connection: %v", err)
	}
}

// TestHugeTagCount: a tagged-field count far beyond the bytes left is
// refused at once. kmsg before v1.15.1 looped over such a count on an
// exhausted reader (about 20 s of CPU for this 40-byte SyncGroup frame,
// which the fuzz target found: testdata/fuzz/FuzzDecodeRequest/c77a82d98a390bb0).
func TestHugeTagCount(t *testing.T) {
	frame := []byte("\x00\x0e\x00\x05\x00\x00\x00\x01\x00\x04seed\x00\x02g\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00")
	began := time.Now()
	decodeRequest(frame)
	if d := time.Since(began); d > time.Second {
		t.Fatalf("decoding took %v", d)
	}
}
