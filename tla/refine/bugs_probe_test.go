package refine

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/internal/mutant"
)

func TestProbeBugs(t *testing.T) {
	for _, b := range mutant.All() {
		caught, first := 0, ""
		for seed := uint64(1); seed <= 100; seed++ {
			ck, m, _ := runRandom(t, seed, mutant.Of(b))
			if err := ck.Err(); err != nil {
				caught++
				if first == "" {
					first = strings.SplitN(err.Error(), "\n", 2)[0]
					_ = m
				}
			}
		}
		t.Logf("%-25s caught in %3d/100 seeds; %s", b, caught, first)
	}
}
