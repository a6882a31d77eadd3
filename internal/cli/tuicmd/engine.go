package tuicmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fleetport/fleetport/internal/buildinfo"
	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/tui"
	"github.com/fleetport/fleetport/inventory"
)

// This file is the engine side of the TUI's incident work: [Source]
// implements tui.Collector (collect hosts again into a new run),
// tui.Watcher (sample connection tables) and tui.Remediator (plan, apply,
// pause, abort), with collection, remote, parse, plan and rollout. Each
// method is called from a TUI command goroutine, never the UI's, and every
// remote call runs under a deadline.
//
// With --nats, collecting again and the rollouts send the hosts that have
// a site to their site's runners, through the source's one controller
// link (connected at the first of them, closed with the source), as
// fleetport collect and apply do; the store gets the same runs and
// journals. The watch reads every host from this process: it needs WinRM
// reach to them.

// resolver resolves credentials from the environment and files. It never
// prompts: the TUI owns the terminal, and a prompt would land under it.
type resolver struct{}

func (resolver) Env(name string) (string, bool)       { return os.LookupEnv(name) }
func (resolver) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
func (resolver) Prompt(string, string) (string, error) {
	return "", errors.New("prompt() cannot ask inside the TUI: set the credential with env() or file()")
}

// errNoInventory is returned by the incident methods without an inventory.
var errNoInventory = errors.New("no inventory: fleetport tui -i FILE reaches the hosts")

// target is a host's collection target, with --timeout.
func (s *Source) target(name string) (collect.Target, bool) {
	h, ok := s.hosts[name]
	if !ok {
		return collect.Target{}, false
	}
	t := collectcmd.Target(h, s.res)
	if s.timeout > 0 {
		t.Timeout = s.timeout
	}
	return t, true
}

// Collect implements tui.Collector: it collects hosts again and stores a
// new collect run holding their new documents and, as they were, the
// other hosts of run base, so that the new run shows the whole fleet
// (their collection times say which are new). The run's meta names base.
func (s *Source) Collect(ctx context.Context, base int64, hosts []string, progress func(tui.CollectEvent)) (*tui.Data, error) {
	defer s.busy()()
	if s.inv == nil {
		return nil, errNoInventory
	}
	var targets []collect.Target
	names := map[string]bool{}
	for _, n := range hosts {
		if t, ok := s.target(n); ok && !names[n] {
			targets = append(targets, t)
			names[n] = true
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("none of the %d hosts is in the inventory %s", len(hosts), s.shared.Inventory)
	}
	// Connected before the run begins: a NATS error stores no empty run.
	run := collectcmd.RunFunc(collect.Run)
	if s.link != nil {
		sel := make([]*inventory.Host, len(targets))
		for i, t := range targets {
			sel[i] = s.hosts[t.Name]
		}
		r, _, err := collectcmd.DispatchRun(ctx, s.link, sel, targets, s.set)
		if err != nil {
			return nil, dispatchErr(err)
		}
		run = r
	}
	recs, err := s.st.Hosts(ctx, base)
	if err != nil {
		return nil, err
	}
	var others []store.HostRecord
	for _, r := range recs {
		if !names[r.Name] {
			others = append(others, r)
		}
	}
	limits := map[string]int{}
	for _, g := range s.inv.Groups() {
		if g.Concurrency > 0 {
			limits[g.Name] = g.Concurrency
		}
	}
	conc := s.inv.Concurrency()
	if s.concurrency > 0 {
		conc = s.concurrency
	}
	started := s.now()
	// The new run carries the inventory's view of its hosts: today's for
	// the hosts collected again, base's for the others.
	carried, err := s.st.RunHosts(ctx, base)
	if err != nil {
		return nil, err
	}
	for name := range carried {
		if names[name] {
			delete(carried, name)
		}
	}
	again := make([]*inventory.Host, len(targets))
	for i, t := range targets {
		again[i] = s.hosts[t.Name]
	}
	runID, err := collectcmd.BeginRun(ctx, s.st, started, len(targets)+len(others), again, carried, map[string]string{
		"inventory": s.shared.Inventory, "policies": s.shared.Policies, "limit": fmt.Sprintf("tui: %d hosts again", len(targets)),
		"base": fmt.Sprint(base), "version": buildinfo.Read().Version,
	})
	if err != nil {
		return nil, err
	}
	// The store is written without the caller's context: what was
	// collected is kept when the TUI cancels.
	wctx := context.WithoutCancel(ctx)
	w := collectcmd.NewHostWriter(ctx, s.st, runID)
	runErr := run(ctx, targets, collect.Options{Concurrency: conc, GroupLimits: limits, Policies: s.set, Now: s.now,
		Progress: func(e collect.Event) { progress(tui.CollectEvent{Host: e.Host, Done: e.Done, Status: e.Status}) }},
		w.Add)
	writeErr := w.Flush()
	if writeErr == nil && len(others) > 0 {
		writeErr = s.st.PutHosts(wctx, runID, others)
	}
	status, why := collectcmd.FinalStatus(runErr, writeErr)
	if err := s.st.FinishRun(wctx, runID, status, s.now(), why); err != nil && writeErr == nil {
		writeErr = err
	}
	if writeErr != nil {
		return nil, fmt.Errorf("store the run: %w", writeErr)
	}
	s.setRun(runID)
	data, err := s.Load(wctx)
	if err != nil {
		return nil, err
	}
	return data, runErr
}

// Watch implements tui.Watcher: one goroutine per host keeps a session
// open and reads netstat -ano every interval, with the range of client
// ports in effect (from 2008 the dynamic range, read again at every
// reading, since a change is in effect at once; on 2003 MaxUserPort,
// read once per session, since it takes effect at a reboot), each
// reading under a deadline of the interval (at least 5 seconds, at most
// the host's timeout). A session that fails is closed and opened again at
// the next reading.
func (s *Source) Watch(ctx context.Context, hosts []string, every time.Duration, out func(tui.Sample)) {
	defer s.busy()()
	var emit sync.Mutex
	send := func(smp tui.Sample) {
		emit.Lock()
		defer emit.Unlock()
		out(smp)
	}
	// Bounded: a large selection reads 50 hosts at a time.
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for _, name := range hosts {
		t, ok := s.target(name)
		if !ok {
			send(tui.Sample{Host: name, At: s.now(), Status: facts.StatusUnknown, Error: "not in the inventory"})
			continue
		}
		wg.Go(func() {
			w := &watchHost{t: t, now: s.now}
			defer w.close()
			timeout := clampDur(every, 5*time.Second, t.Timeout)
			timer := time.NewTimer(0)
			defer timer.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
				begin := time.Now()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				smp := w.sample(ctx, timeout)
				<-sem
				if ctx.Err() != nil {
					return // cancelled, not a failure of the host
				}
				send(smp)
				timer.Reset(max(every-time.Since(begin), 0))
			}
		})
	}
	wg.Wait()
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	if hi > 0 && d > hi {
		d = hi
	}
	return max(d, lo)
}

// watchHost is one watched host: its session, kept open between
// readings, and what it knows of the host's client port range.
type watchHost struct {
	t   collect.Target
	now func() time.Time
	s   *remote.Session
	// id holds the host's release (read once per session) and client
	// port range facts.
	id *facts.Host
}

func (w *watchHost) close() {
	if w.s != nil {
		_ = w.s.Close()
		w.s = nil
	}
}

// sample reads the connection table once.
func (w *watchHost) sample(ctx context.Context, timeout time.Duration) tui.Sample {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	smp := tui.Sample{Host: w.t.Name}
	fail := func(st facts.Status, err error) tui.Sample {
		smp.At, smp.Took, smp.Status, smp.Error = w.now(), time.Since(start), st, oneLine(err)
		return smp
	}
	if w.s == nil {
		cred, err := w.t.Credentials()
		if err != nil {
			return fail(facts.StatusAuth, err)
		}
		s, err := remote.Open(ctx, w.t.Endpoint, cred, w.t.Session)
		if err != nil {
			return fail(collect.StatusOf(err), err)
		}
		w.s, w.id = s, nil
	}
	if w.id == nil {
		id, err := w.identify(ctx)
		if err != nil {
			w.close()
			return fail(collect.StatusOf(err), err)
		}
		w.id = id
	} else if w.id.OS != nil && w.id.OS.Release != "2003" {
		// From 2008 a change of the dynamic range is in effect at once
		// (a rollout may have made it): read it again at every reading.
		if err := w.portRange(ctx, w.id); err != nil {
			w.close()
			return fail(collect.StatusOf(err), err)
		}
	}
	res, err := w.s.Run(ctx, remote.Command{Line: "netstat -ano"})
	if err != nil {
		w.close()
		return fail(collect.StatusOf(err), err)
	}
	if res.ExitCode != 0 {
		return fail(facts.StatusCommandFailed, fmt.Errorf("netstat -ano exited %d", res.ExitCode))
	}
	socks, err := parse.ParseNetstat(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		return fail(facts.StatusParseError, err)
	}
	doc := *w.id
	doc.Sockets = &socks
	doc.DeriveEphemeral()
	sum := &socks.Summary
	smp.At, smp.Took, smp.Status = w.now(), time.Since(start), facts.StatusOK
	smp.TimeWait = sum.States.Get(facts.StateTimeWait)
	smp.Established = sum.States.Get(facts.StateEstablished)
	smp.CloseWait = sum.States.Get(facts.StateCloseWait)
	smp.Total = sum.TCP
	smp.TopRemotes = slices.Clone(sum.TimeWaitTop[:min(len(sum.TimeWaitTop), 5)])
	for _, e := range sum.Ephemeral {
		if e.Family == "ipv4" {
			e := e
			smp.Ephemeral = &e
		}
	}
	return smp
}

// identify reads the release and the client port range: the dynamic
// range from 2008 on, MaxUserPort on 2003. A range it cannot read stays
// unknown (the share is then not shown); a session error is returned.
func (w *watchHost) identify(ctx context.Context) (*facts.Host, error) {
	h := facts.NewHost(w.t.Name, w.t.Endpoint.Host)
	res, err := w.s.Run(ctx, remote.Command{Line: "ver"})
	if err != nil {
		return nil, err
	}
	v, err := parse.ParseVer(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		return h, nil
	}
	h.OS = &v
	if v.Release == "2003" {
		line := `reg query "` + facts.TcpipParameters + `"`
		res, err := w.s.Run(ctx, remote.Command{Line: line})
		if err != nil {
			return nil, err
		}
		if q, err := parse.ParseRegQueryOutput(res.Stdout, res.Stderr, res.ExitCode, parse.Options{}); err == nil {
			h.Registry = append(h.Registry, q.Value(facts.TcpipParameters, "MaxUserPort"))
		}
		return h, nil
	}
	if err := w.portRange(ctx, h); err != nil {
		return nil, err
	}
	return h, nil
}

// portRange reads the IPv4 dynamic port range (2008 and later) into h,
// replacing what h had; a range it cannot read leaves none.
func (w *watchHost) portRange(ctx context.Context, h *facts.Host) error {
	res, err := w.s.Run(ctx, remote.Command{Line: "netsh int ipv4 show dynamicport tcp"})
	if err != nil {
		return err
	}
	h.DynamicPorts = nil
	if r, err := parse.ParseDynamicPort(bytes.NewReader(res.Stdout), parse.Options{}); err == nil {
		r.Family = "ipv4"
		h.DynamicPorts = append(h.DynamicPorts, r)
	}
	return nil
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Plan implements tui.Remediator: the hosts' plan from run, as fleetport
// plan --run does, staged as fleetport apply would (--stages, or the
// policies' rollout block). A host the inventory lacks is refused.
func (s *Source) Plan(ctx context.Context, run int64, hosts []string) (*tui.Proposal, error) {
	if s.inv == nil {
		return nil, errNoInventory
	}
	rep, err := s.judge.Report(ctx, run, false)
	if err != nil {
		return nil, err
	}
	docs, err := history.Facts(ctx, s.st, run)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, h := range hosts {
		want[h] = true
	}
	var in []plan.HostInput
	var refused []plan.Refusal
	for i := range rep.Hosts {
		hr := &rep.Hosts[i]
		if !want[hr.Name] {
			continue
		}
		delete(want, hr.Name)
		h, ok := s.hosts[hr.Name]
		if !ok {
			refused = append(refused, plan.Refusal{Host: hr.Name, Policy: "-", Reason: "not in the inventory: fleetport cannot reach it"})
			continue
		}
		// plan.Build takes the release from the facts.
		in = append(in, plan.HostInput{Policy: cmdutil.PolicyHost(h), Facts: docs[hr.Name], Report: hr, Connect: cmdutil.ConnectAddrs(ctx, h)})
	}
	for h := range want {
		refused = append(refused, plan.Refusal{Host: h, Policy: "-", Reason: fmt.Sprintf("not in run %d", run)})
	}
	p := plan.Build(s.set, run, in, plan.Options{Now: s.now()})
	p.Refused = append(p.Refused, refused...)
	stages, err := rollout.ParseStages(s.stages)
	if err != nil {
		return nil, err
	}
	return &tui.Proposal{Plan: p, Stages: s.stages, Budget: s.budget, Assigned: rollout.Assign(p.Hosts, stages)}, nil
}

// Apply implements tui.Remediator: a rollout of the proposal, journaled
// in the store as fleetport apply journals it (so that rollout status,
// resume and rollback work on it), with a Gate for Pause and Continue.
// The operator confirmed the first stage; hooks.Confirm asks before each
// later one, as fleetport apply does.
func (s *Source) Apply(ctx context.Context, p *tui.Proposal, hooks tui.RolloutHooks) (tui.RolloutResult, error) {
	defer s.busy()()
	if s.inv == nil {
		return tui.RolloutResult{}, errNoInventory
	}
	stages, err := rollout.ParseStages(s.stages)
	if err != nil {
		return tui.RolloutResult{}, err
	}
	budget, err := rollout.ParseBudget(s.budget)
	if err != nil {
		return tui.RolloutResult{}, err
	}
	cfg, done, err := s.dispatchedConfig(ctx, p.Plan, hooks)
	if err != nil {
		return tui.RolloutResult{}, err
	}
	defer done()
	meta := cmdutil.RolloutMeta(s.shared, s.policiesGiven, cfg.Dispatch != nil)
	var rails rollout.GuardRails
	if s.set != nil && s.set.Rollout != nil {
		b := s.set.Rollout
		rails = rollout.GuardRails{MaxDisruptive: b.MaxRestarts, MaxDisruptivePerGroup: b.MaxRestartsPerGroup, Windows: b.Windows, OutsideWindow: b.OutsideWindow}
	}
	res, err := rollout.Start(ctx, cfg, "apply", p.Plan, rollout.Options{Stages: stages, MaxFailures: budget, Wait: s.wait, Meta: meta, Guard: rails}, 0)
	return result(res), err
}

// Resume implements tui.Remediator: it continues a rollout where it
// stopped, as fleetport rollout resume does (each action reads the
// host's state first, so none runs twice), with this TUI's inventory and
// policies. A rollout that sent hosts to site runners continues only
// with --nats, through them.
func (s *Source) Resume(ctx context.Context, id int64, hooks tui.RolloutHooks) (tui.RolloutResult, error) {
	defer s.busy()()
	if s.inv == nil {
		return tui.RolloutResult{}, errNoInventory
	}
	rec, err := s.st.Rollout(ctx, id)
	if err != nil {
		return tui.RolloutResult{}, err
	}
	var opts rollout.Options
	if err := json.Unmarshal([]byte(rec.Options), &opts); err != nil {
		return tui.RolloutResult{}, fmt.Errorf("rollout %d: its stored options: %w", id, err)
	}
	if err := s.shared.Dispatch.CheckResume(id, opts.Meta); err != nil {
		return tui.RolloutResult{}, err
	}
	p, err := plan.Read(bytes.NewReader(rec.Plan))
	if err != nil {
		return tui.RolloutResult{}, fmt.Errorf("rollout %d: its stored plan: %w", id, err)
	}
	cfg, done, err := s.dispatchedConfig(ctx, p, hooks)
	if err != nil {
		return tui.RolloutResult{}, err
	}
	defer done()
	res, err := rollout.Resume(ctx, cfg, id, cmdutil.ProcessAlive)
	return result(res), err
}

// dispatchedConfig is the rollout configuration for plan p, with the
// dispatcher of its hosts that have a site when --nats is given; done
// ends what the configuration holds.
func (s *Source) dispatchedConfig(ctx context.Context, p *plan.Plan, hooks tui.RolloutHooks) (rollout.Config, func(), error) {
	names := make([]string, len(p.Hosts))
	for i, hp := range p.Hosts {
		names[i] = hp.Host
	}
	disp, err := s.rolloutDispatch(ctx, names)
	if err != nil {
		return rollout.Config{}, nil, err
	}
	cfg, done := s.rolloutConfig(hooks)
	cfg.Dispatch = disp
	return cfg, done, nil
}

// rolloutDispatch is the dispatcher of a rollout over the named hosts
// with --nats (cmdutil.RolloutDispatch), or nil: without --nats, or when
// none of them has a site. Names the inventory lacks are left to the
// rollout, which refuses them.
func (s *Source) rolloutDispatch(ctx context.Context, names []string) (rollout.Dispatcher, error) {
	if s.link == nil {
		return nil, nil
	}
	names = slices.Clone(names)
	slices.Sort(names)
	hosts := make([]*inventory.Host, 0, len(names))
	for _, n := range slices.Compact(names) {
		if h, ok := s.hosts[n]; ok {
			hosts = append(hosts, h)
		}
	}
	disp, err := cmdutil.RolloutDispatch(ctx, s.link, hosts, func(h *inventory.Host) collect.Target {
		t, _ := s.target(h.Name)
		return t
	}, s.set)
	if err != nil {
		return nil, dispatchErr(err)
	}
	return disp, nil
}

// dispatchErr is a dispatch error as the TUI shows it: one message, with
// its hints, which the TUI has no other place for.
func dispatchErr(err error) error {
	var h *cmdutil.HintError
	if errors.As(err, &h) && len(h.Hints) > 0 {
		return fmt.Errorf("site runners: %w (%s)", err, strings.Join(h.Hints, "; "))
	}
	return fmt.Errorf("site runners: %w", err)
}

func result(res rollout.Result) tui.RolloutResult {
	return tui.RolloutResult{ID: res.ID, Status: string(res.Status), Reason: res.Reason, Fixed: res.Fixed, Failed: res.Failed,
		Unreachable: res.Unreachable, Pending: res.Pending}
}

// rolloutConfig wires a runner to this source, with a pause gate that
// Pause and Continue find by the rollout's id (from its first journal
// entry on), and the TUI's confirmation before each stage; done forgets
// the gate.
func (s *Source) rolloutConfig(hooks tui.RolloutHooks) (rollout.Config, func()) {
	progress := hooks.Progress
	if progress == nil {
		progress = func(tui.RolloutEvent) {}
	}
	gate := &rollout.Gate{}
	var id int64
	cfg := rollout.Config{Store: s.st, Open: s.open, DeleteShells: s.deleteShells, Verify: s.verify, Now: s.now, Concurrency: s.parallel,
		PollEvery: s.poll, EffectTimeout: s.effectTimeout, PID: os.Getpid(), Gate: gate,
		Progress: func(e store.Event) {
			s.mu.Lock()
			if id == 0 {
				id = e.Rollout
				s.gates[id] = gate
			}
			s.mu.Unlock()
			if rollout.Routine(e) {
				return // a session's own shell coming and going
			}
			progress(tui.RolloutEvent{Rollout: e.Rollout, Time: e.Time, Stage: e.Stage, Host: e.Host, Step: e.Step, State: e.State, Detail: e.Detail})
		}}
	if hooks.Confirm != nil {
		cfg.Confirm = func(ctx context.Context, next rollout.StageInfo) (bool, error) {
			return hooks.Confirm(ctx, tui.StageAsk{Index: next.Index, Of: next.Of, Hosts: next.Hosts, Budget: next.Budget}), nil
		}
	}
	return cfg, func() {
		s.mu.Lock()
		delete(s.gates, id)
		s.mu.Unlock()
	}
}

func (s *Source) gate(id int64) (*rollout.Gate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.gates[id]
	if !ok {
		return nil, fmt.Errorf("rollout %d is not run by this TUI", id)
	}
	return g, nil
}

// Pause implements tui.Remediator.
func (s *Source) Pause(id int64) error {
	g, err := s.gate(id)
	if err != nil {
		return err
	}
	g.Pause()
	return nil
}

// Continue implements tui.Remediator.
func (s *Source) Continue(id int64) error {
	g, err := s.gate(id)
	if err != nil {
		return err
	}
	g.Continue()
	return nil
}

// Abort implements tui.Remediator: the store says aborting (as fleetport
// rollout abort does), then a paused rollout continues to its next step,
// where it stops.
func (s *Source) Abort(ctx context.Context, id int64) error {
	if _, err := rollout.Abort(ctx, s.st, id, cmdutil.ProcessAlive, s.now()); err != nil {
		return err
	}
	if g, err := s.gate(id); err == nil {
		g.Continue()
	}
	return nil
}

// changeTarget is the target a fix reaches a host through: with the
// host's change credential when the inventory names one.
func (s *Source) changeTarget(name string) (collect.Target, bool) {
	h, ok := s.hosts[name]
	if !ok {
		return collect.Target{}, false
	}
	t := collectcmd.ChangeTarget(h, s.res)
	if s.timeout > 0 {
		t.Timeout = s.timeout
	}
	return t, true
}

// open opens the session that changes a host of a plan, with the change
// credential.
func (s *Source) open(ctx context.Context, hp plan.HostPlan) (rollout.Session, error) {
	t, ok := s.changeTarget(hp.Host)
	if !ok {
		return nil, fmt.Errorf("%s is not in the inventory", hp.Host)
	}
	return t.Open(ctx)
}

// deleteShells deletes shells of a host of a plan by id, with the
// endpoint and credentials of open.
func (s *Source) deleteShells(ctx context.Context, hp plan.HostPlan, ids []string) ([]remote.ShellDeletion, error) {
	t, ok := s.changeTarget(hp.Host)
	if !ok {
		return nil, fmt.Errorf("%s is not in the inventory", hp.Host)
	}
	return t.DeleteShells(ctx, ids)
}

// verify collects a host again and judges the policies its plan names,
// as fleetport apply does.
func (s *Source) verify(ctx context.Context, hp plan.HostPlan) rollout.Verdict {
	t, ok := s.target(hp.Host)
	if !ok {
		return rollout.Verdict{Detail: hp.Host + " is not in the inventory"}
	}
	return rollout.Recollect(ctx, t, s.set, cmdutil.PolicyHost(s.hosts[hp.Host]), hp, s.now)
}

var _ inventory.Resolver = resolver{}
