package sim

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The terminal report. It stays readable at a thousand consumers: the
// ownership chart gets one row per partition up to maxRows partitions and
// bands of partitions above, consumers get symbols only while there are
// few enough for each to have its own, and long timelines show their
// beginning and end.

const (
	chartCols     = 72
	maxRows       = 40
	timelineShown = 60
	symbols       = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// WriteText writes the report of every variant.
func WriteText(w io.Writer, o *Outcome) {
	if len(o.Variants) > 1 || o.Scenario.Repeat > 1 {
		writeComparison(w, o)
	}
	for _, vr := range o.Variants {
		r := vr.Results[0]
		if len(o.Variants) > 1 {
			fmt.Fprintf(w, "\n=== variant %s (%s)\n", vr.Name, describeSet(vr.Set))
		}
		if o.Scenario.Repeat > 1 {
			fmt.Fprintf(w, "(the details below are of the first seed, %d)\n", r.Seed)
		}
		writeRun(w, r, len(o.Variants) == 1)
	}
	writeWarnings(w, o.Warnings)
	writeAsserts(w, o.Asserts)
}

// keyMetrics are the rows of a comparison.
var keyMetrics = []string{"rebalances", "rebalance-time-max", "nonprogress", "unowned", "inrebalance", "stalled",
	"pause-max", "paused-partitions", "moved", "lag-peak", "lag-area", "lag-recover-max", "duplicates",
	"expiries", "false-expiries", "poll-timeouts", "rebalance-latency-max", "records-lag-max"}

func writeComparison(w io.Writer, o *Outcome) {
	sc := o.Scenario
	fmt.Fprintf(w, "%s: %d variant(s) × %d seed(s) from %d; times in seconds, lag in records\n\n", sc.Name, len(o.Variants), sc.Repeat, sc.Seed)
	stats := []string{""}
	if sc.Repeat > 1 {
		stats = []string{".p50", ".p95", ".p99"}
	}
	head := fmt.Sprintf("  %-24s", "metric")
	for _, vr := range o.Variants {
		for _, s := range stats {
			head += fmt.Sprintf(" %14s", trunc(vr.Name+s, 14))
		}
	}
	fmt.Fprintln(w, head)
	for _, m := range keyMetrics {
		line := fmt.Sprintf("  %-24s", m)
		for _, vr := range o.Variants {
			for _, s := range stats {
				line += fmt.Sprintf(" %14s", formatMetric(m, vr.Stats[m+s]))
			}
		}
		fmt.Fprintln(w, line)
	}
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// formatMetric writes a metric in its unit: times in seconds.
func formatMetric(name string, v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "never"
	case isTimeMetric(name):
		return strconv.FormatFloat(v/1000, 'f', 3, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return groupDigits(int64(v))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func isTimeMetric(name string) bool {
	for _, s := range []string{"-time-", "latency", "nonprogress", "unowned", "inrebalance", "stalled", "pause-max", "recover", ".total"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func secs(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) + "s" }

func writeRun(w io.Writer, r *Result, header bool) {
	m := r.Metrics
	if header {
		fmt.Fprintf(w, "%s: seed %d\n", r.Scenario, r.Seed)
	}
	fmt.Fprintf(w, "  %d consumers, %d partitions, %s simulated; every rule of spec held (%s whole-system checks)\n",
		len(r.Consumers), r.Partitions, formatMs(float64(r.DurationMs)), groupDigits(r.Checks))
	writeTimeline(w, r)
	writeRebalances(w, r)
	fmt.Fprintf(w, "\nnot progressing (partition-seconds, counted from the group's first Stable)\n")
	fmt.Fprintf(w, "  unowned %s   in a rebalance %s   owner stalled %s   total %s   longest single pause %s   partitions %d of %d\n",
		formatMetric("unowned", m["unowned"]), formatMetric("inrebalance", m["inrebalance"]), formatMetric("stalled", m["stalled"]),
		formatMetric("nonprogress", m["nonprogress"]), formatMs(m["pause-max"]), int(m["paused-partitions"]), r.Partitions)
	writeWorst(w, r)
	fmt.Fprintf(w, "\nlag (records produced, not yet processed)\n  peak %s at %s   area %s record·s   at the end %s   back after each rebalance within %s (the longest)\n",
		groupDigits(int64(m["lag-peak"])), secs(peakAt(r)), groupDigits(int64(m["lag-area"])), groupDigits(int64(m["lag-end"])), formatRecover(m["lag-recover-max"]))
	fmt.Fprintf(w, "  produced %s, processed %s, processed twice %s\n", groupDigits(int64(m["produced"])), groupDigits(int64(m["processed"])), groupDigits(int64(m["duplicates"])))
	for _, d := range r.Duplicates {
		fmt.Fprintf(w, "    %s: %s\n", d.Cause, groupDigits(d.Records))
	}
	fmt.Fprintf(w, "  sessions expired %d (%d of running processes), poll timeouts %d, messages lost %d\n",
		int(m["expiries"]), int(m["false-expiries"]), int(m["poll-timeouts"]), int(m["messages-lost"]))
	writeClientMetrics(w, m)
	writeChart(w, r)
}

func peakAt(r *Result) int64 {
	best, at := -1.0, int64(0)
	for i, v := range r.Series.LagMax {
		if v > best {
			best, at = v, r.Series.At[i]
		}
	}
	return at
}

func formatRecover(v float64) string {
	if math.IsInf(v, 1) {
		return "never"
	}
	return formatMs(v)
}

func writeTimeline(w io.Writer, r *Result) {
	fmt.Fprintln(w, "\ntimeline")
	lines := r.Timeline
	if len(lines) > timelineShown {
		head, tail := lines[:timelineShown/2], lines[len(lines)-timelineShown/2:]
		for _, l := range head {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintf(w, "  ... %d more lines (--json has them all)\n", len(lines)-timelineShown+r.Dropped)
		lines = tail
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func writeRebalances(w io.Writer, r *Result) {
	fmt.Fprintf(w, "\nrebalances (times in seconds; paused: partitions that stopped progressing, and their partition-seconds)\n")
	if len(r.Rebalances) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	fmt.Fprintf(w, "  %3s  %-34s %10s %10s %7s %7s %7s %6s %6s %7s %8s %9s\n", "#", "cause", "start", "Stable", "join", "sync", "total", "rounds", "moved", "revoked", "paused", "part·s")
	rows := r.Rebalances
	skipped := 0
	if len(rows) > 40 {
		skipped = len(rows) - 40
		rows = append(rows[:20:20], rows[len(rows)-20:]...)
	}
	for i, rb := range rows {
		if skipped > 0 && i == 20 {
			fmt.Fprintf(w, "  ... %d more rebalances (--json has them all)\n", skipped)
		}
		stable, total := "never", "-"
		if rb.Stable >= 0 {
			stable, total = secs(rb.Stable), secs(rb.TotalMs())
		}
		fmt.Fprintf(w, "  %3d  %-34s %10s %10s %7s %7s %7s %6d %6d %7d %8d %9s\n", rb.N, trunc(rb.Cause, 34), secs(rb.Start), stable,
			secs(rb.JoinMs), secs(rb.SyncMs), total, rb.Rounds, rb.Moved, rb.Revoked, rb.Paused, formatMetric("nonprogress", float64(rb.NonProgressMs)))
	}
}

func writeWorst(w io.Writer, r *Result) {
	ps := append([]PartStat(nil), r.PerPart...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].NonProgressMs() > ps[j].NonProgressMs() })
	var out []string
	for _, p := range ps[:min(5, len(ps))] {
		if p.NonProgressMs() > 0 {
			out = append(out, fmt.Sprintf("%s %s (longest %s)", p.Partition, secs(p.NonProgressMs()), formatMs(float64(p.LongestMs))))
		}
	}
	if len(out) > 0 {
		fmt.Fprintf(w, "  most: %s\n", strings.Join(out, ", "))
	}
}

func writeClientMetrics(w io.Writer, m map[string]float64) {
	fmt.Fprintln(w, "\nKafka client metrics (over all consumers; times in seconds)")
	names := []string{"rebalance-latency-avg", "rebalance-latency-max", "rebalance-total", "failed-rebalance-total",
		"join-time-avg", "join-time-max", "sync-time-avg", "sync-time-max", "partition-revoked-latency-avg",
		"partition-revoked-latency-max", "partition-assigned-latency-avg", "partition-assigned-latency-max",
		"last-rebalance-seconds-ago", "records-lag-max"}
	for i := 0; i < len(names); i += 4 {
		var parts []string
		for _, n := range names[i:min(i+4, len(names))] {
			v := formatMetric(n, m[n])
			if n == "last-rebalance-seconds-ago" && !math.IsInf(m[n], 1) {
				v = strconv.FormatFloat(m[n], 'f', 1, 64)
			}
			parts = append(parts, n+" "+v)
		}
		fmt.Fprintf(w, "  %s\n", strings.Join(parts, "   "))
	}
}

func writeWarnings(w io.Writer, ws []string) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintln(w, "\nwarnings")
	for _, s := range ws {
		fmt.Fprintf(w, "  ! %s\n", s)
	}
}

func writeAsserts(w io.Writer, as []AssertResult) {
	if len(as) == 0 {
		return
	}
	fmt.Fprintln(w, "\nassertions")
	for _, a := range as {
		verdict := "ok  "
		if !a.OK {
			verdict = "FAIL"
		}
		v := ""
		if a.Variant != "" {
			v = " [" + a.Variant + "]"
		}
		fmt.Fprintf(w, "  %s %s%s: %s\n", verdict, a.Text, v, a.Detail)
	}
}
