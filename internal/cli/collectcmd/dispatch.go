package collectcmd

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// RunFunc reaches the targets and calls out once per target: collect.Run's
// contract.
type RunFunc func(context.Context, []collect.Target, collect.Options, func(*facts.Host)) error

// runner is how Collect reaches the hosts: collect.Run, or with --nats a
// controller that sends the hosts with a site to their site's runners and
// collects the others here. stop releases the controller.
func runner(ctx context.Context, opts *Options, hosts []*inventory.Host, targets []collect.Target, set *policies.Set) (run RunFunc, stop func(), err error) {
	d := opts.Shared.Dispatch
	if !d.Enabled() {
		return collect.Run, func() {}, nil
	}
	link := d.Link(slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	run, dispatched, err := DispatchRun(ctx, link, hosts, targets, set)
	if err != nil {
		link.Close()
		return nil, nil, err
	}
	if !dispatched {
		fmt.Fprintln(opts.IO.ErrOut, "fleetport: --nats: no selected host has a site in the inventory; every host is collected here")
	}
	return run, link.Close, nil
}

// DispatchRun is the run function of a collection under --nats: the
// hosts that have a site (hosts[i] is the inventory entry of targets[i])
// go to their site's runners through l's controller, which it connects
// first; the others are collected in this process, at the same time. A
// host whose job cannot be made (a password literal) ends with status
// auth and the reason, without a connection. When no host has a site,
// run is collect.Run, dispatched is false and l is not used. The run
// function takes any of targets; it writes nothing but out's calls.
func DispatchRun(ctx context.Context, l *cmdutil.Link, hosts []*inventory.Host, targets []collect.Target, set *policies.Set) (run RunFunc, dispatched bool, err error) {
	byName := make(map[string]collect.Target, len(targets))
	for i, h := range hosts {
		byName[h.Name] = targets[i]
	}
	list, refused := cmdutil.SiteHosts(hosts, func(h *inventory.Host) collect.Target { return byName[h.Name] })
	if len(list) == 0 && len(refused) == 0 {
		return collect.Run, false, nil
	}
	remote := make(map[string]dispatch.Host, len(list))
	for _, h := range list {
		remote[h.Name] = h
	}
	spec, err := controller.SpecOf(set)
	if err != nil {
		return nil, false, err
	}
	ctl, err := l.Controller(ctx)
	if err != nil {
		return nil, false, err
	}
	return func(ctx context.Context, ts []collect.Target, o collect.Options, out func(*facts.Host)) error {
		rest := make([]collect.Target, 0, len(ts))
		for _, t := range ts {
			if err := refused[t.Name]; err != nil {
				h := facts.NewHost(t.Name, t.Endpoint.Host)
				h.Status, h.Error = facts.StatusAuth, err.Error()
				out(h)
				continue
			}
			rest = append(rest, t)
		}
		return ctl.Run(ctx, rest, o, remote, spec, out)
	}, true, nil
}
