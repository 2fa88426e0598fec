package spec

import (
	"errors"
	"fmt"
	"slices"
)

// Rule 6 of DESIGN.md §5: convergence; and every single-instant rule at once.

// CheckConverged is rule 6, for the end of a run in which membership and
// metadata stopped changing and every message was delivered: the group is
// settled (CheckSettled) and its assignment covers every partition of every
// subscribed topic.
func CheckConverged(s Snapshot) error {
	if err := CheckSettled(s); err != nil {
		return err
	}
	if len(s.Group.Members) == 0 {
		return nil
	}
	return CheckAssignment(s.Topics, s.Group.Subscriptions(), s.Group.Assignments(), false)
}

// CheckSettled is rule 6 without the coverage half: the group is Stable (Empty
// if no consumer is alive); its members are exactly the live consumers, one
// consumer to a member (Kafka gives every joining client a member id of its
// own); each is STABLE (a KIP-848 consumer: its AsyncState) at the group's
// generation (a consumer group's epoch) with no rejoin pending and
// consumes exactly what the coordinator holds for it; and that assignment is
// valid, though it may leave partitions unassigned.
func CheckSettled(s Snapshot) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("convergence: %w", err)
	}
	g := s.Group
	live := 0
	consumerOf := map[string]string{} // member id -> the live consumer holding it
	for _, c := range s.Consumers {
		if !c.Alive {
			continue
		}
		live++
		m, ok := g.Member(c.MemberID)
		other, shared := consumerOf[c.MemberID]
		consumerOf[c.MemberID] = c.Name
		switch {
		case !ok:
			return fmt.Errorf("convergence: %s is alive but not a member", c.Name)
		case shared:
			return fmt.Errorf("convergence: %s and %s are both alive as member %s", other, c.Name, c.MemberID)
		case c.GroupProtocol != "" && c.AsyncState != AsyncStable:
			return fmt.Errorf("convergence: %s is %s, not settled", c.Name, c.AsyncState)
		case c.GroupProtocol == "" && (c.State != ClientStable || c.RejoinNeeded):
			return fmt.Errorf("convergence: %s is %s (rejoin needed: %v), not settled", c.Name, c.State, c.RejoinNeeded)
		case c.Generation != g.Generation:
			return fmt.Errorf("convergence: %s is at generation %d, the group at %d", c.Name, c.Generation, g.Generation)
		case !slices.Equal(c.Owned, m.Assignment.Partitions()):
			return fmt.Errorf("convergence: %s consumes %s but is assigned %s", c.Name, FormatPartitions(c.Owned), m.Assignment)
		}
	}
	if live == 0 {
		if len(g.Members) != 0 || g.State != Empty {
			return fmt.Errorf("convergence: no consumer is alive but the group is %s with %d members", g.State, len(g.Members))
		}
		return nil
	}
	if g.State != Stable {
		return fmt.Errorf("convergence: the group is %s, not Stable", g.State)
	}
	if len(g.Members) != live {
		return fmt.Errorf("convergence: the group has %d members but %d consumers are alive", len(g.Members), live)
	}
	return CheckAssignment(s.Topics, g.Subscriptions(), g.Assignments(), true)
}

// CheckSnapshot applies every single-instant rule to s.
func CheckSnapshot(s Snapshot) error {
	return errors.Join(CheckExclusiveOwnership(s), CheckStableGeneration(s))
}
