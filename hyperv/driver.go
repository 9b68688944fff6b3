// Package hyperv is the Hyper-V driver: it lists VMs, reads Hyper-V's
// default export settings, runs exports, and drives imports (planned VMs on
// v2, the import setting data on v1), speaking only WMI through the
// wmi.Services seam; it is the only room that calls WMI. The same code runs
// on a real host (wmi/com) and on the simulator (wmi/sim). The Hyper-V
// facts it relies on are in docs/HYPERV.md.
//
// It touches the local file system only where WMI does not answer or
// Hyper-V leaves the work to the caller: it creates the export directory
// and removes partial output, reads an export's folders to find its
// definition file, and reads disk files for their sizes (docs/ARCHITECTURE.md).
//
// The driver knows both WMI API generations: v2 (root\virtualization\v2,
// Windows Server 2012 and later) and v1 (root\virtualization, 2008 R2 and
// 2012). It picks the generation from the namespace it was given.
package hyperv

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// APIVersion is the Hyper-V WMI generation the driver talks to.
type APIVersion string

const (
	V1 APIVersion = "v1"
	V2 APIVersion = "v2"
)

// Options configure a Driver.
type Options struct {
	// PollInterval is how often a running Hyper-V job is re-read. Default
	// 250ms (Microsoft's samples poll every second, libvirt and os-win
	// every 100ms).
	PollInterval time.Duration
	// CancelTimeout bounds how long a cancelled export waits for the
	// Hyper-V job to stop after RequestStateChange(Kill). Default 2 minutes.
	CancelTimeout time.Duration
	// InventoryMaxAge is how long a VM listing is reused while the driver
	// changes nothing (inventory.go); 0 asks Hyper-V for every listing.
	InventoryMaxAge time.Duration
	// Now is the inventory's clock (tests); default time.Now.
	Now    func() time.Time
	Logger *zap.Logger
}

// Driver drives one Hyper-V host through one WMI connection.
type Driver struct {
	svc  wmi.Services
	api  APIVersion
	opts Options
	log  *zap.Logger

	inventory inventory // the shared VM listing (inventory.go)

	mu            sync.Mutex
	vsmsPath      string              // guarded by mu; the management service's path, once found
	exportTargets map[string]struct{} // guarded by mu; folders an ExportPlan is writing to (Hyper-V's target, inside the staging directory)
}

// New returns a driver for the connection svc.
func New(svc wmi.Services, opts Options) (*Driver, error) {
	var api APIVersion
	switch strings.ToLower(svc.Namespace()) {
	case strings.ToLower(wmi.NamespaceV2):
		api = V2
	case strings.ToLower(wmi.NamespaceV1):
		api = V1
	default:
		return nil, errs.E(errs.Internal, "namespace %q is not a Hyper-V namespace (want %s or %s)", svc.Namespace(), wmi.NamespaceV2, wmi.NamespaceV1)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.CancelTimeout <= 0 {
		opts.CancelTimeout = 2 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Driver{svc: svc, api: api, opts: opts, log: opts.Logger, exportTargets: map[string]struct{}{}}
	d.inventory.maxAge, d.inventory.now = opts.InventoryMaxAge, opts.Now
	return d, nil
}

// API reports which WMI generation the driver uses.
func (d *Driver) API() APIVersion { return d.api }

// Namespace is the WMI namespace the driver is connected to.
func (d *Driver) Namespace() string { return d.svc.Namespace() }

// managementService returns the path of Msvm_VirtualSystemManagementService,
// the object every export and import method is called on.
func (d *Driver) managementService(ctx context.Context) (string, error) {
	d.mu.Lock()
	p := d.vsmsPath
	d.mu.Unlock()
	if p != "" {
		return p, nil
	}
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassManagementService)
	if err != nil {
		return "", fromWMI("find the management service", err)
	}
	if len(objs) == 0 {
		return "", errs.E(errs.Unavailable, "the Hyper-V management service (%s) was not found in %s; is the Hyper-V role installed and vmms running?", wmi.ClassManagementService, d.svc.Namespace())
	}
	d.mu.Lock()
	d.vsmsPath = objs[0].Path
	d.mu.Unlock()
	return objs[0].Path, nil
}

// Host is the Hyper-V host's name as WMI reports it (the __SERVER of the
// management service's path), or "" before it was looked up or when the
// path has no server.
func (d *Driver) Host() string {
	if _, err := d.managementService(context.Background()); err != nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, err := wmi.ParsePath(d.vsmsPath); err == nil {
		return p.Server
	}
	return ""
}
