package cluster_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/spec"
)

func mustCluster(t *testing.T, line string) *cluster.Cluster {
	t.Helper()
	cfg, err := cluster.ParseConfig(line)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// apply applies transcript lines, failing the test on any error.
func apply(t *testing.T, cl *cluster.Cluster, lines ...string) {
	t.Helper()
	for _, line := range lines {
		acts, err := cluster.ParseActions(line, cl)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		for _, a := range acts {
			if err := cl.Apply(a); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
		}
	}
	if err := cl.Violation(); err != nil {
		t.Fatal(err)
	}
}

// sameConfig compares what behaviour depends on (the interval of an
// auto-commit that is off does not matter, and the text leaves it out).
// The group id is the cluster's, and the JSON form leaves it out.
func sameConfig(a, b consumer.Config) bool {
	enc := func(c consumer.Config) string { c.GroupID = ""; return string(consumer.AppendConfig(nil, c)) }
	return enc(a) == enc(b) && a.Name == b.Name
}

// TestActionTextRoundTrip: every action's String is a transcript line that
// parses back to the same action, in a state other than the one it was made
// in, and its JSON form reads back to it too.
func TestActionTextRoundTrip(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:4,u:2 manual")
	apply(t, cl, "start c1 c2 topics=t instance=i-1 session=10000 auto-commit=2500 assignor=cooperative-sticky,range rack=r1",
		"settle", "crash c2")
	lines := []string{
		"start c3 topics=t,u poll=20000 heartbeat=2000 request-timeout=9000 retry-backoff=50 metadata-age=1000 commit-on-revoke=off",
		"start c4 topics=", "start c5 protocol=consumer pattern=t|u.*", "restart c2 pattern=t", "restart c2 topics=u",
		"restart c2", "restart c2 session=20000 instance=", "crash c1", "close c1", "stall c1", "unstall c1",
		"freeze c1", "thaw c1", "consume c1", "consume c1 7 t-3", "consume-all 5", "commit c1", "commit c1 metadata=100",
		"deliver c1->coord", "deliver 3", "drop coord->c1", "settle", "hold c1", "release c1", "fire coord", "fire c1",
		"advance 100", "advance-to 5000", "stabilize", "stabilize max=5", "create-topic v 3", "add-partitions t 9",
		"delete-topic u", "refresh-metadata", "failover", "remove-static i-1",
	}
	other := mustCluster(t, "cluster topics=x:1")
	apply(t, other, "start c1 c2")
	for _, line := range lines {
		acts, err := cluster.ParseActions(line, cl)
		if err != nil || len(acts) != 1 {
			t.Fatalf("%q: %v (%d actions)", line, err, len(acts))
		}
		a := acts[0]
		back, err := cluster.ParseAction(a.String(), other)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", line, a.String(), err)
		}
		if !equalActions(a, back) {
			t.Errorf("%q printed as %q, which parses to %+v", line, a.String(), back)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON cluster.Action
		if err := json.Unmarshal(b, &fromJSON); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !equalActions(a, fromJSON) {
			t.Errorf("%q as JSON %s reads back as %+v", line, b, fromJSON)
		}
	}
}

func equalActions(a, b cluster.Action) bool {
	ca, cb := a.Config, b.Config
	a.Config, b.Config = nil, nil
	if !cmp.Equal(a, b) || (ca == nil) != (cb == nil) {
		return false
	}
	return ca == nil || sameConfig(*ca, *cb)
}

func TestActionJSONIsStrict(t *testing.T) {
	for _, bad := range []string{
		`{"kind":"explode"}`, `{"kind":"crash","node":"c1","color":"red"}`, `{"kind":"crash"} }`,
		`{"kind":"start","node":"c1","config":{"name":"c1","partition.assignment.strategy":["nope"]}}`,
		`{"kind":"start","node":"c1","config":{"name":"c1","bogus":1}}`,
	} {
		var a cluster.Action
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s was accepted as %+v", bad, a)
		}
	}
}

// TestUnknownOptionIsReportedInLineOrder: a line with two typos always
// names the first, whatever the map order (kgroup's first parser named
// either).
func TestUnknownOptionIsReportedInLineOrder(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:1")
	for range 100 {
		_, err := cluster.ParseActions("start c1 sesion=1 heartbaet=2", cl)
		if err == nil || err.Error() != "start: unknown option sesion" {
			t.Fatalf("got %v", err)
		}
	}
}

// TestFailedActionsChangeNothing: an action that does not apply is an error
// and leaves the cluster as it was — nothing logged, nothing restarted.
func TestFailedActionsChangeNothing(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:2")
	apply(t, cl, "start c1", "advance 5000", "crash c1")
	before := cl.AppendState(nil)
	n := len(cl.Actions())
	bad := []cluster.Action{
		{Kind: cluster.ActRestart, Node: "c1", Config: &consumer.Config{Name: "c1", GroupID: "g"}}, // invalid config
		{Kind: cluster.ActStart, Node: "c1"},
		{Kind: cluster.ActStart, Node: "coord", Config: &consumer.Config{Name: "coord"}},
		{Kind: cluster.ActCrash, Node: "c1"},
		{Kind: cluster.ActDeliver, Link: "c1->coord"},
		{Kind: cluster.ActFire, Node: "c9"},
		{Kind: cluster.ActAdvanceTo, Ms: 1},
		{Kind: cluster.ActAdvance, Ms: -1},
		{Kind: cluster.ActAddPartitions, Topic: "t", Partitions: 1},
		{Kind: cluster.ActDeleteTopic, Topic: "nope"},
		{Kind: cluster.ActConsume, Node: "c1", Records: 1},
		{Kind: "explode"},
	}
	for _, a := range bad {
		if err := cl.Apply(a); err == nil {
			t.Errorf("%v was applied", a)
		}
	}
	if c, ok := cl.Consumer("c1"); ok {
		t.Fatalf("a failed restart brought c1 back: %v", c.View())
	}
	if string(cl.AppendState(nil)) != string(before) || len(cl.Actions()) != n {
		t.Fatal("failed actions changed the cluster")
	}
}

// TestEnabledActionsApply: along seeded random walks, every action Enabled
// offers is accepted by Apply (tried on a clone), and Enabled is a function
// of the state.
func TestEnabledActionsApply(t *testing.T) {
	t.Parallel()
	b := cluster.Bounds{Perturbations: 3, Drops: 2, Consumes: 3, Commits: 2, Restart: true, Freeze: true, Stall: true,
		Failover: true, RemoveStatic: true, AddPartitionsUpTo: 3, Advances: []int64{1000}}
	for _, name := range []string{"c1", "c2"} {
		cfg := consumer.DefaultConfig(name, "g", "t")
		cfg.SessionTimeoutMs, cfg.HeartbeatIntervalMs = 6000, 2000
		if name == "c2" {
			cfg.InstanceID = "i-2"
		}
		b.Consumers = append(b.Consumers, cfg)
	}
	for seed := uint64(1); seed <= 20; seed++ {
		ch := randmodel.Seeded(seed)
		cl := mustCluster(t, "cluster topics=t:2 manual")
		for step := 0; step < 60; step++ {
			acts := cl.Enabled(b)
			if d := cmp.Diff(texts(acts), texts(cl.Clone().Enabled(b))); d != "" {
				t.Fatalf("seed %d: Enabled differs on a clone:\n%s", seed, d)
			}
			if len(acts) == 0 {
				break
			}
			for _, a := range acts {
				if err := cl.Clone().Apply(a); err != nil && !strings.Contains(err.Error(), "not converged") {
					t.Fatalf("seed %d step %d: enabled %q was refused: %v\n%s", seed, step, a, err, cl.Transcript())
				}
			}
			if err := cl.Apply(acts[ch.Intn("", len(acts))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.Violation(); err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, cl.Transcript())
		}
	}
}

func texts(acts []cluster.Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.String()
	}
	return out
}

// TestFireOrdersTimersOfOneInstant: two consumers whose heartbeats fall due
// together can be fired in either order, and fire moves time to them.
func TestFireOrdersTimersOfOneInstant(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:2 manual")
	apply(t, cl, "start c1 c2 session=10000 heartbeat=3000", "stabilize")
	fires := func() []string {
		var out []string
		for _, a := range cl.Enabled(cluster.Bounds{}) {
			if a.Kind == cluster.ActFire {
				out = append(out, a.Node)
			}
		}
		return out
	}
	got := fires()
	if len(got) < 2 || slices.Contains(got, "coord") {
		t.Fatalf("want two nodes due at once, got %v at %d", got, cl.Now())
	}
	next, _ := cl.NextDeadline()
	a, b := cl.Clone(), cl.Clone()
	if err := a.Apply(cluster.Action{Kind: cluster.ActFire, Node: got[0]}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(cluster.Action{Kind: cluster.ActFire, Node: got[1]}); err != nil {
		t.Fatal(err)
	}
	if a.Now() != next || b.Now() != next {
		t.Fatalf("fire moved time to %d and %d, want %d", a.Now(), b.Now(), next)
	}
	if string(a.AppendState(nil)) == string(b.AppendState(nil)) {
		t.Fatal("firing different nodes first reached the same state")
	}
}

// TestInputEventsAndSends: every action applied is an input event with its
// text, and every message put on the wire is a send event.
func TestInputEventsAndSends(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:2")
	apply(t, cl, "start c1", "advance 4000")
	var inputs []string
	sends, delivers := 0, 0
	for _, e := range cl.TakeEvents() {
		switch e.Kind {
		case spec.EvInput:
			inputs = append(inputs, e.Detail)
		case spec.EvSend:
			sends++
		case spec.EvDeliver:
			delivers++
		}
	}
	want := []string{"start c1 topics=t", "advance 4000"}
	if d := cmp.Diff(want, inputs); d != "" {
		t.Errorf("input events (-want +got):\n%s", d)
	}
	if sends == 0 || sends != delivers {
		t.Errorf("%d sends, %d deliveries: every message sent in an auto-delivering cluster arrives", sends, delivers)
	}
}

// TestStepsAreSingleStateMachineSteps: OnStep sees one step per message
// delivered or lost, per timer pass, per driver input, whatever the action
// that caused them.
func TestStepsAreSingleStateMachineSteps(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:2")
	counts := map[cluster.ActionKind]int{}
	cl.OnStep(func(s cluster.Step) { counts[s.Kind]++ })
	apply(t, cl, "start c1 c2 session=10000", "advance 9000", "crash c2", "advance 20000")
	events := map[spec.EventKind]int{}
	for _, e := range cl.TakeEvents() {
		events[e.Kind]++
	}
	if counts[cluster.ActDeliver] != events[spec.EvDeliver]+events[spec.EvDrop] {
		t.Errorf("%d deliver steps for %d deliveries and losses", counts[cluster.ActDeliver], events[spec.EvDeliver]+events[spec.EvDrop])
	}
	if counts[cluster.ActStart] != 2 || counts[cluster.ActCrash] != 1 || counts[cluster.ActFire] == 0 {
		t.Errorf("steps %v", counts)
	}
}

// TestWorkBudget: a cluster with a work budget stops at the step past it,
// says so, and takes no more actions; the same run without one goes on. A
// step of a small cluster costs a unit, of one with 4096 partitions 129.
func TestWorkBudget(t *testing.T) {
	run := func(line string, budget int64) (steps int, err error) {
		cl := mustCluster(t, line)
		cl.SetWorkBudget(budget)
		cl.OnStep(func(cluster.Step) { steps++ })
		for _, line := range []string{"start c1 c2", "advance 60000"} {
			acts, perr := cluster.ParseActions(line, cl)
			if perr != nil {
				t.Fatal(perr)
			}
			for _, a := range acts {
				if err = cl.Apply(a); err != nil {
					if again := cl.Apply(cluster.Action{Kind: cluster.ActSettle}); !errors.Is(again, cluster.ErrBudget) {
						t.Errorf("after the budget: %v", again)
					}
					return steps, err
				}
			}
		}
		return steps, nil
	}
	for _, c := range []struct {
		line string
		cost int
	}{{"cluster topics=t:2", 1}, {"cluster topics=t:4096", 129}} {
		all, err := run(c.line, 0)
		if err != nil || all < 100 {
			t.Fatalf("unbounded: %d steps, %v", all, err)
		}
		for _, b := range []int{1, 100, all - 1} {
			steps, err := run(c.line, int64(b*c.cost))
			if !errors.Is(err, cluster.ErrBudget) || steps != b || !strings.Contains(err.Error(), fmt.Sprintf("more than %d units", b*c.cost)) {
				t.Errorf("%s, budget %d: %d steps, %v", c.line, b*c.cost, steps, err)
			}
		}
		if steps, err := run(c.line, int64(all*c.cost)); err != nil || steps != all {
			t.Errorf("%s, a budget of exactly the run: %d steps, %v", c.line, steps, err)
		}
	}
}

// pattern= is a regex subscription for a KIP-848 consumer: it excludes
// topics=, as Kafka's subscribe(Pattern) excludes subscribe(names), and
// the classic consumer does not take it.
func TestStartPatternOption(t *testing.T) {
	cl := mustCluster(t, "cluster topics=a:1,b:1")
	if _, err := cluster.ParseActions("start c1 protocol=consumer pattern=a topics=a", cl); err == nil {
		t.Fatal("pattern= with topics= parsed")
	}
	if _, err := cluster.ParseActions("start c1 protocol=consumer pattern=", cl); err == nil {
		t.Fatal("an empty pattern= parsed")
	}
	acts, err := cluster.ParseActions("start c1 protocol=consumer pattern=a|b", cl)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := acts[0].Config; cfg.TopicRegex != "a|b" || len(cfg.Topics) != 0 {
		t.Fatalf("config topics %v regex %q", cfg.Topics, cfg.TopicRegex)
	}
	if err := cl.Apply(acts[0]); err != nil {
		t.Fatal(err)
	}
	if err := cl.Apply(mustParse(t, cl, "start c2 pattern=a")); err == nil {
		t.Fatal("a classic consumer started with a regex subscription")
	}
}

func mustParse(t *testing.T, cl *cluster.Cluster, line string) cluster.Action {
	t.Helper()
	acts, err := cluster.ParseActions(line, cl)
	if err != nil || len(acts) != 1 {
		t.Fatalf("%q: %v", line, err)
	}
	return acts[0]
}
