package cgmodel

import (
	"errors"
	"path/filepath"
	"testing"
)

// plantedBugs: each planted bug, the configuration on which the twin
// catches it, and the rule that does (the shortest counterexample's).
var plantedBugs = []struct {
	name string
	bug  Bug
	cfg  string
	rule string
}{
	{"assign-unreleased", BugAssignUnreleased, "ConsumerGroup_tiny.cfg", "CheckHandoff"},
	{"epoch-goes-back", BugEpochGoesBack, "ConsumerGroup_tiny.cfg", "CheckEpochsMonotonic"},
	{"revoke-unacked", BugRevokeUnacked, "ConsumerGroup_drops.cfg", "CheckConsumerReleases"},
	{"keep-on-fence", BugKeepOnFence, "ConsumerGroup_expiry.cfg", "CheckExclusiveOwnership"},
	// Accepting any epoch breaks no rule at these bounds: a consumer's
	// epoch and owned partitions come from its member's answers, so a stale
	// heartbeat the check would fence asks for nothing the member does not
	// hold. The repository finds it by conformance with Kafka only.
	{"skip-epoch-check", BugSkipEpochCheck, "ConsumerGroup_faults.cfg", ""},
}

// TestPlantedBugsAreCaught: with each bug planted the twin finds a
// violation of the rule named, on a shortest path (the one with no rule
// named is explored to the end without one).
func TestPlantedBugsAreCaught(t *testing.T) {
	for _, b := range plantedBugs {
		t.Run(b.name, func(t *testing.T) {
			p, err := ReadConfig(filepath.Join("..", b.cfg))
			if err != nil {
				t.Fatal(err)
			}
			p.Bugs = Bugs(b.bug)
			_, err = Explore(p, Options{Check: true})
			var v *Violation
			if b.rule == "" {
				if err != nil {
					t.Fatalf("%s on %s: %v", b.name, b.cfg, err)
				}
				return
			}
			if !errors.As(err, &v) {
				t.Fatalf("%s on %s: no violation (%v)", b.name, b.cfg, err)
			}
			t.Logf("%s on %s: %s after %d steps", b.name, b.cfg, v.Rule, len(v.Trace)-1)
			if v.Rule != b.rule {
				for i, s := range v.Trace {
					t.Logf("State %d: %s\n%s", i+1, s.Act.Format(), Format(&s.S))
				}
				t.Fatalf("%s: want %s violated, got %s", b.name, b.rule, v.Rule)
			}
		})
	}
}

// TestInvariantsCanFail: each rule rejects a state or step that breaks it.
func TestInvariantsCanFail(t *testing.T) {
	p, err := ReadConfig("../ConsumerGroup_tiny.cfg")
	if err != nil {
		t.Fatal(err)
	}
	s := Init(p)
	s.G.Epoch, s.G.AEpoch = 2, 2
	s.G.Members = []Member{{ID: ID{1, 1}, Ep: 2, Asg: 1, Tgt: 1}, {ID: ID{2, 1}, Ep: 2, Rev: 1, Tgt: 2}}
	if CheckConsumerGroupOwnership(&s) {
		t.Error("CheckConsumerGroupOwnership accepts a partition held by two members")
	}
	s.G.Members[1].Rev = 0
	if !CheckConsumerGroupOwnership(&s) || !CheckConsumerGroupEpochs(&s) {
		t.Fatal("a good state rejected")
	}
	s.G.Members[0].Ep = 3
	if CheckConsumerGroupEpochs(&s) {
		t.Error("CheckConsumerGroupEpochs accepts a member ahead of the target")
	}
	s.G.Members[0].Ep, s.G.AEpoch = 2, 3
	if CheckConsumerGroupEpochs(&s) {
		t.Error("CheckConsumerGroupEpochs accepts a target ahead of the group")
	}
	s.G.AEpoch = 2
	for c := range s.C {
		s.C[c] = Consumer{St: Stable, Mid: s.G.Members[c].ID, Ep: 2, Owned: 1}
	}
	if CheckExclusiveOwnership(&s) {
		t.Error("CheckExclusiveOwnership accepts two owners")
	}
	n := s.Clone()
	n.G.Epoch = 1
	if CheckEpochsMonotonic(&s, &n) {
		t.Error("CheckEpochsMonotonic accepts the group epoch going back")
	}
	n = s.Clone()
	n.G.Members[1].Asg = 1
	if CheckHandoff(&s, &n) {
		t.Error("CheckHandoff accepts a partition given while another member holds it")
	}
	n = s.Clone()
	n.G.Members[0].Asg = 0
	if CheckConsumerReleases(&s, &n) {
		t.Error("CheckConsumerReleases accepts a release its consumer did not make")
	}
}

// TestConvergedReachable is the twin's weaker stand-in for TLC's check of
// Convergence under LiveSpec: from every reachable state some Converged
// state is reachable (no state of the group is a trap).
func TestConvergedReachable(t *testing.T) {
	for _, name := range []string{"tiny", "small", "drops", "expiry"} {
		p, err := ReadConfig("../ConsumerGroup_" + name + ".cfg")
		if err != nil {
			t.Fatal(err)
		}
		index := map[string]int{}
		var states []State
		var preds [][]int
		var good []int
		visit := func(s State) int {
			k := string(s.AppendState(nil))
			if i, ok := index[k]; ok {
				return i
			}
			index[k] = len(states)
			states = append(states, s)
			preds = append(preds, nil)
			if Converged(p, &s) {
				good = append(good, len(states)-1)
			}
			return len(states) - 1
		}
		visit(Init(p))
		for i := 0; i < len(states); i++ {
			for _, sc := range Successors(p, states[i]) {
				j := visit(sc.S)
				preds[j] = append(preds[j], i)
			}
		}
		reach := make([]bool, len(states))
		for _, g := range good {
			reach[g] = true
		}
		for q := good; len(q) > 0; q = q[1:] {
			for _, i := range preds[q[0]] {
				if !reach[i] {
					reach[i] = true
					q = append(q, i)
				}
			}
		}
		for i, ok := range reach {
			if !ok {
				t.Fatalf("%s: no Converged state is reachable from\n%s", name, Format(&states[i]))
			}
		}
		t.Logf("%s: %d states, %d converged, each reaches one", name, len(states), len(good))
	}
}
