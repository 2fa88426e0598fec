package main

import (
	"fmt"
	"io"

	"github.com/kgroup/kgroup/impl/transcript"
)

// runReplay is `kgroup replay FILE`: run a transcript and print it with every
// command's output. A transcript in which a rule is broken exits 1.
func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintf(stdout, "usage: kgroup replay FILE (- for stdin)\n\n%s\n", transcript.Help)
		return 0
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: kgroup replay FILE (- for stdin); kgroup replay -h lists the commands")
		return 2
	}
	f, err := openInput(args[0], stdin)
	if err != nil {
		fmt.Fprintln(stderr, "kgroup replay: "+err.Error())
		return 2
	}
	defer f.Close()
	out, err := transcript.Run(f)
	if err != nil {
		fmt.Fprintf(stderr, "kgroup replay: %s: %v\n", args[0], err)
		return 2
	}
	io.WriteString(stdout, out)
	if transcript.Violated(out) {
		fmt.Fprintln(stderr, "kgroup replay: a rule was broken (see VIOLATION above)")
		return 1
	}
	return 0
}
