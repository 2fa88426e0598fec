// Command kgroup is kgroup's command line: simulate a consumer group,
// compute an assignment, replay a transcript.
//
//	kgroup sim [FILE]        run a scenario (the built-in demo without FILE)
//	kgroup assign            JSON assignment request on stdin, plan on stdout
//	kgroup replay FILE       run a transcript and print it with outputs
//
// Exit codes: 0 success, 1 the run itself failed (a rule was broken, a
// scenario did not converge), 2 bad usage or bad input.
package main

import (
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
		return runSim(args[1:], stdout, stderr)
	case "assign":
		return runAssign(args[1:], stdin, stdout, stderr)
	case "replay":
		return runReplay(args[1:], stdin, stdout, stderr)
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
