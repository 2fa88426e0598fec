package assignors

import (
	"cmp"
	"slices"
)

// uniformQuotas is the fast path, for a single class (every member that gets
// anything subscribes to the same topics): O(P + N log N).
//
// Balance: with P partitions over N members the only optimal load vectors give
// q = P/N to every member and one more to r = P mod N of them.
//
// Stickiness: a member keeps min(owned, quota) of its valid owned partitions,
// and nothing better is possible, so the moves are minimal exactly when the r
// larger quotas go to members that own more than q (each such member keeps one
// more). kgroup ranks members by min(owned, q+1), largest first, then by member
// order: the members above the floor first, then the others by how much they
// own, which mirrors the order in which Kafka's ConstrainedAssignmentBuilder
// hands out its extra partitions, without its HashMap order.
func (m *stickyModel) uniformQuotas() (quota []int32, floor int32, extra []int32) {
	cells := m.cellMember // one class: cell k is member cellMember[k]
	n := int32(len(cells))
	q, r := m.numPartitions()/n, m.numPartitions()%n
	quota = make([]int32, n)
	for k := range quota {
		quota[k] = q
	}
	if r == 0 {
		return quota, q, nil
	}
	rank := make([]int32, n)
	for k := range rank {
		rank[k] = int32(k)
	}
	slices.SortStableFunc(rank, func(a, b int32) int {
		return cmp.Compare(min(m.cellOwned[b], q+1), min(m.cellOwned[a], q+1))
	})
	for _, k := range rank[:r] {
		quota[k] = q + 1
	}
	return quota, q, rank[:r]
}
