package rolloutcmd

import (
	"context"
	"log/slog"
	"sort"

	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
)

// openDispatch, with --nats, sends the rollout's hosts that have a site to
// their site's runners; the journal stays in this process's store.
func (f *fleet) openDispatch(ctx context.Context) error {
	d := f.shared.Dispatch
	if !d.Enabled() {
		return nil
	}
	names := make([]string, 0, len(f.hosts))
	for n := range f.hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	var hosts []dispatch.Host
	for _, n := range names {
		h := f.hosts[n]
		if h.Site == "" {
			continue
		}
		dh, err := controller.HostOf(h, f.target(h))
		if err != nil {
			return err
		}
		hosts = append(hosts, dh)
	}
	if len(hosts) == 0 {
		return nil
	}
	spec, err := controller.SpecOf(f.set)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(f.io.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctl, stop, err := d.OpenController(ctx, log)
	if err != nil {
		return err
	}
	disp, err := ctl.Rollout(ctx, hosts, spec)
	if err != nil {
		stop()
		return err
	}
	f.dispatch, f.stopDispatch = disp, stop
	return nil
}
