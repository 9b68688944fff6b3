package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// Host is one simulated Hyper-V host: its WMI provider (root\virtualization\v2)
// and the files under its DataDir.
type Host struct {
	opts    Options
	name    string
	dataDir string // absolute
	clock   Clock
	log     *zap.Logger

	mu       sync.Mutex // guards everything below
	closed   bool
	settings hostSettings
	switches []*virtualSwitch
	vms      []*virtualMachine
	planned  []*plannedVM // in import order
	jobs     []*job       // in submission order; finished ones until removal
	faults   []*faultState

	jobsRunning sync.WaitGroup // one per job goroutine
}

// New opens the simulated host in opts.DataDir, creating it from
// opts.Seed (DemoSeed when nil) if the folder holds no host yet.
func New(opts Options) (*Host, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	h := &Host{
		opts: opts, name: opts.HostName, dataDir: dataDir, clock: opts.Clock,
		log: opts.Logger.Named("wmisim").With(zap.String("host", opts.HostName)),
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	found, err := h.hostExists()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if found {
		if err := h.loadHostState(); err != nil {
			return nil, fmt.Errorf("sim: loading host from %s: %w", dataDir, err)
		}
		h.log.Info("loaded simulated host", zap.String("dataDir", dataDir), zap.Int("vms", len(h.vms)))
		if err := h.loadJobs(); err != nil {
			return nil, fmt.Errorf("sim: loading the export jobs from %s: %w", dataDir, err)
		}
		return h, nil
	}
	seed := opts.Seed
	if seed == nil {
		seed = DemoSeed()
	}
	if err := h.createFromSeed(seed); err != nil {
		return nil, fmt.Errorf("sim: creating host in %s: %w", dataDir, err)
	}
	h.log.Info("created simulated host from seed", zap.String("dataDir", dataDir), zap.Int("vms", len(h.vms)))
	return h, nil
}

// Services connects to a namespace of the host: root\virtualization\v2, or
// root\virtualization (v1, v1_*.go) — two views of the same VMs, switches
// and files, as on a Windows Server 2012 host, which serves both
// (docs/HYPERV.md#v1-availability). Options.V1.Unavailable takes v1 away, as
// Windows Server 2012 R2 and later did.
func (h *Host) Services(namespace string) (wmi.Services, error) {
	ns := namespaceNamed(namespace)
	if ns == nsV1 && h.opts.V1.Unavailable {
		ns = nil
	}
	if ns == nil {
		return nil, &wmi.Error{Op: "Connect", Path: namespace, HResult: wmi.WBEMInvalidNamespace,
			Msg: "the simulated host has no namespace " + namespace}
	}
	return &services{h: h, ns: ns}, nil
}

// Close stops the host: running jobs are killed (their partial output
// removed, JobState 9), their goroutines waited for, and host.json written.
// Export jobs are recorded as running first, and a host opened again on
// the same DataDir runs them on (job_persist.go): the simulated VMMS
// outlives its client.
// Calls on the host's Services fail afterwards. Close is idempotent.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	// Running export jobs are recorded as running: a host opened on this
	// DataDir runs them on (job_persist.go).
	h.saveJobsLocked()
	h.closed = true
	for _, j := range h.jobs {
		h.stopJobLocked(j, wmi.JobKilled, errHostClosed)
	}
	h.mu.Unlock()
	h.jobsRunning.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.saveHostState(); err != nil {
		return fmt.Errorf("sim: saving host state: %w", err)
	}
	h.log.Info("closed simulated host")
	return nil
}

var errHostClosed = errors.New("the simulated host is shutting down")

// DataDir is the absolute path of the host's data folder.
func (h *Host) DataDir() string { return h.dataDir }

// Name is the host name (__SERVER).
func (h *Host) Name() string { return h.name }

// methodDelay waits the configured delay for a method (Options.MethodDelay).
func (h *Host) methodDelay(ctx context.Context, method string) error {
	return h.controlledMethodDelay(ctx, method) // delay + jitter: controls.go
}

// path formats a full object path on this host in root\virtualization\v2.
func (h *Host) path(class string, keys ...wmi.Key) string {
	return wmi.ObjectPath{Server: h.name, Namespace: wmi.NamespaceV2, Class: class, Keys: keys}.String()
}

func (h *Host) now() time.Time { return h.clock.Now() }
