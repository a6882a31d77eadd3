// Package runnercmd is the `fleetport runner` command: a site runner that
// takes its site's host jobs from NATS JetStream and works on them with
// fleetport's own engine (see internal/runner).
//
// Output rules: nothing goes to stdout; one line per event goes to stderr
// (log/slog text), never a credential and never the NATS URL's user
// information.
package runnercmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/buildinfo"
	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/jobq"
	"github.com/fleetport/fleetport/internal/runner"
)

// Options are the inputs of `fleetport runner`.
type Options struct {
	IO     *cmdutil.IOStreams
	Logger func() *slog.Logger

	NATS         string
	Creds        string
	CA           string
	Site         string
	Concurrency  int
	ID           string
	DrainTimeout time.Duration
	// Krb5Conf, Keytab, Principal and CCache are the runner's own
	// Kerberos configuration (runner.Kerberos).
	Krb5Conf, Keytab, Principal, CCache string
}

// NewCmdRunner makes the command; runF replaces the run function in tests.
func NewCmdRunner(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Logger: f.Logger}
	cmd := &cobra.Command{
		Use:   "runner --nats URL --site NAME",
		Short: "Work on one site's hosts for controllers elsewhere (NATS JetStream)",
		Long: `Take the host jobs of one site from NATS JetStream and work on them with
fleetport's own engine: collection for collect and drift, and a rollout's
host steps for apply and rollout resume. Controllers run those commands
with --nats elsewhere; each selected host that has site = "NAME" in the
inventory goes to the runners of that site.

The runner connects out to NATS and listens on nothing. It reaches its
hosts over WinRM as fleetport collect does, with the credentials the
inventory names by reference (env or file), resolved on this machine:
the inventory's environment variables and files must exist here.

It acknowledges progress every third of the controller's --ack-wait while
it works; if it dies, its jobs go to another runner of the site after that
time. A rollout's journal stays with the controller, which decides what ran
on every host: a job delivered twice reads the host's state again before
any change.

Hosts whose auth is kerberos or negotiate are reached with the runner's own
Kerberos tickets: from its keytab (--keytab with --principal, for a runner
that runs unattended), else from the password the inventory names by
reference, else from its credential cache (--ccache, else KRB5CCNAME:
kinit's). Its krb5.conf is --krb5-conf, else KRB5_CONFIG, else
/etc/krb5.conf. A job names the host's Kerberos name and nothing else of
Kerberos: no ticket, key or password crosses NATS.

SIGINT or SIGTERM drains: no new job is taken, the jobs in flight finish
(up to --drain-timeout), then the runner exits 0.`,
		Example: `  fleetport runner --nats nats://nats.example:4222 --site lyon
  FLEETPORT_NATS=tls://nats.example:4222 fleetport runner --site lyon --nats-ca ca.pem --concurrency 200
  fleetport runner --nats nats://nats.example:4222 --site lyon --keytab /etc/fleetport/runner.keytab --principal svc-runner@CORP.EXAMPLE`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.NATS == "" {
				opts.NATS = os.Getenv(cmdutil.EnvNATS)
			}
			if opts.NATS == "" {
				return cmdutil.FlagErrorf("--nats is required (or $%s)", cmdutil.EnvNATS)
			}
			if err := jobq.CheckURL(opts.NATS); err != nil {
				return cmdutil.FlagErrorf("--nats: %v", err)
			}
			if err := dispatch.CheckSite(opts.Site); err != nil {
				return cmdutil.FlagErrorf("--site: %v", err)
			}
			if opts.Concurrency < 0 {
				return cmdutil.FlagErrorf("--concurrency must not be negative")
			}
			if (opts.Keytab == "") != (opts.Principal == "") {
				return cmdutil.FlagErrorf("--keytab and --principal go together: the keytab holds the principal's keys")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runnerRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.NATS, "nats", "", "the NATS server `URL` (default $"+cmdutil.EnvNATS+")")
	fl.StringVar(&opts.Creds, "nats-creds", "", "NATS credentials `file` (JWT and NKey seed)")
	fl.StringVar(&opts.CA, "nats-ca", "", "CA `file` that verifies a tls:// NATS server")
	fl.StringVar(&opts.Site, "site", "", "the site whose hosts this runner reaches (the inventory's site)")
	fl.IntVar(&opts.Concurrency, "concurrency", 50, "hosts worked on at once")
	fl.StringVar(&opts.ID, "id", "", "the runner's name in heartbeats and logs (default host-pid-random)")
	fl.DurationVar(&opts.DrainTimeout, "drain-timeout", time.Minute, "on SIGINT or SIGTERM, how long the jobs in flight may take to finish")
	fl.StringVar(&opts.Krb5Conf, "krb5-conf", "", "the runner's krb5.conf `file` (default $KRB5_CONFIG, else /etc/krb5.conf)")
	fl.StringVar(&opts.Keytab, "keytab", "", "the runner's keytab `file`: Kerberos tickets for kerberos and negotiate hosts (with --principal)")
	fl.StringVar(&opts.Principal, "principal", "", "the `user@REALM` whose keys --keytab holds")
	fl.StringVar(&opts.CCache, "ccache", "", "the runner's Kerberos credential cache `file` (default $KRB5CCNAME: kinit's)")
	_ = cmd.MarkFlagFilename("krb5-conf")
	_ = cmd.MarkFlagFilename("keytab")
	_ = cmd.MarkFlagFilename("ccache")
	return cmd
}

func runnerRun(ctx context.Context, opts *Options) error {
	log := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if opts.Logger != nil && opts.Logger() != nil && opts.Logger().Enabled(ctx, slog.LevelDebug) {
		log = opts.Logger()
	}
	nc, err := jobq.Connect(jobq.Options{URL: opts.NATS, CredsFile: opts.Creds, CAFile: opts.CA,
		Name: "fleetport runner " + opts.Site, Logger: log})
	if err != nil {
		return cmdutil.WithHint(err, "the runner connects out to NATS: check the URL, the network, and that the server runs with JetStream")
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(opts.IO.ErrOut, "fleetport runner: site %s, NATS %s\n", opts.Site, nc.ConnectedUrlRedacted())
	return runner.Run(ctx, runner.Options{Conn: nc, Site: opts.Site, Concurrency: opts.Concurrency, ID: opts.ID,
		Release: buildinfo.Read().Version, Logger: log, DrainTimeout: opts.DrainTimeout,
		Kerberos: runner.Kerberos{ConfigFile: opts.Krb5Conf, CCacheFile: opts.CCache, KeytabFile: opts.Keytab, Principal: opts.Principal}})
}
