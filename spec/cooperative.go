package spec

import (
	"fmt"
	"slices"
)

// Rule 4 of DESIGN.md §5 for the classic cooperative protocol (KIP-429).

// CheckCooperativePlan is rule 4 for one round's plan: no partition that a
// member reported owning when it joined is assigned to a different member in
// the same generation — it must first be revoked, and is handed over in the
// follow-up round (Kafka's ConsumerCoordinator.validateCooperativeAssignment).
// owned and plan are keyed by member id; owned holds what each member's
// subscription claimed.
func CheckCooperativePlan(owned map[string][]TopicPartition, plan map[string]Assignment) error {
	owner := map[TopicPartition]string{}
	for _, m := range SortedKeys(owned) {
		for _, tp := range owned[m] {
			owner[tp] = m
		}
	}
	for _, m := range SortedKeys(plan) {
		for _, tp := range plan[m].Partitions() {
			if prev, ok := owner[tp]; ok && prev != m {
				return fmt.Errorf("cooperative: %s moves from %s to %s within one generation; it must be revoked first", tp, prev, m)
			}
		}
	}
	return nil
}

// CheckCooperativeRevoke is rule 4 for one member after a cooperative sync:
// it gives up exactly what it owned and was not assigned again
// (owned \ assigned), no more and no fewer.
func CheckCooperativeRevoke(owned, assigned, revoked []TopicPartition) error {
	want := slices.DeleteFunc(slices.Clone(owned), func(tp TopicPartition) bool { return slices.Contains(assigned, tp) })
	SortPartitions(want)
	got := slices.Clone(revoked)
	SortPartitions(got)
	if !slices.Equal(want, got) {
		return fmt.Errorf("cooperative: owned %s, assigned %s, so must revoke %s, but revoked %s",
			FormatPartitions(owned), FormatPartitions(assigned), FormatPartitions(want), FormatPartitions(got))
	}
	return nil
}
