package cluster_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/internal/mutant"
)

// TestCheckersCatchPlantedBugs shows that each rule's checker catches a real
// broken implementation: a known bug is planted in the coordinator or the
// consumer (package mutant), the same random model runs over seeded runs, and
// the test demands that the named rule reports it. Not parallel: a planted
// bug is process-wide.
func TestCheckersCatchPlantedBugs(t *testing.T) {
	cases := []struct {
		bug  mutant.Bug
		rule string // what the checker's message says; alternatives separated by |
	}{
		{mutant.SkipGenerationBump, "generations: a join completed"},
		{mutant.DoubleAssign, "exclusive ownership"},
		{mutant.AcceptStaleCommit, "fencing"},
		{mutant.NoExpiry, "liveness: not converged"},
		// An eager member that keeps its partitions also still claims them
		// when it joins, so the plan check of rule 4 may see it first.
		{mutant.KeepOnRejoin, "exclusive ownership|cooperative: "},
		{mutant.SkipAhead, "no loss"},
		{mutant.CommitZero, "offsets: the committed offset"},
		{mutant.ForgetGroupRecord, "records: the log rebuilds"},
		{mutant.CooperativeRevokesAll, "cooperative: owned"},
	}
	const seeds = 400
	for _, c := range cases {
		t.Run(string(c.bug), func(t *testing.T) {
			undo := mutant.Plant(c.bug)
			defer undo()
			others := map[string]int{}
			for seed := uint64(1); seed <= seeds; seed++ {
				m, err := newModel(seededChooser{rand.New(rand.NewPCG(seed, 0))}, defaultOptions)
				if err != nil {
					t.Fatal(err)
				}
				err = m.run()
				if err == nil {
					continue
				}
				msg := err.Error()
				for _, rule := range strings.Split(c.rule, "|") {
					if strings.Contains(msg, rule) {
						t.Logf("caught by %q at seed %d: %s", rule, seed, firstLine(msg))
						return
					}
				}
				others[firstWords(msg)]++
			}
			t.Fatalf("%s planted, but no run of %d broke %q (other rules that fired: %v)", c.bug, seeds, c.rule, others)
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func firstWords(s string) string {
	_, rest, _ := strings.Cut(firstLine(s), ": ")
	if i := strings.IndexByte(rest, ':'); i > 0 {
		return rest[:i]
	}
	return rest
}
