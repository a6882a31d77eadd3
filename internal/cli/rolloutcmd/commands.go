package rolloutcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/store"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// PlanOptions are the inputs of `fleetport plan`.
type PlanOptions struct {
	IO      *cmdutil.IOStreams
	Shared  cmdutil.Shared
	Now     func() time.Time
	Run     int64
	Out     string
	Policy  []string
	changed func(string) bool
}

// NewCmdPlan makes `fleetport plan`.
func NewCmdPlan(f *cmdutil.Factory) *cobra.Command {
	opts := &PlanOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "The corrective actions, host by host, with before and after",
		Long: `Collect (or take --run ID), judge, and turn the drift into actions per host:
the exact commands (built from typed values), each value before and after,
and the one step that puts a host's changes into effect (none, a restart
of a service and every dependant, or a reboot), ordered so that a host
restarts or reboots at most once.

Refused at plan time, with the reason: a listen list that would lack the
management address or 127.0.0.1 (fleetport would lock itself out), an
address the host does not have, a change whose current value was not
collected. Drift no remediation covers is listed for a person.

--out plan.json saves the plan; fleetport apply --plan plan.json runs
exactly that plan and refuses a host whose state changed since.

Exit codes: 0 nothing to do, 2 drift to fix, 1 errors.`,
		Example: `  fleetport plan
  fleetport plan --run 42 --out plan.json
  fleetport plan --limit group:web --json
  fleetport plan --policy tcp_timed_wait_delay --out plan.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.changed = func(n string) bool { return c.Flags().Changed(n) }
			return planRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	opts.Shared.BindRun(cmd)
	opts.Shared.BindDispatch(cmd)
	opts.Shared.BindJSON(cmd)
	cmd.Flags().Var(cmdutil.RunIDFlag{ID: &opts.Run}, "run", "plan from this stored run (an id, or latest) instead of collecting")
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "save the plan as JSON to this `file`")
	cmd.Flags().StringSliceVar(&opts.Policy, "policy", nil, "plan only this policy (repeat, or NAME,NAME)")
	return cmd
}

func planRun(ctx context.Context, opts *PlanOptions) error {
	fl, err := loadFleet(ctx, opts.IO, opts.Shared, opts.changed, opts.Now)
	if err != nil {
		return err
	}
	defer fl.close()
	if err := fl.checkPolicies(opts.Policy); err != nil {
		return err
	}
	rep, err := fl.report(ctx, opts.Run, opts.changed)
	if err != nil {
		return err
	}
	p, err := fl.buildPlan(ctx, rep, opts.Policy)
	if err != nil {
		return err
	}
	if opts.Out != "" {
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			return err
		}
		if err := os.WriteFile(opts.Out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write the plan: %w", err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s\n", opts.Out)
	}
	if opts.Shared.JSON {
		if err := p.Write(opts.IO.Out); err != nil {
			return err
		}
	} else if err := plan.WriteText(opts.IO.Out, p, opts.IO.ColorEnabled()); err != nil {
		return err
	}
	if n := rep.Summary.Results.Unknown; n > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "fleetport: %d hosts could not be judged (unknown) and are not planned: fleetport drift --run %d shows why\n", n, rep.Run.ID)
	}
	if code := rep.ExitCode(); code != 0 {
		return &cmdutil.ExitError{Code: code}
	}
	return nil
}

// ApplyOptions are the inputs of `fleetport apply`.
type ApplyOptions struct {
	IO          *cmdutil.IOStreams
	Shared      cmdutil.Shared
	Now         func() time.Time
	Run         int64
	PlanFile    string
	Stages      string
	MaxFailures string
	Wait        time.Duration
	Yes         bool
	Policy      []string
	Parallel    int
	Poll        time.Duration
	Guard       guardFlags
	changed     func(string) bool
}

// NewCmdApply makes `fleetport apply`.
func NewCmdApply(f *cmdutil.Factory) *cobra.Command {
	opts := &ApplyOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Carry out a plan in stages, verifying every host",
		Long: `Carry out a plan (--plan FILE, or one made now as fleetport plan does) in
stages: a canary first, then waves (--stages 1,10%,50%,100%: counts and
shares are cumulative; group:NAME and tag:KEY=VALUE take those hosts first).
A rollout block in the policies sets the defaults of --stages,
--max-failures and --wait.

A saved plan (--plan) is narrowed by --limit, then every host of it is
derived again from the plan's stored run, the inventory and the policies:
a value, an effect or an address edited into the file refuses the whole
plan before any host is touched. --policy NAME fixes one policy only.

Per host: read each value first (an action already done is skipped, one
whose host changed since the plan is refused), change it, put the changes
into effect once and only if a change needs it (a service restart with
every dependant started again, run detached when it would cut WinRM; or a
reboot; a value set earlier and still not in effect counts), wait for the
host to come back, collect it again, and mark it fixed only when its drift
is gone. docs/SAFETY.md lists every guarantee and its test.

A host that fails verification or becomes unreachable after its change
counts against the stage's budget (--max-failures N or P%); when it is
spent the rollout stops with exit 2. Before each stage apply asks for a
confirmation (--yes skips it) and waits --wait.

The rollout's id is printed as soon as it is stored, before any host is
touched ("rollout 12 started: fleetport rollout abort 12 stops it"). Every
step is written to the store before and after it runs: after a crash,
fleetport rollout resume ID (or latest) continues exactly where it stopped.

` + guardHelp + `

Exit codes: 0 complete, 2 stopped by a stage's failure budget, 3 complete
but some hosts ended unreachable, 1 errors, a refusal or an abort.`,
		Example: `  fleetport apply --stages 1,25%,100% --yes
  fleetport apply --plan plan.json --stages group:canary,50%,100% --max-failures 5%
  fleetport apply --plan plan.json --limit web01,web02 --stages 100%
  fleetport apply --policy tcp_timed_wait_delay --limit group:web
  fleetport apply --max-disruptive 2 --max-disruptive-per-group 1
  fleetport apply --outside-window refuse   # exit 1 outside the policies' maintenance windows`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.changed = func(n string) bool { return c.Flags().Changed(n) }
			if _, err := rollout.ParseStages(opts.Stages); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if _, err := rollout.ParseBudget(opts.MaxFailures); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if err := opts.Guard.check(); err != nil {
				return err
			}
			return applyRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	opts.Shared.BindRun(cmd)
	opts.Shared.BindDispatch(cmd)
	fl := cmd.Flags()
	fl.Var(cmdutil.RunIDFlag{ID: &opts.Run}, "run", "plan from this stored run (an id, or latest) instead of collecting")
	fl.StringVar(&opts.PlanFile, "plan", "", "carry out this saved plan (fleetport plan --out); --limit narrows it")
	fl.StringSliceVar(&opts.Policy, "policy", nil, "fix only this policy (repeat, or NAME,NAME); not with --plan")
	fl.StringVar(&opts.Stages, "stages", "1,10%,50%,100%", "the stages: counts, shares, group:NAME, tag:KEY=VALUE (cumulative)")
	fl.StringVar(&opts.MaxFailures, "max-failures", "0", "failed hosts a stage may have before the rollout stops: N or P%")
	fl.DurationVar(&opts.Wait, "wait", 0, "pause between stages")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask before the first and each later stage")
	fl.IntVar(&opts.Parallel, "parallel", 10, "hosts changed at once within a stage")
	fl.DurationVar(&opts.Poll, "poll", 2*time.Second, "how often a restarting or rebooting host is tried")
	opts.Guard.bind(cmd)
	bindEffectTimeout(cmd)
	return cmd
}

// readFileCapped reads a plan file, refusing one larger than a plan can be
// before reading it.
func readFileCapped(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > plan.MaxBytes {
		return nil, fmt.Errorf("%s: %d bytes, larger than a plan can be (%d)", path, st.Size(), plan.MaxBytes)
	}
	return os.ReadFile(path)
}

func (fl *fleet) config(parallel int, poll time.Duration) rollout.Config {
	pr := &progress{io: fl.io, started: fl.now()}
	return rollout.Config{Store: fl.st, Open: fl.open, DeleteShells: fl.deleteShells, Verify: fl.verify, Progress: pr.event, Now: fl.now,
		Concurrency: parallel, PollEvery: poll, EffectTimeout: effectTimeout, PID: os.Getpid(), Dispatch: fl.dispatch, Started: started(fl.io)}
}

// effectTimeout is --effect-timeout of apply, resume and rollback.
var effectTimeout = 10 * time.Minute

func bindEffectTimeout(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&effectTimeout, "effect-timeout", 10*time.Minute, "how long a host may take to come back from a restart or reboot")
}

func applyRun(ctx context.Context, opts *ApplyOptions) error {
	fl, err := loadFleet(ctx, opts.IO, opts.Shared, opts.changed, opts.Now)
	if err != nil {
		return err
	}
	defer fl.close()
	// The policies' rollout block gives the defaults; flags win.
	if r := fl.set.Rollout; r != nil {
		if len(r.Stages) > 0 && !opts.changed("stages") {
			opts.Stages = strings.Join(r.Stages, ",")
		}
		if r.MaxFailures != "" && !opts.changed("max-failures") {
			opts.MaxFailures = r.MaxFailures
		}
		if r.Wait != "" && !opts.changed("wait") {
			opts.Wait = r.WaitDuration
		}
	}
	if _, err := rollout.ParseStages(opts.Stages); err != nil {
		return err
	}
	if err := fl.checkPolicies(opts.Policy); err != nil {
		return err
	}
	rails, err := opts.Guard.rails(fl.set, opts.changed)
	if err != nil {
		return err
	}
	if err := refuseOutside(rails, fl.now()); err != nil {
		return err
	}
	var p *plan.Plan
	if opts.PlanFile != "" {
		if len(opts.Policy) > 0 {
			return cmdutil.FlagErrorf("--policy chooses what a new plan fixes; a saved plan is carried out as it is (plan --policy NAME --out FILE)")
		}
		if opts.Run != 0 {
			return cmdutil.FlagErrorf("--run and --plan: a saved plan names its run")
		}
		b, err := readFileCapped(opts.PlanFile)
		if err != nil {
			return err
		}
		if p, err = plan.Read(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("%s: %w", opts.PlanFile, err)
		}
		// Only the hosts --limit selects; then every host is derived again
		// from the plan's run, before anything is touched.
		if err := fl.limitPlan(p); err != nil {
			return fmt.Errorf("%s: %w", opts.PlanFile, err)
		}
		if err := fl.checkPlan(ctx, p, opts.changed); err != nil {
			return fmt.Errorf("%s: %w", opts.PlanFile, err)
		}
	} else {
		rep, err := fl.report(ctx, opts.Run, opts.changed)
		if err != nil {
			return err
		}
		if p, err = fl.buildPlan(ctx, rep, opts.Policy); err != nil {
			return err
		}
	}
	if err := plan.WriteText(opts.IO.ErrOut, p, false); err != nil {
		return err
	}
	if len(p.Hosts) == 0 {
		fmt.Fprintln(opts.IO.Out, "nothing to change")
		return nil
	}
	if err := fl.checkChangeCredentials(p); err != nil {
		return err
	}
	stages, _ := rollout.ParseStages(opts.Stages)
	budget, _ := rollout.ParseBudget(opts.MaxFailures)
	confirm := confirmer(opts.IO, opts.Yes)
	if confirm != nil {
		ok, err := confirm(ctx, rollout.StageInfo{Index: 1, Of: len(rollout.Assign(p.Hosts, stages)), Hosts: rollout.Assign(p.Hosts, stages)[0], Budget: budget.Allowed(len(rollout.Assign(p.Hosts, stages)[0]))})
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("not confirmed: nothing changed")
		}
	}
	meta := cmdutil.RolloutMeta(opts.Shared, opts.changed("policies") || cmdutil.Exists(opts.Shared.Policies), fl.dispatch != nil)
	cfg := fl.config(opts.Parallel, opts.Poll)
	cfg.Confirm = confirm
	res, err := rollout.Start(ctx, cfg, "apply", p, rollout.Options{Stages: stages, MaxFailures: budget, Wait: opts.Wait, Meta: meta, Guard: rails}, 0)
	if err != nil {
		return err
	}
	printResult(opts.IO, res)
	return resultErr(res)
}

// NewCmdRollout makes `fleetport rollout` and its subcommands.
func NewCmdRollout(f *cmdutil.Factory) *cobra.Command {
	var storePath string
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "A rollout's journal, continued, stopped, undone",
		Long: `Every apply is a rollout, journaled step by step in the store.

  fleetport rollout list              the rollouts, newest first
  fleetport rollout status ID         the whole story: stages, hosts, every step
  fleetport rollout resume ID         continue after a crash or an abort
  fleetport rollout abort ID          stop it cleanly at its next step
  fleetport rollout rollback ID       put back the values it changed, in stages, verified

ID is a rollout's number, or latest: the newest rollout (for rollback, the
newest apply). A rollout recorded running whose process is gone shows as
interrupted: rollout resume continues it.

Exit codes of resume and rollback, as apply's: 0 complete, 2 stopped by a
stage's failure budget, 3 complete but some hosts ended unreachable, 1
errors, a refusal or an abort.`,
	}
	cmd.PersistentFlags().StringVar(&storePath, "store", cmdutil.DefaultStore(), "run store `file` (SQLite)")
	openStore := func(ctx context.Context) (*store.Store, error) {
		if !cmdutil.Exists(storePath) {
			return nil, fmt.Errorf("no store at %s", storePath)
		}
		return store.Open(ctx, storePath)
	}
	parseID := func(ctx context.Context, s string) (int64, error) { return rolloutID(ctx, openStore, s, false) }

	var asJSON bool
	list := &cobra.Command{Use: "list", Short: "The rollouts, newest first", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, err := openStore(c.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			rs, err := st.Rollouts(c.Context(), 0)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(f.IO, rs)
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ROLLOUT\tKIND\tCREATED\tSTATUS\tREASON")
			for _, r := range rs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Created.Local().Format("2006-01-02 15:04:05"), statusOf(r, cmdutil.ProcessAlive), r.Reason)
			}
			return tw.Flush()
		}}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var statusJSON bool
	status := &cobra.Command{Use: "status ID|latest", Short: "The whole story of a rollout", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID(c.Context(), args[0])
			if err != nil {
				return err
			}
			st, err := openStore(c.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			return statusRun(c.Context(), f.IO, st, id, statusJSON)
		}}
	status.Flags().BoolVar(&statusJSON, "json", false, "print {rollout, events} as JSON")

	var yes bool
	var parallel int
	var poll time.Duration
	var resumeShared cmdutil.Shared
	var resumeGuard, rbGuard guardFlags
	resume := &cobra.Command{Use: "resume ID|latest", Short: "Continue a rollout where it stopped", Args: cobra.ExactArgs(1),
		Long: `Continue a rollout after a crash, an abort, or a stop: hosts already done
stay done, and on the others every action reads the host's state first, so
no action runs twice. The inventory and policies are the ones the rollout
was started with, unless -i and -p are given. A rollout a stage's failure
budget stopped stops again at once (its failed hosts still count): fix
them, then plan and apply again. It asks before each stage it starts
(--yes does not ask).

The guard rails are the ones the rollout was started with; the flags given
replace them.

` + guardHelp + `

Exit codes: 0 complete, 2 stopped by a stage's failure budget, 3 complete
but some hosts ended unreachable, 1 errors, a refusal or an abort.`,
		Example: `  fleetport rollout resume latest
  fleetport rollout resume 12 --yes --max-disruptive 1`,
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID(c.Context(), args[0])
			if err != nil {
				return err
			}
			if err := resumeGuard.check(); err != nil {
				return err
			}
			resumeShared.Store = storePath
			return resumeRun(c.Context(), f, id, resumeShared, c.Flags().Changed, yes, parallel, poll, &resumeGuard)
		}}
	resume.Flags().StringVarP(&resumeShared.Inventory, "inventory", "i", "", "inventory `path` (default: the rollout's)")
	resumeShared.BindDispatch(resume)
	resume.Flags().StringVarP(&resumeShared.Policies, "policies", "p", "", "policy `path` (default: the rollout's)")
	resume.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask before each stage")
	resume.Flags().IntVar(&parallel, "parallel", 10, "hosts changed at once within a stage")
	resume.Flags().DurationVar(&poll, "poll", 2*time.Second, "how often a restarting or rebooting host is tried")
	resumeGuard.bind(resume)

	abort := &cobra.Command{Use: "abort ID|latest", Short: "Stop a rollout cleanly at its next step", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID(c.Context(), args[0])
			if err != nil {
				return err
			}
			st, err := openStore(c.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			s, err := rollout.Abort(c.Context(), st, id, cmdutil.ProcessAlive, f.Now())
			if err != nil {
				return err
			}
			if s == store.RolloutAborting {
				fmt.Fprintf(f.IO.Out, "rollout %d: asked to stop; it stops at its next step\n", id)
			} else {
				fmt.Fprintf(f.IO.Out, "rollout %d: aborted (no process was running it)\n", id)
			}
			return nil
		}}

	var rbShared cmdutil.Shared
	var rbStages, rbBudget string
	var restoreServices bool
	rollback := &cobra.Command{Use: "rollback ID|latest", Short: "Put back the values a rollout changed, in stages, verified", Args: cobra.ExactArgs(1),
		Long: `Restore the values an apply changed, from the values it read before each
change: every action the journal records as done is undone (newest first),
put into effect as the apply did (a restart or a reboot, only when an undo
changes something), and read back; after an HTTP restart, http.sys must
listen on the restored list. A listen list that would lock fleetport out is
not put back. Services keep their run state: a service the apply started is
not stopped again unless --restore-service-state. --limit restricts it to
some hosts. It is a rollout of its own: status, resume and abort work on it.
latest rolls back the newest apply. It asks before each stage (--yes does
not ask).

` + guardHelp + `

Exit codes: 0 complete, 2 stopped by a stage's failure budget, 3 complete
but some hosts ended unreachable, 1 errors, a refusal or an abort.`,
		Example: `  fleetport rollout rollback 7 --limit web01 --yes
  fleetport rollout rollback latest --stages 1,100% --restore-service-state`,
		RunE: func(c *cobra.Command, args []string) error {
			id, err := rolloutID(c.Context(), openStore, args[0], true)
			if err != nil {
				return err
			}
			if err := rbGuard.check(); err != nil {
				return err
			}
			rbShared.Store = storePath
			return rollbackRun(c.Context(), f, id, rbShared, c.Flags().Changed, rbStages, rbBudget, yes, restoreServices, parallel, poll, &rbGuard)
		}}
	rollback.Flags().StringVarP(&rbShared.Inventory, "inventory", "i", "", "inventory `path` (default: the rollout's)")
	rbShared.BindDispatch(rollback)
	rollback.Flags().StringVar(&rbShared.Limit, "limit", "", "only these hosts (names, globs, group:NAME, ...)")
	rollback.Flags().StringVar(&rbStages, "stages", "1,100%", "the stages of the rollback")
	rollback.Flags().StringVar(&rbBudget, "max-failures", "0", "failed hosts a stage may have")
	rollback.Flags().BoolVar(&restoreServices, "restore-service-state", false, "also stop (or start) again the services the apply started (or stopped)")
	rollback.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask before each stage")
	rollback.Flags().IntVar(&parallel, "parallel", 10, "hosts changed at once within a stage")
	rollback.Flags().DurationVar(&poll, "poll", 2*time.Second, "how often a restarting or rebooting host is tried")
	rbGuard.bind(rollback)

	bindEffectTimeout(resume)
	bindEffectTimeout(rollback)
	cmd.AddCommand(list, status, resume, abort, rollback)
	return cmd
}

func writeJSON(io *cmdutil.IOStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func statusRun(ctx context.Context, io *cmdutil.IOStreams, st *store.Store, id int64, asJSON bool) error {
	rec, err := st.Rollout(ctx, id)
	if err != nil {
		return err
	}
	evs, err := st.Events(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(io, struct {
			Rollout store.Rollout `json:"rollout"`
			Events  []store.Event `json:"events"`
		}{rec, evs})
	}
	fmt.Fprintf(io.Out, "rollout %d (%s) %s", rec.ID, rec.Kind, statusOf(rec, cmdutil.ProcessAlive))
	if rec.Reason != "" {
		fmt.Fprintf(io.Out, ": %s", rec.Reason)
	}
	if rec.Parent != 0 {
		fmt.Fprintf(io.Out, " (undoes rollout %d)", rec.Parent)
	}
	fmt.Fprintf(io.Out, "\ncreated %s, last change %s\n", rec.Created.Local().Format(time.DateTime), rec.Updated.Local().Format(time.DateTime))
	byHost := map[string][]store.Event{}
	for _, e := range evs {
		if e.Host == "" {
			fmt.Fprintf(io.Out, "%s  %s\n", e.Time.Local().Format(time.TimeOnly), rolloutLine(e))
			continue
		}
		byHost[e.Host] = append(byHost[e.Host], e)
	}
	for _, h := range sortedKeys(byHost) {
		es := byHost[h]
		outcome := "in progress"
		for _, e := range es {
			if e.Step == "host" && e.State != "start" {
				outcome = e.State
			}
		}
		fmt.Fprintf(io.Out, "\n%s (stage %d): %s\n", h, es[0].Stage, outcome)
		for _, e := range es {
			if e.Step == "host" || rollout.Routine(e) {
				continue
			}
			fmt.Fprintf(io.Out, "  %s  %-34s %-7s %s\n", e.Time.Local().Format(time.TimeOnly), e.Step, e.State, e.Detail)
		}
	}
	return nil
}

// fleetFor loads the fleet a stored rollout was made with, unless flags
// name another inventory or policies.
func fleetFor(ctx context.Context, f *cmdutil.Factory, id int64, sh cmdutil.Shared, changed func(string) bool) (*fleet, error) {
	if !cmdutil.Exists(sh.Store) {
		return nil, fmt.Errorf("no store at %s", sh.Store)
	}
	st, err := store.Open(ctx, sh.Store)
	if err != nil {
		return nil, err
	}
	rec, err := st.Rollout(ctx, id)
	st.Close()
	if err != nil {
		return nil, err
	}
	var opts rollout.Options
	_ = json.Unmarshal([]byte(rec.Options), &opts)
	if sh.Inventory == "" {
		sh.Inventory = opts.Meta["inventory"]
	}
	// The rollout verifies against the policies it was planned with.
	sh.NoBuiltin = opts.Meta[cmdutil.MetaNoBuiltin] == "true"
	if err := sh.Dispatch.CheckResume(id, opts.Meta); err != nil {
		return nil, err
	}
	polChanged := changed("policies")
	if sh.Policies == "" {
		sh.Policies = opts.Meta["policies"]
		polChanged = sh.Policies != ""
		if sh.Policies == "" {
			sh.Policies = filepath.Join(os.TempDir(), "fleetport-no-policies-"+strconv.Itoa(os.Getpid()))
		}
	}
	if sh.Inventory == "" {
		return nil, cmdutil.FlagErrorf("rollout %d does not record its inventory: pass -i", id)
	}
	return loadFleet(ctx, f.IO, sh, func(n string) bool {
		if n == "policies" {
			return polChanged
		}
		return changed(n)
	}, f.Now)
}

func resumeRun(ctx context.Context, f *cmdutil.Factory, id int64, sh cmdutil.Shared, changed func(string) bool, yes bool, parallel int, poll time.Duration, guard *guardFlags) error {
	fl, err := fleetFor(ctx, f, id, sh, changed)
	if err != nil {
		return err
	}
	defer fl.close()
	cfg := fl.config(parallel, poll)
	cfg.Confirm = confirmer(f.IO, yes)
	rec, err := fl.st.Rollout(ctx, id)
	if err != nil {
		return err
	}
	var stored rollout.Options
	_ = json.Unmarshal([]byte(rec.Options), &stored)
	rails := stored.Guard
	guard.over(&rails, changed)
	if err := rails.Check(); err != nil {
		return err
	}
	if err := refuseOutside(rails, fl.now()); err != nil {
		return err
	}
	cfg.Guard = &rails
	if err := fl.checkChangeCredentials(&plan.Plan{Hosts: hostPlans(fl.selected)}); err != nil {
		return err
	}
	res, err := rollout.Resume(ctx, cfg, id, cmdutil.ProcessAlive)
	if err != nil {
		return err
	}
	printResult(f.IO, res)
	return resultErr(res)
}

func rollbackRun(ctx context.Context, f *cmdutil.Factory, id int64, sh cmdutil.Shared, changed func(string) bool, stagesSpec, budgetSpec string, yes, restoreServices bool, parallel int, poll time.Duration, guard *guardFlags) error {
	stages, err := rollout.ParseStages(stagesSpec)
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	budget, err := rollout.ParseBudget(budgetSpec)
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	limit := sh.Limit
	sh.Limit = ""
	fl, err := fleetFor(ctx, f, id, sh, changed)
	if err != nil {
		return err
	}
	defer fl.close()
	var keep func(string) bool
	if limit != "" {
		inv, err := cmdutil.LoadInventory(f.IO, fl.shared.Inventory)
		if err != nil {
			return err
		}
		sel, err := inv.Select(limit, os.ReadFile)
		if err != nil {
			return err
		}
		names := nameSet(sel)
		keep = func(h string) bool { return names[h] }
	}
	p, err := rollout.RollbackPlan(ctx, fl.st, id, rollout.RollbackOptions{Keep: keep, RestoreServiceState: restoreServices, Now: fl.now()})
	if err != nil {
		return err
	}
	if len(p.Hosts) == 0 {
		fmt.Fprintf(f.IO.Out, "rollout %d changed nothing on the selected hosts: nothing to roll back\n", id)
		return nil
	}
	rails, err := guard.rails(fl.set, changed)
	if err != nil {
		return err
	}
	if err := refuseOutside(rails, fl.now()); err != nil {
		return err
	}
	if err := plan.WriteTextAs(f.IO.ErrOut, p, fmt.Sprintf("rollback of rollout %d, %s", id, p.Created.UTC().Format("2006-01-02 15:04:05 UTC")), false); err != nil {
		return err
	}
	if err := fl.checkChangeCredentials(p); err != nil {
		return err
	}
	cfg := fl.config(parallel, poll)
	cfg.Confirm = confirmer(f.IO, yes)
	if cfg.Confirm != nil {
		a := rollout.Assign(p.Hosts, stages)
		ok, err := cfg.Confirm(ctx, rollout.StageInfo{Index: 1, Of: len(a), Hosts: a[0], Budget: budget.Allowed(len(a[0]))})
		if err != nil || !ok {
			return fmt.Errorf("not confirmed: nothing changed")
		}
	}
	meta := map[string]string{"inventory": fl.shared.Inventory}
	res, err := rollout.Start(ctx, cfg, "rollback", p, rollout.Options{Stages: stages, MaxFailures: budget, Meta: meta, Guard: rails}, id)
	if err != nil {
		return err
	}
	printResult(f.IO, res)
	if res.Status == store.RolloutComplete {
		fmt.Fprintf(f.IO.Out, "every value rollout %d changed on these hosts is back, read back from the hosts\n", id)
	}
	return resultErr(res)
}
