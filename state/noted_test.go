package state

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoDirectWritesOutsideState: no code of the module outside this
// package writes a state's Objects or Reads maps directly, or replaces its
// Objects map. A save appends to the journal what Record, Put, Delete and
// SetRead noted, so a direct write would be missing from the journal of a
// production save (under test, the save itself fails; see checkNoted).
func TestNoDirectWritesOutsideState(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var found []string
	isMap := func(e ast.Expr) bool {
		sel, ok := e.(*ast.SelectorExpr)
		return ok && (sel.Sel.Name == "Objects" || sel.Sel.Name == "Reads")
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "state") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if ix, ok := l.(*ast.IndexExpr); ok && isMap(ix.X) {
						found = append(found, fset.Position(n.Pos()).String())
					}
					// A whole new Objects map (Reads is also a field of
					// the providers' live models, so only Objects).
					if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "Objects" {
						found = append(found, fset.Position(n.Pos()).String())
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "delete" && len(n.Args) > 0 && isMap(n.Args[0]) {
					found = append(found, fset.Position(n.Pos()).String())
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("Objects or Reads written directly (use Record, Put, Delete or SetRead):\n  %s", strings.Join(found, "\n  "))
	}
}
