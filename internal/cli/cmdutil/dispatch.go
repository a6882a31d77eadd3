package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/jobq"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// EnvNATS names the environment variable that stands for --nats.
const EnvNATS = "FLEETPORT_NATS"

// Dispatch holds --nats and the settings of dispatched runs: with a NATS
// URL, the hosts that have a site in the inventory go to that site's
// runners (fleetport runner); the others are worked on in this process.
type Dispatch struct {
	NATS        string        // --nats: the NATS server ($FLEETPORT_NATS)
	Creds       string        // --nats-creds: a NATS credentials file
	CA          string        // --nats-ca: the CA of a tls:// server
	AckWait     time.Duration // --ack-wait: a runner's silence before its job goes to another
	MaxDeliver  int           // --max-deliver: deliveries of a job before it ends
	SiteTimeout time.Duration // --site-timeout: a site's silence before its jobs end
}

// BindDispatch adds --nats and the dispatch settings.
func (s *Shared) BindDispatch(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&s.Dispatch.NATS, "nats", "", "send the hosts that have a site to their site runners through this NATS `URL` (default $"+EnvNATS+"; none: every host is worked on here)")
	fl.StringVar(&s.Dispatch.Creds, "nats-creds", "", "NATS credentials `file` (JWT and NKey seed)")
	fl.StringVar(&s.Dispatch.CA, "nats-ca", "", "CA `file` that verifies a tls:// NATS server")
	fl.DurationVar(&s.Dispatch.AckWait, "ack-wait", jobq.DefaultAckWait, "with --nats: how long a runner may go silent before its job goes to another runner")
	fl.IntVar(&s.Dispatch.MaxDeliver, "max-deliver", jobq.DefaultMaxDeliver, "with --nats: deliveries of a job before its host ends without a result")
	fl.DurationVar(&s.Dispatch.SiteTimeout, "site-timeout", time.Minute, "with --nats: how long a site may have no runner before its hosts end unreachable")
}

// URL is --nats, or $FLEETPORT_NATS when the flag is not given.
func (d Dispatch) URL() string {
	if d.NATS != "" {
		return d.NATS
	}
	return os.Getenv(EnvNATS)
}

// Enabled reports whether hosts with a site go to runners.
func (d Dispatch) Enabled() bool { return d.URL() != "" }

// Check validates the URL and the settings without connecting: a
// [FlagError] names the flag at fault.
func (d Dispatch) Check() error {
	if err := jobq.CheckURL(d.URL()); err != nil {
		return FlagErrorf("--nats: %v", err)
	}
	if d.AckWait < time.Second {
		return FlagErrorf("--ack-wait %s: at least 1s", d.AckWait)
	}
	if d.MaxDeliver < 1 {
		return FlagErrorf("--max-deliver %d: at least 1", d.MaxDeliver)
	}
	return nil
}

// OpenController connects to NATS and makes a controller; stop closes
// both. Errors name the server without its user information.
func (d Dispatch) OpenController(ctx context.Context, log *slog.Logger) (*controller.Controller, func(), error) {
	if err := d.Check(); err != nil {
		return nil, nil, err
	}
	url := d.URL()
	nc, err := jobq.Connect(jobq.Options{URL: url, CredsFile: d.Creds, CAFile: d.CA, Name: "fleetport controller", Logger: log})
	if err != nil {
		return nil, nil, WithHint(err, "is the NATS server running, with JetStream (nats-server -js)?")
	}
	c, err := controller.Dial(ctx, controller.Options{Conn: nc, AckWait: d.AckWait, MaxDeliver: d.MaxDeliver, SiteTimeout: d.SiteTimeout, Logger: log})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("dispatch through %s: %w", jobq.Redact(url), err)
	}
	return c, func() { c.Close(); nc.Close() }, nil
}

// Link is the controller of a command that dispatches more than once,
// such as the TUI: it connects at its first use and keeps the connection
// until Close. A failed connection is not kept: the next use tries again.
// A Link is safe for concurrent use.
type Link struct {
	d   Dispatch
	log *slog.Logger

	// mu guards the fields below; it is held while connecting, so that
	// two first uses make one controller.
	mu     sync.Mutex
	ctl    *controller.Controller
	stop   func()
	closed bool
}

// Link returns the controller link of these settings; log receives what
// goes wrong on the connection (nil: nothing is logged). Close it.
func (d Dispatch) Link(log *slog.Logger) *Link {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Link{d: d, log: log}
}

// errLinkClosed is returned by a Link used after Close.
var errLinkClosed = errors.New("dispatch: the controller is closed")

// Controller returns the link's controller, connecting first when it has
// none (see [Dispatch.OpenController]: every step has a deadline).
func (l *Link) Controller(ctx context.Context) (*controller.Controller, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errLinkClosed
	}
	if l.ctl == nil {
		ctl, stop, err := l.d.OpenController(ctx, l.log)
		if err != nil {
			return nil, err
		}
		l.ctl, l.stop = ctl, stop
	}
	return l.ctl, nil
}

// Close closes the controller and its connection, if the link made them.
func (l *Link) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		l.stop()
	}
	l.ctl, l.stop, l.closed = nil, nil, true
}

// SiteHosts picks the hosts that have a site, in order, and makes each
// its runner's job host (controller.HostOf) with the collection target
// target gives it. A host whose job cannot be made (a password literal,
// a site name NATS cannot carry) is in refused, by name, with the reason.
func SiteHosts(hosts []*inventory.Host, target func(*inventory.Host) collect.Target) (remote []dispatch.Host, refused map[string]error) {
	refused = map[string]error{}
	for _, h := range hosts {
		if h.Site == "" {
			continue
		}
		dh, err := controller.HostOf(h, target(h))
		if err != nil {
			refused[h.Name] = err
			continue
		}
		remote = append(remote, dh)
	}
	return remote, refused
}

// ChangeHosts is hosts as a rollout's jobs name them: each with its change
// user and password references, when it has them, in place of the read
// ones (inventory.Host.ChangeReferences).
func ChangeHosts(hosts []*inventory.Host) []*inventory.Host {
	out := make([]*inventory.Host, len(hosts))
	for i, h := range hosts {
		out[i] = h.ChangeReferences()
	}
	return out
}

// RolloutDispatch is a rollout's rollout.Dispatcher under --nats: the
// hosts among hosts that have a site go to their site's runners through
// l's controller, which their runners verify against set's policies. It
// is nil, with no error, when none has a site (every host is then worked
// on here). A host whose job cannot be made stops the rollout before it
// starts, with the first such host's reason in hosts' order.
func RolloutDispatch(ctx context.Context, l *Link, hosts []*inventory.Host, target func(*inventory.Host) collect.Target, set *policies.Set) (rollout.Dispatcher, error) {
	remote, refused := SiteHosts(ChangeHosts(hosts), target)
	for _, h := range hosts {
		if err := refused[h.Name]; err != nil {
			return nil, err
		}
	}
	if len(remote) == 0 {
		return nil, nil
	}
	spec, err := controller.SpecOf(set)
	if err != nil {
		return nil, err
	}
	ctl, err := l.Controller(ctx)
	if err != nil {
		return nil, err
	}
	disp, err := ctl.Rollout(ctx, remote, spec)
	if err != nil {
		return nil, err // never a nil *controller.Dispatcher in the interface
	}
	return disp, nil
}

// MetaDispatched is the key of a rollout's meta that says it sent hosts
// to site runners ("true"). The URL is never stored: it may carry
// credentials.
const MetaDispatched = "dispatched"

// CheckResume refuses to continue rollout id without --nats when its
// meta says it sent hosts to site runners: their hosts are reached from
// their sites, perhaps not from here.
func (d Dispatch) CheckResume(id int64, meta map[string]string) error {
	if meta[MetaDispatched] == "true" && !d.Enabled() {
		return WithHint(fmt.Errorf("rollout %d sent its hosts with a site to site runners", id),
			"pass --nats URL (or set $"+EnvNATS+") to continue it through them")
	}
	return nil
}
