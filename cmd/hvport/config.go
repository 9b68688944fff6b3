package main

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/client"
)

// config is ~/.config/hvport/config.yaml: the saved hosts (contexts) and
// the current one. A token is kept here only when given with --token;
// otherwise the host names a token file.
type config struct {
	Current string      `yaml:"current,omitempty" json:"current,omitempty"`
	Hosts   []hostEntry `yaml:"hosts" json:"hosts"`
}

type hostEntry struct {
	Name        string `yaml:"name" json:"name"`
	URL         string `yaml:"url" json:"url"`
	TokenFile   string `yaml:"token-file,omitempty" json:"tokenFile,omitempty"`
	Token       string `yaml:"token,omitempty" json:"-"`
	Fingerprint string `yaml:"fingerprint,omitempty" json:"fingerprint,omitempty"`
	CAFile      string `yaml:"ca-file,omitempty" json:"caFile,omitempty"`
}

func (c *config) find(name string) (hostEntry, bool) {
	for _, h := range c.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return hostEntry{}, false
}

// configPath is $XDG_CONFIG_HOME/hvport/config.yaml, else
// ~/.config/hvport/config.yaml (%AppData%\hvport\config.yaml on Windows).
func (a *app) configPath() (string, error) {
	if x := a.env("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "hvport", "config.yaml"), nil
	}
	if runtime.GOOS == "windows" {
		if d := a.env("AppData"); d != "" {
			return filepath.Join(d, "hvport", "config.yaml"), nil
		}
	}
	home := a.env("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", usageErrorf("no home directory for the configuration file: %v", err)
		}
	}
	return filepath.Join(home, ".config", "hvport", "config.yaml"), nil
}

// loadConfig reads the configuration; a missing file is an empty one.
func (a *app) loadConfig() (*config, string, error) {
	path, err := a.configPath()
	if err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &config{}, path, nil
	}
	if err != nil {
		return nil, path, usageErrorf("configuration: %v", err)
	}
	var c config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, path, usageErrorf("configuration %s: %v", path, err)
	}
	return &c, path, nil
}

// saveConfig writes the configuration atomically, readable by its owner
// only (it may hold a token given with --token).
func saveConfig(path string, c *config) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// connection is how to reach one server.
type connection struct {
	Host        string // the saved host's name, or ""
	URL         string
	Token       string
	TokenFile   string
	CAFile      string
	Fingerprint string
}

const defaultURL = "http://127.0.0.1:8080"

// localTokenFiles are where the server writes its admin token on this
// machine by default (relative to the working directory: `go run
// ./cmd/server` in the repository).
func (a *app) localTokenFiles() []string {
	files := []string{filepath.Join("hvport-data", "admin.token")}
	if runtime.GOOS == "windows" {
		if pd := a.env("ProgramData"); pd != "" {
			files = append(files, filepath.Join(pd, "hvport", "admin.token"))
		}
	}
	return files
}

// resolve decides the connection: flags, then the environment, then the
// saved host (--host, HVPORT_HOST, else the current one unless a URL was
// given), then the defaults of the server's own machine.
func (a *app) resolve() (connection, error) {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return connection{}, err
	}
	var base hostEntry
	hostName := a.host
	if hostName == "" {
		hostName = a.env("HVPORT_HOST")
	}
	switch {
	case hostName != "":
		h, ok := cfg.find(hostName)
		if !ok {
			return connection{}, notFoundErrorf("no host %q in %s (hvport host list)", hostName, path)
		}
		base = h
	case a.url == "" && a.env("HVPORT_URL") == "" && cfg.Current != "":
		h, ok := cfg.find(cfg.Current)
		if !ok {
			return connection{}, usageErrorf("the current host %q is not in %s (hvport host use NAME)", cfg.Current, path)
		}
		base = h
	}
	c := connection{Host: base.Name, URL: first(a.url, a.env("HVPORT_URL"), base.URL, defaultURL),
		CAFile: first(a.caFile, base.CAFile), Fingerprint: first(a.fingerprint, base.Fingerprint)}
	switch {
	case a.token != "":
		c.Token = a.token
	case a.tokenFile != "":
		c.TokenFile = a.tokenFile
	case a.env("HVPORT_TOKEN") != "":
		c.Token = a.env("HVPORT_TOKEN")
	case a.env("HVPORT_TOKEN_FILE") != "":
		c.TokenFile = a.env("HVPORT_TOKEN_FILE")
	case base.Token != "":
		c.Token = base.Token
	case base.TokenFile != "":
		c.TokenFile = base.TokenFile
	case isLoopbackURL(c.URL):
		// The server's own machine: its admin token, if it is here.
		for _, f := range a.localTokenFiles() {
			if _, err := os.Stat(f); err == nil {
				c.TokenFile = f
				break
			}
		}
	}
	return c, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// clientFor makes a client of the connection.
func clientFor(c connection, extra ...client.Option) (*client.Client, error) {
	opts := append([]client.Option{}, extra...)
	if c.Token != "" {
		opts = append(opts, client.WithToken(c.Token))
	}
	if c.TokenFile != "" {
		opts = append(opts, client.WithTokenFile(c.TokenFile))
	}
	if c.CAFile != "" {
		opts = append(opts, client.WithCAFile(c.CAFile))
	}
	if c.Fingerprint != "" {
		opts = append(opts, client.WithFingerprint(c.Fingerprint))
	}
	cl, err := client.New(c.URL, opts...)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: errors.New(strings.TrimPrefix(err.Error(), "hvport client: "))}
	}
	return cl, nil
}

// client resolves the connection and makes its client.
func (a *app) client() (*client.Client, connection, error) {
	c, err := a.resolve()
	if err != nil {
		return nil, c, err
	}
	cl, err := clientFor(c)
	return cl, c, err
}

// hostPath makes a path argument absolute when the server runs on this
// machine (a loopback URL), so that a relative path works in the demo;
// paths for a remote host go as they are (the server wants absolute
// paths on its own machine).
func hostPath(c connection, p string) string {
	if isLoopbackURL(c.URL) && !filepath.IsAbs(p) {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	return p
}

// completionTimeout bounds the server requests shell completion makes.
const completionTimeout = 3 * time.Second

func describeAuth(h hostEntry) string {
	switch {
	case h.Token != "":
		return "token (in config)"
	case h.TokenFile != "":
		return h.TokenFile
	}
	return "-"
}

func describeTLS(h hostEntry) string {
	var parts []string
	if h.Fingerprint != "" {
		parts = append(parts, "pinned "+shortFingerprint(h.Fingerprint))
	}
	if h.CAFile != "" {
		parts = append(parts, "CA "+h.CAFile)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func shortFingerprint(f string) string {
	b, err := client.ParseFingerprint(f)
	if err != nil {
		return f
	}
	s := client.FormatFingerprint(b)
	return "sha256:" + s[:11] + "…"
}
