package kfakeuniform

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	// The module groups_copy.go was copied from, so that go.mod pins its
	// version and TestVerbatim can read its source.
	_ "github.com/twmb/franz-go/pkg/kfake"
)

// TestVerbatim checks that every declaration of groups_copy.go is, byte for
// byte and with its doc comment, the declaration of the same name in the
// kfake module's groups.go (the version go.mod pins).
func TestVerbatim(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/twmb/franz-go/pkg/kfake").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("kfake's source is not available (go list: %v)", err)
	}
	upstream := decls(t, filepath.Join(dir, "groups.go"))
	copied := decls(t, "groups_copy.go")
	if len(copied) != 5 {
		t.Fatalf("groups_copy.go has %d declarations, want 5", len(copied))
	}
	for name, src := range copied {
		if up, ok := upstream[name]; !ok {
			t.Errorf("%s: not in kfake's groups.go", name)
		} else if up != src {
			t.Errorf("%s differs from kfake's groups.go", name)
		}
	}
}

// decls returns the source of each top-level function and type declaration
// of a file, doc comment included, by name (methods as Recv.Name).
func decls(t *testing.T, path string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	text := func(from, to token.Pos) string {
		return string(src[fset.Position(from).Offset:fset.Position(to).Offset])
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil {
				name = types(d.Recv.List[0].Type) + "." + name
			}
			start := d.Pos()
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
			out[name] = text(start, d.End())
		case *ast.GenDecl:
			if d.Tok != token.TYPE || d.Lparen.IsValid() {
				continue // grouped declarations are the shim's (or kfake's) own
			}
			start := d.Pos()
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
			out[d.Specs[0].(*ast.TypeSpec).Name.Name] = text(start, d.End())
		}
	}
	return out
}

func types(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		return "*" + types(s.X)
	}
	return e.(*ast.Ident).Name
}
