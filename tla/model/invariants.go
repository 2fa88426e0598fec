package model

import "slices"

// The rules of DESIGN.md §5 on model states, under the names of their
// spec predicates (ClassicGroup.tla has the same formulas).

// grant is a successful answer of the coordinator, for rule 2.
type grant struct {
	k      uint8
	member ID
	inst   uint8
	gen    int32
	assign PSet
}

func (w *world) grant(g grant) { w.grants = append(w.grants, g) }

// fencingOK is spec.CheckFencing: only a current member of the current
// generation is granted anything, judged on the group as the step left it.
func fencingOK(g *Group, gr grant) bool {
	i := slices.IndexFunc(g.Members, func(m Member) bool { return m.ID == gr.member })
	current := i >= 0 && gr.gen == g.Gen && (gr.inst == 0 || g.Members[i].Inst == gr.inst)
	switch gr.k {
	case KCommit:
		if g.St == Empty && gr.gen < 0 {
			return true
		}
		return (g.St == Stable || g.St == PreparingRebalance) && current
	case KSync:
		return g.St == Stable && current && g.Members[i].Assign.Equal(gr.assign)
	case KHeartbeat:
		return (g.St == Stable || g.St == CompletingRebalance) && current
	}
	return current
}

// CheckExclusiveOwnership is rule 1: no partition is owned by two running
// consumers that are members of the group at its generation.
func CheckExclusiveOwnership(s *State) bool {
	var seen PSet
	for c := range s.C {
		x := &s.C[c]
		if !x.Running() || x.Gen != s.G.Gen || !slices.ContainsFunc(s.G.Members, func(m Member) bool { return m.ID == x.Member }) {
			continue
		}
		if len(seen.Inter(x.Owned)) > 0 {
			return false
		}
		seen = seen.Union(x.Owned)
	}
	return true
}

// CheckAssignment is rule 1's validity half on what the group holds: no
// partition assigned to two members. (That each goes to a subscriber is
// the assignor's assumption, ValidPlan; a static member replaced in Stable
// keeps its predecessor's assignment under its own subscription, as in
// Kafka, so it is not a state invariant.)
func CheckAssignment(s *State) bool {
	var seen PSet
	for _, m := range s.G.Members {
		if len(seen.Inter(m.Assign)) > 0 {
			return false
		}
		seen = seen.Union(m.Assign)
	}
	return true
}

// CheckCooperativeRevoke is rule 4 on a cooperative consumer waiting to
// revoke after an assignment: it gives up exactly what it owns and was not
// assigned (spec.CheckCooperativeRevoke).
func CheckCooperativeRevoke(s *State) bool {
	for c := range s.C {
		if r := &s.C[c].Rev; r.On && !r.ThenJoin && !r.Parts.Equal(s.C[c].Owned.Minus(r.Pending)) {
			return false
		}
	}
	return true
}

// CheckStableGeneration is rule 5 within a state: in a Stable group every
// running dynamic member that considers itself stable is at the group's
// generation.
func CheckStableGeneration(s *State) bool {
	if s.G.St != Stable {
		return true
	}
	for c := range s.C {
		x := &s.C[c]
		i := slices.IndexFunc(s.G.Members, func(m Member) bool { return m.ID == x.Member })
		if x.Running() && i >= 0 && s.G.Members[i].Inst == 0 && x.St == Settled && x.Gen != s.G.Gen {
			return false
		}
	}
	return true
}

// CheckCommittedProcessed is rule 3's no-loss half: nothing is committed,
// and no consumer's position lies, beyond what was processed, and no batch
// started beyond it (BadNoLoss).
func CheckCommittedProcessed(s *State) bool {
	if s.Ghost.Bad&BadNoLoss != 0 {
		return false
	}
	beyond := func(m Offs) bool {
		for _, o := range m {
			if end, _ := s.Ghost.Processed.Get(o.P); o.O > end {
				return true
			}
		}
		return false
	}
	if beyond(s.G.Committed) {
		return false
	}
	for c := range s.C {
		if beyond(s.C[c].Pos) {
			return false
		}
	}
	return true
}

// CheckFencing is rule 2 (checked on every grant, kept in the ghost).
func CheckFencing(s *State) bool { return s.Ghost.Bad&BadFencing == 0 }

// CheckOffsetsMonotonic is rule 3 across a step: no committed offset goes
// back or disappears.
func CheckOffsetsMonotonic(s, t *State) bool {
	for _, o := range s.G.Committed {
		if n, ok := t.G.Committed.Get(o.P); !ok || n < o.O {
			return false
		}
	}
	return true
}

// CheckGenerations is rule 5 across a step: the group's generation never
// goes back except when a failover reloads an older record (as
// spec.Checker skips it once a failover happened); and no consumer is at a
// generation the group has not reached, unless a failover lost it.
func CheckGenerations(s, t *State) bool {
	if t.G.Gen < s.G.Gen && !t.Ghost.FailedOver {
		return false
	}
	if t.Ghost.FailedOver {
		return true
	}
	for c := range t.C {
		if x := &t.C[c]; x.Running() && x.Gen > t.G.Gen {
			return false
		}
	}
	return true
}

// Invariant names a state invariant.
type Invariant struct {
	Name  string
	Holds func(*State) bool
}

// Invariants are the state invariants of ClassicGroup.tla.
var Invariants = []Invariant{
	{"CheckExclusiveOwnership", CheckExclusiveOwnership},
	{"CheckAssignment", CheckAssignment},
	{"CheckCooperativeRevoke", CheckCooperativeRevoke},
	{"CheckStableGeneration", CheckStableGeneration},
	{"CheckCommittedProcessed", CheckCommittedProcessed},
	{"CheckFencing", CheckFencing},
}

// StepProperty names a property of every step.
type StepProperty struct {
	Name  string
	Holds func(s, t *State) bool
}

// StepProperties are the action properties of ClassicGroup.tla.
var StepProperties = []StepProperty{
	{"CheckOffsetsMonotonic", CheckOffsetsMonotonic},
	{"CheckGenerations", CheckGenerations},
}
