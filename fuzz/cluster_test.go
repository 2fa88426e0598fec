package fuzz

import (
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/internal/randmodel"
)

// clusterOptions are FuzzCluster's runs: the random model's defaults with
// a shorter safety phase, so that the fuzzer tries more runs.
var clusterOptions = func() randmodel.Options {
	o := randmodel.Defaults
	o.Steps = 120
	return o
}()

// cgClusterOptions are FuzzClusterConsumerGroups' runs: clusterOptions
// with every run a KIP-848 consumer group.
var cgClusterOptions = func() randmodel.Options {
	o := clusterOptions
	o.AllConsumerGroups = true
	return o
}()

// runChoices plays one run of the random model with its choices read from
// b, bugs planted; it returns the model and the first rule broken.
func runChoices(b []byte, bugs mutant.Set) (*randmodel.Model, error) {
	return runChoicesWith(clusterOptions, b, bugs)
}

func runChoicesWith(opts randmodel.Options, b []byte, bugs mutant.Set) (*randmodel.Model, error) {
	opts.Bugs = bugs
	m, err := randmodel.New(randmodel.Bytes(b), opts)
	if err != nil {
		return nil, err
	}
	return m, m.Run()
}

// plantedFromEnv reads KGROUP_FUZZ_PLANT, the planted bugs fuzz/run.sh
// switches on to show FuzzCluster finds them.
func plantedFromEnv(f *testing.F) mutant.Set {
	bugs, err := mutant.ParseSet(os.Getenv("KGROUP_FUZZ_PLANT"))
	if err != nil {
		f.Fatal(err)
	}
	return bugs
}

// FuzzCluster: any bytes, read as the random model's choices, give a run
// that breaks no rule and converges once healed.
func FuzzCluster(f *testing.F) {
	bugs := plantedFromEnv(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := runChoices(b, bugs)
		if err != nil {
			replay := ""
			if m != nil {
				replay = m.Replay()
			}
			t.Fatalf("%v\nchoices %x\ntranscript (save it and run kgroup replay on it):\n%s", err, b, replay)
		}
	})
}

// FuzzClusterConsumerGroups is FuzzCluster with every run a KIP-848
// consumer group (randmodel's AllConsumerGroups): the consumers run
// impl/asyncconsumer against the coordinator's ConsumerGroupHeartbeat
// handler, and the consumer-group rules are checked after every step.
func FuzzClusterConsumerGroups(f *testing.F) {
	bugs := plantedFromEnv(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := runChoicesWith(cgClusterOptions, b, bugs)
		if err != nil {
			replay := ""
			if m != nil {
				replay = m.Replay()
			}
			t.Fatalf("%v\nchoices %x\ntranscript (save it and run kgroup replay on it):\n%s", err, b, replay)
		}
	})
}

// FuzzClusterPlanted is FuzzCluster from an empty corpus, for measuring
// how long the fuzzer takes to find a bug planted with KGROUP_FUZZ_PLANT
// (fuzz/run.sh --planted): FuzzCluster's committed seeds would find some of
// them by replay alone.
func FuzzClusterPlanted(f *testing.F) {
	bugs := plantedFromEnv(f)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := runChoices(b, bugs); err != nil {
			t.Fatalf("%v\nchoices %x", err, b)
		}
	})
}

// mustSeed is the recorded choices of the seeded model run with this seed,
// checked to replay the very same run.
func mustSeed(t *testing.T, seed uint64) []byte {
	t.Helper()
	return mustSeedWith(t, clusterOptions, seed)
}

func mustSeedWith(t *testing.T, opts randmodel.Options, seed uint64) []byte {
	t.Helper()
	rec := &randmodel.Recorder{Chooser: randmodel.Seeded(seed)}
	m, err := randmodel.New(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	replayed, err := runChoicesWith(opts, rec.Out, 0)
	if err != nil || replayed.Cl.Transcript() != m.Cl.Transcript() {
		t.Fatalf("seed %d: the recorded choices do not replay the run (%v)", seed, err)
	}
	return rec.Out
}

// TestClusterCorpus keeps FuzzCluster's seeds committed: the choices of
// seeded runs of the random model, recorded.
func TestClusterCorpus(t *testing.T) {
	var seeds [][]byte
	for seed := uint64(1); seed <= 40; seed++ {
		seeds = append(seeds, mustSeed(t, seed))
	}
	fuzzcorpus.Seeds(t, "FuzzCluster", seeds)
}

// TestClusterConsumerGroupsCorpus keeps FuzzClusterConsumerGroups' seeds
// committed: the choices of seeded consumer group runs, recorded.
func TestClusterConsumerGroupsCorpus(t *testing.T) {
	var seeds [][]byte
	for seed := uint64(1); seed <= 40; seed++ {
		seeds = append(seeds, mustSeedWith(t, cgClusterOptions, seed))
	}
	fuzzcorpus.Seeds(t, "FuzzClusterConsumerGroups", seeds)
}

// TestFuzzClusterFindsPlantedBugs shows FuzzCluster's input space is not
// vacuous: with each planted bug switched on, random inputs of FuzzCluster's
// shape (random bytes, as the fuzzer's own mutations start from) break a
// rule within plantedInputs of them. The fuzzer's own figures, from an
// empty corpus, come from fuzz/run.sh --planted.
func TestFuzzClusterFindsPlantedBugs(t *testing.T) {
	const plantedInputs = 600
	for _, bug := range mutant.All() {
		if slices.Contains(mutant.HistoryOnly(), bug) {
			continue // seen only in histories of commits and fetches (package linearizability)
		}
		if slices.Contains(mutant.ConsumerGroupOnly(), bug) {
			continue // the cluster runs classic groups only (impl/coordinator's tests)
		}
		t.Run(bug.String(), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(bug), 9))
			for i := 1; i <= plantedInputs; i++ {
				b := make([]byte, 400)
				for j := range b {
					b[j] = byte(r.Uint32())
				}
				if _, err := runChoices(b, mutant.Of(bug)); err != nil {
					t.Logf("caught by input %d: %s", i, firstLine(err.Error()))
					return
				}
			}
			t.Fatalf("%s planted, but %d random inputs broke no rule", bug, plantedInputs)
		})
	}
}

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
