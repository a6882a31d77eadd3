// Package tuicmd is `fleetport tui`: the incident terminal UI over a
// stored run (internal/tui). It is the only package that imports
// internal/tui.
//
// Output rules: the TUI owns the terminal while it runs; warnings found
// before it starts (no inventory) and errors go to stderr. It needs a
// terminal on stdout.
package tuicmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/cli/driftcmd"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/tui"
	"github.com/fleetport/fleetport/inventory"
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

	changed func(string) bool
}

// NewCmdTUI makes the command; runF replaces the run function in tests.
func NewCmdTUI(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Browse a stored run in the incident terminal UI",
		Long: `Open the incident terminal UI on a stored run: the newest collect run, or
--run ID. The run is judged against the policies (-p, plus the built-in
pack) and fleetport's cross-fact checks, as fleetport drift --run does; r
judges it again.

Views: the fleet (one row per host: groups, OS, status, drift by severity,
result, wildcard binds, TIME_WAIT count, last collected), the drift matrix
(policies by hosts, or by groups with m) and a host (its findings with
expected, actual and evidence, and on tab its facts). enter drills in, esc
goes back, q quits, ? lists every key.

Sort the fleet with s (next column), S (reverse) or 1..9 (column N; again
reverses). Filter with /: a part of the host name, group:NAME,
tag:KEY=VALUE, status:STATUS, result:RESULT, os:RELEASE; ! before a term
inverts it. Switch views with :fleet, :matrix, :host NAME.

This version only reads: it changes no host. --read-only is accepted and
shown; the views that act on hosts will honour it.

To try it on the demo fleet:
  fleetport demo --keep DIR
  fleetport tui --store DIR/fleetport.db -i DIR/inventory.hcl`,
		Example: `  fleetport tui
  fleetport tui --run 42 --read-only
  fleetport tui --store /tmp/demo/fleetport.db -i /tmp/demo/inventory.hcl`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.changed = func(n string) bool { return c.Flags().Changed(n) }
			if opts.Run < 0 {
				return cmdutil.FlagErrorf("--run must be a run id (see fleetport history)")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return tuiRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Shared.Store, "store", cmdutil.DefaultStore(), "run store `file` (SQLite)")
	fl.Int64Var(&opts.Run, "run", 0, "show this stored run (default: the newest collect run; see fleetport history)")
	fl.BoolVar(&opts.ReadOnly, "read-only", false, "never change a host (this version has no action that does)")
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
	m := tui.New(src, tui.Options{Context: ctx, ReadOnly: opts.ReadOnly, Title: opts.Shared.Store})
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(opts.IO.In), tea.WithOutput(opts.IO.Out)}
	if !opts.IO.ColorEnabled() {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	if _, err := tea.NewProgram(m, popts...).Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// Source loads one stored run for the TUI and judges it on every Load.
// It is safe for use from the TUI's command goroutines (the store is).
type Source struct {
	judge *history.Judge
	run   int64
	tags  map[string]map[string]string
}

// NewSource opens the store, picks the run (opts.Run, or the newest
// collect run) and loads the policies and the inventory, as fleetport
// drift --run does. The returned func closes the store. A store without
// runs is an error with a hint, so that the TUI never opens on nothing.
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
	var selected []*inventory.Host
	if changed("inventory") || cmdutil.Exists(opts.Shared.Inventory) {
		inv, err := cmdutil.LoadInventory(opts.IO, opts.Shared.Inventory)
		if err != nil {
			return nil, nil, err
		}
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
	if run == 0 {
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
		judge: &history.Judge{Store: st, Policies: pset, Hosts: driftcmd.PolicyHosts(selected), CrossFact: true, Now: opts.Now},
		run:   run,
		tags:  tags,
	}
	return s, func() { st.Close() }, nil
}

// Run is the id of the run the source shows.
func (s *Source) Run() int64 { return s.run }

// Load judges the run and loads its facts documents.
func (s *Source) Load(ctx context.Context) (*tui.Data, error) {
	rep, err := s.judge.Report(ctx, s.run, true)
	if err != nil {
		return nil, fmt.Errorf("judge run %d: %w", s.run, err)
	}
	fs, err := history.Facts(ctx, s.judge.Store, s.run)
	if err != nil {
		return nil, fmt.Errorf("facts of run %d: %w", s.run, err)
	}
	return &tui.Data{Report: rep, Facts: fs, Tags: s.tags}, nil
}
