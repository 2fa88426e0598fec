package assignors

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/internal/rapidtest"
	"github.com/kgroup/kgroup/spec"
)

// oracleRounds is how many times the oracle properties run rapid.Check; each
// run draws -rapid.checks cases (100 by default), so CI compares
// oracleRounds*100 random inputs per assignor with the oracle.
const oracleRounds = 100

// genStickyInput draws a small input the oracle can enumerate: up to 6
// members and 10 partitions, mixed subscriptions (some to a topic that does
// not exist), and prior ownership with conflicting claims: duplicates, ties
// and different generations, claims on unsubscribed and deleted topics.
func genStickyInput() *rapid.Generator[stickyInput] {
	return rapid.Custom(func(t *rapid.T) stickyInput {
		topics := map[string]int32{}
		names, sizes := drawTopicSizes(t, 4)
		for i, name := range names {
			topics[name] = sizes[i]
		}
		var all []spec.TopicPartition
		for _, name := range names {
			for p := range topics[name] {
				all = append(all, spec.TopicPartition{Topic: name, Partition: p})
			}
		}
		all = append(all, spec.TopicPartition{Topic: "deleted", Partition: 0})
		subsFrom := append(slices.Clone(names), "missing")
		members := make([]Member, rapid.OneOf(rapid.IntRange(1, 6), rapid.IntRange(4, 6)).Draw(t, "members"))
		for i := range members {
			m := Member{ID: fmt.Sprintf("c%d", i), Generation: rapid.SampledFrom([]int32{-1, 1, 2, 3}).Draw(t, "generation")}
			if rapid.IntRange(0, 4).Draw(t, "static") == 0 {
				m.InstanceID = fmt.Sprintf("i%d", rapid.IntRange(0, 9).Draw(t, "instance"))
			}
			if rapid.IntRange(0, 2).Draw(t, "uniform") == 0 {
				m.Topics = slices.Clone(names)
			} else {
				m.Topics = rapid.SliceOfDistinct(rapid.SampledFrom(subsFrom), rapid.ID[string]).Draw(t, "subs")
			}
			m.Owned = rapid.SliceOfN(rapid.SampledFrom(all), 0, 5).Draw(t, "owned")
			members[i] = m
		}
		return stickyInput{topics, members}
	})
}

// drawTopicSizes draws 1 to maxTopics topics t0, t1, ... sharing at most 10
// partitions.
func drawTopicSizes(t *rapid.T, maxTopics int) (names []string, sizes []int32) {
	budget := rapid.OneOf(rapid.Int32Range(0, 10), rapid.Int32Range(7, 10)).Draw(t, "partitions")
	nTopics := rapid.IntRange(1, maxTopics).Draw(t, "topics")
	for i := range nTopics {
		n := budget
		if i < nTopics-1 {
			n = rapid.Int32Range(0, budget).Draw(t, "topic partitions")
		}
		budget -= n
		names = append(names, fmt.Sprintf("t%d", i))
		sizes = append(sizes, n)
	}
	return names, sizes
}

type stickyInput struct {
	topics  map[string]int32
	members []Member
}

// shuffled returns the members in another order, each with its topics and
// owned partitions in another order.
func shuffled(members []Member, seed uint64) []Member {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]Member, len(members))
	for i, m := range members {
		m.Topics, m.Owned = slices.Clone(m.Topics), slices.Clone(m.Owned)
		r.Shuffle(len(m.Topics), func(i, j int) { m.Topics[i], m.Topics[j] = m.Topics[j], m.Topics[i] })
		r.Shuffle(len(m.Owned), func(i, j int) { m.Owned[i], m.Owned[j] = m.Owned[j], m.Owned[i] })
		out[i] = m
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestStickyMatchesOracle compares both sticky assignors with the brute-force
// oracle on random small inputs, and checks that permuting the input changes
// nothing in the output.
func TestStickyMatchesOracle(t *testing.T) {
	for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
		t.Run(a.Name(), func(t *testing.T) {
			rapidtest.Rounds(t, oracleRounds, func(t *rapid.T) {
				in := genStickyInput().Draw(t, "input")
				plan, err := a.Assign(in.topics, in.members)
				if err != nil {
					t.Fatal(err)
				}
				if err := checkSticky(a, in, plan); err != nil {
					t.Fatal(err)
				}
				again, err := a.Assign(in.topics, shuffled(in.members, rapid.Uint64().Draw(t, "seed")))
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(plan, again); d != "" {
					t.Fatalf("permuting the input changed the plan:\n%s", d)
				}
			})
		})
	}
}

func checkSticky(a Assignor, in stickyInput, plan Plan) error {
	if a.Name() == "cooperative-sticky" {
		return checkCooperativeOptimal(a, in.topics, in.members, plan)
	}
	return checkEagerOptimal(in.topics, in.members, plan)
}

// genUniformInput draws a larger group in which every member subscribes to
// the same topics, owning partitions of an earlier assignment, some of them
// claimed twice or at stale generations.
func genUniformInput() *rapid.Generator[stickyInput] {
	return rapid.Custom(func(t *rapid.T) stickyInput {
		topics := map[string]int32{}
		var names []string
		var all []spec.TopicPartition
		for i := range rapid.IntRange(1, 5).Draw(t, "topics") {
			name := fmt.Sprintf("t%d", i)
			topics[name] = rapid.Int32Range(0, 40).Draw(t, "partitions")
			names = append(names, name)
			for p := range topics[name] {
				all = append(all, spec.TopicPartition{Topic: name, Partition: p})
			}
		}
		members := make([]Member, rapid.IntRange(1, 30).Draw(t, "members"))
		for i := range members {
			members[i] = Member{ID: fmt.Sprintf("c%02d", i), Topics: names, Generation: rapid.Int32Range(-1, 3).Draw(t, "generation")}
		}
		for _, p := range all {
			if owner := rapid.IntRange(-1, len(members)-1).Draw(t, "owner"); owner >= 0 {
				members[owner].Owned = append(members[owner].Owned, p)
			}
		}
		return stickyInput{topics, members}
	})
}

// The fast path for identical subscriptions and the exact general path must
// reach the same optimum; the certificate checks that it is one.
func TestStickyFastPathMatchesGeneralPath(t *testing.T) {
	rapidtest.Rounds(t, 20, fastMatchesGeneral)
}

func fastMatchesGeneral(t *rapid.T) {
	{
		in := genUniformInput().Draw(t, "input")
		fast, err := solveSticky(in.topics, in.members, pathAuto, false)
		if err != nil {
			t.Fatal(err)
		}
		general, err := solveSticky(in.topics, in.members, pathGeneral, false)
		if err != nil {
			t.Fatal(err)
		}
		fp, gp := fast.plan(false), general.plan(false)
		if f, g := measure(in.topics, in.members, fp), measure(in.topics, in.members, gp); compareObjectives(f, g) != 0 {
			t.Fatalf("fast path %v, general path %v", f, g)
		}
		if err := certifyOptimal(in.topics, in.members, fp); err != nil {
			t.Fatal(err)
		}
		subs := map[string][]string{}
		for _, m := range in.members {
			subs[m.ID] = m.Topics
		}
		if err := spec.CheckBalance(subs, fp); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStickyRejectsHugeTopics(t *testing.T) {
	topics := map[string]int32{"a": 1 << 23, "b": 1 << 23, "c": 1}
	for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
		if _, err := a.Assign(topics, []Member{dyn("m", "a", "b", "c")}); err == nil {
			t.Errorf("%s accepted %d partitions", a.Name(), 1<<24+1)
		}
	}
}
