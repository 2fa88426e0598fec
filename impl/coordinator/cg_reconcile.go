package coordinator

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// reconcile is Kafka's CurrentAssignmentBuilder.build: the member's next
// step towards its target assignment at targetEpoch. owned are the
// partitions the member reported owning in this heartbeat, nil when it
// did not report them; held gives the epoch of the member holding a
// partition, -1 when none does. It returns FencedMemberEpoch for a member
// in Kafka's UNKNOWN state that does not come back empty-handed.
func reconcile(cur memberAssignment, targetEpoch int32, target spec.Assignment,
	held func(spec.TopicPartition) int32, owned spec.Assignment) (memberAssignment, spec.ErrorCode) {
	switch cur.state {
	case spec.MemberStable:
		if cur.epoch == targetEpoch {
			return cur, spec.None
		}
		return nextAssignment(cur, cur.epoch, targetEpoch, target, held, owned), spec.None
	case spec.MemberUnrevokedPartitions:
		if ownsAny(owned, cur.pendingRevocation) {
			return cur, spec.None
		}
		return nextAssignment(cur, cur.epoch+1, targetEpoch, target, held, owned), spec.None
	case spec.MemberUnreleasedPartition:
		return nextAssignment(cur, cur.epoch, targetEpoch, target, held, owned), spec.None
	case spec.MemberUnknown:
		if owned == nil || owned.Len() > 0 {
			return cur, spec.FencedMemberEpoch
		}
		return nextAssignment(cur, targetEpoch, targetEpoch, target, held, owned), spec.None
	}
	return cur, spec.None
}

// ownsAny is CurrentAssignmentBuilder.ownsRevokedPartitions: whether the
// member still owns one of the partitions; not reporting what it owns
// counts as owning them.
func ownsAny(owned, partitions spec.Assignment) bool {
	if owned == nil {
		return true
	}
	for t, ps := range owned {
		for _, p := range ps {
			if slices.Contains(partitions[t], p) {
				return true
			}
		}
	}
	return false
}

// nextAssignment is CurrentAssignmentBuilder.computeNextAssignment: keep
// what the target keeps, revoke the rest, add what the target adds unless
// another member still holds it (unreleased).
func nextAssignment(cur memberAssignment, epoch, targetEpoch int32, target spec.Assignment,
	held func(spec.TopicPartition) int32, owned spec.Assignment) memberAssignment {
	keep, revoke, add := spec.Assignment{}, spec.Assignment{}, spec.Assignment{}
	unreleased := false
	for _, t := range topicsOf(target, cur.assigned) {
		for _, p := range cur.assigned[t] {
			if slices.Contains(target[t], p) {
				keep[t] = append(keep[t], p)
			} else {
				revoke[t] = append(revoke[t], p)
			}
		}
		for _, p := range target[t] {
			switch {
			case slices.Contains(keep[t], p):
			case held(spec.TopicPartition{Topic: t, Partition: p}) != -1:
				unreleased = true
			default:
				add[t] = append(add[t], p)
			}
		}
	}
	next := memberAssignment{prevEpoch: cur.epoch, pendingRevocation: spec.Assignment{}}
	switch {
	case revoke.Len() > 0 && ownsAny(owned, revoke):
		next.state, next.epoch, next.assigned, next.pendingRevocation = spec.MemberUnrevokedPartitions, epoch, keep, revoke
	case add.Len() > 0:
		for t, ps := range add {
			keep[t] = append(keep[t], ps...)
		}
		next.state, next.epoch, next.assigned = spec.MemberStable, targetEpoch, keep
		if unreleased {
			next.state = spec.MemberUnreleasedPartition
		}
	case unreleased:
		next.state, next.epoch, next.assigned = spec.MemberUnreleasedPartition, targetEpoch, keep
	default:
		next.state, next.epoch, next.assigned = spec.MemberStable, targetEpoch, keep
	}
	next.assigned.Normalize()
	next.pendingRevocation.Normalize()
	return next
}

// topicsOf is the sorted union of the assignments' topics.
func topicsOf(a, b spec.Assignment) []string {
	ts := make([]string, 0, len(a)+len(b))
	for t := range a {
		ts = append(ts, t)
	}
	for t := range b {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}
