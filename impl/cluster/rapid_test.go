package cluster_test

import (
	"testing"

	"pgregory.net/rapid"
)

// TestRapidClassic runs the random model (model_test.go) under rapid: eager
// and cooperative consumers, static and dynamic, every rule of spec checked
// after every step, convergence demanded at the end. A failing run is shrunk
// and printed as a transcript that `kgroup replay` reproduces; rapid prints
// the seed to run it again.
func TestRapidClassic(t *testing.T) {
	t.Parallel()
	var runs, actions, states int64
	rapid.Check(t, func(rt *rapid.T) {
		m, err := newModel(rapidChooser{rt}, defaultOptions)
		if err != nil {
			rt.Fatal(err)
		}
		err = m.run()
		runs++
		actions += int64(len(m.cl.Actions()))
		states += m.cl.StepsChecked()
		if err != nil {
			rt.Fatalf("%v\ntranscript (save it and run kgroup replay on it):\n%s", err, m.replay())
		}
	})
	t.Logf("%d runs, %d actions, %d states checked against every rule", runs, actions, states)
}
