package coordinator

// Kafka's CurrentAssignmentBuilderTest (CABT, group-coordinator's
// modern/consumer package, trunk 1eb7644349cb), test by test, against
// reconcile: the same member, target and partition epochs, the same
// expected member. Kafka's topic ids topicId1 and topicId2 are the topics
// t1 and t2; a withOwnedTopicPartitions left unset is a nil owned.

import (
	"fmt"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// cabMember is ConsumerGroupMember.Builder's fields reconcile reads.
func cabMember(state spec.MemberState, epoch, prev int32, assigned, revoking spec.Assignment) memberAssignment {
	if revoking == nil {
		revoking = spec.Assignment{}
	}
	return memberAssignment{state: state, epoch: epoch, prevEpoch: prev, assigned: assigned, pendingRevocation: revoking}
}

// heldAt is withCurrentPartitionEpoch((topicId, partitionId) -> e).
func heldAt(e int32) func(spec.TopicPartition) int32 {
	return func(spec.TopicPartition) int32 { return e }
}

func fmtMember(a memberAssignment) string {
	return fmt.Sprintf("%s epoch=%d prev=%d assigned=%s revoking=%s", a.state, a.epoch, a.prevEpoch, a.assigned, a.pendingRevocation)
}

// wantReconciled runs reconcile and compares the member it builds.
func wantReconciled(t *testing.T, cur memberAssignment, targetEpoch int32, target spec.Assignment,
	held func(spec.TopicPartition) int32, owned spec.Assignment, want memberAssignment) {
	t.Helper()
	got, code := reconcile(cur, targetEpoch, target, held, owned)
	if code != spec.None {
		t.Fatalf("reconcile: %s, want a member", code)
	}
	if !got.equal(want) {
		t.Fatalf("reconcile:\n got  %s\n want %s", fmtMember(got), fmtMember(want))
	}
}

// CABT.testStableToStable: a new target epoch with the same partitions
// only moves the member to that epoch.
func TestKafkaCABStableToStable(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberStable, 10, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil),
		11, asg("t1", 1, 2, 3, "t2", 4, 5, 6), heldAt(10), nil,
		cabMember(spec.MemberStable, 11, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil))
}

// CABT.testStableToStableWithNewPartitions: free partitions are added at
// once.
func TestKafkaCABStableToStableWithNewPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberStable, 10, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil),
		11, asg("t1", 1, 2, 3, 4, "t2", 4, 5, 6, 7), heldAt(-1), nil,
		cabMember(spec.MemberStable, 11, 10, asg("t1", 1, 2, 3, 4, "t2", 4, 5, 6, 7), nil))
}

// CABT.testStableToUnrevokedPartitions: partitions leaving the target are
// revoked first, at the old epoch, and nothing is added meanwhile.
func TestKafkaCABStableToUnrevokedPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberStable, 10, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil),
		11, asg("t1", 2, 3, 4, "t2", 5, 6, 7), heldAt(-1), nil,
		cabMember(spec.MemberUnrevokedPartitions, 10, 10, asg("t1", 2, 3, "t2", 5, 6), asg("t1", 1, "t2", 4)))
}

// CABT.testStableToUnreleasedPartitions: partitions still held elsewhere
// are withheld; the member moves to the target epoch and waits.
func TestKafkaCABStableToUnreleasedPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberStable, 10, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil),
		11, asg("t1", 1, 2, 3, 4, "t2", 4, 5, 6, 7), heldAt(10), nil,
		cabMember(spec.MemberUnreleasedPartition, 11, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil))
}

// CABT.testStableToUnreleasedPartitionsWithOwnedPartitionsNotHavingRevokedPartitions:
// a partition to revoke that the member reports not owning is dropped
// without a revocation step; the held one is withheld.
func TestKafkaCABStableToUnreleasedPartitionsWithOwnedPartitionsNotHavingRevokedPartitions(t *testing.T) {
	held := func(tp spec.TopicPartition) int32 {
		if tp.Topic == "t2" {
			return 10
		}
		return -1
	}
	wantReconciled(t, cabMember(spec.MemberStable, 10, 10, asg("t1", 1, 2, 3, "t2", 4, 5, 6), nil),
		11, asg("t1", 1, 2, 3, "t2", 4, 5, 7), held, spec.Assignment{},
		cabMember(spec.MemberUnreleasedPartition, 11, 10, asg("t1", 1, 2, 3, "t2", 4, 5), nil))
}

// CABT.testUnrevokedPartitionsToStable: once the member no longer owns
// what it had to revoke, it reaches the target.
func TestKafkaCABUnrevokedPartitionsToStable(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberUnrevokedPartitions, 10, 10, asg("t1", 2, 3, "t2", 5, 6), asg("t1", 1, "t2", 4)),
		11, asg("t1", 2, 3, "t2", 5, 6), heldAt(-1), asg("t1", 2, 3, "t2", 5, 6),
		cabMember(spec.MemberStable, 11, 10, asg("t1", 2, 3, "t2", 5, 6), nil))
}

// CABT.testRemainsInUnrevokedPartitions: a member that did not report its
// partitions, or still reports one to revoke, stays where it is.
func TestKafkaCABRemainsInUnrevokedPartitions(t *testing.T) {
	member := cabMember(spec.MemberUnrevokedPartitions, 10, 10, asg("t1", 2, 3, "t2", 5, 6), asg("t1", 1, "t2", 4))
	for _, owned := range []spec.Assignment{nil, asg("t1", 1, 2, 3, "t2", 5, 6), asg("t1", 2, 3, "t2", 4, 5, 6)} {
		wantReconciled(t, member, 12, asg("t1", 3, "t2", 6), heldAt(-1), owned, member)
	}
}

// CABT.testUnrevokedPartitionsToUnrevokedPartitions: after revoking, a
// newer target asks for more revocations, at epoch+1.
func TestKafkaCABUnrevokedPartitionsToUnrevokedPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberUnrevokedPartitions, 10, 10, asg("t1", 2, 3, "t2", 5, 6), asg("t1", 1, "t2", 4)),
		12, asg("t1", 3, "t2", 6), heldAt(-1), asg("t1", 2, 3, "t2", 5, 6),
		cabMember(spec.MemberUnrevokedPartitions, 11, 10, asg("t1", 3, "t2", 6), asg("t1", 2, "t2", 5)))
}

// CABT.testUnrevokedPartitionsToUnreleasedPartitions: revoked, but the new
// partitions are still held elsewhere.
func TestKafkaCABUnrevokedPartitionsToUnreleasedPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberUnrevokedPartitions, 11, 10, asg("t1", 2, 3, "t2", 5, 6), nil),
		11, asg("t1", 2, 3, 4, "t2", 5, 6, 7), heldAt(10), asg("t1", 2, 3, "t2", 5, 6),
		cabMember(spec.MemberUnreleasedPartition, 11, 11, asg("t1", 2, 3, "t2", 5, 6), nil))
}

// CABT.testUnreleasedPartitionsToStable: a newer target without the
// withheld partitions makes the member stable at it.
func TestKafkaCABUnreleasedPartitionsToStable(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberUnreleasedPartition, 11, 11, asg("t1", 2, 3, "t2", 5, 6), nil),
		12, asg("t1", 2, 3, "t2", 5, 6), heldAt(10), nil,
		cabMember(spec.MemberStable, 12, 11, asg("t1", 2, 3, "t2", 5, 6), nil))
}

// CABT.testUnreleasedPartitionsToStableWithNewPartitions: the withheld
// partitions were released: the member gets them.
func TestKafkaCABUnreleasedPartitionsToStableWithNewPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberUnreleasedPartition, 11, 11, asg("t1", 2, 3, "t2", 5, 6), nil),
		11, asg("t1", 2, 3, 4, "t2", 5, 6, 7), heldAt(-1), nil,
		cabMember(spec.MemberStable, 11, 11, asg("t1", 2, 3, 4, "t2", 5, 6, 7), nil))
}

// CABT.testUnreleasedPartitionsToUnreleasedPartitions: still held: nothing
// changes.
func TestKafkaCABUnreleasedPartitionsToUnreleasedPartitions(t *testing.T) {
	member := cabMember(spec.MemberUnreleasedPartition, 11, 11, asg("t1", 2, 3, "t2", 5, 6), nil)
	wantReconciled(t, member, 11, asg("t1", 2, 3, 4, "t2", 5, 6, 7), heldAt(10), nil, member)
}

// CABT.testUnreleasedPartitionsToUnrevokedPartitions: a newer target takes
// partitions away from a waiting member: it revokes them at its epoch.
func TestKafkaCABUnreleasedPartitionsToUnrevokedPartitions(t *testing.T) {
	wantReconciled(t, cabMember(spec.MemberUnreleasedPartition, 11, 11, asg("t1", 2, 3, "t2", 5, 6), nil),
		12, asg("t1", 3, "t2", 6), heldAt(10), nil,
		cabMember(spec.MemberUnrevokedPartitions, 11, 11, asg("t1", 3, "t2", 6), asg("t1", 2, "t2", 5)))
}

// CABT.testUnknownState: a member in a state this coordinator does not
// know is fenced unless it comes back owning nothing; then it is
// reconciled from scratch to the target.
func TestKafkaCABUnknownState(t *testing.T) {
	member := cabMember(spec.MemberUnknown, 11, 11, asg("t1", 3, "t2", 6), asg("t1", 2, "t2", 5))
	if _, code := reconcile(member, 12, asg("t1", 3, "t2", 6), heldAt(10), nil); code != spec.FencedMemberEpoch {
		t.Fatalf("an UNKNOWN member not reporting its partitions: %s, want FENCED_MEMBER_EPOCH", code)
	}
	wantReconciled(t, member, 12, asg("t1", 3, "t2", 6), heldAt(11), spec.Assignment{},
		cabMember(spec.MemberStable, 12, 11, asg("t1", 3, "t2", 6), nil))
}
