package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Rule 5 of DESIGN.md §5: monotonic generations.

// CheckTransition is rule 5 for one state change of a group, as the
// coordinator makes it (a step may make several: a LeaveGroup of the last
// member goes Stable to PreparingRebalance to Empty). The change must be one
// Kafka allows (CanTransition), and the generation goes up by exactly one when
// a join phase completes (PreparingRebalance to CompletingRebalance or Empty)
// and stays put otherwise.
func CheckTransition(from GroupState, fromGen int32, to GroupState, toGen int32) error {
	if !CanTransition(from, to) {
		return fmt.Errorf("generations: the group moved from %s to %s, which Kafka never does", from, to)
	}
	joined := from == PreparingRebalance && (to == CompletingRebalance || to == Empty)
	if joined && toGen != fromGen+1 {
		return fmt.Errorf("generations: a join completed (%s to %s) but the generation went from %d to %d, not up by one",
			from, to, fromGen, toGen)
	}
	if !joined && toGen != fromGen {
		return fmt.Errorf("generations: the generation changed from %d to %d without a join completing (%s to %s)",
			fromGen, toGen, from, to)
	}
	return nil
}

// CheckGenerations is rule 5 across two consecutive snapshots: the group's
// generation never goes backwards; no consumer knows a generation the group
// has not reached; and a consumer that keeps its member id never goes back to
// an older generation.
func CheckGenerations(prev, next Snapshot) error {
	if err := errors.Join(prev.validate(), next.validate()); err != nil {
		return fmt.Errorf("generations: %w", err)
	}
	return generations(prev, next)
}

// generations is CheckGenerations on snapshots known to be well formed.
func generations(prev, next Snapshot) error {
	pg, ng := prev.Group, next.Group
	if ng.Generation < pg.Generation {
		return fmt.Errorf("generations: the group went back from generation %d to %d", pg.Generation, ng.Generation)
	}
	before := consumersByName(prev.Consumers)
	for i, c := range next.Consumers {
		if c.Generation > ng.Generation {
			return fmt.Errorf("generations: %s believes it is in generation %d, but the group is only at %d", c.Name, c.Generation, ng.Generation)
		}
		b, ok := before(i, c.Name)
		if ok && b.Alive && c.Alive && b.MemberID == c.MemberID && b.Generation >= 0 && c.Generation >= 0 && c.Generation < b.Generation {
			return fmt.Errorf("generations: %s (member %s) went back from generation %d to %d", c.Name, c.MemberID, b.Generation, c.Generation)
		}
	}
	return nil
}

// consumersByName finds a consumer of cs by name, looking first at index
// i (consecutive snapshots usually list the same consumers): by binary
// search when cs is sorted by name, as kgroup's snapshots list them, else
// in a map.
func consumersByName(cs []ConsumerView) func(i int, name string) (ConsumerView, bool) {
	byName := func(c ConsumerView, name string) int { return strings.Compare(c.Name, name) }
	if slices.IsSortedFunc(cs, func(a, b ConsumerView) int { return strings.Compare(a.Name, b.Name) }) {
		return func(i int, name string) (ConsumerView, bool) {
			if i < len(cs) && cs[i].Name == name {
				return cs[i], true
			}
			i, ok := slices.BinarySearchFunc(cs, name, byName)
			if !ok {
				return ConsumerView{}, false
			}
			return cs[i], true
		}
	}
	m := make(map[string]ConsumerView, len(cs))
	for _, c := range cs {
		m[c.Name] = c
	}
	return func(_ int, name string) (ConsumerView, bool) { c, ok := m[name]; return c, ok }
}

// CheckStableGeneration is the second half of rule 5 within one snapshot: when
// the group is Stable, every live consumer that is a dynamic member and
// considers itself STABLE is at the group's generation. Static members are
// exempt: Kafka keeps a static member that missed a rebalance in the group,
// and it stays STABLE at its old generation until it hears otherwise (its
// requests are then answered ILLEGAL_GENERATION; rule 2 fences it meanwhile).
func CheckStableGeneration(s Snapshot) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("generations: %w", err)
	}
	return stableGeneration(s)
}

// stableGeneration is CheckStableGeneration on a snapshot known to be well
// formed.
func stableGeneration(s Snapshot) error {
	if s.Group.State != Stable {
		return nil
	}
	for _, c := range s.Consumers {
		m, ok := s.Group.Member(c.MemberID)
		if c.Alive && ok && m.InstanceID == "" && c.State == ClientStable && c.Generation != s.Group.Generation {
			return fmt.Errorf("generations: group Stable at generation %d but member %s (%s) is stable at %d",
				s.Group.Generation, c.MemberID, c.Name, c.Generation)
		}
	}
	return nil
}
