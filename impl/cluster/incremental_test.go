package cluster_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/internal/randmodel"
)

// incrementalRun runs the seeded random model under CheckAtEvents, verified
// or not; it fails the test on a broken internal invariant (a disagreement
// between the incremental and the full check) and returns the run's error.
func incrementalRun(t *testing.T, seed uint64, bugs mutant.Set, verify, cg bool) error {
	t.Helper()
	opts := randmodel.Defaults
	opts.Bugs = bugs
	opts.AllConsumerGroups = cg
	for _, b := range mutant.ConsumerGroupOnly() {
		opts.AllConsumerGroups = opts.AllConsumerGroups || bugs.Has(b) // its runs are of consumer groups
	}
	m, err := randmodel.New(randmodel.Seeded(seed), opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Cl.SetCheckMode(cluster.CheckAtEvents)
	if verify {
		m.Cl.VerifyIncremental()
	}
	err = m.Run()
	var f *assert.Failure
	if errors.As(err, &f) {
		t.Fatalf("seed %d, bugs %v: %v", seed, bugs, err)
	}
	return err
}

// Random runs, clean and with every planted bug: every check of every run
// agrees with the full check (VerifyIncremental), and verifying changes
// nothing in the run's outcome.
func TestIncrementalAgreesOnRandomRuns(t *testing.T) {
	sets := []mutant.Set{0}
	for _, b := range mutant.All() {
		if b != mutant.CGSkipEpochCheck { // no state of these runs shows it (mutants_test.go)
			sets = append(sets, mutant.Of(b))
		}
	}
	seeds := uint64(60)
	if testing.Short() {
		seeds = 10
	}
	for _, bugs := range sets {
		t.Run(fmt.Sprint(bugs), func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= seeds; seed++ {
				verified, plain := incrementalRun(t, seed, bugs, true, false), incrementalRun(t, seed, bugs, false, false)
				if fmt.Sprint(verified) != fmt.Sprint(plain) {
					t.Fatalf("seed %d: verified %v, plain %v", seed, verified, plain)
				}
			}
		})
	}
}

// The incremental path still catches planted bugs: for each known bug whose
// rule a state shows, some seeded run under CheckAtEvents, checked
// incrementally, reports that rule.
func TestIncrementalCatchesPlantedBugs(t *testing.T) {
	for _, c := range plantedCases {
		if c.bug == mutant.NoExpiry {
			continue // liveness, not a rule of one state
		}
		t.Run(c.bug.String(), func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= plantedSeeds; seed++ {
				err := incrementalRun(t, seed, mutant.Of(c.bug), false, c.cg)
				for _, rule := range strings.Split(c.rule, "|") {
					if err != nil && strings.Contains(err.Error(), rule) {
						t.Logf("caught at seed %d: %s", seed, firstLine(err.Error()))
						return
					}
				}
			}
			t.Fatalf("%s planted, but no incremental run of %d broke %q", c.bug, plantedSeeds, c.rule)
		})
	}
}
