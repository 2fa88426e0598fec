package impl_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden are the imports that would let a clock, randomness, I/O or
// concurrency into the deterministic core (DESIGN §3).
var forbidden = map[string]string{
	"time": "clock", "math/rand": "randomness", "math/rand/v2": "randomness", "crypto/rand": "randomness",
	"hash/maphash": "random seed", "os": "I/O", "net": "I/O", "io/ioutil": "I/O", "sync": "concurrency",
}

// TestCoreIsPure: the packages of the core — spec, assignors, impl and the
// internal helpers they use — import nothing that reads a clock, draws a
// random number, does I/O or starts goroutines, and contain no go
// statement. (Tests may; they are not scanned.)
func TestCoreIsPure(t *testing.T) {
	roots := []string{"../spec", "../assignors", ".", "../internal/assert", "../internal/canon",
		"../internal/cmdline", "../internal/mutant"}
	scanned := 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			scanned++
			checkPure(t, path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if scanned < 40 {
		t.Fatalf("scanned only %d files", scanned)
	}
}

func checkPure(t *testing.T, path string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if why, bad := forbidden[p]; bad {
			t.Errorf("%s imports %s: the core admits no %s", path, p, why)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if g, ok := n.(*ast.GoStmt); ok {
			t.Errorf("%s: a go statement at %s: the core starts no goroutines", path, fset.Position(g.Pos()))
		}
		return true
	})
}
