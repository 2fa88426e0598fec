package cluster_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/tla/refine"
)

// TestRapidClassic runs the random model (internal/randmodel) under rapid:
// eager and cooperative consumers, static and dynamic, every rule of spec
// checked after every step, convergence demanded at the end, and the history
// of commits and fetches checked for linearizability, and every step checked
// to be a step of tla/ClassicGroup.tla (tla/refine). A failing run is
// shrunk and printed as a transcript that `kgroup replay` reproduces; rapid
// prints the seed to run it again.
func TestRapidClassic(t *testing.T) {
	t.Parallel()
	var runs, actions, states, ops int64
	rapid.Check(t, func(rt *rapid.T) {
		m, err := randmodel.New(randmodel.Rapid{T: rt}, randmodel.Defaults)
		if err != nil {
			rt.Fatal(err)
		}
		rec := linearizability.Record(m.Cl)
		ref := refine.New()
		ref.Attach(m.Cl)
		err = m.Run()
		if err == nil {
			err = ref.Err()
		}
		if err == nil {
			h := rec.History()
			ops += int64(len(h))
			if res := linearizability.Check(h, linearizability.Options{}); res.Verdict != linearizability.Ok {
				err = fmt.Errorf("the history of commits and fetches is %s at %s", res.Verdict, res.Register)
			}
		}
		runs++
		actions += int64(len(m.Cl.Actions()))
		states += m.Cl.StepsChecked()
		if err != nil {
			rt.Fatalf("%v\ntranscript (save it and run kgroup replay on it):\n%s", err, m.Replay())
		}
	})
	t.Logf("%d runs, %d actions, %d states checked against every rule, %d operations checked for linearizability", runs, actions, states, ops)
}

// TestRapidConsumerGroups is the random model with KIP-848 consumer groups
// in a third of the runs (randmodel.Options.ConsumerGroups): the same
// faults, every rule checked after every step (for consumer groups, the
// rules of spec/cg_rules.go and the record-replay check), convergence
// demanded at the end, and the history of commits and fetches checked for
// linearizability.
func TestRapidConsumerGroups(t *testing.T) {
	t.Parallel()
	opts := randmodel.Defaults
	opts.ConsumerGroups = true
	var runs, cgRuns, states int64
	rapid.Check(t, func(rt *rapid.T) {
		m, err := randmodel.New(randmodel.Rapid{T: rt}, opts)
		if err != nil {
			rt.Fatal(err)
		}
		rec := linearizability.Record(m.Cl)
		err = m.Run()
		if err == nil {
			if res := linearizability.Check(rec.History(), linearizability.Options{}); res.Verdict != linearizability.Ok {
				err = fmt.Errorf("the history of commits and fetches is %s at %s", res.Verdict, res.Register)
			}
		}
		runs++
		if m.ConsumerGroup() {
			cgRuns++
		}
		states += m.Cl.StepsChecked()
		if err != nil {
			rt.Fatalf("%v\ntranscript (save it and run kgroup replay on it):\n%s", err, m.Replay())
		}
	})
	t.Logf("%d runs (%d of consumer groups), %d states checked against every rule", runs, cgRuns, states)
}
