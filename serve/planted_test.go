package serve

import (
	"testing"
	"time"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/spec"
)

// TestLiveChecksCatchPlantedBugs: each bug planted in the coordinator that
// a server can see is caught on live traffic, by the rule it breaks, and
// the same traffic without the bug breaks nothing. Bugs that only a
// history shows are caught by kgroup check on the server's history.
func TestLiveChecksCatchPlantedBugs(t *testing.T) {
	twoMembers := func(t *testing.T, s *Server) {
		a := &member{rawClient: dial(t, s, "a"), group: "g"}
		b := &member{rawClient: dial(t, s, "b"), group: "g"}
		a.join("range", subscription(t, nil, "t")) // alone: generation 1
		a.sync(map[string][]byte{a.id: assignment(t, spec.Assignment{"t": {0, 1, 2, 3}})})
		done := make(chan struct{})
		go func() { defer close(done); b.join("range", subscription(t, nil, "t")) }()
		waitEvent(t, s, func(e Event) bool {
			return e.Kind == "transition" && e.From == "Stable" && e.To == "PreparingRebalance"
		})
		a.join("range", subscription(t, nil, "t"))
		<-done
		synced := make(chan struct{})
		go func() { defer close(synced); b.sync(nil) }()
		a.sync(map[string][]byte{a.id: assignment(t, spec.Assignment{"t": {0, 1}}), b.id: assignment(t, spec.Assignment{"t": {2, 3}})})
		<-synced
	}
	staleCommit := func(t *testing.T, s *Server) {
		m := stableGroup(t, s, "g")
		m.commit(m.gen+5, 0, 1)
	}
	failoverCommit := func(t *testing.T, s *Server) {
		m := stableGroup(t, s, "g")
		m.commit(m.gen, 0, 7)
		must(t, s.Inject(Fault{Kind: "move", Delay: 50 * time.Millisecond}))
		waitEvent(t, s, func(e Event) bool { return e.Kind == "failover" })
		m.fetchOffset(0)
	}
	commitThenFetch := func(t *testing.T, s *Server) {
		m := stableGroup(t, s, "g")
		m.commit(m.gen, 0, 3)
		m.fetchOffset(0)
		m.commit(m.gen, 0, 5)
		m.fetchOffset(0)
	}
	cases := []struct {
		bug      mutant.Bug
		run      func(*testing.T, *Server)
		rule     string // "" : only the history shows it
		settleMs int
	}{
		{mutant.AcceptStaleCommit, staleCommit, ruleFencing, 0},
		{mutant.SkipGenerationBump, twoMembers, ruleGenerations, 0},
		{mutant.DoubleAssign, twoMembers, ruleAssignment, 0},
		{mutant.ForgetGroupRecord, twoMembers, ruleRebuild, 0},
		{mutant.UnpersistedCommit, failoverCommit, ruleOffsets, 0},
		{mutant.StaleFetchCache, commitThenFetch, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			for _, planted := range []bool{false, true} {
				cfg := testConfig()
				if planted {
					cfg.Coordinator.Bugs = mutant.Of(tc.bug)
				}
				s := start(t, cfg)
				tc.run(t, s)
				ops, err := s.History()
				must(t, err)
				res := linearizability.Check(ops, linearizability.Options{})
				broken := map[string]bool{}
				for _, v := range s.Violations() {
					broken[v.Rule] = true
				}
				switch {
				case !planted && (len(broken) > 0 || res.Verdict != linearizability.Ok):
					t.Fatalf("without the bug: %v, history %v\n%s", s.Violations(), res.Verdict, eventsText(s))
				case planted && tc.rule != "" && !broken[tc.rule]:
					t.Fatalf("%s not caught by %s: %v\n%s", tc.bug, tc.rule, s.Violations(), eventsText(s))
				case planted && tc.rule == "" && res.Verdict != linearizability.Illegal:
					t.Fatalf("%s: the history checks %v", tc.bug, res.Verdict)
				}
				s.Close()
			}
		})
	}
}

// TestLiveChecksCatchPlantedConsumerGroupBugs: each consumer-group bug
// planted in the coordinator is caught on live KIP-848 traffic by the rule
// it breaks, and the same traffic without the bug breaks nothing. The
// traffic: a member joins, a second joins, and each heartbeats (reporting
// as owned what it was last assigned) until both are reconciled.
func TestLiveChecksCatchPlantedConsumerGroupBugs(t *testing.T) {
	rules := map[mutant.Bug]string{mutant.CGAssignUnreleased: ruleCGOwnership, mutant.CGEpochGoesBack: ruleCGEpochs}
	// cg-skip-epoch-check needs a zombie, which this traffic has not: the
	// coordinator's conformance test and the cluster's random model catch it.
	for _, bug := range []mutant.Bug{mutant.CGAssignUnreleased, mutant.CGEpochGoesBack} {
		t.Run(bug.String(), func(t *testing.T) {
			for _, planted := range []bool{false, true} {
				cfg := testConfig()
				if planted {
					cfg.Coordinator.Bugs = mutant.Of(bug)
				}
				s := start(t, cfg)
				m1, m2 := newCGMember(t, s, "g", "m1"), newCGMember(t, s, "g", "m2")
				m1.beat()
				for range 4 {
					m2.beat()
					m1.beat()
				}
				broken := map[string]bool{}
				for _, v := range s.Violations() {
					broken[v.Rule] = true
				}
				switch {
				case !planted && len(broken) > 0:
					t.Fatalf("without the bug: %v\n%s", s.Violations(), eventsText(s))
				case !planted:
					if v := cgView(t, s, "g"); v.State != spec.CGStable {
						t.Fatalf("without the bug the group did not settle: %+v", v)
					}
				case !broken[rules[bug]]:
					t.Fatalf("%s not caught by %s: %v\n%s", bug, rules[bug], s.Violations(), eventsText(s))
				default:
					t.Logf("caught: %s", s.Violations()[0])
				}
				s.Close()
			}
		})
	}
}
