// Command twin explores ClassicGroup.tla's Go twin (tla/model) under a TLC
// configuration file, breadth first, and prints what TLC prints: distinct
// states, states generated, depth, and the time taken. With -check it
// applies the spec's invariants and step properties and prints the
// shortest counterexample; with -dump it writes every distinct state in
// TLA+ syntax, one per paragraph, for comparison with TLC's -dump.
//
// A configuration of ConsumerGroup.tla (a file named ConsumerGroup_*.cfg)
// is explored with ConsumerGroup.tla's twin, tla/cgmodel.
//
//	go run ./tla/twin tla/ClassicGroup_small.cfg
//	go run ./tla/twin -check tla/ConsumerGroup_drops.cfg
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kgroup/kgroup/tla/cgmodel"
	"github.com/kgroup/kgroup/tla/model"
)

func main() {
	check := flag.Bool("check", false, "check the invariants and step properties")
	dump := flag.String("dump", "", "write every distinct state to this file")
	limit := flag.Int64("max", 0, "stop after this many distinct states (0: none)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: twin [-check] [-dump FILE] [-max N] CONFIG.cfg")
		flag.PrintDefaults()
	}
	flag.Parse()
	debug.SetGCPercent(400) // the search allocates fast and keeps little: trade memory for speed
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if strings.HasPrefix(filepath.Base(flag.Arg(0)), "ConsumerGroup") {
		os.Exit(consumerGroup(flag.Arg(0), *check, *dump, *limit))
	}
	p, err := model.ReadConfig(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "twin:", err)
		os.Exit(2)
	}
	opts := model.Options{Check: *check, MaxStates: *limit, Progress: func(s model.Stats) {
		fmt.Fprintf(os.Stderr, "%v: %d distinct, %d generated, depth %d, queue %d, %.0f states/s\n",
			s.Elapsed.Round(time.Second), s.Distinct, s.Generated, s.Depth, s.Queue, float64(s.Distinct)/s.Elapsed.Seconds())
	}}
	if *dump != "" {
		f, err := os.Create(*dump)
		if err != nil {
			fmt.Fprintln(os.Stderr, "twin:", err)
			os.Exit(2)
		}
		w := bufio.NewWriter(f)
		opts.Visit = func(s *model.State) { fmt.Fprintf(w, "%s\n", model.Format(p, s)) }
		defer func() { w.Flush(); f.Close() }()
	}
	st, err := model.Explore(p, opts)
	fmt.Printf("%d states generated, %d distinct states found, depth %d, %v (%.0f distinct states/s)\n",
		st.Generated, st.Distinct, st.Depth+1, st.Elapsed.Round(time.Millisecond), float64(st.Distinct)/st.Elapsed.Seconds())
	var v *model.Violation
	switch {
	case errors.As(err, &v):
		fmt.Println(v.Error())
		for i, s := range v.Trace {
			fmt.Printf("State %d: %s\n%s\n", i+1, s.Act.Format(p), model.Format(p, &s.S))
		}
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "twin:", err)
		os.Exit(1)
	}
}

// consumerGroup explores a configuration of ConsumerGroup.tla.
func consumerGroup(path string, check bool, dump string, limit int64) int {
	p, err := cgmodel.ReadConfig(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "twin:", err)
		return 2
	}
	opts := cgmodel.Options{Check: check, MaxStates: limit, Progress: func(s cgmodel.Stats) {
		fmt.Fprintf(os.Stderr, "%v: %d distinct, %d generated, depth %d, queue %d, %.0f states/s\n",
			s.Elapsed.Round(time.Second), s.Distinct, s.Generated, s.Depth, s.Queue, float64(s.Distinct)/s.Elapsed.Seconds())
	}}
	if dump != "" {
		f, err := os.Create(dump)
		if err != nil {
			fmt.Fprintln(os.Stderr, "twin:", err)
			return 2
		}
		w := bufio.NewWriter(f)
		opts.Visit = func(s *cgmodel.State) { fmt.Fprintf(w, "%s\n", cgmodel.Format(s)) }
		defer func() { w.Flush(); f.Close() }()
	}
	st, err := cgmodel.Explore(p, opts)
	fmt.Printf("%d states generated, %d distinct states found, depth %d, %v (%.0f distinct states/s)\n",
		st.Generated, st.Distinct, st.Depth+1, st.Elapsed.Round(time.Millisecond), float64(st.Distinct)/st.Elapsed.Seconds())
	var v *cgmodel.Violation
	switch {
	case errors.As(err, &v):
		fmt.Println(v.Error())
		for i, s := range v.Trace {
			fmt.Printf("State %d: %s\n%s\n", i+1, s.Act.Format(), cgmodel.Format(&s.S))
		}
		return 1
	case err != nil:
		fmt.Fprintln(os.Stderr, "twin:", err)
		return 1
	}
	return 0
}
