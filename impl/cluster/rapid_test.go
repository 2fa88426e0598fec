package cluster_test

import (
	"testing"

	"pgregory.net/rapid"
)

// TestRapidClassic runs the random model (model_test.go) under rapid: eager
// consumers with range and round-robin, every rule of spec checked after
// every step, convergence demanded at the end. A failing run is shrunk and
// printed with its history; rapid prints the seed to replay it.
func TestRapidClassic(t *testing.T) {
	var runs, actions, states int64
	rapid.Check(t, func(rt *rapid.T) {
		m, err := newModel(rapidChooser{rt}, defaultOptions)
		if err != nil {
			rt.Fatal(err)
		}
		err = m.run()
		runs++
		actions += int64(len(m.trace))
		states += m.cl.StepsChecked()
		if err != nil {
			rt.Fatalf("%v\nhistory:\n%s", err, m.describe())
		}
	})
	t.Logf("%d runs, %d driver actions, %d states checked against every rule", runs, actions, states)
}
