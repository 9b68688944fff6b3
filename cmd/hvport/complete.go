package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hvport/hvport/client"
)

// Shell completion asks the server (a few seconds at most); when it
// cannot, it offers nothing rather than files.

func (a *app) completionClient(cmd *cobra.Command) (*client.Client, context.Context, context.CancelFunc, bool) {
	c, _, err := a.client()
	if err != nil {
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithTimeout(ctxOf(cmd), completionTimeout)
	return c, ctx, cancel, true
}

func (a *app) completeVMs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if cmd.Name() != "export" && len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, ctx, cancel, ok := a.completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	vms, err := c.ListVMs(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, vm := range vms {
		if strings.HasPrefix(vm.Name, toComplete) {
			out = append(out, vm.Name+"\t"+string(vm.State))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeJobs offers job ids; unfinished only for watch and cancel.
func (a *app) completeJobs(unfinished bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		c, ctx, cancel, ok := a.completionClient(cmd)
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer cancel()
		jobs, err := c.ListJobs(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, j := range jobs {
			if (unfinished && client.FinalState(j.State)) || !strings.HasPrefix(j.ID, toComplete) {
				continue
			}
			out = append(out, j.ID+"\t"+string(j.Kind)+" "+vmText(j.VM, j.Source)+" "+string(j.State))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func (a *app) completeExports(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, ctx, cancel, ok := a.completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	xs, err := c.ListExports(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, x := range xs {
		if strings.HasPrefix(x.ID, toComplete) {
			out = append(out, x.ID+"\t"+x.VM.Name+" "+x.Directory)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeHosts(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg, _, err := a.loadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, h := range cfg.Hosts {
		if strings.HasPrefix(h.Name, toComplete) {
			out = append(out, h.Name+"\t"+h.URL)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeHostArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.completeHosts(cmd, args, toComplete)
}
