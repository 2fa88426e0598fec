// Package fuzzcorpus writes and checks the seed corpora of kgroup's fuzz
// targets: each target's seeds are built from real inputs (golden
// transcripts, simulator examples, seeded model runs, the sticky golden)
// and committed under testdata/fuzz/<target>, where `go test` replays them
// and `go test -fuzz` starts from them. Tests use it; nothing else does.
package fuzzcorpus

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update-corpus", false, "rewrite the seed corpora under testdata/fuzz from their sources")

// Seeds keeps the seed corpus of target in step with its sources: with
// -update-corpus it rewrites testdata/fuzz/<target>/seed-* from seeds (one
// file per entry, named by content, other files kept); without, it demands
// that every seed is committed, so a corpus cannot silently go missing or
// fall behind its sources. Each seed is one argument of the target, a
// []byte or a string.
func Seeds[T []byte | string](t *testing.T, target string, seeds []T) {
	t.Helper()
	if len(seeds) == 0 {
		t.Fatalf("%s: no seeds", target)
	}
	dir := filepath.Join("testdata", "fuzz", target)
	want := map[string]string{}
	for _, s := range seeds {
		want[name(string(s))] = encode(s)
	}
	if *update {
		write(t, dir, want)
		return
	}
	var missing []string
	for n, body := range want {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || string(got) != body {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s: %d of %d seeds are not committed under %s (run go test -run %s -update-corpus)", target, len(missing), len(want), dir, t.Name())
	}
}

func write(t *testing.T, dir string, want map[string]string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	for _, f := range old {
		if _, keep := want[filepath.Base(f)]; !keep {
			os.Remove(f)
		}
	}
	for n, body := range want {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func name(s string) string {
	h := sha256.Sum256([]byte(s))
	return "seed-" + hex.EncodeToString(h[:8])
}

// encode is Go's corpus file format for one argument.
func encode[T []byte | string](v T) string {
	typ := "string"
	if _, ok := any(v).([]byte); ok {
		typ = "[]byte"
	}
	return fmt.Sprintf("go test fuzz v1\n%s(%s)\n", typ, strconv.Quote(string(v)))
}

// Files reads every file matching pattern, sorted, as seeds.
func Files(t *testing.T, pattern string) []string {
	t.Helper()
	names, err := filepath.Glob(pattern)
	if err != nil || len(names) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	return out
}
