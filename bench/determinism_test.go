package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// permuted returns s with its members, each member's topics and each owned
// list in another order: the same group, as another leader might see it.
func permuted(s Shape, seed uint64) Shape {
	r := rand.New(rand.NewPCG(seed, 7))
	out := Shape{Name: s.Name, Topics: s.Topics}
	for _, m := range s.Members {
		m.Topics, m.Owned = slices.Clone(m.Topics), slices.Clone(m.Owned)
		r.Shuffle(len(m.Topics), func(i, j int) { m.Topics[i], m.Topics[j] = m.Topics[j], m.Topics[i] })
		r.Shuffle(len(m.Owned), func(i, j int) { m.Owned[i], m.Owned[j] = m.Owned[j], m.Owned[i] })
		out.Members = append(out.Members, m)
	}
	r.Shuffle(len(out.Members), func(i, j int) { out.Members[i], out.Members[j] = out.Members[j], out.Members[i] })
	return out
}

// mixedShape is a group where determinism is hard: mixed subscriptions,
// a member gone, conflicting claims at one generation.
func mixedShape() Shape {
	s := Shape{Name: "mixed", Topics: map[string]int32{}}
	var names []string
	for i := range 6 {
		names = append(names, fmt.Sprintf("t%d", i))
		s.Topics[names[i]] = int32(7 + 3*i)
	}
	for i := range 9 {
		s.Members = append(s.Members, assignors.Member{ID: fmt.Sprintf("c%d", i), Topics: names[i%3 : 3+i%4], Generation: -1})
	}
	plan, err := assignors.Sticky{}.Assign(s.Topics, s.Members)
	if err != nil {
		panic(err)
	}
	for i := range s.Members {
		s.Members[i].Owned, s.Members[i].Generation = plan[s.Members[i].ID].Partitions(), 1
	}
	s.Members[2].Owned = append(s.Members[2].Owned, s.Members[3].Owned...) // a double claim
	s.Members = s.Members[1:]
	return s
}

// TestDeterminism runs every assignor ten times on the very same input and
// ten times on the same group listed in other orders. kgroup's assignors must
// give one plan throughout; for the peers the test only logs how often the
// plan changed (README.md quotes it).
func TestDeterminism(t *testing.T) {
	wire := WireImpls()
	for i := range wire {
		wire[i].Name = "wire-" + wire[i].Name
	}
	for _, s := range []Shape{mixedShape(), javaShape("tiny-nonequal", 5, 20, 20, true)} {
		for _, impl := range append(Impls(), wire...) {
			first, err := Check(impl, s)
			if err != nil {
				t.Fatal(err)
			}
			same, reordered := 0, 0
			for seed := range uint64(10) {
				if !samePlan(t, first, impl, s) {
					same++
				}
				if !samePlan(t, first, impl, permuted(s, seed)) {
					reordered++
				}
			}
			t.Logf("%-14s %-18s plan changed in %2d of 10 repeats, %2d of 10 reorderings", s.Name, impl.Name, same, reordered)
			if same+reordered > 0 && strings.Contains(impl.Name, "kgroup") {
				t.Errorf("%s is not deterministic on %s", impl.Name, s.Name)
			}
		}
	}
}

func samePlan(t *testing.T, want map[string]spec.Assignment, impl Impl, s Shape) bool {
	got, err := Check(impl, s)
	if err != nil {
		t.Fatal(err)
	}
	return cmp.Equal(want, got, cmp.Comparer(spec.Assignment.Equal))
}
