// Command report turns `go test -bench` output of the bench package into the
// markdown tables of bench/README.md: the median of every metric over -count
// runs, per shape and assignor, and the ratios to franz-go and sarama.
//
//	go run ./report < results.txt
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

// result holds every sample of every metric of one benchmark.
type result map[string][]float64

var line = regexp.MustCompile(`^Benchmark(Assign|PlanFloor|FranzDecode)/(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) (map[string]result, error) {
	out := map[string]result{}
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
				return nil, fmt.Errorf("%s: %v", sc.Text(), err)
			}
			out[name][f[i+1]] = append(out[name][f[i+1]], v)
		}
	}
	return out, sc.Err()
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
	if b >= 1e9 {
		return fmt.Sprintf("%.1f GB", b/1e9)
	}
	return fmt.Sprintf("%.1f MB", b/1e6)
}

func cell(r result, metric string, format func(float64) string) string {
	if v, ok := r.get(metric); ok {
		return format(v)
	}
	return "—"
}

func ratio(a, b result, metric string) string {
	x, ok1 := a.get(metric)
	y, ok2 := b.get(metric)
	if !ok1 || !ok2 || y == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x/y)
}

func count(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func table(w io.Writer, res map[string]result, kind string) {
	fmt.Fprintf(w, "\n#### %s\n\n", map[string]string{"sticky": "Eager: `sticky`", "coop": "Cooperative: `cooperative-sticky` (first round)"}[kind])
	fmt.Fprintln(w, "Time per assignment (median), and franz-go's time divided by kgroup's:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| shape | kgroup | kgroup from bytes | franz-go | franz-go decode part | sarama | franz ÷ kgroup | franz ÷ kgroup from bytes | sarama ÷ kgroup |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, s := range shapes {
		k, kw, f, sa := res["Assign/"+s+"/kgroup-"+kind], res["Assign/"+s+"/kgroup-wire-"+kind], res["Assign/"+s+"/franz-"+kind], res["Assign/"+s+"/sarama-"+kind]
		fd := res["FranzDecode/"+s+"/franz-"+kind]
		if k == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s,
			cell(k, "ns/op", ms), cell(kw, "ns/op", ms), cell(f, "ns/op", ms), cell(fd, "ns/op", ms), cell(sa, "ns/op", ms),
			ratio(f, k, "ns/op"), ratio(f, kw, "ns/op"), ratio(sa, k, "ns/op"))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Memory and quality (median B/op and allocs/op; moves = partitions that left a member still in the group):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| shape | kgroup B/op | kgroup from bytes B/op | franz-go B/op | sarama B/op | kgroup ÷ franz bytes | allocs/op kgroup / franz / sarama | moves kgroup / franz / sarama | spread kgroup / franz / sarama |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, s := range shapes {
		k, kw, f, sa := res["Assign/"+s+"/kgroup-"+kind], res["Assign/"+s+"/kgroup-wire-"+kind], res["Assign/"+s+"/franz-"+kind], res["Assign/"+s+"/sarama-"+kind]
		if k == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s |\n", s,
			cell(k, "B/op", mb), cell(kw, "B/op", mb), cell(f, "B/op", mb), cell(sa, "B/op", mb), ratio(k, f, "B/op"),
			cell(k, "allocs/op", count), cell(f, "allocs/op", count), cell(sa, "allocs/op", count),
			cell(k, "moves", count), cell(f, "moves", count), cell(sa, "moves", count),
			cell(k, "spread", count), cell(f, "spread", count), cell(sa, "spread", count))
	}
}

func floor(w io.Writer, res map[string]result) {
	fmt.Fprintln(w, "\n#### Output floor (`BenchmarkPlanFloor`): materialising the answer alone")
	fmt.Fprintln(w, "\n| shape | ns/op | B/op | kgroup-sticky ÷ floor time | franz ÷ floor time | franz B/op ÷ 2 |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, s := range shapes {
		fl := res["PlanFloor/"+s]
		if fl == nil {
			continue
		}
		half := "—"
		if v, ok := res["Assign/"+s+"/franz-sticky"].get("B/op"); ok {
			half = mb(v / 2)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", s, cell(fl, "ns/op", ms), cell(fl, "B/op", mb),
			ratio(res["Assign/"+s+"/kgroup-sticky"], fl, "ns/op"), ratio(res["Assign/"+s+"/franz-sticky"], fl, "ns/op"), half)
	}
}

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	table(os.Stdout, res, "sticky")
	table(os.Stdout, res, "coop")
	floor(os.Stdout, res)
}
