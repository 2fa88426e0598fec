package assignors

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/internal/rapidtest"
	"github.com/kgroup/kgroup/spec"
)

// The brute-force oracle for the uniform assignor, with KIP-881 racks as the
// second criterion. Like the sticky oracle it shares no code with the
// assignor: it enumerates every valid assignment of small inputs (up to 6
// members, 10 partitions) with a dynamic program over the member loads,
// keeping per load vector the fewest rack misses, then the fewest moves.

const serverOracleRounds = 30 // rapid.Check runs of 100 cases each

type serverObjective struct {
	loads  []int
	misses int // partitions on a member whose rack holds none of their replicas
	moves  int
}

func (o serverObjective) String() string {
	return fmt.Sprintf("loads %v, rack misses %d, moves %d", o.loads, o.misses, o.moves)
}

func compareServerObjectives(a, b serverObjective) int {
	return cmp.Or(slices.Compare(a.loads, b.loads), cmp.Compare(a.misses, b.misses), cmp.Compare(a.moves, b.moves))
}

type serverInput struct {
	topics  map[string]TopicMetadata
	members []Member
}

func (in serverInput) counts() map[string]int32 {
	out := map[string]int32{}
	for t, md := range in.topics {
		out[t] = md.Partitions
	}
	return out
}

// oracleRackAware restates KIP-881's rule: some member's rack holds a replica
// of a subscribed partition, and the subscribed partitions' rack sets are not
// all the set of every rack.
func oracleRackAware(in serverInput) bool {
	memberRacks := map[string]bool{}
	for _, m := range in.members {
		if m.Rack != "" {
			memberRacks[m.Rack] = true
		}
	}
	var sets []map[string]bool
	union := map[string]bool{}
	for _, tp := range oracleUniverse(in.counts(), in.members) {
		set := map[string]bool{}
		if racks := in.topics[tp.Topic].Racks; racks != nil {
			for _, r := range racks[tp.Partition] {
				if r != "" {
					set[r], union[r] = true, true
				}
			}
		}
		sets = append(sets, set)
	}
	match := false
	for r := range union {
		match = match || memberRacks[r]
	}
	if !match {
		return false
	}
	for _, s := range sets {
		if len(s) != len(union) {
			return true
		}
	}
	return false
}

func oracleMiss(in serverInput, m Member, tp spec.TopicPartition, rackAware bool) int {
	if !rackAware {
		return 0
	}
	if racks := in.topics[tp.Topic].Racks; m.Rack != "" && racks != nil && slices.Contains(racks[tp.Partition], m.Rack) {
		return 0
	}
	return 1
}

func oracleServerBest(in serverInput, rackAware bool) serverObjective {
	counts := in.counts()
	owners := oracleOwners(counts, in.members)
	type score struct{ misses, moves int }
	better := func(a, b score) bool { return a.misses < b.misses || a.misses == b.misses && a.moves < b.moves }
	best := map[string]score{string(make([]byte, len(in.members))): {}}
	for _, tp := range oracleUniverse(counts, in.members) {
		next := map[string]score{}
		for key, s := range best {
			for j, m := range in.members {
				if !subscribes(m, tp.Topic) {
					continue
				}
				loads := []byte(key)
				loads[j]++
				c := score{s.misses + oracleMiss(in, m, tp, rackAware), s.moves}
				if o, ok := owners[tp]; ok && o != m.ID {
					c.moves++
				}
				if old, ok := next[string(loads)]; !ok || better(c, old) {
					next[string(loads)] = c
				}
			}
		}
		best = next
	}
	var out serverObjective
	first := true
	for key, s := range best {
		o := serverObjective{sortedLoads([]byte(key)), s.misses, s.moves}
		if first || compareServerObjectives(o, out) < 0 {
			out, first = o, false
		}
	}
	return out
}

func measureServer(in serverInput, plan Plan, rackAware bool) serverObjective {
	base := measure(in.counts(), in.members, plan)
	o := serverObjective{loads: base.loads, moves: base.moves}
	for _, m := range in.members {
		for _, tp := range plan[m.ID].Partitions() {
			o.misses += oracleMiss(in, m, tp, rackAware)
		}
	}
	return o
}

// checkUniformOptimal is the oracle comparison for one uniform plan.
func checkUniformOptimal(in serverInput, plan Plan) error {
	if err := checkPlanValid(in.counts(), in.members, plan, false); err != nil {
		return err
	}
	aware := oracleRackAware(in)
	got, want := measureServer(in, plan, aware), oracleServerBest(in, aware)
	if compareServerObjectives(got, want) != 0 {
		return fmt.Errorf("not optimal (rack-aware %v): got %v, the oracle reaches %v\nplan: %v", aware, got, want, plan)
	}
	return nil
}

// genServerInput draws a small input: up to 6 members and 10 partitions,
// mixed subscriptions (some to a topic that does not exist), a current
// assignment giving each partition to one member at most (some to members
// that no longer subscribe, some on a deleted topic), member racks from three,
// and partition racks on some topics (replicas on 0 to 2 racks).
func genServerInput() *rapid.Generator[serverInput] {
	return rapid.Custom(func(t *rapid.T) serverInput {
		racks := []string{"r0", "r1", "r2"}
		topics := map[string]TopicMetadata{}
		names, sizes := drawTopicSizes(t, 3)
		for i, name := range names {
			md := TopicMetadata{Partitions: sizes[i]}
			if rapid.IntRange(0, 3).Draw(t, "racked") > 0 {
				md.Racks = make([][]string, md.Partitions)
				for p := range md.Racks {
					md.Racks[p] = rapid.SliceOfNDistinct(rapid.SampledFrom(racks), 0, 2, rapid.ID[string]).Draw(t, "replicas")
				}
			}
			topics[name] = md
		}
		subsFrom := append(slices.Clone(names), "missing")
		members := make([]Member, rapid.OneOf(rapid.IntRange(1, 6), rapid.IntRange(3, 6)).Draw(t, "members"))
		for i := range members {
			m := Member{ID: fmt.Sprintf("m%d", i), Generation: -1}
			if rapid.IntRange(0, 4).Draw(t, "static") == 0 {
				m.InstanceID = fmt.Sprintf("i%d", i)
			}
			if rapid.IntRange(0, 3).Draw(t, "has rack") > 0 {
				m.Rack = rapid.SampledFrom(racks).Draw(t, "rack")
			}
			if rapid.IntRange(0, 2).Draw(t, "homogeneous") == 0 {
				m.Topics = slices.Clone(names)
			} else {
				m.Topics = rapid.SliceOfDistinct(rapid.SampledFrom(subsFrom), rapid.ID[string]).Draw(t, "subs")
			}
			members[i] = m
		}
		all := []spec.TopicPartition{{Topic: "deleted", Partition: 0}}
		for _, name := range names {
			for p := range topics[name].Partitions {
				all = append(all, spec.TopicPartition{Topic: name, Partition: p})
			}
		}
		for _, tp := range all {
			if o := rapid.IntRange(-1, len(members)-1).Draw(t, "owner"); o >= 0 {
				members[o].Owned = append(members[o].Owned, tp)
			}
		}
		return serverInput{topics, members}
	})
}

// shuffledServer permutes the members, their topics and assignments, and
// every partition's replica list.
func shuffledServer(in serverInput, seed uint64) serverInput {
	r := rand.New(rand.NewPCG(seed, 2))
	topics := map[string]TopicMetadata{}
	for t, md := range in.topics {
		if md.Racks != nil {
			racks := make([][]string, len(md.Racks))
			for p, rs := range md.Racks {
				racks[p] = slices.Clone(rs)
				r.Shuffle(len(rs), func(i, j int) { racks[p][i], racks[p][j] = racks[p][j], racks[p][i] })
			}
			md.Racks = racks
		}
		topics[t] = md
	}
	return serverInput{topics, shuffled(in.members, r.Uint64())}
}

// TestUniformMatchesOracle compares Uniform with the oracle (balance, rack
// matches when KIP-881 applies, moves), checks permutation invariance, that
// the general path agrees on the objective, and that a rack-blind run is
// optimal for the objective without racks.
func TestUniformMatchesOracle(t *testing.T) {
	rapidtest.Rounds(t, serverOracleRounds, func(t *rapid.T) {
		in := genServerInput().Draw(t, "input")
		plan, err := Uniform{}.Assign(in.topics, in.members)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkUniformOptimal(in, plan); err != nil {
			t.Fatal(err)
		}
		again, err := Uniform{}.Assign(shuffledServer(in, rapid.Uint64().Draw(t, "seed")).topics, shuffledServer(in, 7).members)
		if err != nil {
			t.Fatal(err)
		}
		if d := gocmp.Diff(plan, again); d != "" {
			t.Fatalf("permuting the input changed the plan:\n%s", d)
		}
		general, err := assignUniform(in.topics, in.members, pathGeneral, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkUniformOptimal(in, general); err != nil {
			t.Fatalf("general path: %v", err)
		}
		blind, err := assignUniform(in.topics, in.members, pathAuto, false)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := measureServer(in, blind, false), oracleServerBest(in, false); compareServerObjectives(got, want) != 0 {
			t.Fatalf("without racks: got %v, the oracle reaches %v", got, want)
		}
	})
}

// TestUniformSticky: the plan, fed back as the current assignment, comes back
// unchanged (it is optimal, and keeping everything is the only way to move
// nothing).
func TestUniformSticky(t *testing.T) {
	rapidtest.Rounds(t, 5, func(t *rapid.T) {
		in := genServerInput().Draw(t, "input")
		plan, err := Uniform{}.Assign(in.topics, in.members)
		if err != nil {
			t.Fatal(err)
		}
		next := slices.Clone(in.members)
		for i := range next {
			next[i].Owned = plan[next[i].ID].Partitions()
		}
		again, err := Uniform{}.Assign(in.topics, next)
		if err != nil {
			t.Fatal(err)
		}
		if d := gocmp.Diff(plan, again); d != "" {
			t.Fatalf("a second run moved partitions:\n%s", d)
		}
	})
}

// TestServerRangeProperties: valid, every member present, independent of
// input order and of the current assignment.
func TestServerRangeProperties(t *testing.T) {
	rapidtest.Rounds(t, 5, func(t *rapid.T) {
		in := genServerInput().Draw(t, "input")
		plan, err := ServerRange{}.Assign(in.topics, in.members)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkPlanValid(in.counts(), in.members, plan, false); err != nil {
			t.Fatal(err)
		}
		fresh := shuffledServer(in, rapid.Uint64().Draw(t, "seed")).members
		for i := range fresh {
			fresh[i].Owned = nil
		}
		again, err := ServerRange{}.Assign(in.topics, fresh)
		if err != nil {
			t.Fatal(err)
		}
		if d := gocmp.Diff(plan, again); d != "" {
			t.Fatalf("order or current assignment changed the plan:\n%s", d)
		}
	})
}

func TestServerRejects(t *testing.T) {
	cases := map[string]serverInput{
		"two owners": {map[string]TopicMetadata{"t": {Partitions: 1}},
			[]Member{{ID: "a", Topics: []string{"t"}, Owned: []spec.TopicPartition{{Topic: "t"}}},
				{ID: "b", Topics: []string{"t"}, Owned: []spec.TopicPartition{{Topic: "t"}}}}},
		"racks short": {map[string]TopicMetadata{"t": {Partitions: 2, Racks: [][]string{{"r"}}}}, []Member{{ID: "a"}}},
		"duplicate":   {map[string]TopicMetadata{"t": {Partitions: 1}}, []Member{{ID: "a"}, {ID: "a"}}},
	}
	for name, in := range cases {
		for _, a := range ServerAll() {
			if _, err := a.Assign(in.topics, in.members); err == nil {
				t.Errorf("%s: %s accepted it", name, a.Name())
			}
		}
	}
}

// Planted bugs for the uniform oracle; each must be caught within
// plantedInputs generated inputs.
var plantedUniform = []struct {
	name   string
	assign func(topics map[string]TopicMetadata, members []Member) (Plan, error)
}{
	// Rack-blind: the right balance and stickiness, racks ignored.
	{"ignores racks", func(topics map[string]TopicMetadata, members []Member) (Plan, error) {
		return assignUniform(topics, members, pathAuto, false)
	}},
	// Kafka's homogeneous quota rule (UniformHomogeneousAssignmentBuilder):
	// the extra partitions go to the first members in order, whatever they own.
	{"extra quota by member order", func(topics map[string]TopicMetadata, members []Member) (Plan, error) {
		counts, err := validateServer(topics, members)
		if err != nil || rackAware(topics, members) {
			return Uniform{}.Assign(topics, members)
		}
		same := slices.Clone(members)
		for i := range same {
			same[i].Generation = 0
		}
		if plan, ok, err := quotaByMemberOrder(counts, same); ok || err != nil {
			return plan, err
		}
		return Uniform{}.Assign(topics, members)
	}},
}

func TestUniformOracleCatchesPlantedBugs(t *testing.T) {
	gen := genServerInput()
	for _, bug := range plantedUniform {
		t.Run(bug.name, func(t *testing.T) {
			for i := range plantedInputs {
				in := gen.Example(i)
				plan, err := bug.assign(in.topics, in.members)
				if err != nil {
					t.Fatal(err)
				}
				if err := checkUniformOptimal(in, plan); err != nil {
					t.Logf("caught on input %d: %v", i, err)
					return
				}
			}
			t.Fatalf("the oracle passed %d inputs through a planted bug", plantedInputs)
		})
	}
}
