// Package driftcmd holds `fleetport drift`, `fleetport history` and
// `fleetport diff`: judging runs against the policies, and reading the
// store of runs.
//
// Output rules: the report goes to stdout (or to files with --out);
// progress, warnings and the list of files written go to stderr. The exit
// code follows the report: 0 no drift, 2 drift, 3 no drift but hosts that
// could not be judged, 1 errors.
package driftcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/report"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// Options are the inputs of `fleetport drift`.
type Options struct {
	IO     *cmdutil.IOStreams
	Shared cmdutil.Shared
	Now    func() time.Time

	Run          int64
	Formats      string
	Out          string
	GroupBy      string
	Verbose      bool
	NoCompare    bool
	NoCrossCheck bool
	// Severity, Only and Summary filter the table and Markdown.
	Severity string
	Only     string
	Summary  bool
	// Width fits the table to this many columns (0: the terminal's, or
	// no limit on a pipe or a file).
	Width int
	// UpdateHistory replaces the drift summary history shows for a
	// stored run with this judgement's.
	UpdateHistory bool

	changed func(string) bool
}

// NewCmdDrift makes the command; runF replaces the run function in tests.
func NewCmdDrift(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Collect (or reuse a stored run) and report drift against the policies",
		Long: `Judge every selected host against the policies (the built-in pack plus -p)
and fleetport's cross-fact checks, and report the findings: host, policy,
rule, severity, expected, actual, the lines of host output each finding
rests on, and what fixing it takes (nothing, a service restart, a reboot).

Without --run, drift first collects (as fleetport collect does) and stores
the run; --run ID judges a stored run instead, as it was: with the
inventory's view of its hosts (groups, tags, vars) stored with it, whatever
the inventory says now, and --limit selects among its hosts. A run that
could not be stored completely (status failed) is not judged: exit 1.

The report says what is new, fixed or changed since the run before
(--no-compare turns that off), on the hosts both runs checked: a host only
one run has is "not compared", a finding that was unknown and is told now
is "now known", and drift on a host not reached now is "now unknown".

history shows the drift summary of the judgement that made the run (or the
first judgement of the whole run); judging it again does not change it
unless --update-history.

A host that could not be reached, or whose output could not be read, is
"unknown" for the policies it would have been checked against: never
compliant. "pending" is a configured value that is not in effect yet (it
waits for an HTTP restart or a reboot).

Drift that a waiver accepts (waiver blocks among the policies; see fleetport
help policies) is "waived": every format shows it with the waiver's reason,
until date and file:line, it is counted apart, and it is not drift for the
exit code (plan leaves it alone too). Waivers are judged at the start of
the run judged; an expired one waives nothing (its drift fails again) and
drift warns about it. --only waived lists the waived findings.

Formats: table (the terminal), json (docs/schema/drift-report.schema.json),
markdown, html (one self-contained file), junit (one test case per host and
policy). Several formats need --out DIR; --out FILE takes one format.

Exit codes: 0 no drift, 2 drift found, 3 no drift but some hosts could not be
judged, 1 errors.`,
		Example: `  fleetport drift
  fleetport drift --run 42 --format html,json,junit --out reports/
  fleetport drift --format markdown --out drift.md --group-by host
  fleetport drift --run 42 --severity high --only fail
  fleetport drift --summary`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.changed = func(n string) bool { return c.Flags().Changed(n) }
			if opts.Shared.JSON {
				if c.Flags().Changed("format") && opts.Formats != "json" {
					return cmdutil.FlagErrorf("--json and --format %s: choose one", opts.Formats)
				}
				opts.Formats = "json"
			}
			if opts.Severity != "" {
				if _, err := policies.ParseSeverity(opts.Severity); err != nil {
					return cmdutil.FlagErrorf("--severity: %v", err)
				}
			}
			if opts.Only != "" && !slices.Contains(report.OnlyValues, opts.Only) {
				return cmdutil.FlagErrorf("--only must be one of %s, not %q", strings.Join(report.OnlyValues, ", "), opts.Only)
			}
			if opts.UpdateHistory && opts.Shared.Limit != "" {
				return cmdutil.FlagErrorf("--update-history records the judgement of a whole run: leave --limit out")
			}
			if opts.GroupBy != "policy" && opts.GroupBy != "host" {
				return cmdutil.FlagErrorf("--group-by must be policy or host, not %q", opts.GroupBy)
			}
			if _, err := report.ParseFormats(opts.Formats); err != nil {
				return cmdutil.FlagErrorf("--format: %v", err)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return driftRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	opts.Shared.BindRun(cmd)
	opts.Shared.BindDispatch(cmd)
	opts.Shared.BindJSON(cmd)
	fl := cmd.Flags()
	fl.Var(cmdutil.RunIDFlag{ID: &opts.Run}, "run", "judge this stored run (an id, or latest) instead of collecting (see fleetport history)")
	_ = cmd.RegisterFlagCompletionFunc("run", cmdutil.CompleteRunIDs(&opts.Shared.Store))
	fl.StringVar(&opts.Formats, "format", "table", "report `formats`, comma-separated: table, json, markdown, html, junit")
	fl.StringVarP(&opts.Out, "out", "o", "", "write the report to this `folder` (one file per format) or file (one format)")
	fl.StringVar(&opts.GroupBy, "group-by", "policy", "table and markdown: group findings by policy or host")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "table: show the evidence under each finding")
	fl.BoolVar(&opts.NoCompare, "no-compare", false, "do not compare with the run before")
	fl.BoolVar(&opts.NoCrossCheck, "no-cross-checks", false, "leave fleetport's cross-fact checks out")
	fl.StringVar(&opts.Severity, "severity", "", "table, markdown: show only findings of this `severity` or worse (info, low, medium, high, critical)")
	fl.StringVar(&opts.Only, "only", "", "table, markdown: show only findings that are `fail` (fail and pending), unknown or waived")
	fl.BoolVar(&opts.Summary, "summary", false, "table, markdown: the counts, the hosts not reached and the verdict, without the findings")
	fl.IntVar(&opts.Width, "width", 0, "table: fit to this many `columns` (default: the terminal's width; no limit on a pipe or a file)")
	fl.BoolVar(&opts.UpdateHistory, "update-history", false, "with --run: replace the drift summary fleetport history shows for the run with this judgement's")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, f := range report.Formats() {
			out = append(out, string(f))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("group-by", cobra.FixedCompletions([]string{"policy", "host"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func driftRun(ctx context.Context, opts *Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	changed := opts.changed
	if changed == nil {
		changed = func(string) bool { return true }
	}
	formats, err := report.ParseFormats(opts.Formats)
	if err != nil {
		return cmdutil.FlagErrorf("--format: %v", err)
	}
	var (
		runID       int64
		pset        *policies.Set
		selected    []*inventory.Host
		interrupted error
	)
	if opts.Run == 0 {
		c, err := collectcmd.Collect(ctx, &collectcmd.Options{IO: opts.IO, Shared: opts.Shared, Now: opts.Now, Changed: changed})
		if err != nil {
			return err
		}
		runID, pset, selected, interrupted = c.RunID, c.Policies, c.Selected, c.Interrupted
	} else {
		runID = opts.Run
		if pset, err = collectcmd.LoadPolicies(opts.IO, opts.Shared, changed("policies")); err != nil {
			return err
		}
		if selected, err = FallbackHosts(opts.IO, opts.Shared.Inventory, changed("inventory")); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, opts.Shared.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	if runID, err = cmdutil.ResolveRun(ctx, st, runID); err != nil {
		return err
	}
	j := &history.Judge{Store: st, Policies: pset, Hosts: PolicyHosts(selected), CrossFact: !opts.NoCrossCheck, Now: opts.Now,
		Warn: func(m string) { fmt.Fprintf(opts.IO.ErrOut, "fleetport: warning: %s\n", m) }}
	if opts.Run != 0 {
		// A stored run is judged on its own hosts; --limit selects among them.
		j.Limit, j.ReadFile = opts.Shared.Limit, os.ReadFile
	}
	rep, err := j.Report(ctx, runID, !opts.NoCompare)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return cmdutil.WithHint(err, "fleetport history lists the stored runs")
		}
		var inc *history.IncompleteError
		if errors.As(err, &inc) {
			return cmdutil.WithHint(err, "collect again: fleetport collect (or fleetport drift without --run)")
		}
		return err
	}
	// The summary history shows is the one of the judgement that made
	// the run, or of the first judgement of the whole run; judging again
	// replaces it only when asked.
	if opts.Shared.Limit == "" || opts.Run == 0 {
		if err := annotate(ctx, st, rep, opts.Run == 0 || opts.UpdateHistory); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "fleetport: warning: %v\n", err)
		}
	}
	WarnWaivers(opts.IO, rep)
	minSeverity, _ := policies.ParseSeverity(opts.Severity)
	if opts.Severity == "" {
		minSeverity = 0
	}
	if err := WriteReport(opts.IO, rep, formats, opts.Out, report.Options{
		Color: opts.IO.ColorEnabled(), Width: reportWidth(opts.IO, opts.Width), GroupBy: opts.GroupBy, Verbose: opts.Verbose,
		MinSeverity: minSeverity, Only: opts.Only, Summary: opts.Summary,
	}); err != nil {
		return err
	}
	if interrupted != nil {
		fmt.Fprintf(opts.IO.ErrOut, "fleetport: run %d was interrupted: hosts it did not reach are unknown\n", runID)
	}
	if code := rep.ExitCode(); code != 0 {
		return &cmdutil.ExitError{Code: code}
	}
	return nil
}

// WarnWaivers warns, once per waiver, about the waivers of a report that
// waived nothing because they had expired by the run (its drift fails
// again) or their limit could not be evaluated.
func WarnWaivers(io *cmdutil.IOStreams, rep *drift.Report) {
	for _, w := range rep.Waivers {
		switch w.State {
		case drift.WaiverExpired:
			fmt.Fprintf(io.ErrOut, "fleetport: warning: waiver %q (%s) expired at the end of %s: its drift of %s fails again; fix it, or extend until with a reason that still holds\n",
				w.Name, w.Source, w.Until, w.Policy)
		case drift.WaiverInvalid:
			fmt.Fprintf(io.ErrOut, "fleetport: warning: waiver %q (%s) waives nothing: %s\n", w.Name, w.Source, w.Error)
		}
	}
}

// reportWidth is the width the table is fitted to: --width, else the
// terminal's, else none.
func reportWidth(io *cmdutil.IOStreams, flag int) int {
	if flag > 0 {
		return flag
	}
	return io.ReportWidth()
}

// annotate stores the report's summary with its run for history: always
// when replace, else only when the run has none yet.
func annotate(ctx context.Context, st *store.Store, rep *drift.Report, replace bool) error {
	if !replace {
		r, err := st.Run(ctx, rep.Run.ID)
		if err != nil {
			return err
		}
		if _, ok := history.ReadSummary(r); ok {
			return nil
		}
	}
	return history.Annotate(ctx, st, rep)
}

// FallbackHosts loads every host of the inventory at path, for judging a
// stored run made before runs carried their hosts. Without an inventory
// there (and none named), it returns none.
func FallbackHosts(io *cmdutil.IOStreams, path string, named bool) ([]*inventory.Host, error) {
	if !named && !cmdutil.Exists(path) {
		return nil, nil
	}
	inv, err := cmdutil.LoadInventory(io, path)
	if err != nil {
		return nil, err
	}
	return inv.Hosts(), nil
}

// PolicyHosts is the inventory's view of hosts, by name.
func PolicyHosts(hosts []*inventory.Host) map[string]policies.Host {
	out := make(map[string]policies.Host, len(hosts))
	for _, h := range hosts {
		out[h.Name] = cmdutil.PolicyHost(h)
	}
	return out
}

// WriteReport writes a report in the formats asked for: to stdout without
// out (one format), to the file out (one format), or one file per format
// into the folder out (reporting the paths on stderr, and printing the
// table to stdout too when it is among them).
func WriteReport(io *cmdutil.IOStreams, rep *drift.Report, formats []report.Format, out string, ropts report.Options) error {
	if out == "" {
		if len(formats) > 1 {
			return cmdutil.FlagErrorf("%d formats need --out FOLDER (one file each)", len(formats))
		}
		if formats[0] != report.Table {
			ropts.Color = false
		}
		return report.Write(io.Out, formats[0], rep, ropts)
	}
	ext := strings.ToLower(filepath.Ext(out))
	isDir := ext == "" || cmdutil.IsDir(out)
	if !isDir {
		if len(formats) > 1 {
			return cmdutil.FlagErrorf("--out %s is a file but %d formats were asked for: give a folder", out, len(formats))
		}
		ropts.Color = false
		if err := writeFileAtomic(out, func(w *os.File) error { return report.Write(w, formats[0], rep, ropts) }); err != nil {
			return err
		}
		fmt.Fprintf(io.ErrOut, "wrote %s\n", out)
		return nil
	}
	fileOpts := ropts
	fileOpts.Color = false
	paths, err := report.WriteFiles(out, "drift-run"+strconv.FormatInt(rep.Run.ID, 10), formats, rep, fileOpts)
	for _, p := range paths {
		fmt.Fprintf(io.ErrOut, "wrote %s\n", p)
	}
	if err != nil {
		return err
	}
	for _, f := range formats {
		if f == report.Table {
			return report.Write(io.Out, report.Table, rep, ropts)
		}
	}
	return nil
}

func writeFileAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".fleetport-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
