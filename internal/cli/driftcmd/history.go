package driftcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/store"
)

// HistoryOptions are the inputs of `fleetport history`.
type HistoryOptions struct {
	IO     *cmdutil.IOStreams
	Shared cmdutil.Shared
	Last   int
}

// NewCmdHistory makes `fleetport history`.
func NewCmdHistory(f *cmdutil.Factory, runF func(context.Context, *HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the stored runs, newest first",
		Long: `List the runs in the store, newest first: id, kind, when, how long, status,
the hosts reached out of those selected, and the drift found when the run
was judged (by drift, or the collect that made it).

--json prints an array of runs: {id, kind, started, finished, status, hosts,
selected, by_status, meta, interrupt, drift: {hosts, results, findings}};
meta holds strings only (inventory, policies, limit, version), the drift
summary is the drift object.`,
		Example: `  fleetport history
  fleetport history --last 5 --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.Last < 0 {
				return cmdutil.FlagErrorf("--last must not be negative")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return historyRun(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Shared.Store, "store", cmdutil.DefaultStore(), "run store `file` (SQLite)")
	cmd.Flags().IntVar(&opts.Last, "last", 20, "show the newest N runs (0 = all)")
	opts.Shared.BindJSON(cmd)
	return cmd
}

type historyJSON struct {
	store.Run
	Drift *history.Summary `json:"drift,omitempty"`
}

func historyRun(ctx context.Context, opts *HistoryOptions) error {
	if !cmdutil.Exists(opts.Shared.Store) {
		return cmdutil.WithHint(fmt.Errorf("no run store at %s", opts.Shared.Store), "fleetport collect or fleetport drift makes the first run")
	}
	st, err := store.Open(ctx, opts.Shared.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.Runs(ctx, opts.Last)
	if err != nil {
		return err
	}
	if opts.Shared.JSON {
		out := make([]historyJSON, len(runs))
		for i, r := range runs {
			if s, ok := history.ReadSummary(r); ok {
				out[i].Drift = &s
			}
			// The summary is the drift object, not a string of JSON in
			// meta.
			meta := make(map[string]string, len(r.Meta))
			for k, v := range r.Meta {
				if k != "drift" {
					meta[k] = v
				}
			}
			r.Meta = meta
			out[i].Run = r
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(runs) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no runs stored yet")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tKIND\tSTARTED\tTOOK\tSTATUS\tHOSTS\tDRIFT")
	for _, r := range runs {
		took := "-"
		if !r.Finished.IsZero() {
			took = r.Finished.Sub(r.Started).Round(time.Millisecond).String()
		}
		reached := fmt.Sprintf("%d/%d", r.ByStatus["ok"], r.Selected)
		if r.Hosts != r.ByStatus["ok"] {
			reached += fmt.Sprintf(" (%d answered with errors or not at all)", r.Hosts-r.ByStatus["ok"])
		}
		d := "not judged"
		if s, ok := history.ReadSummary(r); ok {
			d = fmt.Sprintf("%d findings; hosts: %d fail, %d pending, %d unknown, %d pass", s.Findings, s.Results.Fail, s.Results.Pending, s.Results.Unknown, s.Results.Pass)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Started.Local().Format("2006-01-02 15:04:05"), took, r.Status, reached, d)
	}
	return tw.Flush()
}

// DiffOptions are the inputs of `fleetport diff`.
type DiffOptions struct {
	IO      *cmdutil.IOStreams
	Shared  cmdutil.Shared
	Format  string
	A, B    int64
	changed func(string) bool
}

// NewCmdDiff makes `fleetport diff RUN RUN`.
func NewCmdDiff(f *cmdutil.Factory, runF func(context.Context, *DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "diff RUN RUN",
		Short: "What changed between two stored runs: new, fixed and changed findings",
		Long: `Judge two stored runs against the same policies (the built-in pack plus -p)
and list what is new in the second, what it no longer has (fixed), and what
changed (another result or another actual value). Judging both with one
policy set means a change is a change on the hosts, not in the policies.
Each run is judged as it was, with the inventory's view of its hosts
stored with it; --limit selects among each run's hosts.

Only hosts both runs have are compared: a host in one run only is listed
as not compared. A finding that was unknown (the host was not reached, or
the check could not tell) and is told now is "now known", never new or
fixed; drift on a host the second run could not reach is "now unknown".
A run that could not be stored completely cannot be compared: exit 1.

--json (or --format json) prints {"since", "new", "fixed", "changed",
"now_known", "now_unknown", "not_compared", "items"}; items are {kind,
finding, before_result, before_actual}.`,
		Example: `  fleetport diff 41 42
  fleetport diff 41 latest --json`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: cmdutil.CompleteRunIDs(&opts.Shared.Store),
		RunE: func(c *cobra.Command, args []string) error {
			opts.changed = func(n string) bool { return c.Flags().Changed(n) }
			for i, a := range args {
				n, err := cmdutil.ParseRunID(a)
				if err != nil {
					return cmdutil.FlagErrorf("run %v", err)
				}
				if i == 0 {
					opts.A = n
				} else {
					opts.B = n
				}
			}
			if opts.Shared.JSON {
				opts.Format = "json"
			}
			if opts.Format != "table" && opts.Format != "json" {
				return cmdutil.FlagErrorf("--format must be table or json, not %q", opts.Format)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return diffRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	cmd.Flags().StringVar(&opts.Shared.Store, "store", cmdutil.DefaultStore(), "run store `file` (SQLite)")
	opts.Shared.BindJSON(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "table", "table or json")
	return cmd
}

func diffRun(ctx context.Context, opts *DiffOptions) error {
	changed := opts.changed
	if changed == nil {
		changed = func(string) bool { return true }
	}
	pset, err := collectcmd.LoadPolicies(opts.IO, opts.Shared, changed("policies"))
	if err != nil {
		return err
	}
	j := &history.Judge{Policies: pset, CrossFact: true, Limit: opts.Shared.Limit, ReadFile: os.ReadFile,
		Warn: func(m string) { fmt.Fprintf(opts.IO.ErrOut, "fleetport: warning: %s\n", m) }}
	sel, err := FallbackHosts(opts.IO, opts.Shared.Inventory, changed("inventory"))
	if err != nil {
		return err
	}
	j.Hosts = PolicyHosts(sel)
	if !cmdutil.Exists(opts.Shared.Store) {
		return fmt.Errorf("no run store at %s", opts.Shared.Store)
	}
	st, err := store.Open(ctx, opts.Shared.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	j.Store = st
	for _, id := range []*int64{&opts.A, &opts.B} {
		if *id, err = cmdutil.ResolveRun(ctx, st, *id); err != nil {
			return err
		}
	}
	rep, err := j.Diff(ctx, opts.A, opts.B)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return cmdutil.WithHint(err, "fleetport history lists the stored runs")
		}
		var inc *history.IncompleteError
		if errors.As(err, &inc) {
			return cmdutil.WithHint(err, "fleetport history lists the stored runs and their status")
		}
		return err
	}
	WarnWaivers(opts.IO, rep)
	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.Changes)
	}
	return writeChanges(opts.IO, rep, opts.A)
}

func writeChanges(io *cmdutil.IOStreams, rep *drift.Report, since int64) error {
	ch := rep.Changes
	fmt.Fprintf(io.Out, "run %d → run %d: %s\n", since, rep.Run.ID, ch.Text())
	if len(ch.Items) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCHANGE\tHOST\tPOLICY\tRULE\tRESULT\tACTUAL")
	for _, c := range ch.Items {
		res := c.Finding.Result.String()
		actual := c.Finding.Actual
		if c.Kind == drift.ChangeChanged || c.Kind == drift.ChangeNowKnown || c.Kind == drift.ChangeWaived && c.BeforeResult != 0 ||
			c.Kind == drift.ChangeUnwaived {
			res = c.BeforeResult.String() + " → " + res
			actual = c.BeforeActual + " → " + actual
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Kind, c.Finding.Host, c.Finding.Policy, c.Finding.Rule, res, shorten(actual, 100))
	}
	return tw.Flush()
}

// shorten cuts s to n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
