package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/serve"
)

// inject injects a fault, runs then (the traffic the fault needs), and
// waits for the event that shows the fault acted.
func inject(t *testing.T, b *backend, fault string, then func(), acted func(serve.Event) bool) {
	t.Helper()
	f, err := serve.ParseFault(fault)
	if err != nil {
		t.Fatal(err)
	}
	from := len(b.srv.Events())
	if err := b.srv.Inject(f); err != nil {
		t.Fatal(err)
	}
	then()
	ctx, cancel := context.WithTimeout(context.Background(), phaseTimeout)
	defer cancel()
	if _, _, err := b.srv.WaitFor(ctx, from, acted); err != nil {
		t.Fatalf("%s: %v", fault, err)
	}
}

// TestKgoUnderFaults: a settled 3-member kgo group (cooperative-sticky)
// through each fault kgroup serve injects: the coordinator moved (every
// member gets NOT_COORDINATOR, finds it again, the group comes back from
// the log), a member's session expired, its connections cut, answers
// dropped and delayed. After each, the group settles with every member
// and every record is processed and committed; no rule breaks and the
// history stays linearizable.
func TestKgoUnderFaults(t *testing.T) {
	b := kgroupBackend(t)
	w := newWorld(t, b, "faults", kgo.CooperativeStickyBalancer, false)
	var cs []*consumer
	for _, name := range []string{"c1", "c2", "c3"} {
		cs = append(cs, w.start(name))
		w.settled()
	}
	steps := []struct {
		fault string
		acted func(serve.Event) bool
	}{
		{"move pause=500", func(e serve.Event) bool { return e.Kind == "failover" }},
		{"expire c2", func(e serve.Event) bool {
			return e.Kind == "fault" && strings.Contains(e.Detail, "session expired: true")
		}},
		{"cut c3", func(e serve.Event) bool { return e.Kind == "close" && e.Client == "c3" }},
		{"drop OffsetCommit client=c1", func(e serve.Event) bool { return e.Kind == "fault" && strings.Contains(e.Detail, "dropped") }},
		{"delay Heartbeat 1500 count=2", func(e serve.Event) bool { return e.Kind == "fault" && strings.Contains(e.Detail, "holding") }},
	}
	for _, st := range steps {
		// The records come after the fault is in place: a dropped commit
		// must be one c1 makes for them (produced first, c1 could have
		// committed them all before the fault was armed, and never commit
		// again).
		inject(t, b, st.fault, func() { w.produce(10) }, st.acted)
		w.settled()
		w.allDone()
		t.Logf("after %q: group settled, every record processed and committed", st.fault)
	}
	for _, c := range cs {
		c.close()
	}
	checkServer(t, b, true)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lossErr != nil {
		t.Fatal(w.lossErr)
	}
	t.Logf("%d records processed, %d twice", w.ledger.Processed, w.ledger.Duplicates)
}
