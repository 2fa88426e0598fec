package refine

import (
	"testing"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/internal/randmodel"
)

func runRandom(t *testing.T, seed uint64, bugs mutant.Set) (*Checker, *randmodel.Model, error) {
	opts := randmodel.Defaults
	opts.Bugs = bugs
	m, err := randmodel.New(randmodel.Seeded(seed), opts)
	if err != nil {
		t.Fatal(err)
	}
	ck := New()
	ck.Attach(m.Cl)
	runErr := m.Run()
	return ck, m, runErr
}

func TestRandomRunsRefineTheSpec(t *testing.T) {
	total := int64(0)
	for seed := uint64(1); seed <= 40; seed++ {
		ck, _, runErr := runRandom(t, seed, 0)
		total += ck.Steps()
		if err := ck.Err(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if runErr != nil {
			t.Logf("seed %d: run: %v", seed, runErr)
		}
	}
	t.Logf("%d steps checked", total)
}
