package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/tla/explore"
	"github.com/kgroup/kgroup/tla/refine"
)

const exploreUsage = `usage: kgroup explore [flags]

Explores every behaviour of kgroup's real coordinator and consumers within
the bounds, breadth-first, checking every rule at every state. A broken rule
is printed as the shortest run that breaks it, a transcript kgroup replay
reproduces. Exit codes: 0 every state within the bounds explored and every
rule held; 1 a rule broke; 2 bad usage; 3 stopped at -max-states or -depth
with no rule broken (not exhaustive).

flags:
`

// runExplore is `kgroup explore`.
func runExplore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exploreUsage); fs.PrintDefaults() }
	var sc explore.Scenario
	fs.IntVar(&sc.Consumers, "consumers", 2, "consumers c1..cN, all subscribed to topic t")
	partitions := fs.Int("partitions", 2, "partitions of topic t")
	fs.BoolVar(&sc.Cooperative, "cooperative", false, "cooperative-sticky (KIP-429) instead of range (eager)")
	fs.BoolVar(&sc.ConsumerProtocol, "consumer-protocol", false, "KIP-848 consumers (group.protocol=consumer) in a consumer group")
	fs.IntVar(&sc.Static, "static", 0, "the first N consumers are static members (KIP-345)")
	fs.BoolVar(&sc.Stable, "stable", false, "start from a Stable group (every consumer joined) instead of an empty one")
	fs.StringVar(&sc.Network, "network", "lockstep", "fifo: every delivery order and delay; lockstep: every order, no delay; instant: no choice")
	fs.IntVar(&sc.Perturbations, "perturbations", 1, "crashes, closes, restarts, freezes, stalls, failovers, partition changes, in all")
	fs.BoolVar(&sc.Restart, "restart", true, "stopped consumers may restart")
	fs.BoolVar(&sc.Freeze, "freeze", false, "processes may freeze (no heartbeats) and thaw")
	fs.BoolVar(&sc.Stall, "stall", false, "applications may stall (no polls) and resume")
	fs.BoolVar(&sc.Failover, "failover", false, "the coordinator may fail over")
	addTo := fs.Int("add-partitions", 0, "topic t may grow one partition at a time up to N")
	fs.IntVar(&sc.Drops, "drops", 0, "messages the network may lose")
	fs.IntVar(&sc.Consumes, "consumes", 0, "records the applications may process (one per action)")
	fs.IntVar(&sc.Commits, "commits", 0, "commits the applications may make")
	plant := fs.String("plant", "", "plant known bugs (comma-separated: "+bugNames()+")")
	depth := fs.Int("depth", 0, "stop at this depth (0: none)")
	maxStates := fs.Int("max-states", 2000000, "stop after this many distinct states (0: none)")
	liveness := fs.Bool("liveness", false, "demand convergence from every state once faults heal (rule 6)")
	symmetry := fs.Bool("symmetry", true, "treat consumers that differ only in name as interchangeable")
	workers := fs.Int("workers", 0, "states expanded in parallel (0: one per CPU)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	refines := fs.Bool("refine", false, "also check that every step is a step of tla/ClassicGroup.tla (tla/refine)")
	pos, err := parseFlags(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "kgroup explore: unexpected argument %q\n", pos[0])
		return 2
	}
	sc.Partitions, sc.AddPartitionsUpTo = int32(*partitions), int32(*addTo)
	if *partitions < 0 || *partitions > 64 || *addTo < 0 || *addTo > 64 || *depth < 0 || *maxStates < 0 || *workers < 0 {
		fmt.Fprintln(stderr, "kgroup explore: -partitions and -add-partitions are 0 to 64; -depth, -max-states, -workers are not negative")
		return 2
	}
	if sc.Plant, err = mutant.ParseSet(*plant); err != nil {
		fmt.Fprintln(stderr, "kgroup explore: "+err.Error())
		return 2
	}
	cfg, err := sc.Config()
	if err != nil {
		fmt.Fprintln(stderr, "kgroup "+err.Error())
		return 2
	}
	cfg.MaxDepth, cfg.MaxStates, cfg.Liveness, cfg.Symmetry, cfg.Workers = *depth, *maxStates, *liveness, *symmetry, *workers
	if *refines {
		cfg.Attach = attachRefinement
	}
	if !*quiet {
		cfg.Progress = func(s explore.Stats) {
			fmt.Fprintf(stderr, "depth %d: %d states, %d transitions, queue %d, %.0f states/s\n",
				s.Depth, s.States, s.Transitions, s.Queue, s.StatesPerSecond())
		}
	}
	res, err := explore.Run(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "kgroup explore: "+err.Error())
		return 2
	}
	return report(res, stdout, stderr)
}

func report(res explore.Result, stdout, stderr io.Writer) int {
	took := res.Elapsed.Round(time.Millisecond)
	if res.Violation != nil {
		out, err := transcript.Run(strings.NewReader(res.Transcript))
		if err != nil {
			out = res.Transcript
		}
		fmt.Fprintf(stdout, "%s\n", out)
		fmt.Fprintf(stdout, "rule broken after %d actions, %d states explored in %s:\n  %v\n", res.TraceLength, res.States, took, res.Violation)
		fmt.Fprintln(stderr, "kgroup explore: a rule was broken; the run above is a transcript (save it for kgroup replay)")
		return 1
	}
	fmt.Fprintf(stdout, "%d distinct states, %d transitions, depth %d, %s (%.0f states/s): every rule held\n",
		res.States, res.Transitions, res.Depth, took, res.StatesPerSecond())
	if !res.Complete {
		fmt.Fprintln(stdout, "not exhaustive: stopped at -max-states or -depth")
		return 3
	}
	return 0
}

// attachRefinement checks the next step of cl against the spec.
func attachRefinement(cl *cluster.Cluster) func() error {
	ck := refine.New()
	ck.Attach(cl)
	return ck.Err
}

func bugNames() string {
	var names []string
	for _, b := range mutant.All() {
		names = append(names, b.String())
	}
	return strings.Join(names, ", ")
}
