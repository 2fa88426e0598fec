// Package rapidtest makes kgroup's rapid properties reproducible by default:
// a test binary's TestMain calls Defaults, which fixes rapid's seed and
// number of checks unless the command line sets them (-rapid.seed=0 asks for
// a random seed; rapid prints the seed of any failure). Test code only.
package rapidtest

import (
	"flag"
	"os"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// Seed is the seed CI uses; the date kgroup's rapid suites were pinned.
const Seed = 20261121

// Main parses flags, applies the defaults and runs the tests.
func Main(m *testing.M, checks int) {
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["rapid.seed"] {
		flag.Set("rapid.seed", strconv.Itoa(Seed))
	}
	if !set["rapid.checks"] {
		flag.Set("rapid.checks", strconv.Itoa(checks))
	}
	os.Exit(m.Run())
}

// Rounds runs prop under rapid n times. With a pinned seed, round i uses the
// seed plus i, so every round draws new cases and a failure names the seed
// that reproduces it; with -rapid.seed=0 every round is random. It changes a
// process-wide flag: callers must not run in parallel.
func Rounds(t *testing.T, n int, prop func(*rapid.T)) {
	f := flag.Lookup("rapid.seed")
	base, _ := strconv.ParseUint(f.Value.String(), 10, 64)
	defer flag.Set("rapid.seed", strconv.FormatUint(base, 10))
	for i := range n {
		if base != 0 {
			flag.Set("rapid.seed", strconv.FormatUint(base+uint64(i), 10))
		}
		rapid.Check(t, prop)
	}
}
