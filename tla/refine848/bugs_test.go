package refine848

import (
	"errors"
	"github.com/kgroup/kgroup/impl/cluster"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/tla/explore"
)

// TestRefinementCatchesPlantedBugs: with the cluster's rules ignored, the
// refinement check alone rejects a run with a consumer-group bug planted,
// as a step that is not a step of the spec.
func TestRefinementCatchesPlantedBugs(t *testing.T) {
	for _, b := range []mutant.Bug{mutant.CGAssignUnreleased, mutant.CGEpochGoesBack} {
		t.Run(b.String(), func(t *testing.T) {
			cfg, names := scoped(t, explore.Scenario{Consumers: 2, Partitions: 2, Network: "lockstep", Plant: mutant.Of(b)}, false)
			cfg.Setup = inOrder(cfg)
			res, _ := search(t, cfg, names, 20000, true)
			var d *Divergence
			if !errors.As(res.Violation, &d) {
				t.Fatalf("%s planted: no divergence (%v)", b, res.Violation)
			}
			t.Logf("%s: rejected after %d actions:\n%s\n%v", b, res.TraceLength, res.Transcript, strings.TrimSpace(res.Violation.Error()))
		})
	}
}

// inOrder starts the consumers one after the other, each joining before
// the next starts: their member ids are minted in the order of their names
// (see TestFindingMemberOrder).
func inOrder(cfg explore.Config) []string {
	var setup []string
	for i := range cfg.Bounds.Consumers {
		c := &cfg.Bounds.Consumers[i]
		setup = append(setup, cluster.Action{Kind: cluster.ActStart, Node: c.Name, Config: c}.String())
		if i < len(cfg.Bounds.Consumers)-1 {
			setup = append(setup, "deliver "+c.Name+"->coord")
		}
	}
	return setup
}

// TestFindingMemberOrder records a finding: the spec orders members, for
// the range assignor, by <<consumer, n-th id of that consumer>> (byID);
// the coordinator by member id, "consumer-N" with N its counter, that is
// by the order the ids were minted. When c2's join reaches the coordinator
// before c1's, the implementation gives c2 the first range and the spec
// gives it to c1: the step is not a step of the spec. Kafka's member ids
// are random UUIDs, so Kafka's order is arbitrary; the spec is the one too
// narrow (see the report). The check must keep seeing it until the spec
// orders members as the coordinator does.
func TestFindingMemberOrder(t *testing.T) {
	cfg, names := scoped(t, explore.Scenario{Consumers: 2, Partitions: 2, Network: "lockstep"}, false)
	res, _ := search(t, cfg, names, 2000, false)
	var d *Divergence
	if !errors.As(res.Violation, &d) || res.TraceLength != 4 {
		t.Fatalf("want the member-order divergence after 4 actions, got %d: %v", res.TraceLength, res.Violation)
	}
	t.Logf("member order: rejected after %d actions:\n%s\n%v", res.TraceLength, res.Transcript, res.Violation)
}

// TestFindingTimeoutWithAnswerOnTheWire records a finding: on a network
// that delays messages (fifo), a heartbeat's request timeout fires while
// its answer is still on the wire; the spec's RequestTimeout needs the
// request and its answer gone (Orphaned). The late answer is then ignored.
// Kafka's NetworkClient times a request out whatever became of it: the
// spec is the one too narrow.
func TestFindingTimeoutWithAnswerOnTheWire(t *testing.T) {
	cfg, names := scoped(t, explore.Scenario{Consumers: 2, Partitions: 2, Network: "fifo"}, true)
	res, _ := search(t, cfg, names, 5000, false)
	var d *Divergence
	if !errors.As(res.Violation, &d) || d.Step.Kind != cluster.ActFire {
		t.Fatalf("want a request timeout diverging, got %v", res.Violation)
	}
	t.Logf("timeout: rejected after %d actions:\n%s\n%v", res.TraceLength, res.Transcript, res.Violation)
}
