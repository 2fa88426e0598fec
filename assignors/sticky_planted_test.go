package assignors

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// Planted bugs: variants of the sticky assignors, each with one deliberate
// flaw, fed through the same oracle comparison as the real assignors. Each
// must be caught within the first plantedInputs inputs of the generator.

const plantedInputs = 3000

type planted struct {
	name        string
	cooperative bool
	assign      func(topics map[string]int32, members []Member) (Plan, error)
}

func (p planted) Name() string {
	if p.cooperative {
		return "cooperative-sticky"
	}
	return "sticky"
}
func (p planted) Protocols() []spec.RebalanceProtocol { return nil }
func (p planted) Assign(topics map[string]int32, members []Member) (Plan, error) {
	return p.assign(topics, members)
}

var plantedBugs = []planted{
	// The general path without its last step: balanced, but blind to ownership.
	{name: "skips the stickiness flow", assign: func(topics map[string]int32, members []Member) (Plan, error) {
		m, err := newStickyModel(topics, members, false)
		if err != nil {
			return nil, err
		}
		flow, _ := m.balancedLoads()
		quota := make([]int32, len(flow))
		for k, f := range flow {
			quota[k] = int32(f)
		}
		return m.realize(quota, math.MaxInt32, nil).plan(false), nil
	}},
	// The fast path handing its extra partitions out by member order only.
	{name: "extra quota by member order", assign: func(topics map[string]int32, members []Member) (Plan, error) {
		if plan, ok, err := quotaByMemberOrder(topics, members); ok || err != nil {
			return plan, err
		}
		return Sticky{}.Assign(topics, members)
	}},
	// Ownership cleanup ignoring generations: the first claimant wins.
	{name: "ignores generations", assign: func(topics map[string]int32, members []Member) (Plan, error) {
		return Sticky{}.Assign(topics, firstClaimWins(members))
	}},
	// Naive stickiness: keep every valid owned partition, give each free one to
	// the least loaded subscriber; never rebalance.
	{name: "never takes partitions away", assign: greedyKeepAll},
	// Cooperative-sticky that does not withhold moving partitions.
	{name: "withholds nothing", cooperative: true, assign: Sticky{}.Assign},
	// Cooperative-sticky that withholds every partition changing owner, but
	// forgets partitions claimed by several members at once.
	{name: "forgets double claims", cooperative: true, assign: func(topics map[string]int32, members []Member) (Plan, error) {
		r, err := solveSticky(topics, members, pathAuto, true)
		if err != nil {
			return nil, err
		}
		for p, o := range r.m.owner {
			if o == tiedClaim {
				r.m.owner[p] = noClaim
				if r.m.claimers != nil {
					r.m.claimers[p] = noClaim
				}
			}
		}
		return r.plan(true), nil
	}},
}

// quotaByMemberOrder is the fast path handing the extra partitions of a
// single class to the first members in order, whatever they own; ok is false
// when the input has several classes.
func quotaByMemberOrder(topics map[string]int32, members []Member) (plan Plan, ok bool, err error) {
	m, err := newStickyModel(topics, members, false)
	if err != nil || m.numClasses() != 1 {
		return nil, false, err
	}
	n := int32(len(m.cellMember))
	quota := make([]int32, n)
	for k := range quota {
		quota[k] = m.numPartitions() / n
		if int32(k) < m.numPartitions()%n {
			quota[k]++
		}
	}
	return m.realize(quota, math.MaxInt32, nil).plan(false), true, nil
}

func firstClaimWins(members []Member) []Member {
	sorted := slices.Clone(members)
	SortMembers(sorted)
	taken := map[spec.TopicPartition]bool{}
	out := make([]Member, len(sorted))
	for i, m := range sorted {
		var owned []spec.TopicPartition
		for _, tp := range m.Owned {
			if !taken[tp] {
				taken[tp] = true
				owned = append(owned, tp)
			}
		}
		m.Owned, m.Generation = owned, 0
		out[i] = m
	}
	return out
}

func greedyKeepAll(topics map[string]int32, members []Member) (Plan, error) {
	plan := emptyPlan(members)
	owners := oracleOwners(topics, members)
	load := map[string]int{}
	for tp, o := range owners {
		plan[o][tp.Topic] = append(plan[o][tp.Topic], tp.Partition)
		load[o]++
	}
	for _, tp := range oracleUniverse(topics, members) {
		if _, ok := owners[tp]; ok {
			continue
		}
		var best string
		for _, m := range members {
			if subscribes(m, tp.Topic) && (best == "" || cmp.Compare(load[m.ID], load[best]) < 0) {
				best = m.ID
			}
		}
		plan[best][tp.Topic] = append(plan[best][tp.Topic], tp.Partition)
		load[best]++
	}
	for _, a := range plan {
		a.Normalize()
	}
	return plan, nil
}

func TestOracleCatchesPlantedBugs(t *testing.T) {
	gen := genStickyInput()
	for _, bug := range plantedBugs {
		t.Run(bug.name, func(t *testing.T) {
			for i := range plantedInputs {
				in := gen.Example(i)
				plan, err := bug.Assign(in.topics, in.members)
				if err != nil {
					t.Fatal(err)
				}
				if err := checkSticky(bug, in, plan); err != nil {
					t.Logf("caught on input %d: %v", i, err)
					return
				}
			}
			t.Fatalf("the oracle comparison passed %d inputs through a planted bug", plantedInputs)
		})
	}
}
