package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/fcopy"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// copyPairs: both copy engines against cp --sparse=always and an fsync of
// the copy (target 1), with the allocated size of each copy.
func (s *scenario) copyPairs() error {
	out := filepath.Join(s.dir, "copies")
	clean := func(int) error { return os.RemoveAll(out) }
	peer := side{name: "cp --sparse=always + sync", prepare: clean, do: func(int) error {
		os.MkdirAll(out, 0o755)
		return sh(fmt.Sprintf("cp --sparse=always %q %q/peer.vhdx && sync %q/peer.vhdx", s.bigDisk, out, out))
	}}
	var used int64 // what the last copy allocated
	err := s.pair("copy a disk: internal/fcopy", side{name: "fcopy.Copy (fsync)", prepare: clean, do: func(int) error {
		err := fcopy.Copy(bg, s.bigDisk, filepath.Join(out, "fcopy.vhdx"), nil)
		used = allocated(filepath.Join(out, "fcopy.vhdx"))
		return err
	}}, peer)
	if err != nil {
		return err
	}
	fmt.Printf("%-34s allocated: source %s, fcopy's copy %s\n\n", "", human(allocated(s.bigDisk)), human(used))

	// The simulator's engine, through the driver as the server runs it:
	// ExportSystemDefinition of "big" without snapshots (a copy of its
	// disk and its configuration).
	h, err := sim.New(sim.Options{DataDir: s.host})
	if err != nil {
		return err
	}
	defer h.Close()
	svc, _ := h.Services(wmi.NamespaceV2)
	drv, err := hyperv.New(svc, hyperv.Options{PollInterval: 5 * time.Millisecond})
	if err != nil {
		return err
	}
	vm, err := drv.FindVM(bg, "big")
	if err != nil {
		return err
	}
	settings, err := drv.DefaultExportSettings(bg, vm)
	if err != nil {
		return err
	}
	settings.CreateVmExportSubdirectory = false
	err = s.pair("copy a disk: the simulator's engine", side{name: "ExportSystemDefinition job", prepare: clean, do: func(int) error {
		plan, err := drv.PrepareExport(bg, vm, filepath.Join(out, "sim"), settings)
		if err != nil {
			return err
		}
		err = plan.Run(bg, progress.Discard)
		used = allocated(filepath.Join(out, "sim", "Virtual Hard Disks", "big.vhdx"))
		return err
	}}, peer)
	if err != nil {
		return err
	}
	fmt.Printf("%-34s allocated: source %s, the simulator's copy %s\n\n", "", human(allocated(s.bigDisk)), human(used))
	return clean(0)
}

// exportPair: an export through the API, end to end (Hyper-V's copy,
// checks, hashing, manifest, publication) against cp -r --sparse=always
// of the VM's files, sync and openssl dgst -sha256 of the copies
// (target 2).
func (s *scenario) exportPair() error {
	out := filepath.Join(s.data, "exports")
	vmFiles := []string{s.bigDisk, filepath.Join(s.host, "Hyper-V", "Virtual Machines")}
	var last string
	hv := side{name: "POST /v1/vms/big/exports", prepare: func(run int) error {
		return s.deleteExports()
	}, do: func(run int) error {
		var j job
		if _, err := s.api("POST", "/v1/vms/big/exports", map[string]any{"directory": filepath.Join(out, fmt.Sprintf("big-%d", run))}, &j); err != nil {
			return err
		}
		done, err := s.waitJob(j.ID)
		last, _ = done.Result["exportId"].(string)
		return err
	}}
	peerDir := filepath.Join(s.dir, "peer-export")
	peer := side{name: "cp -r --sparse=always + sync + openssl dgst -sha256", prepare: func(int) error { return os.RemoveAll(peerDir) }, do: func(int) error {
		os.MkdirAll(peerDir, 0o755)
		return sh(fmt.Sprintf("cp -r --sparse=always %s %q && sync -f %q/big.vhdx && openssl dgst -sha256 %q/big.vhdx %q/'Virtual Machines'/* >/dev/null",
			quoteAll(vmFiles), peerDir, peerDir, peerDir, peerDir))
	}}
	if err := s.pair("export end to end", hv, peer); err != nil {
		return err
	}
	s.lastExport = last
	return os.RemoveAll(peerDir)
}

// importPair: an import with copy (a new id) of the last export through
// the API against cp -r --sparse=always of the export and sync (target 3).
func (s *scenario) importPair() error {
	if s.lastExport == "" {
		if err := s.exportPair(); err != nil {
			return err
		}
	}
	var x struct{ Directory string }
	if _, err := s.api("GET", "/v1/exports/"+s.lastExport, nil, &x); err != nil {
		return err
	}
	hv := side{name: "POST /v1/imports (copy)", do: func(run int) error {
		var j job
		yes := true
		body := map[string]any{"exportId": s.lastExport, "settings": map[string]any{"createCopy": yes, "generateNewId": yes, "name": fmt.Sprintf("big-copy-%d", run)}}
		if _, err := s.api("POST", "/v1/imports", body, &j); err != nil {
			return err
		}
		_, err := s.waitJob(j.ID)
		return err
	}}
	peerDir := filepath.Join(s.dir, "peer-import")
	peer := side{name: "cp -r --sparse=always + sync", prepare: func(int) error { return os.RemoveAll(peerDir) }, do: func(int) error {
		return sh(fmt.Sprintf("cp -r --sparse=always %q %q && sync -f %q", x.Directory, peerDir, peerDir))
	}}
	if err := s.pair("import with copy", hv, peer); err != nil {
		return err
	}
	return os.RemoveAll(peerDir)
}

func (s *scenario) deleteExports() error {
	var l struct{ Items []struct{ ID string } }
	if _, err := s.api("GET", "/v1/exports", nil, &l); err != nil {
		return err
	}
	for _, x := range l.Items {
		if x.ID == s.lastExport {
			continue
		}
		if _, err := s.api("DELETE", "/v1/exports/"+x.ID, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func quoteAll(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Join(q, " ")
}
