package sim

import (
	_ "embed"
	"encoding/json"
	"io"
	"math"
	"strings"
)

// The HTML page: one self-contained file (no network), the data embedded
// as JSON and drawn as SVG by a small script: per variant, the lag and
// throughput curves and partitions not progressing, the ownership Gantt
// chart (one row per partition, or bands of partitions above maxGanttRows),
// rebalances as shaded bands, and details on hover. The page sets
// data-status="ok" on its body once drawn, and lists script errors in
// #errors (the browser test reads both).

//go:embed report.html
var pageTemplate string

const (
	maxGanttRows = 200
	bandCols     = 600
)

type pageData struct {
	Title    string         `json:"title"`
	Variants []pageVariant  `json:"variants"`
	Asserts  []AssertResult `json:"asserts"`
	Warnings []string       `json:"warnings"`
}

type pageVariant struct {
	Name       string               `json:"name"`
	Settings   string               `json:"settings"`
	Seed       uint64               `json:"seed"`
	Duration   int64                `json:"duration_ms"`
	Consumers  []string             `json:"consumers"`
	Metrics    map[string]jsonFloat `json:"metrics"`
	Rebalances []*Rebalance         `json:"rebalances"`
	At         []int64              `json:"at"`
	Lag        []jsonFloat          `json:"lag"`
	Thru       []jsonFloat          `json:"throughput"` // records per second in each step
	NotProg    []int                `json:"not_progressing"`
	Rows       []pageRow            `json:"rows"`
	Banded     bool                 `json:"banded"`
}

// pageRow is a Gantt row: segments [start, end, owner, state] of one
// partition, or for a band, the share not progressing in each column.
type pageRow struct {
	Label string     `json:"label"`
	Segs  [][4]int64 `json:"segs,omitempty"`
	Share []float64  `json:"share,omitempty"`
}

// WriteHTML writes the page.
func WriteHTML(w io.Writer, o *Outcome) error {
	d := pageData{Title: o.Scenario.Name, Asserts: append([]AssertResult{}, o.Asserts...), Warnings: append([]string{}, o.Warnings...)}
	for _, v := range o.Variants {
		d.Variants = append(d.Variants, pageOf(v))
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	// </script> cannot appear inside the data
	data := strings.ReplaceAll(string(b), "</", "<\\/")
	page := strings.Replace(pageTemplate, "/*DATA*/null", data, 1)
	page = strings.ReplaceAll(page, "<!--TITLE-->", htmlEscape(o.Scenario.Name))
	_, err = io.WriteString(w, page)
	return err
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func pageOf(v *VariantRuns) pageVariant {
	r := v.Results[0]
	p := pageVariant{Name: v.Name, Settings: describeSet(v.Set), Seed: r.Seed, Duration: r.DurationMs, Consumers: r.Consumers,
		Metrics: floats(r.Metrics), Rebalances: append([]*Rebalance{}, r.Rebalances...), At: r.Series.At, NotProg: r.Series.NotProg}
	prev := 0.0
	for i, x := range r.Series.Processed {
		p.Lag = append(p.Lag, jsonFloat(math.Round(r.Series.LagMax[i])))
		p.Thru = append(p.Thru, jsonFloat(math.Round((x-prev)*1000/float64(r.Series.StepMs))))
		prev = x
	}
	if len(r.Gantt) <= maxGanttRows {
		for i, segs := range r.Gantt {
			row := pageRow{Label: r.PerPart[i].Partition}
			for j, s := range segs {
				end := r.DurationMs
				if j+1 < len(segs) {
					end = segs[j+1].At
				}
				row.Segs = append(row.Segs, [4]int64{s.At, end, int64(s.Owner), int64(s.State)})
			}
			p.Rows = append(p.Rows, row)
		}
		return p
	}
	p.Banded = true
	per := (len(r.Gantt) + maxGanttRows - 1) / maxGanttRows
	for lo := 0; lo < len(r.Gantt); lo += per {
		hi := min(len(r.Gantt), lo+per)
		share := make([]float64, bandCols)
		for i := lo; i < hi; i++ {
			for c, x := range cells(r.Gantt[i], r.DurationMs, bandCols) {
				if x < 0 && x != noCell {
					share[c] += 1 / float64(hi-lo)
				}
			}
		}
		for c := range share {
			share[c] = math.Round(share[c]*1000) / 1000
		}
		p.Rows = append(p.Rows, pageRow{Label: r.PerPart[lo].Partition + " +" + itoa(hi-lo-1), Share: share})
	}
	return p
}

func itoa(n int) string { return groupDigits(int64(n)) }
