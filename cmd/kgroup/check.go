package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kgroup/kgroup/linearizability"
)

const checkUsage = `usage: kgroup check [flags] HISTORY.jsonl (- for stdin)

Checks a history of commits, fetches and syncs (JSON lines; the format is
package linearizability's) for linearizability. Exit codes: 0 ok; 1 illegal;
2 bad usage or a malformed history; 3 unknown (the time ran out).

flags:
`

// runCheck is `kgroup check`.
func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	html := fs.String("html", "", "write porcupine's visualization of the history to this file")
	timeout := fs.Duration("timeout", time.Minute, "give up (verdict unknown) after this long (0: never)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	pos, err := parseFlags(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *timeout < 0 {
		fs.Usage()
		return 2
	}
	f, err := openInput(pos[0], stdin)
	if err != nil {
		fmt.Fprintln(stderr, "kgroup check: "+err.Error())
		return 2
	}
	ops, err := linearizability.Read(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "kgroup check: %s: %v\n", pos[0], err)
		return 2
	}
	opt := linearizability.Options{Timeout: *timeout}
	last := time.Now()
	if !*quiet {
		opt.Progress = func(done, of int) {
			if time.Since(last) > time.Second || done == of {
				last = time.Now()
				fmt.Fprintf(stderr, "%d of %d partitions checked\n", done, of)
			}
		}
	}
	res := linearizability.Check(ops, opt)
	if *html != "" {
		if err := writeHTML(ops, *timeout, *html); err != nil {
			fmt.Fprintln(stderr, "kgroup check: "+err.Error())
			return 2
		}
	}
	switch res.Verdict {
	case linearizability.Ok:
		fmt.Fprintf(stdout, "ok: %d operations on %d partitions are linearizable (%s)\n", res.Ops, res.Registers, res.Elapsed.Round(time.Millisecond))
		return 0
	case linearizability.Illegal:
		fmt.Fprintf(stdout, "illegal: the operations on %s are not linearizable\n", res.Register)
		return 1
	}
	fmt.Fprintf(stdout, "unknown: no verdict within %s\n", *timeout)
	return 3
}

func writeHTML(ops []linearizability.Op, timeout time.Duration, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := linearizability.Visualize(ops, timeout, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
