package assignors

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// rackAware is the rule of stickyModel.rackAware restated on the input, as
// the assignor computed it before it was optimised: every subscribed
// partition's rack set, then the union.
func rackAware(topics map[string]TopicMetadata, members []Member) bool {
	memberRacks := map[string]bool{}
	subscribed := map[string]bool{}
	for _, m := range members {
		if m.Rack != "" {
			memberRacks[m.Rack] = true
		}
		for _, t := range m.Topics {
			subscribed[t] = true
		}
	}
	if len(memberRacks) == 0 {
		return false
	}
	var sets [][]string
	all := map[string]bool{}
	overlap := false
	for _, t := range spec.SortedKeys(topics) {
		md := topics[t]
		if !subscribed[t] {
			continue
		}
		for p := range md.Partitions {
			rs := partitionRacks(md, p)
			sets = append(sets, rs)
			for _, r := range rs {
				all[r] = true
				overlap = overlap || memberRacks[r]
			}
		}
	}
	if !overlap {
		return false
	}
	union := spec.SortedKeys(all)
	return slices.ContainsFunc(sets, func(rs []string) bool { return !slices.Equal(rs, union) })
}

// TestServerModelRackAware: the model's rule agrees with the restatement on
// every valid golden input.
func TestServerModelRackAware(t *testing.T) {
	aware := 0
	for _, f := range serverGoldenFamilies() {
		for i := range f.cases {
			in := f.draw(rand.New(rand.NewPCG(uint64(i), 848+uint64(len(f.name)))))
			counts, ok := serverCounts(in.topics)
			if !ok {
				continue
			}
			m, err := newServerModel(counts, in.members)
			if err != nil {
				continue
			}
			want := rackAware(in.topics, in.members)
			if got := m.rackAware(in.topics); got != want {
				t.Fatalf("%s case %d: rackAware %v, the restatement says %v", f.name, i, got, want)
			}
			if want {
				aware++
			}
		}
	}
	if aware < 500 {
		t.Errorf("only %d inputs are rack-aware", aware)
	}
}
