package collectcmd

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// runFunc reaches the targets and calls out once per target: collect.Run's
// contract.
type runFunc func(context.Context, []collect.Target, collect.Options, func(*facts.Host)) error

// runner is how Collect reaches the hosts: collect.Run, or with --nats a
// controller that sends the hosts with a site to their site's runners and
// collects the others here. stop releases the controller.
func runner(ctx context.Context, opts *Options, hosts []*inventory.Host, targets []collect.Target, set *policies.Set) (run runFunc, stop func(), err error) {
	d := opts.Shared.Dispatch
	if !d.Enabled() {
		return collect.Run, func() {}, nil
	}
	remote := map[string]dispatch.Host{}
	refused := map[string]error{}
	for i, h := range hosts {
		if h.Site == "" {
			continue
		}
		dh, err := controller.HostOf(h, targets[i])
		if err != nil {
			refused[h.Name] = err
			continue
		}
		remote[h.Name] = dh
	}
	if len(remote) == 0 && len(refused) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "fleetport: --nats: no selected host has a site in the inventory; every host is collected here")
		return collect.Run, func() {}, nil
	}
	spec, err := controller.SpecOf(set)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctl, stop, err := d.OpenController(ctx, log)
	if err != nil {
		return nil, nil, err
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
	}, stop, nil
}
