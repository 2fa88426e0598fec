package sim

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// cells marks, for one partition, each chart column with what it was doing
// there: the owner's index while progressing, or -1-state; a column in
// which it stopped progressing at any moment shows the stop (so a 2 s pause
// in an hour is not lost between columns); blank is noBlank before the
// partition counted.
func cells(segs []seg, end int64, cols int) []int32 {
	out := make([]int32, cols)
	stop := make([]int32, cols)
	for i := range out {
		out[i], stop[i] = noCell, 0
	}
	colOf := func(t int64) int { return max(0, min(cols-1, int(t*int64(cols)/max(1, end)))) }
	for i, s := range segs {
		to := end
		if i+1 < len(segs) {
			to = segs[i+1].At
		}
		c0, c1 := colOf(s.At), colOf(max(s.At, to-1))
		if to <= s.At {
			c1 = c0
		}
		for c := c0; c <= c1; c++ {
			if s.State != stProgress {
				if stop[c] == 0 {
					stop[c] = -1 - int32(s.State)
				}
			} else if to > s.At {
				out[c] = s.Owner
			}
		}
	}
	for c := range out {
		if stop[c] != 0 {
			out[c] = stop[c]
		}
	}
	return out
}

// noCell is a column before the partition was counted.
const noCell = math.MinInt32

var stateMark = map[int32]byte{-1 - int32(stUnowned): '_', -1 - int32(stRebalance): '~', -1 - int32(stStalled): '!'}

func writeChart(w io.Writer, r *Result) {
	if r.DurationMs <= 0 || len(r.Gantt) == 0 {
		return
	}
	fmt.Fprintf(w, "\nchart: 0s to %s, %s per column\n", formatMs(float64(r.DurationMs)), formatMs(float64(r.DurationMs)/chartCols))
	fmt.Fprintf(w, "  %-14s %s\n", "not progressing", spark(r.Series.At, toF(r.Series.NotProg), r.DurationMs, r.Partitions))
	fmt.Fprintf(w, "  %-14s %s\n", "total lag", spark(r.Series.At, r.Series.LagMax, r.DurationMs, -1))
	if len(r.Gantt) <= maxRows {
		writeOwnerRows(w, r)
	} else {
		writeBands(w, r)
	}
}

func toF(v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// spark draws the highest value of each column; full is the top of the
// scale (-1: the highest value).
func spark(at []int64, v []float64, end int64, full int) string {
	col := make([]float64, chartCols)
	for i, t := range at {
		c := min(chartCols-1, int((t-1)*chartCols/max(1, end)))
		col[c] = math.Max(col[c], v[i])
	}
	top := float64(full)
	if full < 0 {
		for _, x := range col {
			top = math.Max(top, x)
		}
	}
	bars := []rune(" ▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, x := range col {
		i := 0
		if top > 0 && x > 0 {
			i = 1 + int(x/top*float64(len(bars)-2)+0.5)
			i = min(i, len(bars)-1)
		}
		b.WriteRune(bars[i])
	}
	if full < 0 {
		return fmt.Sprintf("%s  (top %s)", b.String(), groupDigits(int64(top)))
	}
	return fmt.Sprintf("%s  (top %d of %d)", b.String(), int(top), full)
}

func writeOwnerRows(w io.Writer, r *Result) {
	named := len(r.Consumers) <= len(symbols)
	for i, ps := range r.PerPart {
		var b strings.Builder
		for _, c := range cells(r.Gantt[i], r.DurationMs, chartCols) {
			switch {
			case c == noCell:
				b.WriteByte(' ')
			case c < 0:
				b.WriteByte(stateMark[c])
			case named:
				b.WriteByte(symbols[c])
			default:
				b.WriteByte('=')
			}
		}
		fmt.Fprintf(w, "  %-14s %s\n", trunc(ps.Partition, 14), b.String())
	}
	var legend []string
	if named {
		for i, c := range r.Consumers {
			legend = append(legend, fmt.Sprintf("%c=%s", symbols[i], c))
		}
	} else {
		legend = append(legend, "= progressing")
	}
	fmt.Fprintf(w, "  owners: %s\n  _ unowned   ~ in a rebalance   ! owner stalled\n", strings.Join(legend, " "))
}

// writeBands draws one row per band of partitions: how many of them did
// not progress at some moment of each column.
func writeBands(w io.Writer, r *Result) {
	n := len(r.Gantt)
	per := (n + maxRows - 1) / maxRows
	shades := " .:-=+*#%@"
	for lo := 0; lo < n; lo += per {
		hi := min(n, lo+per)
		count := make([]int, chartCols)
		for i := lo; i < hi; i++ {
			for c, v := range cells(r.Gantt[i], r.DurationMs, chartCols) {
				if v < 0 && v != noCell {
					count[c]++
				}
			}
		}
		var b strings.Builder
		for _, k := range count {
			s := 0
			if k > 0 {
				s = 1 + k*(len(shades)-2)/(hi-lo)
			}
			b.WriteByte(shades[min(s, len(shades)-1)])
		}
		label := r.PerPart[lo].Partition
		if hi-lo > 1 {
			label += "+" + fmt.Sprint(hi-lo-1)
		}
		fmt.Fprintf(w, "  %-14s %s\n", trunc(label, 14), b.String())
	}
	fmt.Fprintf(w, "  rows are bands of %d partitions; a mark is the share of the band not progressing at some moment of the column: %q (none to all)\n", per, shades)
}
