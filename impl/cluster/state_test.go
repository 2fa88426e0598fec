package cluster_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/spec"
)

func state(cl *cluster.Cluster) string { return string(cl.AppendState(nil)) }

// TestStateIsRelativeToNow: a run shifted in time encodes exactly as the
// original, and a stable group whose every period has elapsed once more —
// deadlines later, correlation ids higher — is the same state.
func TestStateIsRelativeToNow(t *testing.T) {
	run := []string{"start c1 c2 session=10000 heartbeat=2000 metadata-age=6000 auto-commit=6000",
		"advance 7000", "consume c1 5", "commit c1", "advance 1000"}
	a := mustCluster(t, "cluster topics=t:4 initial-delay=0")
	apply(t, a, run...)
	b := mustCluster(t, "cluster topics=t:4 initial-delay=0")
	apply(t, b, "advance 123456")
	apply(t, b, run...)
	if state(a) != state(b) {
		t.Fatal("the same run shifted in time encodes differently")
	}
	before := state(a)
	corr := lastCorr(a, "c1")
	apply(t, a, "advance 6000") // one heartbeat cycle more: 3 heartbeats, an auto-commit, a metadata refresh
	if lastCorr(a, "c1") == corr {
		t.Fatal("no request was sent in a whole cycle: the test does not test renumbering")
	}
	if state(a) != before {
		t.Fatal("a stable group one heartbeat cycle later encodes differently")
	}
	apply(t, a, "consume c2 1")
	if state(a) == before {
		t.Fatal("processing a record did not change the encoding")
	}
}

// TestStateRenumbersRequestsInFlight: a request in flight one heartbeat
// cycle later — a higher correlation id on the wire — is the same state.
func TestStateRenumbersRequestsInFlight(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:2 manual")
	apply(t, cl, "start c1 session=10000 heartbeat=2000 metadata-age=2000", "stabilize")
	fireUntilSent(t, cl)
	if len(cl.InFlight()) != 1 {
		t.Fatalf("want one heartbeat in flight, got %v", cl.InFlight())
	}
	before, corr := state(cl), cl.InFlight()[0].Msg.Correlation
	apply(t, cl, "deliver c1->coord", "deliver coord->c1")
	fireUntilSent(t, cl)
	if len(cl.InFlight()) != 1 || cl.InFlight()[0].Msg.Correlation == corr {
		t.Fatalf("want the next heartbeat in flight, got %v", cl.InFlight())
	}
	if state(cl) != before {
		t.Fatal("the next heartbeat in flight, one cycle later, encodes differently")
	}
}

// fireUntilSent fires the timers due next, in Enabled's order, until a
// message is in flight.
func fireUntilSent(t *testing.T, cl *cluster.Cluster) {
	t.Helper()
	for i := 0; len(cl.InFlight()) == 0; i++ {
		var fire *cluster.Action
		for _, a := range cl.Enabled(cluster.Bounds{}) {
			if a.Kind == cluster.ActFire {
				fire = &a
				break
			}
		}
		if fire == nil || i > 100 {
			t.Fatal("nothing was sent")
		}
		if err := cl.Apply(*fire); err != nil {
			t.Fatal(err)
		}
	}
}

func lastCorr(cl *cluster.Cluster, name string) int32 {
	c, _ := cl.Consumer(name)
	return c.LastCorrelation()
}

// TestStateOfTwoInterleavings: the same deliveries in two orders that end in
// the same state encode alike, although the network numbered and queued the
// messages differently on the way; an order that changes what happens (the
// coordinator armed two sessions the other way round) does not.
func TestStateOfTwoInterleavings(t *testing.T) {
	setup := []string{"start c1 c2 session=10000 heartbeat=3000", "stabilize", "fire c1", "fire c2"}
	a := mustCluster(t, "cluster topics=t:2 manual")
	apply(t, a, setup...)
	b, c := a.Clone(), a.Clone()
	apply(t, a, "deliver c1->coord", "deliver coord->c1", "deliver c2->coord", "deliver coord->c2")
	apply(t, b, "deliver c1->coord", "deliver c2->coord", "deliver coord->c2", "deliver coord->c1")
	apply(t, c, "deliver c2->coord", "deliver c1->coord", "deliver coord->c1", "deliver coord->c2")
	if state(a) != state(b) {
		t.Fatal("two interleavings that reach the same state encode differently")
	}
	if state(a) == state(c) {
		t.Fatal("heartbeats handled in the other order re-armed the sessions in the other order, yet encode alike")
	}
}

// TestCloneDivergesIndependently: a clone taken mid-rebalance (a parked
// SyncGroup, a new member's parked JoinGroup, armed timers, messages in
// flight) evolves on its own, and the
// original, driven the same way later, does exactly what the clone did.
func TestCloneDivergesIndependently(t *testing.T) {
	cl := mustCluster(t, "cluster topics=t:6 manual")
	apply(t, cl, "start c1 c2 c3 session=10000 assignor=cooperative-sticky", "settle", "advance 9000",
		"deliver coord->c2", "deliver c2->coord", "start c4", "settle")
	before := state(cl)
	cl.TakeEvents()
	clone := cl.Clone()
	if state(clone) != before {
		t.Fatal("a clone encodes differently from its original")
	}
	rest := []string{"settle", "advance 20000", "crash c2", "stabilize", "consume c1 3", "failover", "stabilize"}
	apply(t, clone, rest...)
	if state(cl) != before || len(cl.TakeEvents()) != 0 {
		t.Fatal("driving the clone changed the original")
	}
	cloneEvents := eventText(clone.TakeEvents())
	apply(t, cl, rest...)
	if state(cl) != state(clone) {
		t.Fatal("the original, driven as the clone was, reached another state")
	}
	if got := eventText(cl.TakeEvents()); got != cloneEvents {
		t.Fatalf("the original did something else than its clone:\n%s\nclone:\n%s", got, cloneEvents)
	}
	if cl.Transcript() != clone.Transcript() {
		t.Fatal("the action logs differ")
	}
}

func eventText(es []spec.Event) string {
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

// TestEqualStatesHaveEqualFutures is the soundness of AppendState, which an
// explorer relies on to prune: along many random walks, whenever two walks
// by different paths reach states that encode alike, both offer the same
// actions, and the same continuation keeps them encoding alike, step by
// step, with the same verdicts.
func TestEqualStatesHaveEqualFutures(t *testing.T) {
	t.Parallel()
	b := cluster.Bounds{Perturbations: 2, Drops: 1, Consumes: 2, Commits: 1, Restart: true, Freeze: true,
		Failover: true, AddPartitionsUpTo: 3, Advances: []int64{700}}
	for _, name := range []string{"c1", "c2"} {
		cfg := consumer.DefaultConfig(name, "g", "t")
		cfg.SessionTimeoutMs, cfg.HeartbeatIntervalMs, cfg.MaxPollIntervalMs, cfg.MetadataMaxAgeMs = 6000, 2000, 8000, 4000
		b.Consumers = append(b.Consumers, cfg)
	}
	type seen struct {
		cl   *cluster.Cluster
		path string
	}
	states := map[string]seen{}
	collisions := 0
	for seed := uint64(1); seed <= 150; seed++ {
		ch := randmodel.Seeded(seed)
		cl := mustCluster(t, "cluster topics=t:2 initial-delay=0 manual")
		for step := 0; step < 30; step++ {
			acts := cl.Enabled(b)
			if len(acts) == 0 {
				break
			}
			if err := cl.Apply(acts[ch.Intn("", len(acts))]); err != nil && !errors.Is(err, cluster.ErrNotConverged) {
				t.Fatal(err)
			}
			key, path := state(cl), cl.Transcript()
			prev, ok := states[key]
			if !ok {
				states[key] = seen{cl.Clone(), path}
				continue
			}
			if prev.path == path {
				continue
			}
			collisions++
			sameFuture(t, prev.cl.Clone(), cl.Clone(), b, seed)
		}
	}
	t.Logf("%d distinct states, %d reached again by another path", len(states), collisions)
	if collisions < 20 {
		t.Fatalf("only %d states were reached by two paths: the test checks too little", collisions)
	}
}

func sameFuture(t *testing.T, x, y *cluster.Cluster, b cluster.Bounds, seed uint64) {
	t.Helper()
	ch := randmodel.Seeded(seed * 7919)
	for step := 0; step < 20; step++ {
		ax, ay := texts(x.Enabled(b)), texts(y.Enabled(b))
		if !slices.Equal(ax, ay) {
			t.Fatalf("states that encode alike offer different actions:\n%v\n%v\nfirst:\n%s\nsecond:\n%s", ax, ay, x.Transcript(), y.Transcript())
		}
		if len(ax) == 0 {
			return
		}
		i := ch.Intn("", len(ax))
		ex, ey := x.Apply(x.Enabled(b)[i]), y.Apply(y.Enabled(b)[i])
		if (ex == nil) != (ey == nil) || (x.Violation() == nil) != (y.Violation() == nil) || state(x) != state(y) {
			t.Fatalf("after %q the futures part (errors %v, %v; violations %v, %v)\nfirst:\n%s\nsecond:\n%s",
				ax[i], ex, ey, x.Violation(), y.Violation(), x.Transcript(), y.Transcript())
		}
	}
}
