package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/internal/dirlock"
)

// diagnose creates and changes nothing in the data directory: it reports
// what the server keeps there (dataDirReport), and the simulator, which
// would create, seed or rewrite its host in <data-dir>/sim, is opened in a
// temporary directory instead (openReadOnly).

// dataDirEntry is one thing the server keeps in its data directory.
type dataDirEntry struct {
	Name  string `json:"name"` // relative to the data directory; a directory ends in "/"
	What  string `json:"what"`
	Found bool   `json:"found"`
}

// dataDirReport is what diagnose found in the data directory and what the
// server would create there at its start.
type dataDirReport struct {
	Path    string         `json:"path"`
	Exists  bool           `json:"exists"`
	Problem string         `json:"problem,omitempty"` // why the server could not use it
	Entries []dataDirEntry `json:"entries"`
}

// inspectDataDir looks at cfg's data directory without changing it. The
// entries are what runWith creates there with this configuration.
func inspectDataDir(cfg Config) dataDirReport {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		dir = cfg.DataDir
	}
	rep := dataDirReport{Path: dir}
	switch fi, err := os.Stat(dir); {
	case err == nil && !fi.IsDir():
		rep.Exists, rep.Problem = true, "it is not a directory"
	case err == nil:
		rep.Exists = true
	case !errors.Is(err, fs.ErrNotExist):
		rep.Problem = err.Error()
	}
	add := func(name, what string) {
		_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(name, "/"))))
		rep.Entries = append(rep.Entries, dataDirEntry{Name: name, What: what, Found: rep.Exists && err == nil})
	}
	add(dirlock.FileName, "lock: one server per data directory")
	if !cfg.InsecureNoAuth {
		add(auth.StoreFile, "tokens, as hashes")
		add(auth.AdminTokenFile, "the first admin token, written at the first start")
	}
	if cfg.AuditLog == "" {
		add("audit.log", "audit log")
	}
	add("jobs/", "job records")
	if len(cfg.ExportRoots) == 0 {
		add("exports/", "the export root")
	}
	if resolveBackend(cfg) == "sim" {
		add("sim/", "the simulated Hyper-V host")
	}
	if cfg.TLS.Cert == "" && (cfg.TLS.Mode == "on" || (cfg.TLS.Mode == "auto" || cfg.TLS.Mode == "") && !isLoopback(cfg.Listen)) {
		add("tls/", "the self-signed serving certificate")
	}
	return rep
}

// writeDataDir prints the data directory's part of the report.
func writeDataDir(w io.Writer, d dataDirReport) {
	var found, missing []string
	for _, e := range d.Entries {
		if e.Found {
			found = append(found, e.Name)
		} else {
			missing = append(missing, e.Name)
		}
	}
	switch {
	case d.Problem != "":
		fmt.Fprintf(w, "data directory %s: %s; the server cannot start with it\n", d.Path, d.Problem)
	case !d.Exists:
		fmt.Fprintf(w, "data directory %s does not exist; the server creates it at its first start, with %s\n", d.Path, strings.Join(missing, ", "))
	default:
		line := "data directory " + d.Path + ": found " + orNone(found)
		if len(missing) > 0 {
			line += "; the server would create " + strings.Join(missing, ", ")
		}
		fmt.Fprintln(w, line)
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing of hvport's"
	}
	return strings.Join(s, ", ")
}

// openReadOnly is openBackend for diagnose. Hyper-V is only read. The
// simulator is opened on a temporary copy of its inventory (host.json and
// the configurations, *.vmcx): its disks and saved states are not copied
// (the checks read none), nor the simulated VMMS's job records, on which a
// host would run interrupted exports on, writing in the export roots.
// Without a host yet, it is a temporary one seeded as the server would
// seed <data-dir>/sim at its first start. Closing the backend removes the
// temporary directory.
func openReadOnly(ctx context.Context, cfg Config, log *zap.Logger) (*backend, error) {
	if resolveBackend(cfg) != "sim" {
		return openBackend(ctx, cfg, log)
	}
	src, found, err := simHostIn(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start the simulated Hyper-V host: %w", err)
	}
	if t, err := filepath.Abs(os.TempDir()); err == nil && within(filepath.Dir(src), t) {
		return nil, fmt.Errorf("the temporary directory %s is in the data directory, which diagnose does not change; set TMP (Windows) or TMPDIR to another place", t)
	}
	tmp, err := os.MkdirTemp("", "hvport-diagnose-")
	if err != nil {
		return nil, err
	}
	if found {
		if err := copySimInventory(src, filepath.Join(tmp, "sim")); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("copy the simulated host's inventory: %w", err)
		}
	}
	c := cfg
	c.DataDir = tmp
	be, err := openSim(c, log)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	closeSim := be.close
	be.close = func() error {
		err := closeSim()
		if rerr := removeTree(tmp); err == nil {
			err = rerr
		}
		return err
	}
	return be, nil
}

// removeTree is os.RemoveAll, and where that fails (Wine refuses the POSIX
// deletion it uses on Windows: docs/WINDOWS.md) one name at a time, the
// deepest first.
func removeTree(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	var names []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil {
			names = append(names, path)
		}
		return nil
	})
	for i := len(names) - 1; i >= 0; i-- {
		os.Remove(names[i])
	}
	if _, serr := os.Lstat(dir); errors.Is(serr, fs.ErrNotExist) {
		return nil
	}
	return err
}

// simHostIn returns the simulator's directory in dataDir and whether it
// holds a host, or why the server could not open one there.
func simHostIn(dataDir string) (string, bool, error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return "", false, err
	}
	for _, p := range []string{dir, filepath.Join(dir, "sim")} {
		switch fi, err := os.Stat(p); {
		case errors.Is(err, fs.ErrNotExist):
			return filepath.Join(dir, "sim"), false, nil
		case err != nil:
			return "", false, err
		case !fi.IsDir():
			return "", false, fmt.Errorf("%s is not a directory", p)
		}
	}
	src := filepath.Join(dir, "sim")
	switch _, err := os.Stat(filepath.Join(src, simHostFile)); {
	case errors.Is(err, fs.ErrNotExist):
		return src, false, nil
	case err != nil:
		return "", false, err
	}
	return src, true, nil
}

// within reports whether path is dir or inside it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// simHostFile is the simulated host's state, relative to its directory
// (wmi/sim persist.go).
var simHostFile = filepath.Join("Hyper-V", "host.json")

// copySimInventory copies what a simulated host is opened from: its
// host.json and every configuration (*.vmcx), in their folders.
func copySimInventory(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		case rel != simHostFile && !strings.EqualFold(filepath.Ext(rel), ".vmcx"):
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
