package spec

import (
	"fmt"
	"slices"
)

// Rule 4 of DESIGN.md §5 for the classic cooperative protocol (KIP-429).

// CheckCooperativePlan is rule 4 for one round's plan: no partition is both
// revoked from one member (it claimed it when joining and is not assigned it)
// and added to another (assigned it without having claimed it) in the same
// generation; it must be revoked first and handed over in the follow-up
// round. This is Kafka's ConsumerCoordinator.validateCooperativeAssignment.
// A partition two members claimed at once may stay with one of them: that is
// not a move. owned and plan are keyed by member id; owned holds what each
// member's subscription claimed.
func CheckCooperativePlan(owned map[string][]TopicPartition, plan map[string]Assignment) error {
	ids := map[string]bool{}
	for m := range owned {
		ids[m] = true
	}
	for m := range plan {
		ids[m] = true
	}
	added, revoked := map[TopicPartition]string{}, map[TopicPartition]string{}
	for _, m := range SortedKeys(ids) {
		for _, tp := range plan[m].Partitions() {
			if !slices.Contains(owned[m], tp) {
				added[tp] = m
			}
		}
		for _, tp := range owned[m] {
			if !plan[m].Has(tp) {
				revoked[tp] = m
			}
		}
	}
	for _, tp := range sortedPartitions(added) {
		if from, ok := revoked[tp]; ok {
			return fmt.Errorf("cooperative: %s moves from %s to %s within one generation; it must be revoked first", tp, from, added[tp])
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
