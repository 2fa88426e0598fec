package serve

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

func TestParseFault(t *testing.T) {
	for _, s := range []string{"delay SyncGroup 200", "drop Heartbeat count=3 client=c1", "delay joingroup 5 count=all",
		"expire c2", "cut all", "move pause=50", "clear"} {
		f, err := ParseFault(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if g, err := ParseFault(f.String()); err != nil || g != f {
			t.Fatalf("%q: %q reads back as %+v (%v)", s, f, g, err)
		}
	}
	for _, s := range []string{"", "delay", "delay Heartbeat", "delay Nope 5", "drop Heartbeat count=0", "drop Heartbeat x=1",
		"expire", "cut a b", "move pause=-1", "clear x", "explode"} {
		if _, err := ParseFault(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

// TestDropAndDelay: a dropped answer closes its connection; a delayed one
// arrives late; both are logged.
func TestDropAndDelay(t *testing.T) {
	s := start(t, testConfig())
	m := stableGroup(t, s, "g")
	must(t, s.Inject(Fault{Kind: "drop", API: kmsg.Heartbeat.Int16(), Count: 1}))
	req := kmsg.NewPtrHeartbeatRequest()
	req.Version = 4
	req.Group, req.Generation, req.MemberID = "g", m.gen, m.id
	if _, err := m.do(req); err == nil {
		t.Fatal("a dropped heartbeat was answered")
	}
	m2 := &member{rawClient: dial(t, s, "c1"), group: "g", id: m.id, gen: m.gen}
	must(t, s.Inject(Fault{Kind: "delay", API: kmsg.Heartbeat.Int16(), Delay: 300 * time.Millisecond, Count: 1}))
	began := time.Now()
	if code := m2.heartbeat(); code != 0 || time.Since(began) < 300*time.Millisecond {
		t.Fatalf("delayed heartbeat: %d after %v", code, time.Since(began))
	}
	if n := len(filter(s.Events(), "fault")); n != 4 { // two injected, two applied
		t.Fatalf("%d fault events, want 4:\n%s", n, eventsText(s))
	}
	noViolations(t, s)
}

// TestExpire: a member whose requests are held loses its session; its
// held heartbeat then gets UNKNOWN_MEMBER_ID.
func TestExpire(t *testing.T) {
	s := start(t, testConfig())
	m := stableGroup(t, s, "g")
	must(t, s.Inject(Fault{Kind: "expire", Target: "c1"}))
	began := time.Now()
	if code := m.heartbeat(); code != int16(spec.UnknownMemberID) {
		t.Fatalf("held heartbeat: %d, want UNKNOWN_MEMBER_ID", code)
	}
	if d := time.Since(began); d < 900*time.Millisecond { // the session timeout is 1000 ms
		t.Fatalf("answered after %v, before the session could expire", d)
	}
	waitEvent(t, s, func(e Event) bool { return e.Kind == "transition" && e.To == "Empty" })
	noViolations(t, s)
	if err := s.Inject(Fault{Kind: "expire", Target: "nobody"}); err == nil {
		t.Fatal("expire of no member accepted")
	}
}

// TestMoveCoordinator: after a move the coordinator answers
// NOT_COORDINATOR, then a new one loaded from the log holds the group and
// its offsets.
func TestMoveCoordinator(t *testing.T) {
	s := start(t, testConfig())
	m := stableGroup(t, s, "g")
	if m.commit(m.gen, 0, 5) != 0 {
		t.Fatal("commit refused")
	}
	must(t, s.Inject(Fault{Kind: "move", Delay: 200 * time.Millisecond}))
	if code := m.heartbeat(); code != int16(spec.NotCoordinator) {
		t.Fatalf("heartbeat during the move: %d", code)
	}
	waitEvent(t, s, func(e Event) bool { return e.Kind == "failover" })
	if code := m.heartbeat(); code != 0 {
		t.Fatalf("heartbeat after the reload: %d", code)
	}
	if got := m.fetchOffset(0); got != 5 {
		t.Fatalf("offset after the move: %d", got)
	}
	noViolations(t, s)
}

// TestCutAndControl: the control endpoint injects a cut, reports the
// group and the checks, and refuses a bad fault.
func TestCutAndControl(t *testing.T) {
	cfg := testConfig()
	cfg.Control = "127.0.0.1:0"
	s := start(t, cfg)
	m := stableGroup(t, s, "g")
	base := "http://" + s.ControlAddr().String()
	post := func(body string) (int, string) {
		resp, err := http.Post(base+"/fault", "text/plain", strings.NewReader(body))
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("cut c1"); code != 200 || !strings.Contains(body, "cut c1") {
		t.Fatalf("cut: %d %s", code, body)
	}
	if !m.closed() {
		t.Fatal("cut left the connection open")
	}
	if code, _ := post("explode"); code != 400 {
		t.Fatalf("bad fault: %d", code)
	}
	for _, path := range []string{"/groups?id=g", "/checks", "/events?from=0", "/versions"} {
		resp, err := http.Get(base + path)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		if path == "/groups?id=g" && !strings.Contains(string(b), `"Stable"`) {
			t.Fatalf("%s: %s", path, b)
		}
	}
	if _, err := Start(Config{Listen: "0.0.0.0:0"}); err == nil {
		t.Fatal("listening on every address was allowed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, _, err := s.WaitFor(ctx, 0, func(e Event) bool { return e.Kind == "violation" }); err == nil {
		t.Fatal("a violation")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
