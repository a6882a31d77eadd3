// Package tuicmd is `fleetport tui`: the incident terminal UI
// (internal/tui) over a stored run, wired to the engine: [Source] loads
// and judges the run and implements the TUI's Collector (collect hosts
// again into a new run), Watcher (sample connection tables over WinRM)
// and Remediator (plan, apply in stages, pause, abort). It is the only
// package that imports internal/tui.
//
// Output rules: the TUI owns the terminal while it runs; warnings found
// before it starts (no inventory) and errors go to stderr. It needs a
// terminal on stdout. Nothing prompts while it runs: credentials come
// from env() and file() references. With --nats, the controller's log
// (a lost NATS connection, a refused request) is discarded: what it
// costs a host shows as the host's status, and a failed connection as
// the action's error.
package tuicmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/cli/driftcmd"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/tui"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// noRunHint is the hint when the store holds nothing to show.
const noRunHint = "fleetport collect or fleetport demo --keep DIR"

// Options are the inputs of `fleetport tui`.
type Options struct {
	IO     *cmdutil.IOStreams
	Shared cmdutil.Shared
	Now    func() time.Time

	Run      int64
	ReadOnly bool
	// WatchEvery is the watch view's sampling interval.
	WatchEvery time.Duration
	// Stages, MaxFailures, Parallel, Poll and EffectTimeout are the
	// rollout view's settings, as fleetport apply takes them (the
	// policies' rollout block gives the defaults of the first two).
	Stages        string
	MaxFailures   string
	Parallel      int
	Poll          time.Duration
	EffectTimeout time.Duration

	changed func(string) bool
}

// NewCmdTUI makes the command; runF replaces the run function in tests.
func NewCmdTUI(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "The incident terminal UI: the fleet, its drift, a live watch, fixes in stages",
		Long: `Open the incident terminal UI on a stored run: the newest collect run, or
--run ID. The run is judged against the policies (-p, plus the built-in
pack) and fleetport's cross-fact checks, as fleetport drift --run does; r
judges it again.

Views: the fleet (one row per host: groups, OS, status, drift by severity,
result, wildcard binds, TIME_WAIT count, last collected), the drift matrix
(policies by hosts, or by groups with m), a host (its findings with
expected, actual and evidence, and on tab its facts), the watch and the
rollout. enter drills in, esc goes back, q quits, ? lists every key.

Sort the fleet with s (next column), S (reverse) or 1..9 (column N; again
reverses). Filter with /: a part of the host name, group:NAME,
tag:KEY=VALUE, status:STATUS, result:RESULT, os:RELEASE; ! before a term
inverts it. Switch views with :fleet, :matrix, :host NAME, :watch, :rollout.
space selects hosts; w, c and a act on the selection, else on the host
under the cursor.

Incident work (the hosts are reached with the inventory, -i):
  w  watch: reads each host's connection table (netstat -ano over WinRM)
     every --watch-every, and shows TIME_WAIT and ESTABLISHED with a
     sparkline of the last minutes, the top remote endpoints and the share
     of the client port range in use, the hosts under most pressure first.
     x stops it; it goes on while you look elsewhere (:watch).
  c  collects the selection again, C the whole run, with live progress
     (done/total, failures, in flight, rate); the result is a new run with
     the other hosts as they were.
  a  plans a fix of the selection (as fleetport plan does); a again asks
     to apply it in stages (--stages, --max-failures) and y confirms the
     first stage; each later stage asks again, as fleetport apply does,
     unless the confirmation's option "apply all stages without asking" (a)
     is ticked. The policies' rollout block sets the guard rails (hosts
     restarting or rebooting at once, maintenance windows); a host or stage
     that waits says why in the journal. The
     rollout is followed live, host by host; p pauses and continues it, x
     aborts it, R resumes it once stopped (each after a confirmation). It
     is journaled as fleetport apply journals it: fleetport rollout status,
     resume and rollback work on it. When it ends, its hosts are collected
     again.

Site runners: with --nats URL (or $FLEETPORT_NATS), c, C and the rollouts
send the selected hosts that have a site in the inventory to their site's
runners (fleetport runner), as fleetport collect and apply do; the others
are worked on here, and the store gets the same runs and journals. The
connection to NATS opens at the first of them and closes when the TUI
quits; a NATS failure is that action's error. The watch (w) always reads
the hosts from this machine: it needs direct WinRM reach to them.

--read-only hides every action that changes a host (a, p, x, R);
watching and collecting stay. NO_COLOR and --no-color give a screen
without colour or escape codes.

To try it on a simulated fleet:
  fleetport sim --hosts 40 --inventory-out sim.hcl --grow-pile 'web0001=250/2s'
  fleetport collect -i sim.hcl --store /tmp/fp.db
  fleetport tui -i sim.hcl --store /tmp/fp.db`,
		Example: `  fleetport tui
  fleetport tui --run 42 --read-only
  fleetport tui -i sim.hcl --store /tmp/fp.db --watch-every 2s --stages 1,100%
  fleetport tui -i inventory --nats nats://nats.example:4222`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.changed = func(n string) bool { return c.Flags().Changed(n) }
			if opts.WatchEvery < time.Second {
				return cmdutil.FlagErrorf("--watch-every must be 1s or more")
			}
			if _, err := rollout.ParseStages(opts.Stages); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if _, err := rollout.ParseBudget(opts.MaxFailures); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.Parallel < 1 {
				return cmdutil.FlagErrorf("--parallel must be at least 1")
			}
			// A malformed URL is found before the TUI starts; a server
			// that does not answer, at the first action that needs it.
			if opts.Shared.Dispatch.Enabled() {
				if err := opts.Shared.Dispatch.Check(); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return tuiRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	opts.Shared.BindRun(cmd)
	opts.Shared.BindDispatch(cmd)
	fl := cmd.Flags()
	fl.Var(cmdutil.RunIDFlag{ID: &opts.Run}, "run", "show this stored run, an id or latest (default: latest, the newest collect run; see fleetport history)")
	_ = cmd.RegisterFlagCompletionFunc("run", cmdutil.CompleteRunIDs(&opts.Shared.Store))
	fl.BoolVar(&opts.ReadOnly, "read-only", false, "hide every action that changes a host (plan, apply, pause, abort)")
	fl.DurationVar(&opts.WatchEvery, "watch-every", 5*time.Second, "how often the watch view reads the connection tables")
	fl.StringVar(&opts.Stages, "stages", "1,10%,50%,100%", "the rollout view's stages: counts, shares, group:NAME, tag:KEY=VALUE (cumulative)")
	fl.StringVar(&opts.MaxFailures, "max-failures", "0", "failed hosts a stage may have before the rollout stops: N or P%")
	fl.IntVar(&opts.Parallel, "parallel", 10, "hosts a rollout changes at once within a stage")
	fl.DurationVar(&opts.Poll, "poll", 2*time.Second, "how often a restarting or rebooting host is tried")
	fl.DurationVar(&opts.EffectTimeout, "effect-timeout", 10*time.Minute, "how long a host may take to come back from a restart or reboot")
	return cmd
}

func tuiRun(ctx context.Context, opts *Options) error {
	if !opts.IO.IsStdoutTTY() {
		return cmdutil.WithHint(errors.New("fleetport tui needs a terminal"), "fleetport drift --run ID prints the same findings as a report")
	}
	src, closeSrc, err := NewSource(ctx, opts)
	if err != nil {
		return err
	}
	defer closeSrc()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	to := tui.Options{Context: ctx, ReadOnly: opts.ReadOnly, Title: opts.Shared.Store, WatchEvery: opts.WatchEvery}
	if src.inv != nil {
		to.Watcher, to.Collector, to.Remediator = src, src, src
	}
	m := tui.New(src, to)
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(opts.IO.In), tea.WithOutput(opts.IO.Out)}
	if !opts.IO.ColorEnabled() {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	if _, err := tea.NewProgram(m, popts...).Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// Source loads one stored run for the TUI and judges it on every Load;
// with an inventory it is also the TUI's Collector, Watcher and
// Remediator (engine.go). It is safe for use from the TUI's command
// goroutines (the store is; mu guards the rest that changes).
type Source struct {
	judge *history.Judge
	st    *store.Store
	set   *policies.Set
	tags  map[string]map[string]string
	// inv is nil without an inventory: then nothing reaches the hosts.
	inv   *inventory.Inventory
	hosts map[string]*inventory.Host
	res   inventory.Resolver
	now   func() time.Time
	// link is the controller of --nats (nil without it, or without an
	// inventory); closing the source closes it.
	link *cmdutil.Link

	shared        cmdutil.Shared
	policiesGiven bool
	concurrency   int
	timeout       time.Duration
	stages        string
	budget        string
	wait          time.Duration
	parallel      int
	poll          time.Duration
	effectTimeout time.Duration

	// active counts the incident work under way, for closing.
	active sync.WaitGroup

	mu sync.Mutex
	// run is the run Load judges; a collection moves it to its new run.
	run int64
	// gates are the running rollouts' pause gates, by rollout id.
	gates map[int64]*rollout.Gate
}

// NewSource opens the store, picks the run (opts.Run, or the newest
// collect run) and loads the policies and the inventory, as fleetport
// drift --run does. It does not connect to NATS: with --nats, the first
// collection or rollout does. The returned func closes the NATS
// connection and the store. A store without runs is an error with a
// hint, so that the TUI never opens on nothing.
func NewSource(ctx context.Context, opts *Options) (*Source, func(), error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	changed := opts.changed
	if changed == nil {
		changed = func(string) bool { return true }
	}
	if !cmdutil.Exists(opts.Shared.Store) {
		return nil, nil, cmdutil.WithHint(fmt.Errorf("no run store at %s", opts.Shared.Store), noRunHint, "--store names another store")
	}
	pset, err := collectcmd.LoadPolicies(opts.IO, opts.Shared, changed("policies"))
	if err != nil {
		return nil, nil, err
	}
	var selected, all []*inventory.Host
	var inv *inventory.Inventory
	if changed("inventory") || cmdutil.Exists(opts.Shared.Inventory) {
		inv, err = cmdutil.LoadInventory(opts.IO, opts.Shared.Inventory)
		if err != nil {
			return nil, nil, err
		}
		all = inv.Hosts()
		if selected, err = inv.Select(opts.Shared.Limit, os.ReadFile); err != nil {
			return nil, nil, err
		}
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "fleetport: warning: no inventory at %s: policies that depend on groups, tags or vars judge the hosts by name and address only\n", opts.Shared.Inventory)
	}
	st, err := store.Open(ctx, opts.Shared.Store)
	if err != nil {
		return nil, nil, err
	}
	run := opts.Run
	if run == 0 || run == cmdutil.LatestRun {
		r, err := st.Latest(ctx, "collect")
		if err != nil {
			st.Close()
			if errors.Is(err, store.ErrNotFound) {
				return nil, nil, cmdutil.WithHint(fmt.Errorf("%s holds no collect run", opts.Shared.Store), noRunHint)
			}
			return nil, nil, err
		}
		run = r.ID
	} else if _, err := st.Run(ctx, run); err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, cmdutil.WithHint(err, "fleetport history lists the stored runs")
		}
		return nil, nil, err
	}
	tags := make(map[string]map[string]string, len(selected))
	for _, h := range selected {
		tags[h.Name] = h.Tags
	}
	s := &Source{
		// A run is judged on its own hosts as stored with it; --limit
		// selects among them.
		judge: &history.Judge{Store: st, Policies: pset, Hosts: driftcmd.PolicyHosts(all), CrossFact: true, Now: opts.Now,
			Limit: opts.Shared.Limit, ReadFile: os.ReadFile},
		st: st, set: pset, run: run, tags: tags, inv: inv, hosts: map[string]*inventory.Host{}, res: resolver{}, now: opts.Now,
		shared: opts.Shared, policiesGiven: changed("policies") || cmdutil.Exists(opts.Shared.Policies),
		concurrency: opts.Shared.Concurrency, timeout: opts.Shared.Timeout,
		stages: opts.Stages, budget: opts.MaxFailures, parallel: opts.Parallel, poll: opts.Poll, effectTimeout: opts.EffectTimeout,
		gates: map[int64]*rollout.Gate{},
	}
	for _, h := range selected {
		s.hosts[h.Name] = h
	}
	if inv != nil && opts.Shared.Dispatch.Enabled() {
		// Discarded: the TUI owns the terminal (see the package doc).
		s.link = opts.Shared.Dispatch.Link(slog.New(slog.DiscardHandler))
	}
	// The policies' rollout block gives the defaults; flags win.
	if r := pset.Rollout; r != nil {
		if len(r.Stages) > 0 && !changed("stages") {
			s.stages = strings.Join(r.Stages, ",")
		}
		if r.MaxFailures != "" && !changed("max-failures") {
			s.budget = r.MaxFailures
		}
		if r.Wait != "" {
			s.wait = r.WaitDuration
		}
	}
	if s.stages == "" {
		s.stages = "1,10%,50%,100%"
	}
	if s.budget == "" {
		s.budget = "0"
	}
	s.parallel = max(s.parallel, 1)
	// Closing waits (a while) for the work under way to end first: a
	// cancelled rollout journals how it stopped, a cancelled collection
	// stores what it has, a watch deletes its shells.
	return s, func() {
		done := make(chan struct{})
		go func() { s.active.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(closeWait):
		}
		if s.link != nil {
			s.link.Close()
		}
		st.Close()
	}, nil
}

// closeWait bounds how long closing the source waits for its work.
const closeWait = 15 * time.Second

// busy counts a piece of work under way until the returned func is
// called.
func (s *Source) busy() func() {
	s.active.Add(1)
	return s.active.Done
}

// Run is the id of the run the source shows.
func (s *Source) Run() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run
}

func (s *Source) setRun(run int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run = run
}

// Load judges the run and loads its facts documents.
func (s *Source) Load(ctx context.Context) (*tui.Data, error) {
	run := s.Run()
	rep, err := s.judge.Report(ctx, run, true)
	if err != nil {
		return nil, fmt.Errorf("judge run %d: %w", run, err)
	}
	fs, err := history.Facts(ctx, s.judge.Store, run)
	if err != nil {
		return nil, fmt.Errorf("facts of run %d: %w", run, err)
	}
	return &tui.Data{Report: rep, Facts: fs, Tags: s.tags}, nil
}
