package explore

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/internal/mutant"
)

func mustConfig(t *testing.T, s Scenario) Config {
	t.Helper()
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustRun(t *testing.T, cfg Config) Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestExhaustive explores every behaviour of a Stable group of two eager
// consumers with one crash, close or restart, every order of delivery, and
// finds every rule holding; the count of states does not depend on the
// number of workers.
func TestExhaustive(t *testing.T) {
	t.Parallel()
	cfg := mustConfig(t, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Stable: true, Perturbations: 1, Restart: true})
	cfg.Symmetry, cfg.Workers = true, 1
	one := mustRun(t, cfg)
	if one.Violation != nil {
		t.Fatalf("%v\n%s", one.Violation, replay(t, one.Transcript))
	}
	if !one.Complete || one.States < 1000 {
		t.Fatalf("complete %v after %d states", one.Complete, one.States)
	}
	cfg.Workers = 2
	two := mustRun(t, cfg)
	if two.States != one.States || two.Transitions != one.Transitions || two.Depth != one.Depth {
		t.Fatalf("1 worker: %d states, %d transitions, depth %d; 2 workers: %d, %d, %d",
			one.States, one.Transitions, one.Depth, two.States, two.Transitions, two.Depth)
	}
	t.Logf("%d states, %d transitions, depth %d", one.States, one.Transitions, one.Depth)
}

// TestExhaustiveConsumerGroup explores every behaviour of two KIP-848
// consumers forming a consumer group, with one fault among a crash, a
// close, a restart, a freeze past the session and a coordinator failover,
// every order of delivery, and finds every rule holding — the consumer
// group rules and the record-replay check. (Convergence from every state,
// cfg.Liveness, holds too; it takes ten times as long: kgroup explore
// -consumer-protocol -perturbations 1 -restart -freeze -failover -liveness.)
func TestExhaustiveConsumerGroup(t *testing.T) {
	t.Parallel()
	cfg := mustConfig(t, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", ConsumerProtocol: true,
		Perturbations: 1, Restart: true, Freeze: true, Failover: true})
	cfg.Symmetry = true
	res := mustRun(t, cfg)
	if res.Violation != nil {
		t.Fatalf("%v\n%s", res.Violation, replay(t, res.Transcript))
	}
	if !res.Complete || res.States < 1000 {
		t.Fatalf("complete %v after %d states", res.Complete, res.States)
	}
	t.Logf("%d states, %d transitions, depth %d", res.States, res.Transitions, res.Depth)
}

// TestSymmetry: treating interchangeable consumers as one cuts the states of
// a group that forms from nothing, and finds the same verdict.
func TestSymmetry(t *testing.T) {
	t.Parallel()
	cfg := mustConfig(t, Scenario{Consumers: 2, Partitions: 1, Network: "instant", Perturbations: 1})
	plain := mustRun(t, cfg)
	cfg.Symmetry = true
	sym := mustRun(t, cfg)
	if !plain.Complete || !sym.Complete || plain.Violation != nil || sym.Violation != nil {
		t.Fatalf("plain %+v, symmetric %+v", plain, sym)
	}
	if sym.States >= plain.States {
		t.Fatalf("symmetry explored %d states, without it %d", sym.States, plain.States)
	}
	t.Logf("%d states with symmetry, %d without", sym.States, plain.States)
}

// plantedScenarios are, for every bug kgroup can plant, a small bound at
// which the explorer finds it, and the rule it breaks.
var plantedScenarios = []struct {
	bug      mutant.Bug
	scenario Scenario
	liveness bool
	rule     string
}{
	{mutant.SkipGenerationBump, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep"}, false, "generations: a join completed"},
	{mutant.DoubleAssign, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep"}, false, "exclusive ownership"},
	{mutant.AcceptStaleCommit, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Stable: true, Perturbations: 1,
		Freeze: true, Consumes: 1, Commits: 1}, false, "fencing"},
	{mutant.NoExpiry, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Stable: true, Perturbations: 1}, true, "liveness: not converged"},
	{mutant.KeepOnRejoin, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep"}, false, "cooperative: "},
	{mutant.SkipAhead, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep"}, false, "no loss"},
	{mutant.CommitZero, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Stable: true, Perturbations: 1,
		Restart: true, Consumes: 1, Commits: 1}, false, "offsets: the committed offset"},
	{mutant.CooperativeRevokesAll, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Stable: true, Cooperative: true,
		Perturbations: 1, Restart: true}, false, "cooperative: owned"},
	{mutant.ForgetGroupRecord, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep"}, false, "records: the log rebuilds"},
	{mutant.UnpersistedCommit, Scenario{Consumers: 1, Partitions: 1, Network: "lockstep", Stable: true, Perturbations: 1,
		Failover: true, Consumes: 1, Commits: 1}, false, "offsets: the committed offset"},
	{mutant.CGAssignUnreleased, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", ConsumerProtocol: true}, false, "ownership: "},
	{mutant.CGEpochGoesBack, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", ConsumerProtocol: true,
		Perturbations: 1}, false, "epochs: member"},
	{mutant.CGRevokeUnacked, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", ConsumerProtocol: true},
		false, "did not report giving it up"},
}

// TestExplorerFindsEveryPlantedBug: every bug of package mutant that a state
// can show is found at a small bound, on a shortest run, which replays from
// its transcript to the same broken rule. (The bugs only a history shows are
// package linearizability's; cg-skip-epoch-check, which lets in heartbeats
// at a wrong epoch that these bounds never send but as a harmless rejoin,
// the coordinator's conformance test's.)
func TestExplorerFindsEveryPlantedBug(t *testing.T) {
	if len(plantedScenarios)+len(mutant.HistoryOnly())+1 != len(mutant.All()) {
		t.Fatalf("%d scenarios, %d history-only and cg-skip-epoch-check for %d planted bugs", len(plantedScenarios),
			len(mutant.HistoryOnly()), len(mutant.All()))
	}
	for _, c := range plantedScenarios {
		t.Run(c.bug.String(), func(t *testing.T) {
			t.Parallel()
			sc := c.scenario
			sc.Plant = mutant.Of(c.bug)
			cfg := mustConfig(t, sc)
			cfg.Symmetry, cfg.Liveness, cfg.MaxStates = true, c.liveness, 50000
			res := mustRun(t, cfg)
			if res.Violation == nil || !strings.Contains(res.Violation.Error(), c.rule) {
				t.Fatalf("want %q broken, got %v after %d states", c.rule, res.Violation, res.States)
			}
			out := replay(t, res.Transcript)
			if !c.liveness && !strings.Contains(out, "VIOLATION: "+res.Violation.Error()) {
				t.Fatalf("the transcript does not replay to the violation:\n%s", out)
			}
			t.Logf("found after %d actions (%d states): %v", res.TraceLength, res.States, res.Violation)
		})
	}
}

func replay(t *testing.T, tr string) string {
	t.Helper()
	out, err := transcript.Run(strings.NewReader(tr))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWorkersAgree is small enough for the race detector: four workers
// find exactly what one finds.
func TestWorkersAgree(t *testing.T) {
	cfg := mustConfig(t, Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Stable: true})
	cfg.Workers = 1
	one := mustRun(t, cfg)
	cfg.Workers = 4
	four := mustRun(t, cfg)
	if !one.Complete || one.States != four.States || one.Transitions != four.Transitions {
		t.Fatalf("1 worker %+v, 4 workers %+v", one.Stats, four.Stats)
	}
}
