package cluster_test

import (
	"testing"

	"github.com/kgroup/kgroup/internal/randmodel"
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
		m, err := randmodel.New(randmodel.Rapid{T: rt}, randmodel.Defaults)
		if err != nil {
			rt.Fatal(err)
		}
		err = m.Run()
		runs++
		actions += int64(len(m.Cl.Actions()))
		states += m.Cl.StepsChecked()
		if err != nil {
			rt.Fatalf("%v\ntranscript (save it and run kgroup replay on it):\n%s", err, m.Replay())
		}
	})
	t.Logf("%d runs, %d actions, %d states checked against every rule", runs, actions, states)
}
