package rolloutcmd

import (
	"context"
	"log/slog"
	"sort"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/inventory"
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
	hosts := make([]*inventory.Host, len(names))
	for i, n := range names {
		hosts[i] = f.hosts[n]
	}
	link := d.Link(slog.New(slog.NewTextHandler(f.io.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	disp, err := cmdutil.RolloutDispatch(ctx, link, hosts, f.target, f.set)
	if err != nil || disp == nil {
		link.Close()
		return err
	}
	f.dispatch, f.stopDispatch = disp, link.Close
	return nil
}
