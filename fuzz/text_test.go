package fuzz

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/sim"
)

// The fuzzed texts' bounds: each cluster a text creates may do workBudget
// units of work (cluster.SetWorkBudget), and a scenario at most simRuns runs (variants times
// repeats); texts longer than maxText are skipped. Within them a text must
// end in a clear error or a run — never a panic, never work past the
// budget.
const (
	workBudget = 20_000
	simRuns    = 4
	maxText    = 16 << 10
)

// slowLimit is KGROUP_FUZZ_SLOW, a duration: an input that takes longer
// fails (fuzz/run.sh sets it; plain go test does not, so that its verdicts
// do not depend on the machine's load).
var slowLimit = func() time.Duration {
	d, err := time.ParseDuration(os.Getenv("KGROUP_FUZZ_SLOW"))
	if err != nil {
		return 0
	}
	return d
}()

// timed fails t if the input took longer than slowLimit since start.
func timed(t *testing.T, start time.Time, input string) {
	t.Helper()
	if d := time.Since(start); slowLimit > 0 && d > slowLimit {
		t.Fatalf("the input took %v, more than KGROUP_FUZZ_SLOW=%v:\n%s", d.Round(time.Millisecond), slowLimit, input)
	}
}

// watch returns the hook that bounds every cluster a text creates and the
// list it keeps of them.
func watch() (func(*cluster.Cluster), *[]*cluster.Cluster) {
	var cls []*cluster.Cluster
	return func(cl *cluster.Cluster) {
		cl.SetWorkBudget(workBudget)
		cls = append(cls, cl)
	}, &cls
}

// checkClusters fails on what no text may do to a cluster: break an
// internal invariant, or break a rule with no bug planted.
func checkClusters(t *testing.T, cls []*cluster.Cluster, text string) {
	t.Helper()
	for _, cl := range cls {
		var f *assert.Failure
		if errors.As(cl.Broken(), &f) {
			t.Fatalf("%v\ntext:\n%s", f, text)
		}
		if v := cl.Violation(); v != nil && cl.Config().Bugs == 0 {
			t.Fatalf("a rule broke with no bug planted: %v\ntext:\n%s", v, text)
		}
	}
}

// FuzzTranscript: any text into the transcript language.
func FuzzTranscript(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxText {
			return
		}
		defer timed(t, time.Now(), text)
		hook, cls := watch()
		if _, err := transcript.Replay(strings.NewReader(text), hook); err != nil && err.Error() == "" {
			t.Fatal("an error that says nothing")
		}
		checkClusters(t, *cls, text)
	})
}

// FuzzScenario: any text into the simulator's scenario language.
func FuzzScenario(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxText {
			return
		}
		defer timed(t, time.Now(), text)
		sc, err := sim.Parse("fuzz", strings.NewReader(text))
		if err != nil {
			return
		}
		if len(sc.Variants) > simRuns {
			return
		}
		sc.Repeat = min(sc.Repeat, simRuns/len(sc.Variants))
		hook, cls := watch()
		_, err = sim.Run(sc, sim.Options{OnCluster: hook})
		if errors.Is(err, sim.ErrRuleBroken) && !strings.Contains(text, "plant=") {
			t.Fatalf("%v\nscenario:\n%s", err, text)
		}
		checkClusters(t, *cls, text)
	})
}

// TestTranscriptCorpus keeps FuzzTranscript's seeds committed: the golden
// transcripts (their output sections are part of the language).
func TestTranscriptCorpus(t *testing.T) {
	fuzzcorpus.Seeds(t, "FuzzTranscript", fuzzcorpus.Files(t, filepath.Join("..", "impl", "testdata", "*.txt")))
}

// TestScenarioCorpus keeps FuzzScenario's seeds committed: the simulator's
// examples and its built-in demo.
func TestScenarioCorpus(t *testing.T) {
	seeds := append(fuzzcorpus.Files(t, filepath.Join("..", "sim", "examples", "*.txt")), sim.Demo)
	fuzzcorpus.Seeds(t, "FuzzScenario", seeds)
}
