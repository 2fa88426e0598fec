// Command report turns `go test -bench` output of the bench package into the
// markdown tables of bench/README.md: per shape and implementation the
// median of every metric over the samples, and kgroup's ratios to franz-go
// and sarama. run.sh measures in interleaved passes (each pass runs every
// benchmark once), so the i-th samples of kgroup and of franz-go were
// measured minutes apart at most; the ratio columns give the median of those
// per-pass ratios, and their range.
//
//	go run ./report results.txt [more results...]
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result holds every sample of every metric of one benchmark, in order.
type result map[string][]float64

var line = regexp.MustCompile(`^Benchmark(Wire|Assign|PlanFloor)/(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader, out map[string]result) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1] + "/" + m[2]
		if out[name] == nil {
			out[name] = result{}
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: %v", sc.Text(), err)
			}
			out[name][f[i+1]] = append(out[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2], true
}

func (r result) get(metric string) (float64, bool) { return median(r[metric]) }

var shapes = []string{
	"kafka-large/fresh", "kafka-large/existing", "kafka-large-nonequal/fresh", "kafka-large-nonequal/existing",
	"medium/fresh", "medium/existing", "small/fresh", "small/existing", "franz-large/fresh", "franz-large/existing",
}

func ms(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.1f s", ns/1e9)
	case ns >= 1e7:
		return fmt.Sprintf("%.0f ms", ns/1e6)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

func mb(b float64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", b/1e9)
	case b >= 1e7:
		return fmt.Sprintf("%.0f MB", b/1e6)
	}
	return fmt.Sprintf("%.2f MB", b/1e6)
}

func cell(r result, metric string, format func(float64) string) string {
	if v, ok := r.get(metric); ok {
		return format(v)
	}
	return "—"
}

func count(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// pairedRatio is the median of a's i-th sample over b's, with the range;
// ok is false unless both have the same number of samples.
func pairedRatio(a, b result, metric string) (med, lo, hi float64, ok bool) {
	x, y := a[metric], b[metric]
	if len(x) == 0 || len(x) != len(y) {
		return 0, 0, 0, false
	}
	rs := make([]float64, len(x))
	for i := range x {
		rs[i] = x[i] / y[i]
	}
	slices.Sort(rs)
	return rs[len(rs)/2], rs[0], rs[len(rs)-1], true
}

func ratioCell(a, b result, metric string) string {
	med, lo, hi, ok := pairedRatio(a, b, metric)
	if !ok {
		return "—"
	}
	if len(a[metric]) == 1 || metric != "ns/op" {
		return fmt.Sprintf("%.2f×", med)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", med, lo, hi)
}

var kinds = map[string]string{"sticky": "Eager: `sticky`", "coop": "Cooperative: `cooperative-sticky` (first round)"}

// wireTable is the headline: JoinGroup bytes in, SyncGroup bytes out.
func wireTable(w io.Writer, res map[string]result, kind string) {
	fmt.Fprintf(w, "\n#### From bytes — %s\n\n", kinds[kind])
	fmt.Fprintln(w, "| shape | kgroup | franz-go | franz ÷ kgroup time | kgroup B/op | franz-go B/op | kgroup ÷ franz bytes | allocs/op kgroup / franz | target | moves kgroup / franz | spread kgroup / franz |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, s := range shapes {
		k, f := res["Wire/"+s+"/kgroup-"+kind], res["Wire/"+s+"/franz-"+kind]
		if k == nil || f == nil {
			continue
		}
		t, _, _, ok1 := pairedRatio(f, k, "ns/op")
		m, _, _, ok2 := pairedRatio(k, f, "B/op")
		target := "—"
		if ok1 && ok2 {
			target = map[bool]string{true: "met", false: "**missed**"}[t >= 3 && m <= 0.5]
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s / %s |\n", s,
			cell(k, "ns/op", ms), cell(f, "ns/op", ms), ratioCell(f, k, "ns/op"),
			cell(k, "B/op", mb), cell(f, "B/op", mb), ratioCell(k, f, "B/op"),
			cell(k, "allocs/op", count), cell(f, "allocs/op", count), target,
			cell(k, "moves", count), cell(f, "moves", count), cell(k, "spread", count), cell(f, "spread", count))
	}
}

// assignTable is the second table: kgroup from decoded members, franz-go
// and sarama through their own APIs.
func assignTable(w io.Writer, res map[string]result, kind string) {
	fmt.Fprintf(w, "\n#### Decoded input — %s\n\n", kinds[kind])
	fmt.Fprintln(w, "| shape | kgroup | franz-go | sarama | franz ÷ kgroup time | kgroup B/op | franz-go B/op | sarama B/op | kgroup ÷ franz bytes | allocs/op kgroup / franz / sarama |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, s := range shapes {
		k, f, sa := res["Assign/"+s+"/kgroup-"+kind], res["Assign/"+s+"/franz-"+kind], res["Assign/"+s+"/sarama-"+kind]
		if k == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n", s,
			cell(k, "ns/op", ms), cell(f, "ns/op", ms), cell(sa, "ns/op", ms), ratioCell(f, k, "ns/op"),
			cell(k, "B/op", mb), cell(f, "B/op", mb), cell(sa, "B/op", mb), ratioCell(k, f, "B/op"),
			cell(k, "allocs/op", count), cell(f, "allocs/op", count), cell(sa, "allocs/op", count))
	}
}

func floor(w io.Writer, res map[string]result) {
	fmt.Fprintln(w, "\n#### Output floor of the decoded-input API (`BenchmarkPlanFloor`): materialising its answer alone")
	fmt.Fprintln(w, "\n| shape | ns/op | B/op | kgroup-sticky ÷ floor time | franz ÷ floor time |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range shapes {
		fl := res["PlanFloor/"+s+"/kgroup-sticky"]
		if fl == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", s, cell(fl, "ns/op", ms), cell(fl, "B/op", mb),
			ratioCell(res["Assign/"+s+"/kgroup-sticky"], fl, "ns/op"), ratioCell(res["Assign/"+s+"/franz-sticky"], fl, "ns/op"))
	}
}

func main() {
	res := map[string]result{}
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err == nil {
			err = parse(f, res)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for _, kind := range []string{"sticky", "coop"} {
		wireTable(os.Stdout, res, kind)
	}
	for _, kind := range []string{"sticky", "coop"} {
		assignTable(os.Stdout, res, kind)
	}
	floor(os.Stdout, res)
}
