package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/linearizability"

	"github.com/kgroup/kgroup/impl/transcript"
)

// runReplay is `kgroup replay FILE`: run a transcript and print it with every
// command's output. A transcript in which a rule is broken, or a command
// failed, exits 1 (after printing the whole run); one that cannot be read
// exits 2 with nothing on stdout.
func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintf(stdout, "usage: kgroup replay [--history OUT.jsonl] FILE (- for stdin)\n\n%s\n", transcript.Help)
		return 0
	}
	history := ""
	if len(args) == 3 && (args[0] == "--history" || args[0] == "-history") {
		history, args = args[1], args[2:]
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: kgroup replay [--history OUT.jsonl] FILE (- for stdin); kgroup replay -h lists the commands")
		return 2
	}
	f, err := openInput(args[0], stdin)
	if err != nil {
		fmt.Fprintln(stderr, "kgroup replay: "+err.Error())
		return 2
	}
	defer f.Close()
	var recs []*linearizability.Recorder
	res, err := transcript.Replay(f, func(cl *cluster.Cluster) { recs = append(recs, linearizability.Record(cl)) })
	if err != nil {
		fmt.Fprintf(stderr, "kgroup replay: %s: %v\n", args[0], err)
		return 2
	}
	if history != "" {
		if err := writeHistory(history, recs); err != nil {
			fmt.Fprintln(stderr, "kgroup replay: "+err.Error())
			return 2
		}
	}
	io.WriteString(stdout, res.Output)
	switch {
	case res.Violation != nil:
		fmt.Fprintln(stderr, "kgroup replay: a rule was broken (see VIOLATION above)")
		return 1
	case len(res.Failed) > 0:
		fmt.Fprintf(stderr, "kgroup replay: %d commands failed (see error: above), the first at line %d\n", len(res.Failed), res.Failed[0])
		return 1
	}
	return 0
}

// writeHistory writes the commits, fetches and syncs of the runs' clusters
// (for kgroup check), one cluster after the other. Each cluster is its own
// system: with more than one, a group is named after its run ("g@run2"), so
// that one run's commits are not read as another's.
func writeHistory(path string, recs []*linearizability.Recorder) error {
	var ops []linearizability.Op
	var offset int64
	for i, r := range recs {
		h := r.History()
		var last int64
		for _, op := range h {
			if len(recs) > 1 {
				op.Input.Group = fmt.Sprintf("%s@run%d", op.Input.Group, i+1)
				op.Client = fmt.Sprintf("%s@run%d", op.Client, i+1)
			}
			op.Call += offset
			if op.Return != nil {
				ret := *op.Return + offset
				op.Return = &ret
				last = max(last, ret)
			}
			last = max(last, op.Call)
			ops = append(ops, op)
		}
		offset += last + 1
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := linearizability.Write(f, ops); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
