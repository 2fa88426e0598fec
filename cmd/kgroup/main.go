// Command kgroup is kgroup's command line: simulate a consumer group,
// compute an assignment, replay a transcript.
//
//	kgroup sim [FILE]        run a scenario (the built-in demo without FILE)
//	kgroup assign            JSON assignment request on stdin, plan on stdout
//	kgroup replay FILE       run a transcript and print it with outputs
//	kgroup explore [flags]   explore every behaviour within bounds
//	kgroup check FILE        check a history of commits for linearizability
//	kgroup serve [flags]     a Kafka-protocol server on loopback, rules checked live
//
// The exit codes are one contract for every command (kgroup help).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: kgroup <command> [arguments]

commands:
  sim [FILE]     simulate a consumer group; without FILE, the built-in demo
                 (a scale-out, eager against cooperative). kgroup sim -h for the language.
  assign         read an assignment request (JSON) on stdin, write the plan on stdout
  replay FILE    run a transcript (- for stdin) and print it with every output
  explore        explore every behaviour of the real state machines within bounds
                 (kgroup explore -h for the bounds)
  check FILE     check a history of commits and fetches (JSON lines) for
                 linearizability; --html FILE draws it
  serve          a Kafka-protocol server on loopback with kgroup's coordinator,
                 in-memory topics, live rule checks and faults (kgroup serve -h)
  help           this text

Every command's exit code:
  0  success
  1  a rule was broken or a check failed (a violation, a command of a
     transcript that failed, an assertion of a scenario, an illegal history)
  2  bad usage or bad input: nothing is written to stdout, and one line on
     stderr says what and where
  3  no verdict: explore stopped at a bound, check ran out of time
Every size, count, duration and name read from outside is bounded, and a
message states the bound when one is passed.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "sim":
		return runSim(args[1:], stdin, stdout, stderr)
	case "assign":
		return runAssign(args[1:], stdin, stdout, stderr)
	case "replay":
		return runReplay(args[1:], stdin, stdout, stderr)
	case "explore":
		return runExplore(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdin, stdout, stderr)
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "kgroup: unknown command %q\n%s", args[0], usage)
	return 2
}

// openInput opens a file argument; "-" is stdin.
func openInput(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	return os.Open(name)
}

// parseFlags parses flags wherever they stand among the positional words,
// which it returns in order. -h gives flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
