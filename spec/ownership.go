package spec

import (
	"fmt"
	"slices"
)

// Rule 1 of DESIGN.md §5: exclusive ownership, and valid assignments.

// CheckExclusiveOwnership is rule 1: at every instant, each partition is owned
// (being consumed) by at most one consumer whose commits the coordinator would
// still accept: a live consumer that the coordinator counts as a member, at
// the group's current generation.
//
// Zombies are excluded because rule 2 fences them: a consumer the coordinator
// has expelled but that has not yet noticed, and — the case that makes the
// generation part necessary — a static member (KIP-345) that missed a
// rebalance. Kafka keeps such a member in the group at the new generation and
// may hand its old partitions to others, while the member itself, until it
// hears of the new generation, still consumes them; its commits are rejected
// with ILLEGAL_GENERATION. (kgroup's first statement of this rule counted every
// member; transcript static_member_misses_rebalance shows Kafka breaking it.)
func CheckExclusiveOwnership(s Snapshot) error {
	_, err := owners(s)
	return err
}

// owners is CheckExclusiveOwnership, which also returns the owner of each
// owned partition among the consumers that count.
func owners(s Snapshot) (map[TopicPartition]string, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("exclusive ownership: %w", err)
	}
	n := 0
	for _, c := range s.Consumers {
		n += len(c.Owned)
	}
	owner := make(map[TopicPartition]string, n) // sized once: growing it cost more than the rule
	for _, c := range s.Consumers {
		if !counts(s.Group, c) {
			continue
		}
		for _, tp := range c.Owned {
			if prev, dup := owner[tp]; dup {
				return nil, fmt.Errorf("exclusive ownership: %s is owned by both %s and %s, members of generation %d", tp, prev, c.Name, s.Group.Generation)
			}
			owner[tp] = c.Name
		}
	}
	return owner, nil
}

// counts: what c owns counts for rule 1, c being a live member of g at its
// generation.
func counts(g GroupView, c ConsumerView) bool {
	if !c.Alive || c.Generation != g.Generation {
		return false
	}
	_, ok := g.Member(c.MemberID)
	return ok
}

// CheckAssignment is the validity half of rule 1, for any assignment a
// coordinator stores or an assignor emits: every assigned partition exists in
// topics, belongs to a topic its member subscribes to, and goes to one member
// only; every partition of a topic that some member subscribes to is assigned,
// unless withheldOK (a cooperative round may withhold partitions that are
// changing owner). subs and plan are keyed by member id; a member in plan must
// be in subs.
func CheckAssignment(topics map[string]int32, subs map[string][]string, plan map[string]Assignment, withheldOK bool) error {
	owner := map[TopicPartition]string{}
	for _, m := range SortedKeys(plan) {
		topicsOf, ok := subs[m]
		if !ok {
			return fmt.Errorf("assignment: partitions given to %s, which is not a member", m)
		}
		for _, tp := range plan[m].Partitions() {
			n, exists := topics[tp.Topic]
			switch {
			case !exists:
				return fmt.Errorf("assignment: %s given to %s, but topic %s does not exist", tp, m, tp.Topic)
			case tp.Partition < 0 || tp.Partition >= n:
				return fmt.Errorf("assignment: %s given to %s, but %s has %d partitions", tp, m, tp.Topic, n)
			case !slices.Contains(topicsOf, tp.Topic):
				return fmt.Errorf("assignment: %s given to %s, which does not subscribe to %s", tp, m, tp.Topic)
			}
			if prev, dup := owner[tp]; dup {
				return fmt.Errorf("assignment: %s given to both %s and %s", tp, prev, m)
			}
			owner[tp] = m
		}
	}
	if withheldOK {
		return nil
	}
	for _, t := range subscribedTopics(subs) {
		n, exists := topics[t]
		for p := int32(0); exists && p < n; p++ {
			if _, ok := owner[TopicPartition{t, p}]; !ok {
				return fmt.Errorf("assignment: %s-%d is subscribed but assigned to nobody", t, p)
			}
		}
	}
	return nil
}

func subscribedTopics(subs map[string][]string) []string {
	set := map[string]bool{}
	for _, ts := range subs {
		for _, t := range ts {
			set[t] = true
		}
	}
	return SortedKeys(set)
}
