package spec

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// StepChanged against its naive twin Step, on random sequences of
// snapshots: committed offsets that rise, fall and vanish, processed
// batches, consumers that change owners, generations and membership. Both
// checkers get the same sequence (StepChanged told exactly which offsets
// changed, and handed a map it then goes on updating); their verdicts and
// messages must agree after every step.
func TestStepChangedIsStep(t *testing.T) {
	for seed := uint64(1); seed <= 2000; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		full, inc := NewChecker("g"), NewChecker("g")
		live := map[TopicPartition]int64{}
		var views []ConsumerView
		for step := range 30 {
			s, changed := randomStep(r, int64(step), live, views)
			views = s.Consumers
			if step%7 == 3 {
				tp := TopicPartition{"t", int32(r.IntN(4))}
				end := full.Ledger().End(tp) + int64(r.IntN(3))
				full.Ledger().Process(tp, full.Ledger().End(tp), end)
				inc.Ledger().Process(tp, inc.Ledger().End(tp), end)
			}
			fs := s
			fs.Committed = maps.Clone(live)
			full.Step(fs)
			inc.StepChanged(s, changed)
			if got, want := fmt.Sprint(inc.Err()), fmt.Sprint(full.Err()); got != want {
				t.Fatalf("seed %d step %d: StepChanged says %s, Step %s", seed, step, got, want)
			}
		}
	}
}

// randomStep changes live (the caller's offsets) and the consumers at
// random, and returns the snapshot and the partitions whose offset changed.
func randomStep(r *rand.Rand, at int64, live map[TopicPartition]int64, views []ConsumerView) (Snapshot, []TopicPartition) {
	var changed []TopicPartition
	for range r.IntN(3) {
		tp := TopicPartition{"t", int32(r.IntN(4))}
		switch r.IntN(8) {
		case 0:
			delete(live, tp)
		case 1:
			live[tp] -= 1
		default:
			live[tp] += int64(r.IntN(2))
		}
		changed = append(changed, tp)
	}
	gen := int32(1 + at/10)
	g := GroupView{GroupID: "g", State: Stable, Generation: gen,
		Members: []MemberView{{MemberID: "m1"}, {MemberID: "m2"}}}
	if r.IntN(5) == 0 {
		g.Members = g.Members[:1]
	}
	out := make([]ConsumerView, 2)
	for i := range out {
		if i < len(views) && r.IntN(3) > 0 {
			out[i] = views[i] // unchanged: the same Owned slice
			continue
		}
		c := ConsumerView{Name: fmt.Sprintf("c%d", i+1), Alive: r.IntN(6) > 0, MemberID: fmt.Sprintf("m%d", i+1), Generation: gen - int32(r.IntN(2))}
		for p := range int32(4) {
			if r.IntN(3) == 0 {
				c.Owned = append(c.Owned, TopicPartition{"t", p})
			}
		}
		out[i] = c
	}
	return Snapshot{At: at, Group: g, Consumers: out, Committed: live}, changed
}
