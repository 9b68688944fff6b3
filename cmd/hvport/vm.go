package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

func (a *app) vmCommand() *cobra.Command {
	var allHosts bool
	list := &cobra.Command{
		Use:   "list [--all-hosts]",
		Short: "List the VMs: name, id, state, generation, disks, size",
		Long: `List the VMs the token may see. SIZE is the disks' size on the host.

With --all-hosts every saved host is asked at the same time and a HOST column
is added; a host that cannot be reached is reported on stderr and the others
are listed (the exit code is that host's only when no host answered).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.vmList(cmd, allHosts) },
	}
	list.Flags().BoolVar(&allHosts, "all-hosts", false, "query every saved host concurrently")
	show := &cobra.Command{
		Use:               "show VM",
		Short:             "Show one VM (by name or id) with its disks, checkpoints and network adapters",
		Args:              cobra.ExactArgs(1),
		RunE:              a.vmShow,
		ValidArgsFunction: a.completeVMs,
	}
	return a.group("vm", "List, show and copy VMs", list, show, a.vmCopyCommand())
}

// vmItem is a VM as listed: its details, and the host with --all-hosts.
type vmItem struct {
	Host string `json:"host,omitempty"`
	client.VMDetail
}

// listVMDetails lists the VMs with their details (one request per VM,
// a few at a time).
func listVMDetails(ctx context.Context, c *client.Client) ([]client.VMDetail, error) {
	vms, err := c.ListVMs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]client.VMDetail, len(vms))
	errs := make([]error, len(vms))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := c.GetVM(ctx, vm.ID)
			if err != nil {
				// Gone between the list and the details, or
				// unreadable: keep what the list said.
				d = client.VMDetail{ID: vm.ID, Name: vm.Name, State: vm.State}
				if ctx.Err() != nil {
					errs[i] = err
				}
			}
			out[i] = d
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (a *app) vmList(cmd *cobra.Command, allHosts bool) error {
	ctx := ctxOf(cmd)
	var items []vmItem
	var err error
	if allHosts {
		items, err = fleetQuery(ctx, cmd, a, func(ctx context.Context, host string, c *client.Client) ([]vmItem, error) {
			ds, err := listVMDetails(ctx, c)
			its := make([]vmItem, len(ds))
			for i, d := range ds {
				its[i] = vmItem{Host: host, VMDetail: d}
			}
			return its, err
		})
	} else {
		var c *client.Client
		if c, _, err = a.client(); err != nil {
			return err
		}
		var ds []client.VMDetail
		ds, err = listVMDetails(ctx, c)
		for _, d := range ds {
			items = append(items, vmItem{VMDetail: d})
		}
	}
	if err != nil && len(items) == 0 {
		return err
	}
	switch f := a.format("table"); f {
	case "json", "yaml":
		if items == nil {
			items = []vmItem{}
		}
		if e := a.emit(f, items); e != nil {
			return e
		}
		return err
	}
	if a.quiet {
		for _, it := range items {
			fmt.Fprintln(a.stdout, it.Name)
		}
		return err
	}
	var t *table
	if allHosts {
		t = newTable("HOST", "NAME", "ID", "STATE", "GEN", "DISKS", "SIZE")
	} else {
		t = newTable("NAME", "ID", "STATE", "GEN", "DISKS", "SIZE")
	}
	for _, it := range items {
		gen := "-"
		if it.Generation != nil {
			gen = strconv.FormatInt(*it.Generation, 10)
		}
		var size int64
		for _, d := range it.Disks {
			if d.FileSize != nil {
				size += *d.FileSize
			}
		}
		cells := []string{it.Name, it.ID, string(it.State), gen, strconv.Itoa(len(it.Disks)), bytesText(size)}
		if allHosts {
			cells = append([]string{it.Host}, cells...)
		}
		t.row(cells...)
	}
	if e := t.flush(a.stdout); e != nil {
		return e
	}
	return err
}

func (a *app) vmShow(cmd *cobra.Command, args []string) error {
	c, _, err := a.client()
	if err != nil {
		return err
	}
	vm, err := c.GetVM(ctxOf(cmd), args[0])
	if err != nil {
		return err
	}
	switch f := a.format("table"); f {
	case "json", "yaml":
		return a.emit(f, vm)
	}
	if a.quiet {
		fmt.Fprintln(a.stdout, vm.ID)
		return nil
	}
	gen := "-"
	if vm.Generation != nil {
		gen = strconv.FormatInt(*vm.Generation, 10)
	}
	kv(a.stdout, [2]string{"Name", vm.Name}, [2]string{"ID", vm.ID}, [2]string{"State", string(vm.State)},
		[2]string{"Generation", gen}, [2]string{"Configuration version", vm.ConfigurationVersion})
	fmt.Fprintln(a.stdout)
	t := newTable("DISK", "PATH", "FILE SIZE", "VIRTUAL SIZE")
	for i, d := range vm.Disks {
		t.row(strconv.Itoa(i), d.Path, sizePtr(d.FileSize), sizePtr(d.VirtualSize))
	}
	if len(vm.Disks) == 0 {
		fmt.Fprintln(a.stdout, "No disks.")
	} else if err := t.flush(a.stdout); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	if len(vm.Snapshots) == 0 {
		fmt.Fprintln(a.stdout, "No checkpoints.")
	} else {
		t = newTable("CHECKPOINT", "ID", "PARENT", "CREATED")
		for _, s := range vm.Snapshots {
			t.row(s.Name, s.ID, strPtr(s.ParentID), timeText(s.CreatedAt))
		}
		if err := t.flush(a.stdout); err != nil {
			return err
		}
	}
	fmt.Fprintln(a.stdout)
	if len(vm.NetworkAdapters) == 0 {
		fmt.Fprintln(a.stdout, "No network adapters.")
		return nil
	}
	t = newTable("ADAPTER", "SWITCH", "CONNECTED")
	for _, n := range vm.NetworkAdapters {
		t.row(n.ID, strPtr(n.Switch), strconv.FormatBool(n.Connected))
	}
	return t.flush(a.stdout)
}

func sizePtr(p *int64) string {
	if p == nil {
		return "-"
	}
	return bytesText(*p)
}
