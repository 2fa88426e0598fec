package cluster_test

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/internal/randmodel"
)

// plantedCases are the known bugs (package mutant) and what the checker's
// message says when it catches each; alternatives separated by |.
var plantedCases = []struct {
	bug  mutant.Bug
	rule string
	cg   bool // a bug of consumer groups: the runs are of consumer groups
}{
	{bug: mutant.SkipGenerationBump, rule: "generations: a join completed"},
	{bug: mutant.DoubleAssign, rule: "exclusive ownership"},
	{bug: mutant.AcceptStaleCommit, rule: "fencing"},
	{bug: mutant.NoExpiry, rule: "liveness: not converged"},
	// An eager member that keeps its partitions also still claims them
	// when it joins, so the plan check of rule 4 may see it first.
	{bug: mutant.KeepOnRejoin, rule: "exclusive ownership|cooperative: "},
	{bug: mutant.SkipAhead, rule: "no loss"},
	{bug: mutant.CommitZero, rule: "offsets: the committed offset"},
	{bug: mutant.ForgetGroupRecord, rule: "records: the log rebuilds"},
	{bug: mutant.CooperativeRevokesAll, rule: "cooperative: owned"},
	{bug: mutant.CGAssignUnreleased, rule: "ownership: |exclusive ownership", cg: true},
	{bug: mutant.CGEpochGoesBack, rule: "epochs: member", cg: true},
	{bug: mutant.CGRevokeUnacked, rule: "did not report giving it up", cg: true},
	// Bugs of both protocols, in consumer group runs: the fencing and
	// offset rules of consumer groups.
	{bug: mutant.AcceptStaleCommit, rule: "fencing", cg: true},
	{bug: mutant.SkipAhead, rule: "no loss", cg: true},
	// cg-skip-epoch-check is left to the coordinator's conformance test
	// (TestPlantedConsumerGroupBugs): in these runs no member comes back at
	// a wrong epoch while the coordinator still has it, except a fenced
	// member rejoining at epoch 0, which the bug lets in harmlessly.
}

const plantedSeeds = 400

// firstCatch runs the seeded model with bug planted until a run breaks one
// of the rules; it returns that run and its error, or the other rules that
// fired.
func firstCatch(t *testing.T, bug mutant.Bug, rules string, cg bool) (*randmodel.Model, uint64, error, map[string]int) {
	t.Helper()
	others := map[string]int{}
	opts := randmodel.Defaults
	opts.Bugs = mutant.Of(bug)
	opts.AllConsumerGroups = cg
	for seed := uint64(1); seed <= plantedSeeds; seed++ {
		m, err := randmodel.New(randmodel.Seeded(seed), opts)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Run()
		if err == nil {
			continue
		}
		msg := err.Error()
		for _, rule := range strings.Split(rules, "|") {
			if strings.Contains(msg, rule) {
				return m, seed, err, nil
			}
		}
		others[firstWords(msg)]++
	}
	return nil, 0, nil, others
}

// TestCheckersCatchPlantedBugs shows that each rule's checker catches a real
// broken implementation: a known bug is planted in the coordinator or the
// consumers of one cluster, the same random model runs over seeded runs, and
// the test demands that the named rule reports it. Planted bugs are
// configuration of the instance, so the bugs run in parallel.
func TestCheckersCatchPlantedBugs(t *testing.T) {
	for _, c := range plantedCases {
		t.Run(c.bug.String(), func(t *testing.T) {
			t.Parallel()
			_, seed, err, others := firstCatch(t, c.bug, c.rule, c.cg)
			if err == nil {
				t.Fatalf("%s planted, but no run of %d broke %q (other rules that fired: %v)", c.bug, plantedSeeds, c.rule, others)
			}
			t.Logf("caught at seed %d: %s", seed, firstLine(err.Error()))
		})
	}
}

// TestFailingRunReplays: the run that catches a planted bug prints as a
// transcript, and kgroup replay of that transcript reproduces the very same
// output — the violation included — byte for byte.
func TestFailingRunReplays(t *testing.T) {
	for _, c := range plantedCases {
		if c.bug == mutant.NoExpiry {
			continue // caught by liveness: its transcript ends in a stabilize error instead
		}
		t.Run(c.bug.String(), func(t *testing.T) {
			t.Parallel()
			m, seed, err, _ := firstCatch(t, c.bug, c.rule, c.cg)
			if err == nil {
				t.Fatalf("%s planted, but no run caught it", c.bug)
			}
			out := m.Replay()
			if !strings.Contains(out, "\nVIOLATION: "+err.Error()+"\n") {
				t.Fatalf("seed %d: the run failed with %q, but its transcript shows:\n%s", seed, err, out)
			}
			again, rerr := transcript.Run(strings.NewReader(out))
			if rerr != nil || again != out {
				t.Fatalf("seed %d: replaying the transcript gave different output (%v)", seed, rerr)
			}
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
