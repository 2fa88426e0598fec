package refine

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kgroup/kgroup/impl/transcript"
)

// commands reads a transcript file's commands (outputs and comments dropped).
func commands(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	inOutput := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case inOutput:
			inOutput = line != ""
		case line == "----":
			inOutput = true
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			out = append(out, line)
		}
	}
	return out
}

// runTranscript plays a transcript with a checker attached from its cluster
// line on.
func runTranscript(t *testing.T, path string) *Checker {
	s := transcript.NewSession()
	ck := New()
	for _, line := range commands(t, path) {
		if _, err := s.Exec(line); err != nil {
			t.Logf("%s: %s: %v", filepath.Base(path), line, err)
		}
		if strings.HasPrefix(line, "cluster") && s.Cluster() != nil {
			ck.Attach(s.Cluster())
		}
		if ck.Err() != nil {
			break
		}
	}
	return ck
}

func TestTranscriptsRefineTheSpec(t *testing.T) {
	files, _ := filepath.Glob("../../impl/testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	total := int64(0)
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "kip848_") {
			continue // consumer groups: ClassicGroup.tla does not describe them (no ConsumerGroup.tla yet)
		}
		ck := runTranscript(t, f)
		total += ck.Steps()
		if err := ck.Err(); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
	t.Logf("%d transcripts, %d steps checked", len(files), total)
}

func TestTranscriptTiming(t *testing.T) {
	files, _ := filepath.Glob("../../impl/testdata/*.txt")
	for _, f := range files {
		start := time.Now()
		ck := runTranscript(t, f)
		t.Logf("%-45s steps=%6d %v err=%v", filepath.Base(f), ck.Steps(), time.Since(start).Round(time.Millisecond), ck.Err() != nil)
	}
}
