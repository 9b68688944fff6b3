package imports

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
)

func defaults() Settings {
	return Settings{
		Name:                     "vm",
		CurrentResourcePaths:     []string{`C:\Old\a.vhdx`, `C:\Old\b.vhdx`},
		SourceResourcePaths:      []string{"/exp/Virtual Hard Disks/a.vhdx", "/exp/Virtual Hard Disks/b.vhdx"},
		TargetResourcePaths:      []string{"/host/vhd/vm/a.vhdx", "/host/vhd/vm/b.vhdx"},
		SourceNetworkConnections: []string{"External"},
		TargetNetworkConnections: []string{"External"},
		SourceVmDataRoot:         "/exp", SourceSnapshotDataRoot: "/exp", SourceVhdDataRoot: "/exp/Virtual Hard Disks",
		TargetVmDataRoot: "/host", TargetSnapshotDataRoot: "/host", TargetVhdDataRoot: "/host/vhd/vm",
	}
}

func str(s string) *string { return &s }
func yes() *bool           { b := true; return &b }

func TestApplyDataRootMovesEveryResourceButPerResourceWins(t *testing.T) {
	st, _, err := apply(defaults(), &Patch{
		CreateCopy:          yes(),
		TargetVhdDataRoot:   str("/fast"),
		TargetResourcePaths: []*string{nil, str("/other/b.vhdx")},
		SourceVhdDataRoot:   str("/moved"),
	}, hyperv.V2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join("/fast", "a.vhdx"), "/other/b.vhdx"}
	if st.TargetResourcePaths[0] != want[0] || st.TargetResourcePaths[1] != want[1] {
		t.Fatalf("targets = %v, want %v", st.TargetResourcePaths, want)
	}
	if st.SourceResourcePaths[0] != filepath.Join("/moved", "a.vhdx") || st.SourceResourcePaths[1] != filepath.Join("/moved", "b.vhdx") {
		t.Fatalf("sources = %v", st.SourceResourcePaths)
	}
	// The defaults are not aliased.
	if defaults().TargetResourcePaths[0] != "/host/vhd/vm/a.vhdx" {
		t.Fatal("defaults changed")
	}
}

func TestApplyWarnsThatTargetsNeedCreateCopy(t *testing.T) {
	_, warnings, err := apply(defaults(), &Patch{TargetVmDataRoot: str("/x"), TargetResourcePaths: []*string{str("/y/a.vhdx")}}, hyperv.V2)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "targetVmDataRoot") || !strings.Contains(warnings[0], "targetResourcePaths") {
		t.Fatalf("warnings = %v", warnings)
	}
	if _, w, _ := apply(defaults(), &Patch{CreateCopy: yes(), TargetVmDataRoot: str("/x")}, hyperv.V2); len(w) != 0 {
		t.Fatalf("warned with createCopy: %v", w)
	}
}

func TestApplyRejectsWithFieldNames(t *testing.T) {
	cases := []struct {
		p     Patch
		field string
	}{
		{Patch{SourceResourcePaths: []*string{nil, nil, str("/c")}}, "settings.sourceResourcePaths[2]"},
		{Patch{TargetNetworkConnections: []*string{nil, str("x")}}, "settings.targetNetworkConnections[1]"},
		{Patch{TargetVhdDataRoot: str("relative")}, "settings.targetVhdDataRoot"},
		{Patch{CurrentResourcePaths: []string{"/changed"}}, "settings.currentResourcePaths"},
		{Patch{SourceNetworkConnections: []string{"Other"}}, "settings.sourceNetworkConnections"},
		{Patch{SecurityScope: str("s")}, "settings.securityScope"},
		{Patch{Name: str(" ")}, "settings.name"},
	}
	for _, c := range cases {
		_, _, err := apply(defaults(), &c.p, hyperv.V2)
		var e *errs.Error
		if !errs.Is(err, errs.Invalid) || !errors.As(err, &e) || e.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want a field error on %s", c.p, err, c.field)
		}
	}
	// Posting back the read-only arrays unchanged is fine; v1 takes a scope.
	d := defaults()
	if _, _, err := apply(d, &Patch{CurrentResourcePaths: d.CurrentResourcePaths, SourceNetworkConnections: d.SourceNetworkConnections}, hyperv.V2); err != nil {
		t.Fatal(err)
	}
	if st, _, err := apply(d, &Patch{SecurityScope: str("scope")}, hyperv.V1); err != nil || *st.SecurityScope != "scope" {
		t.Fatal(err)
	}
}

func TestModeNames(t *testing.T) {
	for _, c := range []struct {
		copy, newID bool
		mode        string
	}{{false, false, "register"}, {true, false, "restore"}, {true, true, "copy"}} {
		if m := (Settings{CreateCopy: c.copy, GenerateNewID: c.newID}).mode(); m != c.mode {
			t.Errorf("%v/%v = %s", c.copy, c.newID, m)
		}
	}
}
