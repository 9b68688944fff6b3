package hyperv

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvport/hvport/wmi"
)

// hostOfVMs is a wmi.Services with a list of VMs and a method that adds
// one, as an import does; it counts the listings it answers.
type hostOfVMs struct {
	mu      sync.Mutex
	names   []string
	queries int
	// during, when set, runs inside the next listing (a change that
	// lands while a query is in flight).
	during func()
}

func (h *hostOfVMs) Namespace() string { return wmi.NamespaceV2 }

func (h *hostOfVMs) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	if !strings.Contains(wql, wmi.ClassComputerSystem) {
		return nil, nil
	}
	h.mu.Lock()
	h.queries++
	names := append([]string(nil), h.names...)
	during := h.during
	h.during = nil
	h.mu.Unlock()
	if during != nil {
		during()
	}
	var out []*wmi.Object
	for i, n := range names {
		out = append(out, &wmi.Object{Class: wmi.ClassComputerSystem, Path: n, Props: []wmi.Property{
			{Name: "Name", Type: wmi.CIMString, Value: "00000000-0000-0000-0000-00000000000" + string(rune('0'+i))},
			{Name: "ElementName", Type: wmi.CIMString, Value: n},
			{Name: "EnabledState", Type: wmi.CIMUint16, Value: uint16(3)},
		}})
	}
	return out, nil
}

func (h *hostOfVMs) Get(ctx context.Context, path string) (*wmi.Object, error) {
	return nil, &wmi.Error{Op: "Get", Path: path, HResult: wmi.WBEMNotFound}
}

func (h *hostOfVMs) ExecMethod(ctx context.Context, path, method string, in wmi.Params) (*wmi.Object, error) {
	h.add(in["Name"].(string))
	return &wmi.Object{Class: "__PARAMETERS", Props: []wmi.Property{{Name: "ReturnValue", Type: wmi.CIMUint32, Value: uint32(0)}}}, nil
}

// add is a VM made by someone else (Hyper-V Manager), or by ExecMethod.
func (h *hostOfVMs) add(name string) {
	h.mu.Lock()
	h.names = append(h.names, name)
	h.mu.Unlock()
}

func (h *hostOfVMs) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.queries
}

func names(t *testing.T, d *Driver) string {
	t.Helper()
	vms, err := d.ListVMs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, vm := range vms {
		n = append(n, vm.Name)
	}
	return strings.Join(n, ",")
}

func TestInventoryIsReusedUntilMaxAgeOrAChange(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	h := &hostOfVMs{names: []string{"a"}}
	d, err := New(h, Options{InventoryMaxAge: time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, d); got != "a" || h.count() != 1 {
		t.Fatalf("first listing %q after %d queries", got, h.count())
	}
	// Someone else adds a VM: within MaxAge the listing stands.
	h.add("b")
	now = now.Add(999 * time.Millisecond)
	if got := names(t, d); got != "a" || h.count() != 1 {
		t.Fatalf("inside MaxAge: %q after %d queries", got, h.count())
	}
	now = now.Add(time.Millisecond)
	if got := names(t, d); got != "a,b" || h.count() != 2 {
		t.Fatalf("at MaxAge: %q after %d queries", got, h.count())
	}
	// A method this driver calls (an import's) shows at once.
	if _, err := d.execMethod(context.Background(), "svc", "ImportSystemDefinition", wmi.Params{"Name": "c"}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, d); got != "a,b,c" || h.count() != 3 {
		t.Fatalf("after the driver's own change: %q after %d queries", got, h.count())
	}
	// A change that lands while a query is in flight: that answer may
	// miss it and is not kept.
	now = now.Add(time.Second)
	h.during = func() {
		d.execMethod(context.Background(), "svc", "ImportSystemDefinition", wmi.Params{"Name": "d"})
	}
	if got := names(t, d); got != "a,b,c" {
		t.Fatalf("the listing the change landed in: %q", got)
	}
	if got := names(t, d); got != "a,b,c,d" || h.count() != 5 {
		t.Fatalf("after a change during a query: %q after %d queries", got, h.count())
	}
	// Callers cannot change the kept answer through theirs.
	vms, _ := d.ListVMs(context.Background())
	vms[0].Name = "changed"
	if got := names(t, d); got != "a,b,c,d" {
		t.Fatalf("a caller's copy changed the kept listing: %q", got)
	}
}

func TestInventoryMaxAgeZeroAsksEveryTime(t *testing.T) {
	h := &hostOfVMs{names: []string{"a"}}
	d, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	names(t, d)
	h.add("b")
	if got := names(t, d); got != "a,b" || h.count() != 2 {
		t.Fatalf("%q after %d queries", got, h.count())
	}
}
