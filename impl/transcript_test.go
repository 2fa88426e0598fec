package impl_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/impl/transcript"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden transcripts in testdata with the current output")

// TestTranscripts runs every transcript in testdata and compares its output
// with the golden text. A golden transcript breaks no rule and has no
// command that fails.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts found: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := transcript.Replay(strings.NewReader(string(want)), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Output
			if res.Violation != nil {
				t.Errorf("transcript broke a rule: %v\n%s", res.Violation, got)
			}
			if len(res.Failed) > 0 {
				t.Errorf("commands failed at lines %v:\n%s", res.Failed, got)
			}
			if *rewrite {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); d != "" {
				t.Errorf("%s differs from its golden output (-golden +got); rerun with -rewrite if the change is intended:\n%s", file, d)
			}
		})
	}
}
