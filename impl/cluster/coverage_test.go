package cluster_test

import (
	"testing"

	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/spec"
)

// TestModelReachesTheProtocol guards the random model against becoming
// vacuous: over a fixed set of seeded runs it must pass every rule and reach
// the paths the rules are about — rebalances, fencing errors, lost and
// revoked partitions, replayed records, fatal errors. If a change to the
// model stops reaching one, this test says which.
func TestModelReachesTheProtocol(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	maxGen := int32(0)
	for seed := uint64(1); seed <= 1500; seed++ {
		m, err := randmodel.New(randmodel.Seeded(seed), randmodel.Defaults)
		if err != nil {
			t.Fatal(err)
		}
		m.Cl.OnEvent(func(e spec.Event) {
			countEvent(seen, e)
			if c, ok := m.Cl.Classic(e.Node); ok && e.Kind == spec.EvRevoked && c.Protocol() == spec.Cooperative {
				seen["cooperative-revoke"]++
			}
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v\ntranscript:\n%s", seed, err, m.Replay())
		}
		maxGen = max(maxGen, m.Cl.Snapshot().Group.Generation)
		if m.Cl.Ledger().Duplicates > 0 {
			seen["duplicates"]++
		}
		if m.StaticLeaderGap {
			seen["static-leader-metadata-gap"]++
		}
	}
	t.Logf("coverage over 1500 runs: %v, highest generation %d", seen, maxGen)
	for _, want := range []string{
		"UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "REBALANCE_IN_PROGRESS", "MEMBER_ID_REQUIRED",
		"INCONSISTENT_GROUP_PROTOCOL", "assigned", "revoked", "lost", "drop", "duplicates", "failed",
		"PreparingRebalance", "CompletingRebalance", "Stable", "Empty", "cooperative-revoke", "FENCED_INSTANCE_ID",
	} {
		if seen[want] == 0 {
			t.Errorf("no run reached %s", want)
		}
	}
	if maxGen < 4 {
		t.Errorf("no run got past generation %d", maxGen)
	}
}

func countEvent(seen map[string]int, e spec.Event) {
	switch e.Kind {
	case spec.EvDeliver:
		if r, ok := e.Msg.Body.(spec.Response); ok && r.Code() != spec.None {
			seen[r.Code().String()]++
		}
	case spec.EvGroupState:
		seen[e.Detail]++
	case spec.EvFailed:
		seen["failed"]++
		seen[e.Detail]++
	default:
		seen[string(e.Kind)]++
	}
}
