package sim

import (
	"bytes"
	"strings"
	"testing"
)

// Same scenario, same bytes: the simulator has no hidden source of
// nondeterminism.
func TestDemoIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Run(strings.NewReader(Demo), &a); err != nil {
		t.Fatal(err)
	}
	if err := Run(strings.NewReader(Demo), &b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("two runs of the demo differ")
	}
}

func TestScenarioErrors(t *testing.T) {
	for _, bad := range []string{
		"run 1000",                         // no cluster
		"cluster topics=t:1\nrate -3",      // bad number
		"cluster topics=t:1\nrun",          // missing argument
		"cluster topics=t:1\nstart c1 x=1", // unknown option
		"cluster topics=t:1\nteleport c1",  // unknown command
	} {
		if err := Run(strings.NewReader(bad), &bytes.Buffer{}); err == nil {
			t.Errorf("scenario %q ran without error", bad)
		}
	}
}
