package assignors

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// The brute-force oracle for the sticky assignors. It shares no code with
// them: it works on names, resolves ownership claims straight from the rules
// the issue states, and enumerates every valid assignment of small inputs
// (up to 6 members and 10 partitions) with a dynamic program whose state is
// the vector of member loads.

// objective is what the sticky assignors optimise, in order: the member loads
// sorted from largest to smallest (lexicographically smaller is better), then
// the partitions moved away from their valid prior owner.
type objective struct {
	loads []int
	moves int
}

func (o objective) String() string { return fmt.Sprintf("loads %v, moves %d", o.loads, o.moves) }

func compareObjectives(a, b objective) int {
	return cmp.Or(slices.Compare(a.loads, b.loads), cmp.Compare(a.moves, b.moves))
}

func subscribes(m Member, topic string) bool { return slices.Contains(m.Topics, topic) }

// oracleUniverse lists the partitions an assignment must cover: every
// partition of every existing topic some member subscribes to.
func oracleUniverse(topics map[string]int32, members []Member) []spec.TopicPartition {
	var out []spec.TopicPartition
	for _, t := range spec.SortedKeys(topics) {
		if !slices.ContainsFunc(members, func(m Member) bool { return subscribes(m, t) }) {
			continue
		}
		for p := range topics[t] {
			out = append(out, spec.TopicPartition{Topic: t, Partition: p})
		}
	}
	return out
}

// oracleOwners maps each partition with a valid prior owner to that owner's id.
// A claim counts if its topic exists and someone subscribes to it; a member
// claiming a partition twice claims it once; the unique claim at the highest
// generation wins (a tie at the highest generation leaves no owner); the winner
// keeps it only if it subscribes to the topic.
func oracleOwners(topics map[string]int32, members []Member) map[spec.TopicPartition]string {
	inUniverse := map[spec.TopicPartition]bool{}
	for _, tp := range oracleUniverse(topics, members) {
		inUniverse[tp] = true
	}
	type claim struct {
		member string
		gen    int32
	}
	claims := map[spec.TopicPartition][]claim{}
	for _, m := range members {
		seen := map[spec.TopicPartition]bool{}
		for _, tp := range m.Owned {
			if inUniverse[tp] && !seen[tp] {
				seen[tp] = true
				claims[tp] = append(claims[tp], claim{m.ID, m.Generation})
			}
		}
	}
	owners := map[spec.TopicPartition]string{}
	for tp, cs := range claims {
		top := slices.MaxFunc(cs, func(a, b claim) int { return cmp.Compare(a.gen, b.gen) })
		atTop := 0
		for _, c := range cs {
			if c.gen == top.gen {
				atTop++
			}
		}
		if atTop == 1 && subscribes(memberByID(members, top.member), tp.Topic) {
			owners[tp] = top.member
		}
	}
	return owners
}

func memberByID(members []Member, id string) Member {
	i := slices.IndexFunc(members, func(m Member) bool { return m.ID == id })
	return members[i]
}

// oracleBest computes the optimal objective by enumeration: partition by
// partition, every eligible member is tried, keeping per reachable load vector
// the fewest moves; the answer is the lexicographically smallest sorted load
// vector and the fewest moves reaching it.
func oracleBest(topics map[string]int32, members []Member) objective {
	owners := oracleOwners(topics, members)
	best := map[string]int{string(make([]byte, len(members))): 0}
	for _, tp := range oracleUniverse(topics, members) {
		next := map[string]int{}
		for key, moves := range best {
			for j, m := range members {
				if !subscribes(m, tp.Topic) {
					continue
				}
				loads := []byte(key)
				loads[j]++
				cost := moves
				if o, ok := owners[tp]; ok && o != m.ID {
					cost++
				}
				if old, ok := next[string(loads)]; !ok || cost < old {
					next[string(loads)] = cost
				}
			}
		}
		best = next
	}
	var out objective
	first := true
	for key, moves := range best {
		o := objective{loads: sortedLoads([]byte(key)), moves: moves}
		if first || compareObjectives(o, out) < 0 {
			out, first = o, false
		}
	}
	return out
}

func sortedLoads[T int | byte](xs []T) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	slices.SortFunc(out, func(a, b int) int { return cmp.Compare(b, a) })
	return out
}

// measure computes a plan's objective against the oracle's valid owners.
func measure(topics map[string]int32, members []Member, plan Plan) objective {
	owners := oracleOwners(topics, members)
	loads := make([]int, len(members))
	for i, m := range members {
		loads[i] = plan[m.ID].Len()
	}
	moves := 0
	for tp, o := range owners {
		if !plan[o].Has(tp) {
			moves++
		}
	}
	return objective{loads: sortedLoads(loads), moves: moves}
}

// checkPlanValid checks that plan covers every member and is a valid
// assignment (complete unless withheldOK).
func checkPlanValid(topics map[string]int32, members []Member, plan Plan, withheldOK bool) error {
	subs := map[string][]string{}
	for _, m := range members {
		subs[m.ID] = m.Topics
		a, ok := plan[m.ID]
		if !ok || a == nil {
			return fmt.Errorf("member %s missing from the plan", m.ID)
		}
		for t, ps := range a {
			if len(ps) == 0 || !slices.IsSorted(ps) {
				return fmt.Errorf("member %s: topic %s holds %v, want a non-empty ascending list", m.ID, t, ps)
			}
		}
	}
	if len(plan) != len(members) {
		return fmt.Errorf("the plan has %d members, the input %d", len(plan), len(members))
	}
	return spec.CheckAssignment(topics, subs, plan, withheldOK)
}

// checkEagerOptimal is the oracle comparison for one eager round.
func checkEagerOptimal(topics map[string]int32, members []Member, plan Plan) error {
	if err := checkPlanValid(topics, members, plan, false); err != nil {
		return err
	}
	got, want := measure(topics, members, plan), oracleBest(topics, members)
	if compareObjectives(got, want) != 0 {
		return fmt.Errorf("not optimal: got %v, the oracle reaches %v\nplan: %v", got, want, plan)
	}
	return nil
}

// checkCooperativeSafe checks a cooperative round: a valid assignment with
// withholding allowed, in which no member receives a partition that another
// member still claims unless the receiver is its valid prior owner; and, as
// Kafka's CooperativeStickyAssignorTest checks, no partition is both revoked
// from one member and added to another.
func checkCooperativeSafe(topics map[string]int32, members []Member, plan Plan) error {
	if err := checkPlanValid(topics, members, plan, true); err != nil {
		return err
	}
	owners := oracleOwners(topics, members)
	added, revoked := map[spec.TopicPartition]string{}, map[spec.TopicPartition]string{}
	for _, m := range members {
		for _, tp := range plan[m.ID].Partitions() {
			if !slices.Contains(m.Owned, tp) {
				added[tp] = m.ID
			}
			if owners[tp] == m.ID {
				continue
			}
			for _, o := range members {
				if o.ID != m.ID && slices.Contains(o.Owned, tp) {
					return fmt.Errorf("%s given to %s while %s still claims it", tp, m.ID, o.ID)
				}
			}
		}
		for _, tp := range m.Owned {
			if !plan[m.ID].Has(tp) {
				revoked[tp] = m.ID
			}
		}
	}
	for tp, to := range added {
		if from, ok := revoked[tp]; ok {
			return fmt.Errorf("%s revoked from %s and added to %s in the same round", tp, from, to)
		}
	}
	return nil
}

// followUp is the input of the rebalance a cooperative round triggers: every
// member owns what it was just given, at the next generation.
func followUp(members []Member, plan Plan) []Member {
	gen := int32(-1)
	for _, m := range members {
		gen = max(gen, m.Generation)
	}
	next := make([]Member, len(members))
	for i, m := range members {
		m.Owned, m.Generation = plan[m.ID].Partitions(), gen+1
		next[i] = m
	}
	return next
}

// checkCooperativeOptimal is the oracle comparison for cooperative-sticky:
// the first round is safe, the follow-up round withholds nothing, and the
// assignment it reaches has the optimal objective of the first round's input.
func checkCooperativeOptimal(a Assignor, topics map[string]int32, members []Member, first Plan) error {
	if err := checkCooperativeSafe(topics, members, first); err != nil {
		return fmt.Errorf("first round: %w", err)
	}
	next := followUp(members, first)
	second, err := a.Assign(topics, next)
	if err != nil {
		return err
	}
	if err := checkCooperativeSafe(topics, next, second); err != nil {
		return fmt.Errorf("follow-up round: %w", err)
	}
	if err := checkPlanValid(topics, next, second, false); err != nil {
		return fmt.Errorf("follow-up round still withholds: %w", err)
	}
	got, want := measure(topics, members, second), oracleBest(topics, members)
	if compareObjectives(got, want) != 0 {
		return fmt.Errorf("the follow-up round reaches %v, the oracle %v\nfirst: %v\nfollow-up: %v", got, want, first, second)
	}
	return nil
}
