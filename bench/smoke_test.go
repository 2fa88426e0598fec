package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/spec"
)

// TestSmoke runs every assignor on small inputs of every layout and checks
// that each plan is a valid assignment, that kgroup's are balanced, and that
// kgroup decoding the JoinGroup bytes franz-go writes reaches the same plan
// as kgroup given the members directly.
func TestSmoke(t *testing.T) {
	for _, s := range TinyShapes() {
		plans := map[string]map[string]spec.Assignment{}
		for _, impl := range Impls() {
			plan, err := Check(impl, s)
			if err != nil {
				t.Fatal(err)
			}
			plans[impl.Name] = plan
			q := s.Measure(plan)
			t.Logf("%-22s %-18s spread %d, moves %d", s.Name, impl.Name, q.Spread, q.Moves)
			if impl.Name == "kgroup-sticky" && q.Spread > 1 {
				t.Errorf("%s on %s: spread %d", impl.Name, s.Name, q.Spread)
			}
		}
		for name, plan := range plans {
			if direct, ok := plans[strings.Replace(name, "kgroup-wire", "kgroup", 1)]; strings.HasPrefix(name, "kgroup-wire") && ok {
				if d := cmp.Diff(direct, plan, cmp.Comparer(spec.Assignment.Equal)); d != "" {
					t.Errorf("%s on %s: decoding the JoinGroup bytes changed the plan:\n%s", name, s.Name, d)
				}
			}
		}
	}
}
