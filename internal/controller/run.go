package controller

import (
	"context"
	"sync"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
)

// Run has collect.Run's contract for targets some of which go to site
// runners: the hosts named in remote are published (Collect), the others
// are collected in this process at the same time, and out is called once
// per target, one call at a time, for both.
func (c *Controller) Run(ctx context.Context, targets []collect.Target, opts collect.Options, remote map[string]dispatch.Host, spec *dispatch.Spec, out func(*facts.Host)) error {
	var local []collect.Target
	var hosts []dispatch.Host
	for _, t := range targets {
		if h, ok := remote[t.Name]; ok {
			hosts = append(hosts, h)
		} else {
			local = append(local, t)
		}
	}
	var outMu sync.Mutex
	emit := func(h *facts.Host) {
		outMu.Lock()
		defer outMu.Unlock()
		out(h)
	}
	var progMu sync.Mutex
	progress := func(e collect.Event) {
		if opts.Progress != nil {
			progMu.Lock()
			defer progMu.Unlock()
			opts.Progress(e)
		}
	}
	var wg sync.WaitGroup
	var localErr error
	if len(local) > 0 {
		wg.Go(func() { localErr = collect.Run(ctx, local, opts, emit) })
	}
	err := c.Collect(ctx, hosts, spec, progress, emit)
	wg.Wait()
	if err == nil {
		err = localErr
	}
	return err
}
