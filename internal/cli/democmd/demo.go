// Package democmd is `fleetport demo`: an embedded simulated fleet with
// known drift, collected and judged in one command, with no files or setup.
//
// Output rules: the drift report goes to stdout; the fleet's ready line,
// progress and the hints go to stderr. The exit code is the report's (2:
// the demo fleet always drifts).
package democmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/cli/driftcmd"
	"github.com/fleetport/fleetport/internal/cli/tuicmd"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/report"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/store"
)

// Options are the inputs of `fleetport demo`.
type Options struct {
	IO  *cmdutil.IOStreams
	Now func() time.Time

	Hosts       int
	Seed        uint64
	Network     string
	Keep        string
	Formats     string
	Out         string
	GroupBy     string
	Verbose     bool
	Concurrency int
	// TUI opens the incident TUI on the run instead of printing the
	// report, with the fleet running until it quits.
	TUI      bool
	ReadOnly bool
}

// NewCmdDemo makes the command; runF replaces the run function in tests.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Collect and judge an embedded simulated fleet with known drift",
		Long: `Start a simulated fleet of Windows hosts on loopback addresses (several
releases from 2003 to 2022, English, German and French hosts, web, SMTP,
SQL and application servers, each kind of drift on a known share of them, and
a few hosts that refuse connections, reject the credentials or garble their
output), collect from every host over WinRM as fleetport collect does, and
print the drift report. Nothing needs to exist beforehand; nothing is left
behind unless --keep names a folder for the inventory and the run store.

The simulated hosts accept the demo credentials (fleetadmin, or
FLEETPORT_SIM_USER and FLEETPORT_SIM_PASSWORD when set).

Exit codes as fleetport drift: 2 when drift is found (the demo fleet always
has some), 1 on errors.`,
		Example: `  fleetport demo
  fleetport demo --hosts 1000 --format html --out demo.html
  fleetport demo --keep /tmp/fleetport-demo && fleetport history --store /tmp/fleetport-demo/fleetport.db
  fleetport demo --tui --hosts 60`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.Hosts < 1 || opts.Hosts > 10000 {
				return cmdutil.FlagErrorf("--hosts must be between 1 and 10000")
			}
			if _, err := report.ParseFormats(opts.Formats); err != nil {
				return cmdutil.FlagErrorf("--format: %v", err)
			}
			if opts.TUI && (c.Flags().Changed("format") || opts.Out != "") {
				return cmdutil.FlagErrorf("--tui shows the run in the TUI: it takes no --format or --out")
			}
			if opts.TUI && !opts.IO.IsStdoutTTY() {
				return cmdutil.WithHint(errors.New("fleetport demo --tui needs a terminal"), "fleetport demo prints the report instead")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return demoRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Hosts, "hosts", 300, "simulated hosts")
	fl.Uint64Var(&opts.Seed, "seed", 7, "the fleet's seed: the same seed gives the same fleet and findings")
	fl.StringVar(&opts.Network, "network", "", "loopback `prefix` for the hosts (default: the first free of 127.61.0.0/16 ... 127.69.0.0/16)")
	fl.StringVar(&opts.Keep, "keep", "", "keep the inventory and the run store in this `folder`")
	fl.StringVar(&opts.Formats, "format", "table", "report formats, comma-separated: table, json, markdown, html, junit")
	fl.StringVarP(&opts.Out, "out", "o", "", "write the report to this folder (one file per format) or file")
	fl.StringVar(&opts.GroupBy, "group-by", "policy", "table and markdown: group findings by policy or host")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "table: show the evidence under each finding")
	fl.IntVar(&opts.Concurrency, "concurrency", 100, "hosts collected at once")
	fl.BoolVar(&opts.TUI, "tui", false, "open the incident TUI on the run, with the simulated fleet running until it quits")
	fl.BoolVar(&opts.ReadOnly, "read-only", false, "with --tui: hide every action that changes a host")
	return cmd
}

// Scenario is the demo fleet: the simulator's default mix of releases,
// locales, roles and drift, with a few hosts that fail fast.
func Scenario(hosts int, seed uint64, network netip.Prefix) sim.Scenario {
	sc := sim.DefaultScenario()
	sc.Hosts, sc.Seed, sc.Network = hosts, seed, network
	sc.Faults = []sim.Fault{
		{Kind: sim.FaultLatency, Share: 100, Latency: 2 * time.Millisecond, Jitter: 2 * time.Millisecond},
		{Kind: sim.FaultRefuse, Share: 1},
		{Kind: sim.FaultAuth, Share: 1},
		{Kind: sim.FaultGarble, Share: 1},
	}
	return sc
}

func demoRun(ctx context.Context, opts *Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	formats, err := report.ParseFormats(opts.Formats)
	if err != nil {
		return cmdutil.FlagErrorf("--format: %v", err)
	}
	dir := opts.Keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fleetport-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := demoCredentials(); err != nil {
		return err
	}
	fleet, err := startFleet(opts)
	if err != nil {
		return err
	}
	defer fleet.Close()
	hosts := fleet.Hosts()
	fmt.Fprintf(opts.IO.ErrOut, "demo: %d simulated hosts on %s-%s (WinRM over http, NTLM with encryption)\n",
		len(hosts), hosts[0].Plan.Addr, hosts[len(hosts)-1].Plan.Addr)

	invPath := filepath.Join(dir, "inventory.hcl")
	var buf bytes.Buffer
	if err := fleet.WriteInventory(&buf, sim.InventoryOptions{Transport: "http", Auth: "ntlm"}); err != nil {
		return err
	}
	if err := os.WriteFile(invPath, buf.Bytes(), 0o644); err != nil {
		return err
	}
	// The demo fleet has no host that hangs: the deadline only matters on
	// a machine so loaded that a host's answers take long, and then the
	// demo should still show what it is meant to.
	shared := cmdutil.Shared{Inventory: invPath, Policies: filepath.Join(dir, "policies"), Store: filepath.Join(dir, "fleetport.db"),
		Concurrency: opts.Concurrency, Timeout: time.Minute}
	c, err := collectcmd.Collect(ctx, &collectcmd.Options{IO: opts.IO, Shared: shared, Now: opts.Now,
		Changed: func(n string) bool { return n != "policies" }})
	if err != nil {
		return err
	}
	if opts.TUI {
		if c.Interrupted != nil {
			return c.Interrupted
		}
		return openTUI(ctx, opts, shared, c.RunID)
	}
	st, err := store.Open(ctx, shared.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	j := &history.Judge{Store: st, Policies: c.Policies, Hosts: driftcmd.PolicyHosts(c.Selected), CrossFact: true, Now: opts.Now}
	rep, err := j.Report(ctx, c.RunID, true)
	if err != nil {
		return err
	}
	if err := history.Annotate(ctx, st, rep); err != nil {
		return err
	}
	if err := driftcmd.WriteReport(opts.IO, rep, formats, opts.Out, report.Options{
		Color: opts.IO.ColorEnabled(), Width: opts.IO.ReportWidth(), GroupBy: opts.GroupBy, Verbose: opts.Verbose,
	}); err != nil {
		return err
	}
	if opts.Keep != "" {
		fmt.Fprintf(opts.IO.ErrOut, "\ndemo: kept %s and %s (the simulated hosts are gone): try\n  fleetport history --store %s\n  fleetport drift --run %d --store %s -i %s --format html --out %s\n",
			invPath, shared.Store, shared.Store, c.RunID, shared.Store, invPath, dir)
	}
	if c.Interrupted != nil {
		return c.Interrupted
	}
	if code := rep.ExitCode(); code != 0 {
		return &cmdutil.ExitError{Code: code}
	}
	return nil
}

// demoCredentials makes the inventory's env() references resolve: the
// simulator's demo pair, unless the user set their own.
func demoCredentials() error {
	u, p := os.Getenv(sim.EnvUser), os.Getenv(sim.EnvPassword)
	switch {
	case u != "" && p != "":
		return nil
	case u != "" || p != "":
		return cmdutil.WithHint(errors.New("only one of "+sim.EnvUser+" and "+sim.EnvPassword+" is set"), "set both, or neither to use the demo pair")
	}
	if err := os.Setenv(sim.EnvUser, sim.DemoUser); err != nil {
		return err
	}
	return os.Setenv(sim.EnvPassword, sim.DemoPassword)
}

// startFleet starts the fleet on the given network, or on the first of a
// few networks whose addresses are free.
func startFleet(opts *Options) (*sim.Fleet, error) {
	accounts := map[string]string{os.Getenv(sim.EnvUser): os.Getenv(sim.EnvPassword)}
	var nets []string
	if opts.Network != "" {
		nets = []string{opts.Network}
	} else {
		for i := 61; i <= 69; i++ {
			nets = append(nets, fmt.Sprintf("127.%d.0.0/16", i))
		}
	}
	var errs []string
	for _, n := range nets {
		pfx, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--network %q: %v", n, err)
		}
		fleet, err := sim.New(sim.Options{Scenario: Scenario(opts.Hosts, opts.Seed, pfx), Accounts: accounts})
		if err != nil {
			return nil, err
		}
		if err := fleet.Start(); err != nil {
			fleet.Close()
			errs = append(errs, n+": "+err.Error())
			continue
		}
		return fleet, nil
	}
	return nil, cmdutil.WithHint(fmt.Errorf("no network to start the demo fleet on:\n  %s", strings.Join(errs, "\n  ")),
		"another fleetport demo or sim may hold the addresses; pass --network 127.N.0.0/16")
}

// openTUI runs fleetport tui on the demo's run, as the command line would
// (its flags' defaults and checks), while the fleet runs.
func openTUI(ctx context.Context, opts *Options, shared cmdutil.Shared, run int64) error {
	f := &cmdutil.Factory{IO: opts.IO, Now: opts.Now}
	cmd := tuicmd.NewCmdTUI(f, nil)
	args := []string{"--store", shared.Store, "-i", shared.Inventory, "--run", strconv.FormatInt(run, 10),
		"--timeout", shared.Timeout.String(), "--poll", "500ms", "--effect-timeout", "2m"}
	if opts.ReadOnly {
		args = append(args, "--read-only")
	}
	cmd.SetArgs(args)
	cmd.SetOut(opts.IO.Out)
	cmd.SetErr(opts.IO.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(ctx)
}
