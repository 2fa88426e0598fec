package cluster_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/transcript"
)

// The long-run switches change no step: every golden transcript, replayed
// with SetLean and CheckAtEvents on from its cluster line, prints exactly
// what it prints without them. And the incremental check (CheckAtEvents)
// is the full check on every check of them: with VerifyIncremental each
// check also takes the full snapshot, which must equal the incremental
// one, and a copy of the checker checks it with Step, whose verdict must
// be the incremental one's.
func TestLeanChangesNothing(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.txt")
	if len(files) < 20 {
		t.Fatalf("found only %d transcripts", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			plain, lean := transcript.NewSession(), transcript.NewSession()
			for _, cmd := range transcriptCommands(t, f) {
				want, werr := plain.Exec(cmd)
				got, gerr := lean.Exec(cmd)
				if strings.HasPrefix(cmd, "cluster") && lean.Cluster() != nil {
					lean.Cluster().SetLean()
					lean.Cluster().SetCheckMode(cluster.CheckAtEvents)
					lean.Cluster().VerifyIncremental()
				}
				if !slices.Equal(want, got) || (werr == nil) != (gerr == nil) {
					t.Fatalf("%s: %q\nplain: %q %v\nlean:  %q %v", f, cmd, want, werr, got, gerr)
				}
			}
			if lean.Cluster() != nil && lean.Cluster().Now() != plain.Cluster().Now() {
				t.Fatalf("clocks differ")
			}
		})
	}
}

// transcriptCommands reads the command lines of a golden transcript.
func transcriptCommands(t *testing.T, file string) []string {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []string
	inOutput := false
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case inOutput:
			inOutput = line != ""
		case line == "----":
			inOutput = true
		case line != "" && !strings.HasPrefix(line, "#"):
			out = append(out, line)
		}
	}
	return out
}
