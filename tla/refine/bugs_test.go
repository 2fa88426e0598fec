package refine

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/tla/explore"
)

// plantedBounds are the small worlds the search below runs each planted bug
// in: two consumers, one topic of two partitions, and the application
// calls or perturbations the bug needs to show. With auto, messages are
// delivered as soon as they are sent: the search chooses timers and the
// environment only.
func plantedBounds(b mutant.Bug, auto bool) (cluster.Config, cluster.Bounds) {
	cfg := cluster.Config{GroupID: "g", Coordinator: coordinator.DefaultConfig(), Topics: map[string]int32{"t": 2},
		Bugs: mutant.Of(b), AutoDeliver: auto}
	cfg.Coordinator.InitialRebalanceDelayMs = 0
	bounds := cluster.Bounds{}
	for _, name := range []string{"c1", "c2"} {
		c := consumer.DefaultConfig(name, "g", "t")
		c.SessionTimeoutMs, c.HeartbeatIntervalMs, c.MaxPollIntervalMs, c.MetadataMaxAgeMs = 6000, 2000, 8000, 60000
		c.AutoCommit = false
		if b == mutant.CooperativeRevokesAll {
			c.Assignors = []assignors.Assignor{assignors.CooperativeSticky{}}
		}
		bounds.Consumers = append(bounds.Consumers, c)
	}
	switch b {
	case mutant.SkipAhead, mutant.CommitZero:
		bounds.Consumes, bounds.Commits = 1, 1
	case mutant.AcceptStaleCommit:
		bounds.Consumes, bounds.Commits, bounds.Perturbations, bounds.Freeze = 1, 1, 1, true
	case mutant.ForgetGroupRecord:
		bounds.Perturbations, bounds.Failover = 1, true
	case mutant.NoExpiry:
		bounds.Perturbations = 1
	case mutant.StaleFetchCache:
		bounds.Consumes, bounds.Commits, bounds.Perturbations, bounds.Restart = 1, 1, 1, true
	case mutant.ReorderedCommits:
		bounds.Consumes, bounds.Commits = 1, 1
	case mutant.UnpersistedCommit:
		bounds.Consumes, bounds.Commits, bounds.Perturbations, bounds.Failover = 1, 1, 1, true
	}
	return cfg, bounds
}

// shortestDivergence searches, breadth first with the explorer
// (tla/explore), the runs of a cluster within bounds for the first step the
// refinement check rejects, ignoring the cluster's own rules unless
// withRules; it returns the number of actions to it and the transcript, or
// 0 if no run within maxStates states diverges.
func shortestDivergence(t *testing.T, cfg cluster.Config, b cluster.Bounds, maxStates int, withRules bool) (int, string) {
	t.Helper()
	res, err := explore.Run(explore.Config{Cluster: cfg, Bounds: b, MaxStates: maxStates, IgnoreRules: !withRules,
		Attach: func(c *cluster.Cluster) func() error {
			ck := New()
			ck.Attach(c)
			return ck.Err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation == nil {
		return 0, ""
	}
	var d *Divergence
	if !withRules && !errors.As(res.Violation, &d) && !strings.Contains(res.Violation.Error(), "refine: abstraction") {
		t.Fatalf("the search ended on something other than the refinement check: %v", res.Violation)
	}
	return res.TraceLength, res.Transcript + "\n" + res.Violation.Error()
}

// caughtByRefinement are the planted bugs the refinement check rejects by
// itself: all but no-expiry, which only removes behaviours (a session that
// never ends is one the spec allows), so only liveness sees it. The spec's
// committed offsets and fetch answers make it see the bugs no single state
// shows (stale-fetch-cache, reordered-commits), which otherwise only a
// history check finds.
var caughtByRefinement = []mutant.Bug{mutant.SkipGenerationBump, mutant.DoubleAssign, mutant.AcceptStaleCommit,
	mutant.KeepOnRejoin, mutant.SkipAhead, mutant.CommitZero, mutant.CooperativeRevokesAll, mutant.ForgetGroupRecord,
	mutant.StaleFetchCache, mutant.UnpersistedCommit, mutant.ReorderedCommits}

// TestEveryPlantedBugIsListed: a bug added to internal/mutant must be
// listed above, be no-expiry, or be planted in consumer groups, which the
// classic spec does not describe.
func TestEveryPlantedBugIsListed(t *testing.T) {
	for _, b := range mutant.All() {
		if b != mutant.NoExpiry && !slices.Contains(caughtByRefinement, b) && !slices.Contains(mutant.ConsumerGroupOnly(), b) {
			t.Errorf("%s: not in caughtByRefinement", b)
		}
	}
}

// TestRefinementCatchesPlantedBugs: with the rules ignored, the refinement
// check alone rejects a run of the implementation with a planted bug. The
// shortest such run's length is logged (tla/README.md has the table).
func TestRefinementCatchesPlantedBugs(t *testing.T) {
	for _, b := range caughtByRefinement {
		t.Run(b.String(), func(t *testing.T) {
			t.Parallel()
			cfg, bounds := plantedBounds(b, true)
			n, tr := shortestDivergence(t, cfg, bounds, 20000, false)
			if n == 0 {
				t.Fatalf("%s planted: no run within the bounds diverges from the spec", b)
			}
			t.Logf("%s: rejected after %d actions:\n%s", b, n, strings.TrimSpace(tr))
		})
	}
}

// TestRefinementCatchesPlantedBugsManual is the same search with the
// network choosing every delivery (TLA_LONG=1; minutes).
func TestRefinementCatchesPlantedBugsManual(t *testing.T) {
	if os.Getenv("TLA_LONG") == "" {
		t.Skip("set TLA_LONG=1")
	}
	for _, b := range caughtByRefinement {
		t.Run(b.String(), func(t *testing.T) {
			cfg, bounds := plantedBounds(b, false)
			n, tr := shortestDivergence(t, cfg, bounds, 150000, false)
			if n == 0 {
				t.Logf("%s planted: no run of 150000 states diverges", b)
				return
			}
			t.Logf("%s: rejected after %d actions:\n%s", b, n, strings.TrimSpace(tr))
		})
	}
}

// TestExploredStatesRefine: every step of every run of a clean cluster
// within small bounds (faults of every kind on, the network choosing every
// delivery), explored breadth first, is a step of the spec.
func TestExploredStatesRefine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		static bool
		coop   bool
		bounds cluster.Bounds
	}{
		{"faults", false, false, cluster.Bounds{Perturbations: 1, Drops: 1, Consumes: 1, Commits: 1, Restart: true,
			Freeze: true, Stall: true, Failover: true, AddPartitionsUpTo: 3, Advances: []int64{700}}},
		{"static", true, false, cluster.Bounds{Perturbations: 2, Restart: true, RemoveStatic: true, Failover: true}},
		{"cooperative", false, true, cluster.Bounds{Perturbations: 1, Consumes: 1, Commits: 1, AddPartitionsUpTo: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _ := plantedBounds(0, false)
			b := tc.bounds
			for _, name := range []string{"c1", "c2"} {
				c := consumer.DefaultConfig(name, "g", "t")
				c.SessionTimeoutMs, c.HeartbeatIntervalMs, c.MaxPollIntervalMs, c.MetadataMaxAgeMs = 6000, 2000, 8000, 4000
				if tc.static {
					c.InstanceID = "i-" + name
				}
				if tc.coop {
					c.Assignors = []assignors.Assignor{assignors.CooperativeSticky{}}
				}
				b.Consumers = append(b.Consumers, c)
			}
			n, tr := shortestDivergence(t, cfg, b, 3000, true)
			if n != 0 {
				t.Fatalf("a clean cluster diverges after %d actions:\n%s", n, tr)
			}
		})
	}
}
