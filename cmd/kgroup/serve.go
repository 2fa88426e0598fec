package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/serve"
)

const serveUsage = `usage: kgroup serve [flags]

A Kafka-protocol server on loopback whose group coordinator is kgroup's,
with in-memory topics, every rule the coordinator's side can see checked on
the live traffic, and faults on demand. Point any Kafka client at it:

  kgroup serve --topics orders:6 &
  kcat -b 127.0.0.1:9092 -G mygroup orders

Violations, faults and bad input are printed on stderr as they happen.
Stop it with Ctrl-C (or --for); exit code 0 if every rule held, 1 if one
broke, 2 for bad usage.

faults (--fault, repeatable, or POST to the control endpoint's /fault):
  delay API MS [count=N|all] [client=ID]   drop API [count=N|all] [client=ID]
  expire MEMBER|CLIENT   cut CLIENT|all   move [pause=MS]   clear

flags:
`

type faultList []serve.Fault

func (l *faultList) String() string { return fmt.Sprint(*l) }
func (l *faultList) Set(s string) error {
	f, err := serve.ParseFault(s)
	if err == nil {
		*l = append(*l, f)
	}
	return err
}

// runServe is `kgroup serve`.
func runServe(args []string, stdout, stderr io.Writer) int {
	cfg := serve.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address to serve Kafka's protocol on (loopback only)")
	topics := fs.String("topics", "orders:6", "in-memory topics, NAME:PARTITIONS,...")
	fs.StringVar(&cfg.Control, "control", "", "address of the control endpoint (loopback only), e.g. 127.0.0.1:9093")
	events := fs.String("events", "", "write every event as a JSON line to this file")
	history := fs.String("history", "", "write the history of commits, fetches and syncs to this file at exit (kgroup check reads it)")
	var faults faultList
	fs.Var(&faults, "fault", "inject a fault at the start (repeatable)")
	fs.BoolVar(&cfg.Verbose, "v", false, "print every event on stderr, not only violations, faults and bad input")
	minSession := fs.Int("min-session-ms", int(cfg.Coordinator.MinSessionTimeoutMs), "group.min.session.timeout.ms")
	fs.Int64Var(&cfg.Coordinator.InitialRebalanceDelayMs, "initial-delay-ms", cfg.Coordinator.InitialRebalanceDelayMs, "group.initial.rebalance.delay.ms")
	fs.IntVar(&cfg.Coordinator.GroupMaxSize, "group-max-size", 0, "group.max.size (0: no limit)")
	cgSession := fs.Int("consumer-session-ms", int(cfg.Coordinator.ConsumerSessionTimeoutMs), "group.consumer.session.timeout.ms (KIP-848 groups)")
	cgHeartbeat := fs.Int("consumer-heartbeat-ms", int(cfg.Coordinator.ConsumerHeartbeatIntervalMs), "group.consumer.heartbeat.interval.ms (KIP-848 groups)")
	plant := fs.String("plant", "", "plant known bugs in the coordinator, to watch the checks catch them: "+bugNames()+", and for KIP-848 groups "+cgBugNames())
	maxFrame := fs.Int("max-frame-bytes", serve.DefaultMaxFrameBytes, "the largest request frame accepted")
	stopAfter := fs.Duration("for", 0, "stop after this long (0: at Ctrl-C)")
	pos, err := parseFlags(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) > 0 || *maxFrame < 64 || *maxFrame > 1<<30 || *minSession < 0 || *cgHeartbeat <= 0 || *cgSession <= *cgHeartbeat || *cgSession > 1<<30 {
		fs.Usage()
		return 2
	}
	cfg.MaxFrameBytes, cfg.Coordinator.MinSessionTimeoutMs, cfg.Faults = int32(*maxFrame), int32(*minSession), faults
	cfg.Coordinator.ConsumerSessionTimeoutMs, cfg.Coordinator.ConsumerHeartbeatIntervalMs = int32(*cgSession), int32(*cgHeartbeat)
	if cfg.Coordinator.Bugs, err = mutant.ParseSet(*plant); err == nil {
		cfg.Topics, err = serve.ParseTopics(*topics)
	}
	if err != nil {
		fmt.Fprintln(stderr, "kgroup serve:", err)
		return 2
	}
	return serveUntilStopped(cfg, *events, *history, *stopAfter, stderr)
}

func serveUntilStopped(cfg serve.Config, events, history string, stopAfter time.Duration, stderr io.Writer) int {
	cfg.Log = stderr
	if events != "" {
		f, err := os.Create(events)
		if err != nil {
			fmt.Fprintln(stderr, "kgroup serve:", err)
			return 2
		}
		defer f.Close()
		cfg.Events = f
	}
	s, err := serve.Start(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "kgroup serve:", err)
		return 2
	}
	if a := s.ControlAddr(); a != nil {
		fmt.Fprintf(stderr, "control endpoint on http://%s (POST /fault, GET /groups?id=G, /checks, /events)\n", a)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	var timeout <-chan time.Time
	if stopAfter > 0 {
		timeout = time.After(stopAfter)
	}
	select {
	case <-stop:
	case <-timeout:
	}
	ops, _ := s.History()
	s.Close()
	if history != "" {
		if err := saveOps(history, ops); err != nil {
			fmt.Fprintln(stderr, "kgroup serve:", err)
			return 2
		}
	}
	if v := s.Violations(); len(v) > 0 {
		fmt.Fprintf(stderr, "kgroup serve: %d rule violations\n", len(v))
		return 1
	}
	return 0
}

// saveOps writes a history file.
func saveOps(path string, ops []linearizability.Op) (err error) {
	f, err := os.Create(path)
	if err == nil {
		err = linearizability.Write(f, ops)
		err = errors.Join(err, f.Close())
	}
	return err
}

func cgBugNames() string {
	var names []string
	for _, b := range mutant.ConsumerGroupOnly() {
		names = append(names, b.String())
	}
	return strings.Join(names, ", ")
}
