package refine848

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/tla/explore"
)

// scoped is a consumer-protocol scenario of the explorer within the
// model's scope: remote-assignor=range, no commits. With stable, both
// consumers start (c1 first) and the group converges before the search.
func scoped(t *testing.T, s explore.Scenario, stable bool) (explore.Config, []string) {
	t.Helper()
	s.ConsumerProtocol, s.Stable = true, false
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range cfg.Bounds.Consumers {
		c := &cfg.Bounds.Consumers[i]
		c.ServerAssignor, c.CommitOnRevoke, c.AutoCommit = "range", false, false
		names = append(names, c.Name)
		if stable {
			cfg.Setup = append(cfg.Setup, cluster.Action{Kind: cluster.ActStart, Node: c.Name, Config: c}.String())
		}
	}
	if stable {
		cfg.Setup = append(cfg.Setup, "stabilize")
	}
	return cfg, names
}

// search explores cfg with the checker attached to every state, and
// returns the result and the steps checked.
func search(t *testing.T, cfg explore.Config, names []string, maxStates int, ignoreRules bool) (explore.Result, int64) {
	t.Helper()
	var steps atomic.Int64
	cfg.MaxStates, cfg.IgnoreRules, cfg.Workers = maxStates, ignoreRules, 2
	cfg.Attach = func(c *cluster.Cluster) func() error {
		ck := New(names...)
		ck.Attach(c)
		return func() error { steps.Add(ck.Steps()); return ck.Err() }
	}
	res, err := explore.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res, steps.Load()
}

// TestExploredStatesRefine: every step from every state a breadth-first
// search of a converged two-consumer group reaches (one topic of two
// partitions, a crash or a close, a lost message, every order of
// delivery, no time passing while a message is in flight) is a step of
// ConsumerGroup.tla or a stutter.
func TestExploredStatesRefine(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    explore.Scenario
		max  int
	}{
		{"drops", explore.Scenario{Consumers: 2, Partitions: 2, Drops: 1, Network: "lockstep"}, 4000},
		{"perturbations", explore.Scenario{Consumers: 2, Partitions: 2, Perturbations: 1, Network: "lockstep"}, 4000},
		{"three", explore.Scenario{Consumers: 3, Partitions: 3, Perturbations: 1, Network: "lockstep"}, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, names := scoped(t, tc.s, true)
			res, steps := search(t, cfg, names, tc.max, false)
			if res.Violation != nil {
				t.Fatalf("a clean cluster diverges after %d actions:\n%s\n%v", res.TraceLength, res.Transcript, res.Violation)
			}
			if steps == 0 {
				t.Fatal("no step checked")
			}
			t.Logf("%s: %d states (complete %v), %d steps checked", tc.name, res.States, res.Complete, steps)
		})
	}
}

// TestRandomRunsRefine: seeded random runs within the scope — three
// consumers joining in order, then deliveries, drops, timers, crashes and
// closes chosen at random, no time passing while a message is in flight —
// checked step by step by one checker each. A consumer's join is not lost
// (see TestFindingMemberOrder).
func TestRandomRunsRefine(t *testing.T) {
	cfg, names := scoped(t, explore.Scenario{Consumers: 3, Partitions: 3, Network: "lockstep"}, false)
	b := cfg.Bounds
	b.Drops, b.Perturbations = 3, 2
	total, backoffs := int64(0), int64(0)
	acts := map[string]int64{}
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 848))
		cl, err := cluster.New(cfg.Cluster)
		if err != nil {
			t.Fatal(err)
		}
		ck := New(names...)
		ck.Attach(cl)
		for _, line := range inOrder(cfg) {
			a, err := cluster.ParseAction(line, cl)
			if err != nil {
				t.Fatal(err)
			}
			if err := cl.Apply(a); err != nil {
				t.Fatal(err)
			}
		}
		for range 300 {
			en := cl.Enabled(b)
			if len(cl.InFlight()) > 0 {
				en = slices.DeleteFunc(en, func(a cluster.Action) bool { return a.Kind == cluster.ActFire || a.Kind == cluster.ActAdvance })
			}
			// No drop while a consumer has no member id: a second id minted
			// for it would sort after the others' (TestFindingMemberOrder).
			en = slices.DeleteFunc(en, func(a cluster.Action) bool {
				if a.Kind != cluster.ActDrop {
					return false
				}
				for _, n := range names {
					if p, ok := cl.Consumer(n); ok && p.View().MemberID == "" && strings.Contains(a.Link, n) {
						return true
					}
				}
				return false
			})
			if len(en) == 0 {
				break
			}
			if err := cl.Apply(en[rng.IntN(len(en))]); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if ck.Err() != nil {
				break
			}
		}
		if err := ck.Err(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		total += ck.Steps()
		backoffs += ck.Backoffs()
		for k, v := range ck.Actions() {
			acts[k] += v
		}
	}
	t.Logf("60 runs, %d steps checked (%d accepted as the rejoin backoff); spec actions matched: %v", total, backoffs, acts)
}
