package model

import "slices"

// chooser enumerates the outcomes of a step: the step runs once per path
// through its nondeterministic choices, each time taking the next
// untried alternative at the deepest choice that has one (a depth-first
// walk of the tree of choices, visiting only the choices a path reaches).
type chooser struct {
	path []int // the choice made at each point of the current run
	alts []int // how many alternatives each point had
	pos  int
}

// pick returns the alternative taken at the next choice point of this run.
func (ch *chooser) pick(n int) int {
	if ch.pos < len(ch.path) {
		i := ch.path[ch.pos]
		ch.alts[ch.pos] = n
		ch.pos++
		return i
	}
	ch.path = append(ch.path, 0)
	ch.alts = append(ch.alts, n)
	ch.pos++
	return 0
}

// next moves to the next path; false when every path has run.
func (ch *chooser) next() bool {
	ch.path, ch.alts = ch.path[:ch.pos], ch.alts[:ch.pos]
	for i := len(ch.path) - 1; i >= 0; i-- {
		if ch.path[i]+1 < ch.alts[i] {
			ch.path[i]++
			ch.path, ch.alts = ch.path[:i+1], ch.alts[:i+1]
			ch.pos = 0
			return true
		}
	}
	return false
}

// choosePlan is the assignor: any valid plan for the leader's member list
// (see ValidPlan), chosen nondeterministically — or, in a refinement
// check, the plan the implementation's leader sent, if valid.
func (w *world) choosePlan(c int, members []JMember) []PlanEntry {
	x := &w.s.C[c]
	if h := w.p.Hints; h != nil {
		var ok [][]PlanEntry
		for _, plan := range h.Plans {
			if ValidPlan(x.Meta, x.Proto, members, plan) {
				ok = append(ok, plan)
			}
		}
		w.guard(len(ok) > 0)
		if len(ok) == 0 {
			return nil
		}
		return ok[w.choice(chPlan, len(ok))]
	}
	plans := allPlans(x.Meta, x.Proto, members)
	if len(plans) == 0 {
		w.guard(false)
		return nil
	}
	return plans[w.choice(chPlan, len(plans))]
}

// scope lists the partitions a plan must place: those of every topic some
// member subscribes to, as far as the leader's metadata knows them.
func scope(meta Counts, members []JMember) PSet {
	var subs Topics
	for _, m := range members {
		subs |= m.Meta.Topics
	}
	var out PSet
	for t := range MaxTopics {
		if subs.Has(t) {
			for n := 0; n < int(meta[t]); n++ {
				out = append(out, Part(t, n))
			}
		}
	}
	return out
}

// withholdable: under the cooperative-sticky assignor a partition some
// member claims may stay unassigned this round, to move in the next.
func withholdable(proto uint8, p TP, members []JMember) bool {
	return proto == CoopSticky && slices.ContainsFunc(members, func(m JMember) bool { return m.Meta.Owned.Has(p) })
}

// ValidPlan is what ClassicGroup.tla assumes of every assignor: each
// partition in scope goes to exactly one member that subscribes to its
// topic, or — cooperative-sticky only — is withheld while someone claims
// it; nothing outside the scope is given; and under cooperative-sticky no
// partition is revoked from one member and given to another in the same
// generation (rule 4, spec.CheckCooperativePlan). Entries are sorted by
// member and non-empty.
func ValidPlan(meta Counts, proto uint8, members []JMember, plan []PlanEntry) bool {
	sc := scope(meta, members)
	var placed PSet
	for i, e := range plan {
		if len(e.A) == 0 || (i > 0 && CompareID(plan[i-1].M, e.M) >= 0) {
			return false
		}
		j := slices.IndexFunc(members, func(m JMember) bool { return m.ID == e.M })
		if j < 0 {
			return false
		}
		for _, p := range e.A {
			if !sc.Has(p) || !members[j].Meta.Topics.Has(p.Topic()) || placed.Has(p) {
				return false
			}
			placed = placed.With(p)
		}
	}
	for _, p := range sc {
		if !placed.Has(p) && !withholdable(proto, p, members) {
			return false
		}
	}
	return proto != CoopSticky || cooperativePlanOK(members, plan)
}

// cooperativePlanOK is spec.CheckCooperativePlan on the claims.
func cooperativePlanOK(members []JMember, plan []PlanEntry) bool {
	assigned := func(id ID) PSet {
		for _, e := range plan {
			if e.M == id {
				return e.A
			}
		}
		return nil
	}
	var added, revoked PSet
	for _, m := range members {
		a := assigned(m.ID)
		added = added.Union(a.Minus(m.Meta.Owned))
		revoked = revoked.Union(m.Meta.Owned.Minus(a))
	}
	return len(added.Inter(revoked)) == 0
}

// allPlans enumerates every valid plan, in a fixed order.
func allPlans(meta Counts, proto uint8, members []JMember) [][]PlanEntry {
	sc := scope(meta, members)
	// choice[i]: the member index partition sc[i] goes to, len(members) for withheld
	choice := make([]int, len(sc))
	var out [][]PlanEntry
	var rec func(i int)
	rec = func(i int) {
		if i == len(sc) {
			if plan := makePlan(sc, choice, members); ValidPlan(meta, proto, members, plan) {
				out = append(out, plan)
			}
			return
		}
		for k := 0; k <= len(members); k++ {
			if k < len(members) && !members[k].Meta.Topics.Has(sc[i].Topic()) {
				continue
			}
			if k == len(members) && !withholdable(proto, sc[i], members) {
				continue
			}
			choice[i] = k
			rec(i + 1)
		}
	}
	rec(0)
	return out
}

func makePlan(sc PSet, choice []int, members []JMember) []PlanEntry {
	var plan []PlanEntry
	for k, m := range members {
		var a PSet
		for i, p := range sc {
			if choice[i] == k {
				a = append(a, p)
			}
		}
		if len(a) > 0 {
			plan = append(plan, PlanEntry{M: m.ID, A: a})
		}
	}
	slices.SortFunc(plan, func(a, b PlanEntry) int { return CompareID(a.M, b.M) })
	return plan
}
