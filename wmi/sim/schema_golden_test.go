package sim

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite testdata/schema.golden from the class tables")

// schemaListing writes out every class both namespaces serve — name,
// derivation, keys, association, each property's type, arrayness and
// CLASSORIGIN in the order instances declare them, the modelled methods'
// in-parameters and the unmodelled methods — and the enumerable classes in
// query order.
func schemaListing(t *testing.T) string {
	var b strings.Builder
	for _, ns := range namespaces() {
		fmt.Fprintf(&b, "namespace %s\n", ns.name)
		keys := make([]string, 0, len(ns.classes))
		for k := range ns.classes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c := ns.classes[k]
			if strings.ToLower(c.name) != k {
				t.Errorf("%s: class %s filed under %q", ns.name, c.name, k)
			}
			fmt.Fprintf(&b, "class %s\n", c.name)
			fmt.Fprintf(&b, "  derivation %s\n", strings.Join(c.derivation, ", "))
			if len(c.keys) > 0 {
				fmt.Fprintf(&b, "  keys %s\n", strings.Join(c.keys, ", "))
			}
			if c.association {
				b.WriteString("  association\n")
			}
			for _, p := range c.props {
				arr := ""
				if p.array {
					arr = "[]"
				}
				fmt.Fprintf(&b, "  property %s %s%s origin %s\n", p.name, p.typ, arr, p.origin)
			}
			for _, m := range c.methods {
				var in []string
				for _, p := range m.in {
					arr := ""
					if p.array {
						arr = "[]"
					}
					in = append(in, fmt.Sprintf("%s %s%s", p.name, p.typ, arr))
				}
				fmt.Fprintf(&b, "  method %s(%s)\n", m.name, strings.Join(in, ", "))
			}
			if len(c.unmodelled) > 0 {
				fmt.Fprintf(&b, "  unmodelled %s\n", strings.Join(c.unmodelled, ", "))
			}
		}
		var listed []string
		for _, l := range ns.listers {
			if ns.classes[strings.ToLower(l.class.name)] != l.class {
				t.Errorf("%s: the lister of %s has another classDef than the class table", ns.name, l.class.name)
			}
			listed = append(listed, l.class.name)
		}
		fmt.Fprintf(&b, "enumerable %s\n\n", strings.Join(listed, ", "))
	}
	for k, c := range allClasses {
		if nsV2.classes[k] != c {
			t.Errorf("allClasses[%s] is not v2's", k)
		}
	}
	// v1 serves v2's Msvm_Error: it must be what the description gives v1.
	if !reflect.DeepEqual(errorSpec.build(inV1), classError) {
		t.Error("Msvm_Error differs between the namespaces; give v1 its own")
	}
	return b.String()
}

// TestSchemaGolden: the class tables of both namespaces are exactly those
// of testdata/schema.golden (written from the tables before they were
// built from one description; -update-schema rewrites it).
func TestSchemaGolden(t *testing.T) {
	got := schemaListing(t)
	const golden = "testdata/schema.golden"
	if *updateSchema {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("class tables differ from %s at line %d:\n got %q\nwant %q", golden, i+1, g, w)
			}
		}
	}
}
