package cgmodel

// The rules, as ConsumerGroup.tla states them (named after spec's
// predicates in spec/cg_rules.go).

// Invariant is a state predicate.
type Invariant struct {
	Name  string
	Holds func(*State) bool
}

// StepProperty is a predicate of a step.
type StepProperty struct {
	Name  string
	Holds func(prev, next *State) bool
}

// Invariants are the configurations' INVARIANTS.
var Invariants = []Invariant{
	{"CheckConsumerGroupOwnership", CheckConsumerGroupOwnership},
	{"CheckConsumerGroupEpochs", CheckConsumerGroupEpochs},
	{"CheckExclusiveOwnership", CheckExclusiveOwnership},
}

// StepProperties are the configurations' PROPERTIES.
var StepProperties = []StepProperty{
	{"CheckEpochsMonotonic", CheckEpochsMonotonic},
	{"CheckHandoff", CheckHandoff},
	{"CheckConsumerReleases", CheckConsumerReleases},
}

// CheckConsumerGroupOwnership: no partition held by two members, nor in two
// members' targets; none both assigned and pending revocation.
func CheckConsumerGroupOwnership(s *State) bool {
	var held, tgt PSet
	for i := range s.G.Members {
		m := &s.G.Members[i]
		if m.Asg&m.Rev != 0 || held&m.HeldBy() != 0 || tgt&m.Tgt != 0 {
			return false
		}
		held |= m.HeldBy()
		tgt |= m.Tgt
	}
	return true
}

// CheckConsumerGroupEpochs: member epoch <= target epoch <= group epoch.
func CheckConsumerGroupEpochs(s *State) bool {
	if s.G.AEpoch > s.G.Epoch {
		return false
	}
	for i := range s.G.Members {
		if s.G.Members[i].Ep > s.G.AEpoch {
			return false
		}
	}
	return true
}

// Counted is the spec's Counted.
func Counted(s *State, c int) bool { return s.C[c].Live() && s.G.Member(s.C[c].Mid) != nil }

// CheckExclusiveOwnership: no partition owned by two counted consumers.
func CheckExclusiveOwnership(s *State) bool {
	var owned PSet
	for c := range s.C {
		if Counted(s, c) {
			if owned&s.C[c].Owned != 0 {
				return false
			}
			owned |= s.C[c].Owned
		}
	}
	return true
}

// CheckEpochsMonotonic: no epoch goes back.
func CheckEpochsMonotonic(prev, next *State) bool {
	if next.G.Epoch < prev.G.Epoch || next.G.AEpoch < prev.G.AEpoch {
		return false
	}
	for i := range prev.G.Members {
		if n := next.G.Member(prev.G.Members[i].ID); n != nil && n.Ep < prev.G.Members[i].Ep {
			return false
		}
	}
	return true
}

// CheckHandoff is checkHandoff.
func CheckHandoff(prev, next *State) bool {
	for i := range next.G.Members {
		m := &next.G.Members[i]
		was := prev.G.Member(m.ID)
		for p := 0; p < 16; p++ {
			if !m.HeldBy().Has(p) || (was != nil && was.HeldBy().Has(p)) {
				continue
			}
			if !m.Tgt.Has(p) {
				return false
			}
			for j := range prev.G.Members {
				o := &prev.G.Members[j]
				if o.ID == m.ID || !o.HeldBy().Has(p) {
					continue
				}
				if on := next.G.Member(o.ID); on != nil && on.HeldBy().Has(p) {
					return false
				}
			}
		}
		for p := 0; p < 16; p++ {
			if !m.Rev.Has(p) || (was != nil && was.Rev.Has(p)) {
				continue
			}
			if was == nil || !was.Asg.Has(p) || m.Tgt.Has(p) {
				return false
			}
		}
	}
	return true
}

// CheckConsumerReleases: a partition leaves a member that stays only once
// no running consumer with its id owns it.
func CheckConsumerReleases(prev, next *State) bool {
	for i := range prev.G.Members {
		o := &prev.G.Members[i]
		n := next.G.Member(o.ID)
		if n == nil {
			continue
		}
		released := o.HeldBy().Minus(n.HeldBy())
		for c := range next.C {
			x := &next.C[c]
			if x.Live() && x.Mid == o.ID && x.Owned&released != 0 {
				return false
			}
		}
	}
	return true
}

// Converged is the spec's Converged.
func Converged(p *Params, s *State) bool {
	live := 0
	for c := range s.C {
		x := &s.C[c]
		if x.St == Unsubscribed {
			return false
		}
		if !x.Live() {
			continue
		}
		live++
		m := s.G.Member(x.Mid)
		if x.St != Stable || m == nil || x.Ep != s.G.Epoch || x.Owned != m.Asg {
			return false
		}
	}
	var all PSet
	for i := range s.G.Members {
		m := &s.G.Members[i]
		found := false
		for c := range s.C {
			found = found || (s.C[c].Live() && s.C[c].Mid == m.ID)
		}
		if !found || m.St != MStable || m.Ep != s.G.Epoch {
			return false
		}
		all |= m.Asg
	}
	return s.G.AEpoch == s.G.Epoch && (live == 0 || all == PSet(1<<p.NumPartitions-1))
}
