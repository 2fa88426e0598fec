package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/sim"
)

const simUsage = `usage: kgroup sim [flags] [FILE]
       kgroup sim [flags] --compare FILE1 FILE2

Runs a scenario (the built-in demo without FILE; - reads stdin) against kgroup's coordinator
and consumer state machines with a timing model, and reports rebalances,
partitions not progressing, lag and records processed twice. Exit codes: 0
ok, 1 an assertion failed or a rule of spec broke (the seed is printed), 2
bad usage or a bad scenario.

flags:
`

// simFlags are kgroup sim's options.
type simFlags struct {
	json, csv, html string
	history         string
	check           string
	seed            int64
	repeat          int
	compare         bool
	quiet           bool
}

// runSim is `kgroup sim`.
func runSim(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f simFlags
	fs := flag.NewFlagSet("kgroup sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.json, "json", "", "write the runs as JSON to `FILE` (- for stdout)")
	fs.StringVar(&f.csv, "csv", "", "write the time series as CSV to `FILE` (- for stdout)")
	fs.StringVar(&f.html, "html", "", "write a self-contained HTML page to `FILE`")
	fs.StringVar(&f.history, "history", "", "write the history of commits, fetches and syncs to `FILE`, for kgroup check")
	fs.StringVar(&f.check, "check", "events", "`MODE`: events (rules after every protocol event) or full (after every step; slower)")
	fs.Int64Var(&f.seed, "seed", -1, "override the scenario's seed")
	fs.IntVar(&f.repeat, "repeat", 0, "override the scenario's repeat count")
	fs.BoolVar(&f.compare, "compare", false, "run two scenario files and compare them side by side")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	fs.Usage = func() {
		fmt.Fprint(stderr, simUsage)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stdout, simUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fmt.Fprintf(stdout, "\n%s\nThe built-in demo:\n%s", sim.Help(), sim.Demo)
			return 0
		}
	}
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0)) // flags may follow the file
		args = fs.Args()[1:]
	}
	scs, code := loadScenarios(files, f, stdin, stderr)
	if code != 0 {
		return code
	}
	opts := sim.Options{}
	switch f.check {
	case "events":
	case "full":
		opts.Check = sim.CheckFull
	default:
		fmt.Fprintf(stderr, "kgroup sim: --check=%q: want events or full\n", f.check)
		return 2
	}
	if !f.quiet {
		opts.Progress = func(v string, at, end int64) {
			fmt.Fprintf(stderr, "\rkgroup sim: %s %d%%   ", v, 100*at/max(1, end))
		}
	}
	var recs []*linearizability.Recorder
	if f.history != "" {
		opts.OnCluster = func(cl *cluster.Cluster) { recs = append(recs, linearizability.Record(cl)) }
	}
	code = simulate(scs, opts, f, stdout, stderr)
	if f.history != "" && code != 2 {
		if err := writeHistory(f.history, recs); err != nil {
			fmt.Fprintln(stderr, "kgroup sim: "+err.Error())
			return 2
		}
	}
	return code
}

// loadScenarios reads the scenario files (the demo when there are none).
func loadScenarios(files []string, f simFlags, stdin io.Reader, stderr io.Writer) ([]*sim.Scenario, int) {
	switch {
	case f.compare && len(files) != 2:
		fmt.Fprintln(stderr, "kgroup sim: --compare takes two scenario files")
		return nil, 2
	case !f.compare && len(files) > 1:
		fmt.Fprintln(stderr, "kgroup sim: one scenario file at a time (or --compare A B)")
		return nil, 2
	}
	var out []*sim.Scenario
	if len(files) == 0 {
		sc, err := sim.Parse("built-in demo", strings.NewReader(sim.Demo))
		if err != nil {
			fmt.Fprintln(stderr, "kgroup sim:", err)
			return nil, 2
		}
		out = append(out, sc)
	}
	for _, name := range files {
		fh, err := openInput(name, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "kgroup sim:", err)
			return nil, 2
		}
		sc, err := sim.Parse(name, fh)
		fh.Close()
		if err != nil {
			fmt.Fprintln(stderr, "kgroup sim:", err)
			return nil, 2
		}
		out = append(out, sc)
	}
	for _, sc := range out {
		if f.seed >= 0 {
			sc.Seed = uint64(f.seed)
		}
		if f.repeat > 0 {
			if f.repeat > 1000 {
				fmt.Fprintln(stderr, "kgroup sim: --repeat is at most 1000")
				return nil, 2
			}
			sc.Repeat = f.repeat
		}
	}
	return out, 0
}

func simulate(scs []*sim.Scenario, opts sim.Options, f simFlags, stdout, stderr io.Writer) int {
	var outs []*sim.Outcome
	for _, sc := range scs {
		out, err := sim.Run(sc, opts)
		if opts.Progress != nil {
			fmt.Fprint(stderr, "\r\033[K")
		}
		if err != nil {
			fmt.Fprintf(stderr, "kgroup sim: %v\n", err)
			if errors.Is(err, sim.ErrRuleBroken) {
				return 1
			}
			return 2
		}
		outs = append(outs, out)
	}
	out := outs[0]
	if len(outs) == 2 {
		out = sim.Combine(outs[0], outs[1])
	}
	sim.WriteText(stdout, out)
	if code := writeOutputs(out, f, stdout, stderr); code != 0 {
		return code
	}
	if out.Failed() {
		fmt.Fprintf(stderr, "kgroup sim: %s: an assertion failed (seed %d)\n", out.Scenario.Name, out.Scenario.Seed)
		return 1
	}
	return 0
}

func writeOutputs(out *sim.Outcome, f simFlags, stdout, stderr io.Writer) int {
	for _, o := range []struct {
		name  string
		write func(io.Writer, *sim.Outcome) error
	}{{f.json, sim.WriteJSON}, {f.csv, sim.WriteCSV}, {f.html, sim.WriteHTML}} {
		if o.name == "" {
			continue
		}
		w := stdout
		if o.name != "-" {
			fh, err := os.Create(o.name)
			if err != nil {
				fmt.Fprintln(stderr, "kgroup sim:", err)
				return 2
			}
			defer fh.Close()
			w = fh
		}
		if err := o.write(w, out); err != nil {
			fmt.Fprintln(stderr, "kgroup sim:", err)
			return 1
		}
	}
	return 0
}
