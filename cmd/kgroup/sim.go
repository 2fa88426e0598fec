package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/sim"
)

// runSim is `kgroup sim [FILE]`: the built-in demo, or a scenario file.
func runSim(args []string, stdout, stderr io.Writer) int {
	var in io.Reader = strings.NewReader(sim.Demo)
	name := "built-in demo"
	switch {
	case len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		fmt.Fprintf(stdout, "usage: kgroup sim [FILE]\n\nA scenario is a transcript plus two commands:\n"+
			"  rate N    each consumer processes N records per second of every partition it owns\n"+
			"  run MS    let MS milliseconds pass under that workload\n\nThe built-in demo:\n%s\n%s\n", sim.Demo, transcript.Help)
		return 0
	case len(args) == 1:
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(stderr, "kgroup sim: "+err.Error())
			return 2
		}
		defer f.Close()
		in, name = f, args[0]
	case len(args) > 1:
		fmt.Fprintln(stderr, "usage: kgroup sim [FILE]")
		return 2
	}
	fmt.Fprintf(stdout, "kgroup sim: %s\n\n", name)
	if err := sim.Run(in, stdout); err != nil {
		fmt.Fprintf(stderr, "kgroup sim: %s: %v\n", name, err)
		return 1
	}
	return 0
}
