package spec

import (
	"fmt"
	"slices"
)

// Rule 7 of DESIGN.md §5, its balance half.

// CheckBalance is the balance half of rule 7 for assignors that balance over
// all topics (round-robin, sticky, uniform): when every member subscribes to
// the same topics, the member loads differ by at most one. A violation names
// the first member (by id) among those holding the most and among those
// holding the fewest.
func CheckBalance(subs map[string][]string, plan map[string]Assignment) error {
	if !identical(subs) {
		return nil
	}
	var minM, maxM string
	for i, m := range SortedKeys(subs) {
		if i == 0 || plan[m].Len() < plan[minM].Len() {
			minM = m
		}
		if i == 0 || plan[m].Len() > plan[maxM].Len() {
			maxM = m
		}
	}
	if plan[maxM].Len()-plan[minM].Len() > 1 {
		return fmt.Errorf("balance: identical subscriptions, but %s holds %d partitions and %s holds %d",
			maxM, plan[maxM].Len(), minM, plan[minM].Len())
	}
	return nil
}

// CheckBalancePerTopic is rule 7 for the range assignor, which balances each
// topic on its own: for every topic, the partition counts of the members that
// subscribe to it differ by at most one. The first such topic is reported,
// naming its members as CheckBalance does.
func CheckBalancePerTopic(subs map[string][]string, plan map[string]Assignment) error {
	for _, t := range subscribedTopics(subs) {
		var minM, maxM string
		first := true
		for _, m := range SortedKeys(subs) {
			if !slices.Contains(subs[m], t) {
				continue
			}
			n := len(plan[m][t])
			if first || n < len(plan[minM][t]) {
				minM = m
			}
			if first || n > len(plan[maxM][t]) {
				maxM = m
			}
			first = false
		}
		if maxN, minN := len(plan[maxM][t]), len(plan[minM][t]); maxN-minN > 1 {
			return fmt.Errorf("balance: topic %s gives %d partitions to %s but %d to %s", t, maxN, maxM, minN, minM)
		}
	}
	return nil
}

func identical(subs map[string][]string) bool {
	var first []string
	for i, m := range SortedKeys(subs) {
		ts := slices.Sorted(slices.Values(subs[m]))
		if i == 0 {
			first = ts
		} else if !slices.Equal(first, ts) {
			return false
		}
	}
	return true
}
