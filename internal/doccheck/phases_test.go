package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/api"
)

// phaseRooms are the server packages whose code sets a job's phase: the
// registry (its own phases) and the work it runs.
var phaseRooms = []string{"jobs", "exports", "imports", "hyperv", "transfers", "cmd/server", "handlers"}

// phaseSources parses the non-test Go files of dirs (relative to root).
func phaseSources(t *testing.T, root string, dirs []string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != filepath.Join(root, dir) {
					return filepath.SkipDir // packages below are other rooms
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return fset, files
}

// collectPhases returns every phase the code sets, from
//
//   - calls x.Phase(v) (the Reporter every job's work is given; a method
//     named Phase that forwards its argument is not a source),
//   - assignments x.Phase = v, also among several (a, x.Phase = …, v),
//   - composite literals {Phase: v},
//
// where v is a string literal or a string constant (jobs.WaitingPhase).
// Assignments and literals whose value is not constant copy a phase from
// elsewhere (a stored record, a snapshot) and are skipped; a Phase call
// with a value that is not constant is a problem, since its phases cannot
// be listed.
func collectPhases(fset *token.FileSet, files []*ast.File) (phases map[string][]string, problems []string) {
	consts := map[string]string{} // "pkg.Name" and "Name@pkg" → value
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							v, _ := strconv.Unquote(lit.Value)
							consts[f.Name.Name+"."+name.Name] = v
						}
					}
				}
			}
		}
	}
	phases = map[string][]string{}
	for _, f := range files {
		value := func(e ast.Expr) (string, bool) {
			switch e := e.(type) {
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					v, err := strconv.Unquote(e.Value)
					return v, err == nil
				}
			case *ast.Ident:
				v, ok := consts[f.Name.Name+"."+e.Name]
				return v, ok
			case *ast.SelectorExpr:
				if pkg, ok := e.X.(*ast.Ident); ok {
					v, ok := consts[pkg.Name+"."+e.Sel.Name]
					return v, ok
				}
			}
			return "", false
		}
		add := func(v string, pos token.Pos) {
			phases[v] = append(phases[v], fset.Position(pos).String())
		}
		isPhase := func(e ast.Expr) bool {
			sel, ok := e.(*ast.SelectorExpr)
			return ok && sel.Sel.Name == "Phase"
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Name.Name == "Phase" {
				continue // a Reporter's Phase (or one that forwards)
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if isPhase(n.Fun) && len(n.Args) == 1 {
						if v, ok := value(n.Args[0]); ok {
							add(v, n.Pos())
						} else {
							problems = append(problems, fmt.Sprintf("%s: Phase(%s): not a string constant, so the phases cannot be listed in api/openapi.yaml", fset.Position(n.Pos()), types(n.Args[0])))
						}
					}
				case *ast.AssignStmt:
					if len(n.Lhs) == len(n.Rhs) {
						for i, l := range n.Lhs {
							if isPhase(l) {
								if v, ok := value(n.Rhs[i]); ok {
									add(v, n.Pos())
								}
							}
						}
					}
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Phase" {
						if v, ok := value(n.Value); ok {
							add(v, n.Pos())
						}
					}
				}
				return true
			})
		}
	}
	return phases, problems
}

// types names an expression for a message.
func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	}
	return fmt.Sprintf("%T", e)
}

var backticked = regexp.MustCompile("`([^`]+)`")

// specPhases returns the phases api/openapi.yaml lists: the backticked
// values in the description of the Job schema's phase property.
func specPhases(t *testing.T, spec []byte) []string {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string `yaml:"description"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		t.Fatal(err)
	}
	desc := doc.Components.Schemas["Job"].Properties["phase"].Description
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(desc, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		t.Fatalf("api/openapi.yaml: Job.phase's description lists no `phase` values: %q", desc)
	}
	return out
}

// TestOpenAPIListsEveryJobPhase compares the phases jobs report (collected
// from the code) with those api/openapi.yaml describes, both ways.
func TestOpenAPIListsEveryJobPhase(t *testing.T) {
	fset, files := phaseSources(t, repoRoot(t), phaseRooms)
	phases, problems := collectPhases(fset, files)
	for _, p := range problems {
		t.Error(p)
	}
	if len(phases) < 10 {
		t.Fatalf("found only %d phases in the code (%v): the collector has lost track of how phases are set", len(phases), phases)
	}
	listed := specPhases(t, api.OpenAPI)
	var code []string
	for p := range phases {
		code = append(code, p)
	}
	sort.Strings(code)
	for _, p := range code {
		if !slices.Contains(listed, p) {
			t.Errorf("phase %q is reported (%s) but api/openapi.yaml's Job.phase does not list it", p, strings.Join(phases[p], ", "))
		}
	}
	for _, p := range listed {
		if _, ok := phases[p]; !ok {
			t.Errorf("api/openapi.yaml's Job.phase lists %q, which no code reports", p)
		}
	}
}

// TestPhaseCollector runs the collector on made-up code that sets phases
// in each way it knows, so that the comparison above cannot pass by
// collecting nothing.
func TestPhaseCollector(t *testing.T) {
	src := `package jobs
const WaitingPhase = "waiting"
type reporter struct{}
func (r reporter) Phase(name string) { r.inner.Phase(name) } // forwards: not a source
func work(prog reporter, j *job, step string) {
	prog.Phase("copying")
	j.snap.Phase = WaitingPhase
	j.snap.State, j.snap.Phase = 1, "interrupted"
	_ = Snapshot{Phase: "queued"}
	_ = Snapshot{Phase: rec.Phase} // a copy
	prog.Phase(step)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	phases, problems := collectPhases(fset, []*ast.File{f})
	var got []string
	for p := range phases {
		got = append(got, p)
	}
	sort.Strings(got)
	if want := []string{"copying", "interrupted", "queued", "waiting"}; !slices.Equal(got, want) {
		t.Errorf("phases = %v, want %v", got, want)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "Phase(step)") {
		t.Errorf("problems = %v, want one for Phase(step)", problems)
	}
}
