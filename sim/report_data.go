package sim

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Combine puts two scenarios' outcomes side by side (kgroup sim --compare):
// each variant is named after its file.
func Combine(a, b *Outcome) *Outcome {
	sc := *a.Scenario
	sc.Name = a.Scenario.Name + " vs " + b.Scenario.Name
	sc.Repeat = max(a.Scenario.Repeat, b.Scenario.Repeat)
	out := &Outcome{Scenario: &sc}
	for _, o := range []*Outcome{a, b} {
		base := strings.TrimSuffix(filepath.Base(o.Scenario.Name), ".txt")
		for _, v := range o.Variants {
			c := *v
			c.Name = base
			if len(o.Variants) > 1 {
				c.Name += "." + v.Name
			}
			out.Variants = append(out.Variants, &c)
		}
		out.Asserts = append(out.Asserts, o.Asserts...)
		out.Warnings = append(out.Warnings, o.Warnings...)
	}
	return out
}

// jsonFloat writes Inf as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(float64(f), 'g', -1, 64)), nil
}

func floats(m map[string]float64) map[string]jsonFloat {
	out := make(map[string]jsonFloat, len(m))
	for k, v := range m {
		out[k] = jsonFloat(v)
	}
	return out
}

type resultJSON struct {
	*Result
	Metrics map[string]jsonFloat `json:"metrics"`
	Series  seriesJSON           `json:"series"`
	Gantt   []ganttRow           `json:"gantt"`
}

type seriesJSON struct {
	Series
	Lag    []jsonFloat `json:"lag"`
	LagMax []jsonFloat `json:"lag_max"`
}

type ganttRow struct {
	Partition string   `json:"partition"`
	Segments  [][3]any `json:"segments"` // [start ms, owner index or -1, state]
}

func toJSON(r *Result) resultJSON {
	out := resultJSON{Result: r, Metrics: floats(r.Metrics), Series: seriesJSON{Series: r.Series}}
	for _, v := range r.Series.Lag {
		out.Series.Lag = append(out.Series.Lag, jsonFloat(math.Round(v)))
	}
	for _, v := range r.Series.LagMax {
		out.Series.LagMax = append(out.Series.LagMax, jsonFloat(math.Round(v)))
	}
	for i, segs := range r.Gantt {
		row := ganttRow{Partition: r.PerPart[i].Partition, Segments: [][3]any{}}
		for _, s := range segs {
			row.Segments = append(row.Segments, [3]any{s.At, s.Owner, stateNames[s.State]})
		}
		out.Gantt = append(out.Gantt, row)
	}
	return out
}

type outcomeJSON struct {
	Scenario string         `json:"scenario"`
	Seed     uint64         `json:"seed"`
	Repeat   int            `json:"repeat"`
	Variants []variantJSON  `json:"variants"`
	Asserts  []AssertResult `json:"asserts"`
	Warnings []string       `json:"warnings"`
}

type variantJSON struct {
	Name  string               `json:"name"`
	Set   map[string]string    `json:"settings"`
	Stats map[string]jsonFloat `json:"stats"`
	Runs  []resultJSON         `json:"runs"`
}

func outcomeData(o *Outcome) outcomeJSON {
	out := outcomeJSON{Scenario: o.Scenario.Name, Seed: o.Scenario.Seed, Repeat: o.Scenario.Repeat,
		Asserts: o.Asserts, Warnings: o.Warnings}
	if out.Asserts == nil {
		out.Asserts = []AssertResult{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, v := range o.Variants {
		vj := variantJSON{Name: v.Name, Set: v.Set, Stats: floats(v.Stats)}
		for _, r := range v.Results {
			vj.Runs = append(vj.Runs, toJSON(r))
		}
		out.Variants = append(out.Variants, vj)
	}
	return out
}

// WriteJSON writes every run: rebalances, metrics, per-partition costs,
// duplicates by cause, the curves, the Gantt rows and the timeline. Keys
// are sorted (encoding/json sorts map keys), so the same runs give the same
// bytes.
func WriteJSON(w io.Writer, o *Outcome) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(outcomeData(o))
}

// WriteCSV writes the curves of every run, one row per step:
// variant,seed,at_ms,lag,lag_max,produced,processed,partitions_not_progressing.
func WriteCSV(w io.Writer, o *Outcome) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"variant", "seed", "at_ms", "lag", "lag_max", "produced", "processed", "partitions_not_progressing"})
	f := func(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }
	for _, v := range o.Variants {
		for _, r := range v.Results {
			s := r.Series
			for i := range s.At {
				cw.Write([]string{v.Name, strconv.FormatUint(r.Seed, 10), strconv.FormatInt(s.At[i], 10), f(s.Lag[i]), f(s.LagMax[i]),
					f(s.Produced[i]), f(s.Processed[i]), strconv.Itoa(s.NotProg[i])})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
