package linearizability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/internal/randmodel"
)

// runTranscript replays a transcript's actions with a recorder attached.
func runTranscript(t *testing.T, text string) []Op {
	t.Helper()
	var cl *cluster.Cluster
	var rec *Recorder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "cluster ") {
			cfg, err := cluster.ParseConfig(line)
			if err != nil {
				t.Fatal(err)
			}
			if cl, err = cluster.New(cfg); err != nil {
				t.Fatal(err)
			}
			rec = Record(cl)
			continue
		}
		if !cluster.IsAction(strings.Fields(line)[0]) {
			continue // a query: state, inflight, ...
		}
		acts, err := cluster.ParseActions(line, cl)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		for _, a := range acts {
			_ = cl.Apply(a) // a transcript may show a command failing
		}
	}
	return rec.History()
}

// commands keeps a golden transcript's command lines (not its outputs).
func commands(golden string) string {
	var out []string
	inOutput := false
	for _, line := range strings.Split(golden, "\n") {
		switch {
		case inOutput:
			inOutput = strings.TrimSpace(line) != ""
		case strings.TrimSpace(line) == "----":
			inOutput = true
		default:
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestGoldenTranscriptsAreLinearizable: the history of every golden
// transcript checks out.
func TestGoldenTranscriptsAreLinearizable(t *testing.T) {
	files, _ := filepath.Glob("../impl/testdata/*.txt")
	if len(files) < 20 {
		t.Fatalf("found %d transcripts", len(files))
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ops := runTranscript(t, commands(string(b)))
		total += len(ops)
		if res := Check(ops, Options{}); res.Verdict != Ok {
			t.Errorf("%s: %s at %s", f, res.Verdict, res.Register)
		}
	}
	t.Logf("%d transcripts, %d operations", len(files), total)
}

// TestRandomRunsAreLinearizable: seeded runs of the random model, faults and
// failovers included, give histories that check out.
func TestRandomRunsAreLinearizable(t *testing.T) {
	ops := 0
	for seed := uint64(1); seed <= 300; seed++ {
		m, err := randmodel.New(randmodel.Seeded(seed), randmodel.Defaults)
		if err != nil {
			t.Fatal(err)
		}
		rec := Record(m.Cl)
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		h := rec.History()
		ops += len(h)
		if res := Check(h, Options{}); res.Verdict != Ok {
			t.Fatalf("seed %d: %s at %s\n%s", seed, res.Verdict, res.Register, m.Cl.Transcript())
		}
	}
	t.Logf("300 runs, %d operations", ops)
}

// TestPlantedBugsAreIllegal: each bug the history checker is for is found
// from the history alone, within a few seeded runs.
func TestPlantedBugsAreIllegal(t *testing.T) {
	for _, bug := range []mutant.Bug{mutant.StaleFetchCache, mutant.UnpersistedCommit, mutant.AcceptStaleCommit, mutant.ReorderedCommits} {
		t.Run(bug.String(), func(t *testing.T) {
			t.Parallel()
			opts := randmodel.Defaults
			opts.Bugs, opts.KeepGoing = mutant.Of(bug), true
			for seed := uint64(1); seed <= 400; seed++ {
				m, err := randmodel.New(randmodel.Seeded(seed), opts)
				if err != nil {
					t.Fatal(err)
				}
				rec := Record(m.Cl)
				_ = m.Run() // the state rules may or may not see it; the history must
				if res := Check(rec.History(), Options{}); res.Verdict == Illegal {
					t.Logf("seed %d: illegal at %s (%d operations)", seed, res.Register, res.Ops)
					return
				}
			}
			t.Fatalf("%s planted, but no history of 400 runs was illegal", bug)
		})
	}
}
