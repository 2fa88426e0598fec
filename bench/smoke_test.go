package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/spec"
)

// TestSmoke runs every assignor on small inputs of every layout and checks
// that each plan is a valid assignment, that kgroup's are balanced, and that
// kgroup's balancer on the JoinGroup bytes franz-go writes, SyncGroup bytes
// out (WireImpls), reaches the same plan as kgroup given the members
// directly.
func TestSmoke(t *testing.T) {
	for _, s := range TinyShapes() {
		plans := map[string]map[string]spec.Assignment{}
		for _, impl := range Impls() {
			plans[impl.Name] = smokePlan(t, impl, s)
		}
		for _, impl := range WireImpls() {
			plan := smokePlan(t, impl, s)
			if direct, ok := plans[impl.Name]; ok && strings.HasPrefix(impl.Name, "kgroup") {
				if d := cmp.Diff(direct, plan, cmp.Comparer(spec.Assignment.Equal)); d != "" {
					t.Errorf("%s on %s: from JoinGroup bytes the plan changed:\n%s", impl.Name, s.Name, d)
				}
			}
		}
	}
}

func smokePlan(t *testing.T, impl Impl, s Shape) map[string]spec.Assignment {
	plan, err := Check(impl, s)
	if err != nil {
		t.Fatal(err)
	}
	q := s.Measure(plan)
	t.Logf("%-22s %-18s spread %d, moves %d", s.Name, impl.Name, q.Spread, q.Moves)
	if strings.HasPrefix(impl.Name, "kgroup-") && !strings.HasSuffix(impl.Name, "-coop") && q.Spread > 1 {
		t.Errorf("%s on %s: spread %d", impl.Name, s.Name, q.Spread)
	}
	return plan
}
