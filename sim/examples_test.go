package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every example scenario runs to the end with no rule broken.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("examples/*.txt")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Run(strings.NewReader(string(in)), &out); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out.String())
		}
	}
}
