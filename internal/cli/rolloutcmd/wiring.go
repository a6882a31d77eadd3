// Package rolloutcmd holds `fleetport plan`, `fleetport apply` and
// `fleetport rollout status|resume|abort|rollback|list`: staged
// remediation from the command line.
//
// Output rules: the plan and the rollout's story go to stdout; live
// progress, prompts and warnings to stderr. Exit codes: plan 0 (nothing to
// do) or 2 (drift to fix); apply, resume and rollback 0 when the rollout
// completed, 2 when a stage spent its failure budget, 3 when it completed
// with hosts that ended unreachable, 1 on errors, a refusal or an abort.
package rolloutcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/cli/driftcmd"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// fleet is what plan, apply and resume share: the inventory's hosts, the
// policies, a credential resolver and the store.
type fleet struct {
	io       *cmdutil.IOStreams
	shared   cmdutil.Shared
	hosts    map[string]*inventory.Host
	selected []*inventory.Host
	// isSelected holds the names of selected, for lookups.
	isSelected map[string]bool
	set        *policies.Set
	res        inventory.Resolver
	st         *store.Store
	now        func() time.Time
	// dispatch sends the hosts with a site to their runners (--nats).
	dispatch     rollout.Dispatcher
	stopDispatch func()
}

func loadFleet(ctx context.Context, io *cmdutil.IOStreams, sh cmdutil.Shared, changed func(string) bool, now func() time.Time) (*fleet, error) {
	inv, err := cmdutil.LoadInventory(io, sh.Inventory)
	if err != nil {
		return nil, err
	}
	sel, err := inv.Select(sh.Limit, os.ReadFile)
	if err != nil {
		return nil, err
	}
	set, err := collectcmd.LoadPolicies(io, sh, changed("policies"))
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, sh.Store)
	if err != nil {
		return nil, err
	}
	f := &fleet{io: io, shared: sh, hosts: map[string]*inventory.Host{}, selected: sel, isSelected: nameSet(sel), set: set,
		res: collectcmd.NewResolver(io), st: st, now: now}
	for _, h := range inv.Hosts() {
		f.hosts[h.Name] = h
	}
	if err := f.openDispatch(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return f, nil
}

func (f *fleet) close() {
	if f.stopDispatch != nil {
		f.stopDispatch()
	}
	f.st.Close()
}

// target is the collection target of a host, with the run's timeout.
func (f *fleet) target(h *inventory.Host) collect.Target {
	t := collectcmd.Target(h, f.res)
	if f.shared.Timeout > 0 {
		t.Timeout = f.shared.Timeout
	}
	return t
}

// changeTarget is the target changes reach a host through: its change
// credential when the inventory names one.
func (f *fleet) changeTarget(h *inventory.Host) collect.Target {
	t := collectcmd.ChangeTarget(h, f.res)
	if f.shared.Timeout > 0 {
		t.Timeout = f.shared.Timeout
	}
	return t
}

// open opens the WinRM session that changes a host of a plan, with the
// change credential.
func (f *fleet) open(ctx context.Context, hp plan.HostPlan) (rollout.Session, error) {
	h, ok := f.hosts[hp.Host]
	if !ok {
		return nil, fmt.Errorf("%s is not in the inventory", hp.Host)
	}
	return f.changeTarget(h).Open(ctx)
}

// deleteShells deletes shells of a host of a plan by id, with the
// endpoint and credentials of open (shells belong to the user that made
// them).
func (f *fleet) deleteShells(ctx context.Context, hp plan.HostPlan, ids []string) ([]remote.ShellDeletion, error) {
	h, ok := f.hosts[hp.Host]
	if !ok {
		return nil, fmt.Errorf("%s is not in the inventory", hp.Host)
	}
	return f.changeTarget(h).DeleteShells(ctx, ids)
}

// checkChangeCredentials fails before a rollout starts when a change
// credential of the plan's hosts cannot be read.
func (f *fleet) checkChangeCredentials(p *plan.Plan) error {
	var hosts []*inventory.Host
	for _, hp := range p.Hosts {
		if h, ok := f.hosts[hp.Host]; ok && (f.dispatch == nil || h.Site == "") {
			hosts = append(hosts, h)
		}
	}
	return collectcmd.CheckChangeCredentials(hosts, f.res)
}

// verify collects a host again and judges the policies its plan names.
func (f *fleet) verify(ctx context.Context, hp plan.HostPlan) rollout.Verdict {
	h, ok := f.hosts[hp.Host]
	if !ok {
		return rollout.Verdict{Detail: hp.Host + " is not in the inventory"}
	}
	return rollout.Recollect(ctx, f.target(h), f.set, cmdutil.PolicyHost(h), hp, f.now)
}

// report collects (or takes the stored run) and judges it.
func (f *fleet) report(ctx context.Context, run int64, changed func(string) bool) (*drift.Report, error) {
	given := run != 0
	run, err := cmdutil.ResolveRun(ctx, f.st, run)
	if err != nil {
		return nil, err
	}
	if run == 0 {
		c, err := collectcmd.Collect(ctx, &collectcmd.Options{IO: f.io, Shared: f.shared, Now: f.now, Changed: changed})
		if err != nil {
			return nil, err
		}
		if c.Interrupted != nil {
			return nil, c.Interrupted
		}
		run = c.RunID
	}
	j := &history.Judge{Store: f.st, Policies: f.set, Hosts: driftcmd.PolicyHosts(f.selected), CrossFact: true, Now: f.now,
		Warn: func(m string) { fmt.Fprintf(f.io.ErrOut, "fleetport: warning: %s\n", m) }}
	if given {
		// A stored run is judged on its own hosts; --limit selects among them.
		j.Limit, j.ReadFile = f.shared.Limit, os.ReadFile
	}
	rep, err := j.Report(ctx, run, false)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, cmdutil.WithHint(err, "fleetport history lists the stored runs")
		}
		return nil, err
	}
	// Waived drift is not planned; an expired waiver's drift is.
	driftcmd.WarnWaivers(f.io, rep)
	return rep, nil
}

// buildPlan plans the selected hosts of a judged run (only the named
// policies, when some are).
func (f *fleet) buildPlan(ctx context.Context, rep *drift.Report, only []string) (*plan.Plan, error) {
	docs, err := history.Facts(ctx, f.st, rep.Run.ID)
	if err != nil {
		return nil, err
	}
	var in []plan.HostInput
	for i := range rep.Hosts {
		hr := &rep.Hosts[i]
		h, ok := f.hosts[hr.Name]
		if !ok || !f.isSelected[hr.Name] {
			continue
		}
		// plan.Build takes the release from the facts.
		in = append(in, plan.HostInput{Policy: cmdutil.PolicyHost(h), Facts: docs[hr.Name], Report: hr, Connect: cmdutil.ConnectAddrs(ctx, h)})
	}
	p := plan.Build(f.set, rep.Run.ID, in, plan.Options{Now: f.now(), Policies: only})
	p.Policies = only
	return p, nil
}

// checkPolicies refuses a --policy name that is neither a policy of the
// set nor a cross-fact check.
func (f *fleet) checkPolicies(names []string) error {
	for _, n := range names {
		if strings.HasPrefix(n, "fleetport.") {
			continue
		}
		if f.set == nil || !slices.ContainsFunc(f.set.Policies, func(p *policies.Policy) bool { return p.Name == n }) {
			return cmdutil.FlagErrorf("--policy %s: no such policy (fleetport validate lists the loaded policies)", n)
		}
	}
	return nil
}

// limitPlan keeps the hosts of a plan file that --limit selects, and
// refuses a plan host the inventory does not have.
func (f *fleet) limitPlan(p *plan.Plan) error {
	var kept []plan.HostPlan
	for _, hp := range p.Hosts {
		if _, ok := f.hosts[hp.Host]; !ok {
			return fmt.Errorf("host %s of the plan is not in the inventory %s: refused, nothing changed", hp.Host, f.shared.Inventory)
		}
		if f.isSelected[hp.Host] {
			kept = append(kept, hp)
		}
	}
	if kept == nil {
		kept = []plan.HostPlan{}
	}
	keep := func(h string) bool { return f.isSelected[h] }
	p.Hosts = kept
	p.Refused = slices.DeleteFunc(p.Refused, func(r plan.Refusal) bool { return !keep(r.Host) })
	p.Manual = slices.DeleteFunc(p.Manual, func(m plan.Manual) bool { return !keep(m.Host) })
	return nil
}

// checkPlan derives again, from the plan's run, the inventory and the
// policies, what each host of a plan file is to do, and refuses the plan
// when any host differs: a value, an effect, an address or a verification
// edited into the file is never carried out.
func (f *fleet) checkPlan(ctx context.Context, p *plan.Plan, changed func(string) bool) error {
	if p.Run <= 0 {
		return fmt.Errorf("the plan names no stored run (%d): refused, nothing changed", p.Run)
	}
	rep, err := f.report(ctx, p.Run, changed)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("the plan rests on run %d, which the store %s does not have: apply it with the store it was made with (--store), or plan again: refused, nothing changed", p.Run, f.shared.Store)
		}
		return fmt.Errorf("the plan's run %d: %w", p.Run, err)
	}
	fresh, err := f.buildPlan(ctx, rep, p.Policies)
	if err != nil {
		return err
	}
	want := map[string]*plan.HostPlan{}
	for i := range fresh.Hosts {
		want[fresh.Hosts[i].Host] = &fresh.Hosts[i]
	}
	var bad []string
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		w := want[hp.Host]
		if w == nil {
			bad = append(bad, fmt.Sprintf("%s: the run and the policies give it nothing to change now", hp.Host))
			continue
		}
		if d := plan.Compare(hp, w); d != "" {
			bad = append(bad, hp.Host+": "+d)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	if len(bad) > 10 {
		bad = append(bad[:10], fmt.Sprintf("and %d more hosts", len(bad)-10))
	}
	return cmdutil.WithHint(fmt.Errorf("the plan is not what fleetport derives from run %d, the inventory and the policies: refused, nothing changed:\n  %s", p.Run, strings.Join(bad, "\n  ")),
		"plan again (fleetport plan --out FILE) and apply that file unedited")
}

// nameSet is the names of hosts, for membership tests in loops over a
// whole plan or run.
func nameSet(hosts []*inventory.Host) map[string]bool {
	m := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		m[h.Name] = true
	}
	return m
}

// progress prints journal entries as they are written, one line each on
// stderr, each after the time since the rollout started ("[ 1:23.9]"),
// and after every host that ends, the stage's counts: done, failed,
// unreachable, waiting.
type progress struct {
	io      *cmdutil.IOStreams
	started time.Time

	mu      sync.Mutex
	size    map[int]int
	outcome map[int]map[string]int
}

func (p *progress) event(e store.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.size == nil {
		p.size, p.outcome = map[int]int{}, map[int]map[string]int{}
	}
	t := elapsed(e.Time.Sub(p.started))
	switch {
	case e.Host == "":
		if e.Step == "stage" && e.State == "start" {
			var n int
			if _, err := fmt.Sscanf(e.Detail, "%d hosts", &n); err == nil {
				p.size[e.Stage] = n
			}
		}
		fmt.Fprintf(p.io.ErrOut, "%s %s\n", t, rolloutLine(e))
	case e.Step == "host" && e.State == "start", rollout.Routine(e):
	default:
		d := e.Detail
		if len(d) > 120 {
			d = d[:119] + "…"
		}
		fmt.Fprintf(p.io.ErrOut, "%s stage %d %-12s %-28s %-8s %s\n", t, e.Stage, e.Host, e.Step, e.State, d)
		if e.Step == "host" {
			if p.outcome[e.Stage] == nil {
				p.outcome[e.Stage] = map[string]int{}
			}
			o := p.outcome[e.Stage]
			o[e.State]++
			waiting := p.size[e.Stage] - o["fixed"] - o["failed"] - o["unreachable"]
			fmt.Fprintf(p.io.ErrOut, "%s stage %d: %d fixed, %d failed, %d unreachable, %d waiting\n", t, e.Stage, o["fixed"], o["failed"], o["unreachable"], max(waiting, 0))
		}
	}
}

// rolloutLine says an entry of the rollout itself or of a stage (no
// host): "rollout aborted: abort asked: stopped before stage 2", "stage 1
// start: 3 hosts, up to 0 may fail", "stage 2 window wait: outside the
// maintenance window: waiting until Sat 22:00 CET (in 3h12m)".
func rolloutLine(e store.Event) string {
	var s string
	switch {
	case e.Step == "rollout" || e.Stage == 0:
		s = e.Step + " " + e.State
	case e.Step == "stage":
		s = fmt.Sprintf("stage %d %s", e.Stage, e.State)
	default:
		s = fmt.Sprintf("stage %d %s %s", e.Stage, e.Step, e.State)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// confirm asks on the terminal before a stage; without a terminal it
// refuses (pass --yes).
func confirmer(io *cmdutil.IOStreams, yes bool) func(context.Context, rollout.StageInfo) (bool, error) {
	if yes {
		return nil
	}
	return func(ctx context.Context, s rollout.StageInfo) (bool, error) {
		in, ok := io.In.(*os.File)
		if !ok || !isTerminal(in) {
			return false, errors.New("the next stage needs a confirmation and stdin is not a terminal: pass --yes")
		}
		hosts := s.Hosts
		if len(hosts) > 8 {
			hosts = append(append([]string{}, hosts[:8]...), fmt.Sprintf("and %d more", len(s.Hosts)-8))
		}
		fmt.Fprintf(io.ErrOut, "stage %d of %d: %d hosts (%s), up to %d may fail. Continue? [y/N] ", s.Index, s.Of, len(s.Hosts), strings.Join(hosts, ", "), s.Budget)
		var answer string
		_, _ = fmt.Fscanln(in, &answer)
		return strings.EqualFold(answer, "y") || strings.EqualFold(answer, "yes"), nil
	}
}

func resultErr(res rollout.Result) error {
	switch res.Status {
	case store.RolloutComplete:
		if res.Unreachable > 0 {
			return &cmdutil.ExitError{Code: 3}
		}
		return nil
	case store.RolloutStopped:
		return &cmdutil.ExitError{Code: 2}
	}
	return cmdutil.WithHint(fmt.Errorf("rollout %d %s: %s", res.ID, res.Status, res.Reason),
		fmt.Sprintf("fleetport rollout status %d shows the story; fleetport rollout resume %d continues it", res.ID, res.ID))
}

func printResult(io *cmdutil.IOStreams, res rollout.Result) {
	fmt.Fprintf(io.Out, "rollout %d %s: %d fixed, %d failed, %d unreachable, %d not done", res.ID, res.Status, res.Fixed, res.Failed, res.Unreachable, res.Pending)
	if res.Reason != "" {
		fmt.Fprintf(io.Out, " (%s)", res.Reason)
	}
	fmt.Fprintln(io.Out)
	if res.Status == store.RolloutComplete && res.Unreachable > 0 {
		fmt.Fprintf(io.ErrOut, "fleetport: rollout %d completed, but %d hosts could not be reached: fleetport rollout status %d says which and why\n", res.ID, res.Unreachable, res.ID)
	}
}

func sortedKeys(m map[string][]store.Event) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hostPlans names hosts as empty host plans, for the checks that take a
// plan.
func hostPlans(hosts []*inventory.Host) []plan.HostPlan {
	out := make([]plan.HostPlan, len(hosts))
	for i, h := range hosts {
		out[i] = plan.HostPlan{Host: h.Name}
	}
	return out
}
