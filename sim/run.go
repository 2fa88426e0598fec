package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Outcome is everything a scenario's runs produced.
type Outcome struct {
	Scenario *Scenario
	Variants []*VariantRuns
	Asserts  []AssertResult
	Warnings []string
}

// VariantRuns are the runs of one variant (one per seed) and their metrics
// over the seeds.
type VariantRuns struct {
	Name    string
	Set     map[string]string
	Results []*Result
	// Stats holds every metric: the value (the mean over seeds) and, with
	// repeat, METRIC.p50 .p95 .p99 .min .max .mean.
	Stats map[string]float64
}

// Failed reports whether an assertion failed.
func (o *Outcome) Failed() bool {
	return slices.ContainsFunc(o.Asserts, func(a AssertResult) bool { return !a.OK })
}

// Run runs every variant of sc, Repeat times each, and checks its
// assertions. An error is a run that could not go on: a command that
// failed or a rule of spec broken; it names the variant and the seed.
func Run(sc *Scenario, opts Options) (*Outcome, error) {
	out := &Outcome{Scenario: sc}
	for _, v := range sc.Variants {
		vr := &VariantRuns{Name: v.Name, Set: v.Set}
		for i := range sc.Repeat {
			seed := sc.Seed + uint64(i)
			r, err := runOne(sc, v, seed, opts)
			if err != nil {
				return out, fmt.Errorf("%s, variant %s, seed %d: %w", sc.Name, v.Name, seed, err)
			}
			vr.Results = append(vr.Results, r)
		}
		vr.Stats = aggregate(vr.Results)
		out.Variants = append(out.Variants, vr)
	}
	for _, r := range out.Variants[0].Results[:1] {
		out.Warnings = append(out.Warnings, r.Warnings...)
	}
	out.Asserts = evalAsserts(sc, out)
	return out, nil
}

// ErrRuleBroken marks a run's error as a broken rule of spec, a bug in the
// state machines; every other error of Run is the scenario's.
var ErrRuleBroken = errors.New("a rule was broken")

// runOne is one run of one variant with one seed.
func runOne(sc *Scenario, v Variant, seed uint64, opts Options) (*Result, error) {
	e := &engine{sc: sc, variant: v, seed: seed, opts: opts, net: newNet(seed), w: newWorkload(),
		procs: map[string]*proc{}, appDef: defaultApp()}
	e.ob = newObserver(e)
	e.w.series = newSeries(sc.endMs)
	for _, l := range sc.lines {
		if err := e.exec(l); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", l.n, l.text, err)
		}
		if e.err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", l.n, l.text, e.err)
		}
	}
	if e.cl == nil {
		return nil, fmt.Errorf("no cluster line")
	}
	e.w.before(e, e.now())
	e.cl.CheckNow()
	if v := e.cl.Violation(); v != nil {
		return nil, fmt.Errorf("%w: %w", ErrRuleBroken, v)
	}
	return e.result(), nil
}

// aggregate computes each metric over the seeds.
func aggregate(rs []*Result) map[string]float64 {
	names := map[string]bool{}
	for _, r := range rs {
		for k := range r.Metrics {
			names[k] = true
		}
	}
	out := map[string]float64{}
	for k := range names {
		var vals []float64
		for _, r := range rs {
			if v, ok := r.Metrics[k]; ok {
				vals = append(vals, v)
			}
		}
		sort.Float64s(vals)
		sum := 0.0
		for _, v := range vals {
			sum += v
		}
		mean := sum / float64(len(vals))
		out[k], out[k+".mean"] = mean, mean
		out[k+".min"], out[k+".max"] = vals[0], vals[len(vals)-1]
		for _, q := range []int{50, 95, 99} {
			out[fmt.Sprintf("%s.p%d", k, q)] = percentile(vals, float64(q))
		}
	}
	return out
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
