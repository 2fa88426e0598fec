package sim

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, name, text string, opts Options) *Outcome {
	t.Helper()
	sc, err := Parse(name, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every example runs with no rule broken and every assertion holding: the
// examples are tests of the figures they state.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("examples/*.txt")
	if len(files) < 10 {
		t.Fatalf("found %d examples, want 10", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out := run(t, f, string(b), Options{})
			if len(out.Asserts) == 0 {
				t.Fatal("an example without assertions shows nothing")
			}
			for _, a := range out.Asserts {
				if !a.OK {
					t.Errorf("%s [%s]: %s", a.Text, a.Variant, a.Detail)
				}
			}
		})
	}
}

// The demo passes its own assertions, also with every rule checked after
// every step.
func TestDemoFullChecks(t *testing.T) {
	out := run(t, "demo", Demo, Options{Check: CheckFull})
	if out.Failed() || len(out.Asserts) < 3 {
		t.Fatalf("demo assertions: %+v", out.Asserts)
	}
}

// Same scenario and seed, same bytes: text, JSON, CSV and HTML.
func TestDeterministic(t *testing.T) {
	b, _ := os.ReadFile("examples/08_network_cut.txt")
	render := func() string {
		out := run(t, "cut", string(b), Options{})
		var w bytes.Buffer
		WriteText(&w, out)
		for _, f := range []func(*bytes.Buffer, *Outcome) error{
			func(b *bytes.Buffer, o *Outcome) error { return WriteJSON(b, o) },
			func(b *bytes.Buffer, o *Outcome) error { return WriteCSV(b, o) },
			func(b *bytes.Buffer, o *Outcome) error { return WriteHTML(b, o) }} {
			if err := f(&w, out); err != nil {
				t.Fatal(err)
			}
		}
		return w.String()
	}
	if a, b := render(), render(); a != b {
		t.Fatal("two runs of one scenario with one seed differ")
	}
}

// A different seed draws differently (the seed is not ignored).
func TestSeedMatters(t *testing.T) {
	text := "cluster topics=t:4\nnet rtt=lognormal(5ms,1)\nstart c1 c2\nrun 5s\nproduce t 100/s\nrun 20s\nkill c1\nrun 60s\n"
	a := run(t, "a", "seed 1\n"+text, Options{}).Variants[0].Results[0].Metrics
	b := run(t, "b", "seed 2\n"+text, Options{}).Variants[0].Results[0].Metrics
	if a["join-time-avg"] == b["join-time-avg"] && a["lag-peak"] == b["lag-peak"] {
		t.Fatal("seeds 1 and 2 gave the same run")
	}
}

// A failing assertion is reported as failed, with the values.
func TestAssertionCanFail(t *testing.T) {
	out := run(t, "x", "cluster topics=t:2\nstart c1\nrun 10s\nkill c1\nrun 1s\nassert rebalances > 5\nassert consumers == 1\n", Options{})
	if !out.Failed() || out.Asserts[0].OK || !out.Asserts[1].OK {
		t.Fatalf("%+v", out.Asserts)
	}
	if !strings.Contains(out.Asserts[0].Detail, "rebalances=0") {
		t.Fatalf("detail %q", out.Asserts[0].Detail)
	}
}

// Bad scenarios are errors that name the line, never panics or hangs.
func TestScenarioErrors(t *testing.T) {
	for _, bad := range []string{
		"",
		"start c1",
		"cluster topics=t:1\ncluster topics=t:2",
		"cluster topics=t:1\nteleport c1",
		"cluster topics=t:1\nrun",
		"cluster topics=t:1\nrun -5s",
		"cluster topics=t:1\nrun 2w",
		"cluster topics=t:1\nrun 9999h",
		"cluster topics=t:1\nproduce t fast",
		"cluster topics=t:1\nproduce t",
		"cluster topics=t:1\nfreeze c1",
		"seed x\ncluster topics=t:1",
		"repeat 0\ncluster topics=t:1",
		"repeat 100000\ncluster topics=t:1",
		"vary colour=red,blue\ncluster topics=t:1",
		"variant 9lives assignor=range\ncluster topics=t:1",
		"variant a assignor=range\nvariant a assignor=range\ncluster topics=t:1",
		"variant a assignor=range\nvary session=1s,2s\ncluster topics=t:1",
		"cluster topics=t:1\nassert nothing",
		"cluster topics=t:1\nassert frobs > 1",
		"cluster topics=t:1\nassert nobody.rebalances > 1",
		"cluster topics=t:1\nassert (rebalances > 1",
		"cluster topics=t:1\nassert rebalances > 1 > 2",
		"cluster topics=t:1\nassert rebalances > 1 +-5%",
		"cluster topics=t:1\n#" + strings.Repeat("x", maxLineLen),
	} {
		if _, err := Parse("bad", strings.NewReader(bad)); err == nil {
			t.Errorf("scenario %q parsed", bad)
		}
	}
	for _, bad := range []string{
		"cluster topics=t:1\nstart c1 x=1\nrun 1s",
		"cluster topics=t:1\nstart c1 session=soon\nrun 1s",
		"cluster topics=t:1\napp record=uniform(5ms,1ms)\nrun 1s",
		"cluster topics=t:1\nstart c1\nrun 1s\nstart c1\nrun 1s",
		"cluster topics=t:1\nkill c9\nrun 1s",
		"cluster topics=t:1\nproduce nosuch 5/s",
		"cluster topics=t:1\nnet rtt=warp\nrun 1s",
		"cluster topics=t:1\nstart c1 heartbeat=60s session=10s\nrun 1s",
		"cluster topics=t:1 initial-delay=-1\nrun 1s",
	} {
		sc, err := Parse("bad", strings.NewReader(bad))
		if err != nil {
			continue
		}
		if _, err := Run(sc, Options{}); err == nil || errors.Is(err, ErrRuleBroken) {
			t.Errorf("scenario %q: %v, want a scenario error", bad, err)
		} else if !strings.Contains(err.Error(), "line ") {
			t.Errorf("scenario %q: error %q names no line", bad, err)
		}
	}
}

// The checks still catch broken state machines: a planted bug breaks a
// rule, and the run fails with its variant and seed.
func TestPlantedBugIsCaught(t *testing.T) {
	for _, c := range []struct{ plant, rule string }{
		{"double-assign", "exclusive ownership"},
		{"commit-zero", "offsets"},
		{"skip-ahead", "no loss"},
	} {
		for _, mode := range []CheckMode{CheckEvents, CheckFull} {
			text := "cluster topics=t:4 plant=" + c.plant + "\nstart c1 c2\nrun 10s\nproduce t 100/s\nrun 20s\nstart c3\nrun 30s\n"
			sc, err := Parse("planted", strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(sc, Options{Check: mode})
			if !errors.Is(err, ErrRuleBroken) || !strings.Contains(err.Error(), c.rule) || !strings.Contains(err.Error(), "seed 1") {
				t.Errorf("%s planted, check mode %d: %v", c.plant, mode, err)
			}
		}
	}
}

func TestWarnings(t *testing.T) {
	out := run(t, "w", "cluster topics=t:2\napp record=1s\nstart c1 heartbeat=9s session=10s\nrun 5s\n", Options{})
	w := strings.Join(out.Warnings, "\n")
	if !strings.Contains(w, "a third of session.timeout.ms") || !strings.Contains(w, "max.poll.interval.ms") {
		t.Fatalf("warnings: %s", w)
	}
}

func TestDurationsAndDists(t *testing.T) {
	for s, want := range map[string]float64{"250": 250, "250ms": 250, "1.5s": 1500, "2m": 120000, "1h": 3600000, "300us": 0.3} {
		if v, err := parseDuration(s); err != nil || v != want {
			t.Errorf("%s: %v %v", s, v, err)
		}
	}
	for _, s := range []string{"fixed(2ms)", "uniform(1ms,2ms)", "normal(5ms,1ms)", "lognormal(1ms,0.5)", "exp(3ms)"} {
		d, err := parseDist(s)
		if err != nil || d.Mean() <= 0 {
			t.Errorf("%s: %v %v", s, d, err)
		}
	}
	r := stream(1, "x")
	d, _ := parseDist("uniform(1ms,2ms)")
	for range 1000 {
		if v := d.Sample(r); v < 1 || v > 2 {
			t.Fatalf("uniform sample %v", v)
		}
	}
}

func TestFairShare(t *testing.T) {
	got := fairShare([]int64{10, 1, 0, 10}, 12)
	if got[0]+got[1]+got[2]+got[3] != 12 || got[1] != 1 || got[2] != 0 || got[0] < 5 || got[3] < 5 {
		t.Fatalf("%v", got)
	}
}
