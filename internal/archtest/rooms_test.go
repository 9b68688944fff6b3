package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// imports lists, per package, every module package it may import directly
// (docs/ARCHITECTURE.md, "The rooms and the arrows"): the statements "jobs
// imports nothing of ours but …" and "hyperv → wmi" are checked here as
// allow-lists, so that a new arrow is a decision written into both.
var imports = map[string][]string{
	"jobs":    {"errs", "internal/atomicfile", "internal/progress", "internal/failpoint", "internal/logctx"},
	"hyperv":  {"wmi", "vhdx", "errs", "internal/progress", "internal/failpoint", "internal/logctx"},
	"exports": {"hyperv", "wmi", "vhdx", "roots", "errs", "internal/atomicfile", "internal/progress", "internal/failpoint", "internal/logctx"},
	"imports": {"hyperv", "wmi", "vhdx", "roots", "exports", "transfers", "errs", "internal/fcopy", "internal/secfile",
		"internal/progress", "internal/failpoint", "internal/logctx"},
}

func directImports(t *testing.T, pkg, goos string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, mod+pkg)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var ours []string
	for _, line := range strings.Fields(string(out)) {
		if strings.HasPrefix(line, mod) {
			ours = append(ours, strings.TrimPrefix(line, mod))
		}
	}
	return ours
}

func TestRoomsImportOnlyWhatTheDocSays(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	for _, goos := range []string{"linux", "windows"} {
		for pkg, allowed := range imports {
			for _, dep := range directImports(t, pkg, goos) {
				if !slices.Contains(allowed, dep) {
					t.Errorf("GOOS=%s: %s imports %s, which docs/ARCHITECTURE.md does not give it (add the arrow there and here, or drop the import)", goos, pkg, dep)
				}
			}
		}
	}
}

// callSurface is what package wmi offers for talking to WMI, as opposed
// to its values (Object, Property, the Hyper-V numbers of msvm.go, object
// paths). Only the driver (hyperv) calls WMI; the rooms above it may hold
// and read wmi values the driver hands them (the decision in
// docs/ARCHITECTURE.md, "May the rooms above the driver see wmi types?").
var callSurface = []string{"Services", "Params", "Embed", "CheckReturn", "ReturnValue", "InstanceTexter", "EncodeInstance", "DecodeInstance"}

// aboveTheDriver are the rooms that must not use the call surface.
var aboveTheDriver = []string{"handlers", "exports", "imports", "jobs", "transfers"}

// surfaceUses returns "file:line: wmi.Name" for every use of the call
// surface in a Go source file.
func surfaceUses(fset *token.FileSet, f *ast.File) []string {
	local := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == mod+"wmi" {
			local = "wmi"
			if imp.Name != nil {
				local = imp.Name.Name
			}
		}
	}
	if local == "" || local == "_" {
		return nil
	}
	var uses []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == local && slices.Contains(callSurface, sel.Sel.Name) {
			uses = append(uses, fset.Position(sel.Pos()).String()+": wmi."+sel.Sel.Name)
		}
		return true
	})
	return uses
}

func TestOnlyTheDriverCallsWMI(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, room := range aboveTheDriver {
		files, err := filepath.Glob(filepath.Join(root, room, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", room, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range surfaceUses(fset, f) {
				t.Errorf("%s: only the driver (hyperv) talks to WMI; %s may use wmi's values, not its call surface", u, room)
			}
		}
	}
}

// TestSurfaceCheckFindsACall feeds the check a room that calls WMI
// itself (under another import name) and one that only reads a value, so
// that TestOnlyTheDriverCallsWMI cannot pass by finding nothing.
func TestSurfaceCheckFindsACall(t *testing.T) {
	bad := `package exports
import w "github.com/hvport/hvport/wmi"
func f(s w.Services, o *w.Object) { _ = w.ReturnValue(o) }
`
	good := `package exports
import "github.com/hvport/hvport/wmi"
func g(o *wmi.Object) bool { return o.Uint("X") == uint64(wmi.ExportOneSnapshot) && wmi.SamePath("a", "b") }
`
	fset := token.NewFileSet()
	for _, c := range []struct {
		src  string
		want int
	}{{bad, 2}, {good, 0}} {
		f, err := parser.ParseFile(fset, "x.go", c.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := surfaceUses(fset, f); len(got) != c.want {
			t.Errorf("surfaceUses = %v, want %d uses", got, c.want)
		}
	}
}
