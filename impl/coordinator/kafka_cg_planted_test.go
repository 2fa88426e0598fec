package coordinator

// The planted consumer group bugs (internal/mutant) against the checks
// that catch them here: spec's consumer group rules on the coordinator's
// views, and the epoch validation conformance test. (The cluster's random
// model catches them too: impl/cluster's TestCheckersCatchPlantedBugs.)

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

func newPlantedCGHarness(t *testing.T, bug mutant.Bug, topics map[string]int32) *cgHarness {
	t.Helper()
	h := newCGHarness(t, topics)
	h.c.cfg.Bugs = mutant.Of(bug) // Load in replay keeps the configuration
	return h
}

// TestPlantedConsumerGroupBugs: each consumer group bug is caught.
func TestPlantedConsumerGroupBugs(t *testing.T) {
	if got := mutant.ConsumerGroupOnly(); len(got) != 4 {
		t.Fatalf("ConsumerGroupOnly lists %v: give each a case here", got)
	}

	// CGAssignUnreleased: in GMMT.testReconciliationProcess the newcomer m3
	// is handed foo[4 5] bar[1] while m1 and m2 still hold them (the bug
	// also keeps no partition epochs, so the coordinator's own replay check
	// is blind to it); spec.CheckConsumerGroup sees a partition held twice.
	t.Run(mutant.CGAssignUnreleased.String(), func(t *testing.T) {
		h := newPlantedCGHarness(t, mutant.CGAssignUnreleased, map[string]int32{"foo": 6, "bar": 3})
		h.withGroup(twoMembers(false, false))
		h.mock.plan = map[string]spec.Assignment{
			"m1": asg("foo", 0, 1, "bar", 0), "m2": asg("foo", 2, 3, "bar", 2), "m3": asg("foo", 4, 5, "bar", 1)}
		if _, err := h.c.Step(h.now, spec.Message{From: "client", Correlation: 1,
			Body: cgJoin("fooup", "m3", "foo", "bar").assignor("range").req()}); err != nil {
			t.Fatal(err)
		}
		v, _ := h.c.DescribeConsumerGroup("fooup")
		err := spec.CheckConsumerGroup(v)
		if err == nil || !strings.Contains(err.Error(), "ownership: ") {
			t.Fatalf("the join of m3 with the bug planted: %v, want the ownership rule", err)
		}
		t.Logf("caught: %v", err)
		// Without it the same join leaves m3 waiting (see
		// TestKafkaCGReconciliationProcess).
	})

	// CGEpochGoesBack: a member waiting for unreleased partitions gets them
	// at the epoch before its own; spec.CheckConsumerGroupStep sees the
	// member's epoch go back.
	t.Run(mutant.CGEpochGoesBack.String(), func(t *testing.T) {
		h := newPlantedCGHarness(t, mutant.CGEpochGoesBack, map[string]int32{"foo": 2})
		h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1)}
		h.beatOK(cgJoin("g", "m1", "foo").req())
		h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0), "m2": asg("foo", 1)}
		h.beatOK(cgJoin("g", "m2", "foo").req())
		h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0, 1)).req())
		h.beatOK(cgBeat("g", "m1", 1).owned(asg("foo", 0)).req())
		prev, _ := h.c.DescribeConsumerGroup("g")
		h.beatOK(cgBeat("g", "m2", 2).req())
		next, _ := h.c.DescribeConsumerGroup("g")
		err := spec.CheckConsumerGroupStep(prev, next)
		if err == nil || !strings.Contains(err.Error(), "epochs: member m2 went back") {
			t.Fatalf("m2 getting its released partition with the bug planted: %v, want the epochs rule", err)
		}
		t.Logf("caught: %v", err)
	})

	// CGSkipEpochCheck: the conformance body of
	// GMMT.testConsumerGroupMemberEpochValidation wants FENCED_MEMBER_EPOCH
	// for an epoch ahead of the member's; with the bug it is accepted.
	t.Run(mutant.CGSkipEpochCheck.String(), func(t *testing.T) {
		h := newPlantedCGHarness(t, mutant.CGSkipEpochCheck, map[string]int32{})
		h.replay(epochValidationRecords("")...)
		for _, epoch := range []int32{200, 50, 99} {
			resp := h.beat(cgBeat("fooup", "m", epoch).rebalance(5000).topics("foo", "bar").req())
			if resp.ErrorCode == spec.FencedMemberEpoch {
				t.Fatalf("epoch %d: fenced with the bug planted", epoch)
			}
			t.Logf("caught: epoch %d of a member at 100 answered %s, Kafka's test wants FENCED_MEMBER_EPOCH", epoch, resp.ErrorCode)
		}
	})

	// CGRevokeUnacked: m1 must give up part of what it holds when m2 joins;
	// with the bug the coordinator releases it on a report that still has
	// it, which spec.CheckConsumerReleases refuses.
	t.Run(mutant.CGRevokeUnacked.String(), func(t *testing.T) {
		h := newPlantedCGHarness(t, mutant.CGRevokeUnacked, map[string]int32{"foo": 2})
		h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0, 1)}
		h.beatOK(cgJoin("g", "m1", "foo").req())
		h.mock.plan = map[string]spec.Assignment{"m1": asg("foo", 0), "m2": asg("foo", 1)}
		h.beatOK(cgJoin("g", "m2", "foo").req())
		prev, _ := h.c.DescribeConsumerGroup("g")
		report := asg("foo", 0, 1)
		h.beatOK(cgBeat("g", "m1", 1).owned(report).req())
		next, _ := h.c.DescribeConsumerGroup("g")
		err := spec.CheckConsumerReleases(prev, next, map[string]spec.Assignment{"m1": report})
		if err == nil || !strings.Contains(err.Error(), "did not report giving it up") {
			t.Fatalf("m1 reporting foo[0 1] with the bug planted: %v, want the handoff rule", err)
		}
		t.Logf("caught: %v", err)
	})
}
