// Package simcmd is the `fleetport sim` command: it serves a simulated
// fleet of Windows hosts over real WinRM until it is interrupted.
package simcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/hclguard"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
)

// Options are the inputs of `fleetport sim`.
type Options struct {
	IO *cmdutil.IOStreams

	ScenarioFile       string
	Hosts              int
	Seed               int64
	Network            string
	HTTPPort           int
	HTTPSPort          int
	Dir                string
	InventoryOut       string
	InventoryTransport string
	InventoryAuth      string
	StatsFile          string
	Latency            time.Duration
	Jitter             time.Duration
	CommandTime        time.Duration
	Faults             []string
	NoDrift            bool
	CPUProfile         string
	AllowUnencrypted   bool
	GrowPiles          []string
	DomainDir          string

	// set reports which flags were given, so that flags override a
	// scenario file only where the user asked.
	set func(name string) bool
	// ready, when set, receives the fleet once it listens (tests).
	ready func(*sim.Fleet)
}

// NewCmdSim makes the command; runF replaces the run function in tests.
func NewCmdSim(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve a simulated fleet of Windows hosts over WinRM",
		Long: `Serve a fleet of simulated Windows hosts, each on its own loopback address
(127.x.y.z) with WinRM on 5985 (http) and 5986 (https), until interrupted.

The hosts speak the real WinRM protocol (Basic, NTLM, NTLM message
encryption, TLS with the simulator's own CA) and answer the commands
fleetport uses as Windows does: netstat, reg, netsh http / int ipv4,
httpcfg, net, sc, schtasks, shutdown, ver, hostname and PowerShell's
Get-NetTCPConnection. A scenario file (examples/sim/) sets the mix of OS
versions, locales and roles, the drift a known share of hosts carries, and
injected faults.

Credentials: FLEETPORT_SIM_USER and FLEETPORT_SIM_PASSWORD, or the demo pair
fleetadmin / Sim-Passw0rd!. The inventory written by --inventory-out refers
to the variables, never to the values.

When the fleet listens, one line starting with "ready:" goes to stdout.
SIGUSR1 writes --stats; so does the exit. --grow-pile grows TIME_WAIT piles
on chosen hosts while the fleet runs (an incident to rehearse; the TUI's
watch view shows it); with start=signal they wait for SIGUSR2.`,
		Example: `  fleetport sim --hosts 50 --inventory-out sim.hcl
  fleetport sim --scenario examples/sim/demo.hcl --stats stats.json
  fleetport sim --hosts 1000 --latency 20ms --command-time 100ms --fault refuse=1 --fault hang=1`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.set = func(name string) bool { return c.Flags().Changed(name) }
			for _, fs := range opts.Faults {
				if _, _, err := parseFaultFlag(fs); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
			}
			for _, g := range opts.GrowPiles {
				if _, err := sim.ParsePileGrowth(g); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
			}
			switch opts.InventoryTransport {
			case "http", "https":
			default:
				return cmdutil.FlagErrorf("--inventory-transport must be http or https, not %q", opts.InventoryTransport)
			}
			switch opts.InventoryAuth {
			case "ntlm", "basic":
			default:
				return cmdutil.FlagErrorf("--inventory-auth must be ntlm or basic, not %q", opts.InventoryAuth)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return simRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ScenarioFile, "scenario", "", "HCL scenario `file` (see examples/sim/)")
	fl.IntVar(&opts.Hosts, "hosts", 20, "number of hosts")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of every random choice: the same seed gives the same fleet")
	fl.StringVar(&opts.Network, "network", "127.20.0.0/16", "loopback `prefix` the hosts' addresses come from")
	fl.IntVar(&opts.HTTPPort, "http-port", 5985, "WinRM http port of every host (0 = none)")
	fl.IntVar(&opts.HTTPSPort, "https-port", 5986, "WinRM https port of every host (0 = none)")
	fl.StringVar(&opts.Dir, "dir", defaultDir(), "`directory` for the simulator's CA (ca.pem is the file clients verify against)")
	fl.StringVar(&opts.InventoryOut, "inventory-out", "", "write an HCL inventory of the fleet to `file`")
	fl.StringVar(&opts.InventoryTransport, "inventory-transport", "http", "transport the written inventory uses: http or https")
	fl.StringVar(&opts.InventoryAuth, "inventory-auth", "ntlm", "auth the written inventory uses: ntlm or basic")
	fl.StringVar(&opts.StatsFile, "stats", "", "write protocol counters as JSON to `file` on exit and on SIGUSR1")
	fl.DurationVar(&opts.Latency, "latency", 0, "latency added to every HTTP exchange of every host")
	fl.DurationVar(&opts.Jitter, "jitter", 0, "random extra latency, up to this much")
	fl.DurationVar(&opts.CommandTime, "command-time", 0, "time every command takes on the host")
	fl.StringArrayVar(&opts.Faults, "fault", nil, "inject a fault into a share of hosts: `kind=percent` ("+strings.Join(sim.FaultKinds, ", ")+"); repeatable; slow adds 5s per command, reboot comes 10s after the start, latency is 200ms (a scenario file sets other values)")
	fl.BoolVar(&opts.NoDrift, "no-drift", false, "serve a fleet without drift")
	fl.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the simulator to `file` (benchmarks)")
	fl.BoolVar(&opts.AllowUnencrypted, "allow-unencrypted", false, "let hosts accept unencrypted traffic over http (WinRM AllowUnencrypted)")
	fl.StringVar(&opts.DomainDir, "domain", "", "join every host to the rehearsal Active Directory domain scripts/testdomain made in `DIR` (FLEET.TEST): hosts accept Kerberos with message encryption, e.g. --domain /tmp/fleet-domain")
	fl.StringArrayVar(&opts.GrowPiles, "grow-pile", nil, "grow a TIME_WAIT pile on hosts while the fleet runs: `SPEC` is 'HOSTS=STEP/EVERY [max=N] [to=ADDR:PORT] [state=S] [start=signal]', e.g. 'web0001=250/1s' (HOSTS: names or globs, comma-separated; default remote: the fleet's SQL Server; start=signal waits for SIGUSR2); repeatable")
	_ = cmd.MarkFlagFilename("scenario", "hcl")
	_ = cmd.MarkFlagFilename("inventory-out", "hcl")
	_ = cmd.MarkFlagFilename("stats", "json")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.RegisterFlagCompletionFunc("fault", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		out := make([]string, len(sim.FaultKinds))
		for i, k := range sim.FaultKinds {
			out[i] = k + "="
		}
		return out, cobra.ShellCompDirectiveNoSpace
	})
	return cmd
}

func defaultDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "fleetport", "sim")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "fleetport", "sim")
	}
	return filepath.Join(os.TempDir(), "fleetport-sim")
}

// scenario builds the scenario from the file and the flags; a flag given on
// the command line wins over the file.
func (opts *Options) scenario() (sim.Scenario, error) {
	sc := sim.DefaultScenario()
	if opts.ScenarioFile != "" {
		src, err := sim.ReadScenarioFile(opts.ScenarioFile)
		if err != nil {
			return sc, err
		}
		var diags hcl.Diagnostics
		sc, diags = sim.ParseScenario(src, opts.ScenarioFile)
		if diags.HasErrors() {
			var buf bytes.Buffer
			files := map[string]*hcl.File{opts.ScenarioFile: {Bytes: src}}
			wr := &hclguard.Writer{Out: &buf, Files: files, Width: 78}
			_ = wr.WriteDiagnostics(diags)
			return sc, fmt.Errorf("scenario %s:\n%s", opts.ScenarioFile, strings.TrimRight(buf.String(), "\n"))
		}
	}
	set := opts.set
	if set == nil {
		set = func(string) bool { return true }
	}
	if opts.ScenarioFile == "" || set("hosts") {
		sc.Hosts = opts.Hosts
	}
	if opts.ScenarioFile == "" || set("seed") {
		sc.Seed = uint64(opts.Seed)
	}
	if opts.ScenarioFile == "" || set("network") {
		p, err := parsePrefix(opts.Network)
		if err != nil {
			return sc, &cmdutil.FlagError{Err: err}
		}
		sc.Network = p
	}
	if opts.ScenarioFile == "" || set("http-port") {
		sc.HTTPPort = opts.HTTPPort
	}
	if opts.ScenarioFile == "" || set("https-port") {
		sc.HTTPSPort = opts.HTTPSPort
	}
	if set("allow-unencrypted") {
		sc.AllowUnencrypted = opts.AllowUnencrypted
	}
	if set("command-time") {
		sc.CommandTime = opts.CommandTime
	}
	if opts.NoDrift {
		sc.Drift = nil
	}
	if opts.Latency > 0 || opts.Jitter > 0 {
		sc.Faults = append(sc.Faults, sim.Fault{Kind: sim.FaultLatency, Share: 100, Latency: opts.Latency, Jitter: opts.Jitter})
	}
	for _, fs := range opts.Faults {
		kind, share, err := parseFaultFlag(fs)
		if err != nil {
			return sc, &cmdutil.FlagError{Err: err}
		}
		fault := sim.Fault{Kind: kind, Share: share}
		switch kind {
		case sim.FaultSlow:
			fault.Duration = 5 * time.Second
		case sim.FaultReboot:
			fault.Duration = 10 * time.Second
		case sim.FaultLatency:
			fault.Latency = 200 * time.Millisecond
		}
		sc.Faults = append(sc.Faults, fault)
	}
	return sc, sc.Validate()
}

func parseFaultFlag(s string) (string, float64, error) {
	kind, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, fmt.Errorf("--fault %q: want kind=percent, e.g. refuse=5", s)
	}
	found := false
	for _, k := range sim.FaultKinds {
		if k == kind {
			found = true
		}
	}
	if !found {
		return "", 0, fmt.Errorf("--fault %q: unknown kind %q (known: %s)", s, kind, strings.Join(sim.FaultKinds, ", "))
	}
	share, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || share < 0 || share > 100 {
		return "", 0, fmt.Errorf("--fault %q: %q is not a percentage from 0 to 100", s, v)
	}
	return kind, share, nil
}

func simRun(ctx context.Context, opts *Options) error {
	sc, err := opts.scenario()
	if err != nil {
		return err
	}
	accounts := map[string]string{sim.DemoUser: sim.DemoPassword}
	if u, p := os.Getenv(sim.EnvUser), os.Getenv(sim.EnvPassword); u != "" || p != "" {
		if u == "" || p == "" {
			return cmdutil.WithHint(errors.New("only one of "+sim.EnvUser+" and "+sim.EnvPassword+" is set"),
				"set both, or neither to use the demo pair")
		}
		accounts = map[string]string{u: p}
	}
	if err := raiseFileLimit(sc); err != nil {
		return err
	}
	if opts.CPUProfile != "" {
		pf, err := os.Create(opts.CPUProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Listen for signals before the fleet is announced, so that a SIGUSR1
	// sent right after the ready line never meets the default action.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	simOpts := sim.Options{Scenario: sc, Dir: opts.Dir, Accounts: accounts}
	if opts.DomainDir != "" {
		dir, err := adjoin.RehearsalDomain(opts.DomainDir)
		if err != nil {
			return &cmdutil.FlagError{Err: fmt.Errorf("--domain: %w", err)}
		}
		simOpts.Domain = &dir
	}
	fleet, err := sim.New(simOpts)
	if err != nil {
		return err
	}
	defer fleet.Close()
	if err := fleet.Start(); err != nil {
		return err
	}
	var growths []sim.PileGrowth
	for _, g := range opts.GrowPiles {
		pg, err := sim.ParsePileGrowth(g)
		if err != nil {
			return &cmdutil.FlagError{Err: err}
		}
		growths = append(growths, pg)
	}
	growth, err := fleet.GrowPiles(growths)
	if err != nil {
		return err
	}
	defer growth.Stop()
	if opts.InventoryOut != "" {
		var buf bytes.Buffer
		caFile, _ := filepath.Abs(fleet.CAFile())
		if err := fleet.WriteInventory(&buf, sim.InventoryOptions{Transport: opts.InventoryTransport, Auth: opts.InventoryAuth, CAFile: caFile}); err != nil {
			return err
		}
		if err := os.WriteFile(opts.InventoryOut, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write inventory: %w", err)
		}
	}
	hosts := fleet.Hosts()
	caFile, _ := filepath.Abs(fleet.CAFile())
	fmt.Fprintf(opts.IO.Out, "ready: hosts=%d addresses=%s-%s http=%d https=%d ca=%s\n",
		len(hosts), hosts[0].Plan.Addr, hosts[len(hosts)-1].Plan.Addr, sc.HTTPPort, sc.HTTPSPort, caFile)
	if f, ok := opts.IO.Out.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	if opts.ready != nil {
		opts.ready(fleet)
	}
	for {
		select {
		case <-ctx.Done():
			return writeStats(fleet, opts)
		case s := <-sigs:
			if s == syscall.SIGUSR1 {
				if err := writeStats(fleet, opts); err != nil {
					fmt.Fprintf(opts.IO.ErrOut, "fleetport: warning: %v\n", err)
				}
				continue
			}
			if s == syscall.SIGUSR2 {
				growth.Start()
				fmt.Fprintf(opts.IO.ErrOut, "fleetport: SIGUSR2: the piles held for a signal grow now\n")
				continue
			}
			fmt.Fprintf(opts.IO.ErrOut, "fleetport: %s: stopping the simulated fleet\n", s)
			return writeStats(fleet, opts)
		}
	}
}

func writeStats(fleet *sim.Fleet, opts *Options) error {
	if opts.StatsFile == "" {
		return nil
	}
	if err := fleet.WriteStats(opts.StatsFile); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	return nil
}
