package cmdutil

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/jobq"
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

// OpenController connects to NATS and makes a controller; stop closes
// both. Errors name the server without its user information.
func (d Dispatch) OpenController(ctx context.Context, log *slog.Logger) (*controller.Controller, func(), error) {
	url := d.URL()
	if err := jobq.CheckURL(url); err != nil {
		return nil, nil, FlagErrorf("--nats: %v", err)
	}
	if d.AckWait < time.Second {
		return nil, nil, FlagErrorf("--ack-wait %s: at least 1s", d.AckWait)
	}
	if d.MaxDeliver < 1 {
		return nil, nil, FlagErrorf("--max-deliver %d: at least 1", d.MaxDeliver)
	}
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
