package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/store"
)

// Session is what the runner needs of a WinRM session (remote.Session).
type Session interface {
	Run(ctx context.Context, cmd remote.Command) (remote.Result, error)
	Close() error
}

// Verdict is a host judged again after its change.
type Verdict struct {
	Fixed       bool
	Unreachable bool
	// Detail says what still drifts, or why the host could not be judged.
	Detail string
}

// Config wires a runner to the world.
type Config struct {
	Store *store.Store
	// Open opens a session to a host of the plan, within ctx. ctx carries
	// the remote.ShellTrace that journals the session's shells (pass it
	// to remote.Open); Verify's ctx carries it too.
	Open func(ctx context.Context, host plan.HostPlan) (Session, error)
	// DeleteShells deletes WinRM shells of a host by id, as
	// remote.DeleteShells does with the endpoint and credentials Open
	// uses. Before a host's work opens a session it is given the shells
	// the journal lists as created and never deleted (see shells.go). Nil
	// leaves them to the host's idle timeout.
	DeleteShells func(ctx context.Context, host plan.HostPlan, ids []string) ([]remote.ShellDeletion, error)
	// Verify collects the host again and judges the policies the plan
	// names (HostPlan.Verify). Nil, or a host plan with no Verify, means
	// the read-back of the actions' probes is the verification (rollback).
	Verify func(ctx context.Context, host plan.HostPlan) Verdict
	// Confirm is asked before every stage after the first; nil proceeds.
	Confirm func(ctx context.Context, next StageInfo) (bool, error)
	// Progress receives every journal entry as it is written.
	Progress func(store.Event)
	// Started is called with the rollout's id as soon as it is stored
	// (Start) or claimed (Resume), before any host is touched: the
	// operator can abort it from elsewhere from then on.
	Started func(id int64)
	// Now is the rollout's clock and Sleep its wait (default time.Now and
	// a timer): every deadline and wait of the runner uses them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
	// Guard, when set, replaces the guard rails stored with a rollout
	// that Resume continues (guard.go).
	Guard *GuardRails
	// Concurrency is the hosts changed at once within a stage (default 10).
	Concurrency int
	// CommandTimeout bounds one command (default 2m); EffectTimeout the
	// wait for a host to come back after a restart or reboot (default 10m).
	CommandTimeout time.Duration
	EffectTimeout  time.Duration
	// PollEvery is how often a host is tried while it restarts (default 2s).
	PollEvery time.Duration
	// PID owns the rollouts this runner starts or resumes.
	PID int
	// Gate, when set, pauses the rollout between steps (see [Gate]).
	Gate *Gate
	// Dispatch, when set, runs the hosts it takes elsewhere (site
	// runners); the journal stays in Store and decides (see remote.go).
	Dispatch Dispatcher
}

// Options are a rollout's stored settings.
type Options struct {
	Stages      []StageSpec `json:"stages"`
	MaxFailures Budget      `json:"max_failures"`
	// Wait is the pause between stages.
	Wait time.Duration `json:"wait"`
	// Assigned is the hosts of each stage, fixed when the rollout starts.
	Assigned [][]string `json:"assigned"`
	// Meta holds what the CLI needs to resume (inventory and policy paths).
	Meta map[string]string `json:"meta,omitempty"`
	// Guard are the caps on restarts and reboots at once and the
	// maintenance windows (guard.go).
	Guard GuardRails `json:"guard,omitzero"`
}

// StageInfo describes a stage about to start.
type StageInfo struct {
	Index, Of int
	Hosts     []string
	Budget    int
}

// Result is how a run of the runner ended.
type Result struct {
	ID     int64
	Status store.RolloutStatus
	Reason string
	// Hosts by outcome over the whole rollout so far.
	Fixed, Failed, Unreachable, Pending int
}

// Host outcomes (the terminal states of step "host").
const (
	outFixed       = "fixed"
	outFailed      = "failed"
	outUnreachable = "unreachable"
)

type runner struct {
	cfg    Config
	id     int64
	p      *plan.Plan
	opts   Options
	byName map[string]plan.HostPlan

	mu     sync.Mutex
	events []store.Event
	// pausedGen and continuedGen are the last pause of the Gate journaled
	// as paused and as continued (guarded by mu).
	pausedGen, continuedGen int

	// sink, when set, takes the journal instead of Store: one host's work
	// run away from its rollout's controller ([RunHost]).
	sink HostJournal

	// guard keeps the guard rails; refused says why the rollout stopped
	// outside its maintenance windows (guarded by mu).
	guard   *guard
	refused string
}

func (c *Config) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = realSleep
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 10
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 2 * time.Minute
	}
	if c.EffectTimeout <= 0 {
		c.EffectTimeout = 10 * time.Minute
	}
	if c.PollEvery <= 0 {
		c.PollEvery = 2 * time.Second
	}
}

// Start stores a new rollout of the plan (kind "apply" or "rollback") and
// runs it.
func Start(ctx context.Context, cfg Config, kind string, p *plan.Plan, opts Options, parent int64) (Result, error) {
	cfg.defaults()
	opts.Assigned = Assign(p.Hosts, opts.Stages)
	if err := opts.Guard.Check(); err != nil {
		return Result{}, err
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		return Result{}, err
	}
	o, err := json.Marshal(opts)
	if err != nil {
		return Result{}, err
	}
	id, err := cfg.Store.CreateRollout(ctx, kind, buf.Bytes(), string(o), parent, cfg.PID, cfg.Now())
	if err != nil {
		return Result{}, err
	}
	if cfg.Started != nil {
		cfg.Started(id)
	}
	r := &runner{cfg: cfg, id: id, p: p, opts: opts}
	return r.run(ctx)
}

// Resume continues a rollout where it stopped (a crash, an abort, a spent
// budget after the cause was fixed). alive says whether a process id is
// still running: a rollout owned by a live process is refused.
func Resume(ctx context.Context, cfg Config, id int64, alive func(pid int) bool) (Result, error) {
	cfg.defaults()
	rec, err := cfg.Store.Rollout(ctx, id)
	if err != nil {
		return Result{}, err
	}
	switch rec.Status {
	case store.RolloutComplete:
		return Result{ID: id, Status: rec.Status}, fmt.Errorf("rollout %d is complete: nothing to resume", id)
	case store.RolloutRunning, store.RolloutAborting:
		if rec.PID != cfg.PID && rec.PID != 0 && alive != nil && alive(rec.PID) {
			return Result{ID: id, Status: rec.Status}, fmt.Errorf("rollout %d is being run by process %d: stop it (fleetport rollout abort %d) or wait", id, rec.PID, id)
		}
	}
	p, err := plan.Read(bytes.NewReader(rec.Plan))
	if err != nil {
		return Result{}, fmt.Errorf("rollout %d: its stored plan: %w", id, err)
	}
	var opts Options
	if err := json.Unmarshal([]byte(rec.Options), &opts); err != nil {
		return Result{}, fmt.Errorf("rollout %d: its stored options: %w", id, err)
	}
	if cfg.Guard != nil {
		opts.Guard = *cfg.Guard
	}
	if err := opts.Guard.Check(); err != nil {
		return Result{}, err
	}
	if err := cfg.Store.ClaimRollout(ctx, id, rec.PID, cfg.PID, cfg.Now()); err != nil {
		return Result{}, err
	}
	if cfg.Started != nil {
		cfg.Started(id)
	}
	evs, err := cfg.Store.Events(ctx, id)
	if err != nil {
		return Result{}, err
	}
	r := &runner{cfg: cfg, id: id, p: p, opts: opts, events: evs}
	if err := r.journal(ctx, 0, "", "rollout", "resumed", fmt.Sprintf("by process %d", cfg.PID)); err != nil {
		return Result{}, err
	}
	return r.run(ctx)
}

// journal writes one entry durably; a failure to write is fatal for the
// rollout (it would lose the record of what ran).
func (r *runner) journal(ctx context.Context, stage int, host, step, state, detail string) error {
	if r.sink != nil {
		return r.sink.Append(ctx, step, state, detail)
	}
	e := store.Event{Rollout: r.id, Time: r.cfg.Now(), Stage: stage, Host: host, Step: step, State: state, Detail: detail}
	seq, err := r.cfg.Store.AppendEvent(context.WithoutCancel(ctx), e)
	if err != nil {
		return err
	}
	e.Seq = seq
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.cfg.Progress != nil {
		r.cfg.Progress(e)
	}
	return nil
}

// hostState is what the journal says of a host so far.
type hostState struct {
	outcome       string // terminal, "" while unfinished
	detail        string
	changed       bool // an action ran (done) on the host
	done          map[string]bool
	effectStarted bool
	// effectCreated: the scheduled task of a detached restart exists on
	// the host (it deletes itself when it runs).
	effectCreated bool
	// effectCmd is the last command of an in-session restart that
	// started (-1: none); the ones before it returned.
	effectCmd    int
	effectRan    bool // the command that triggers it returned
	effectDone   bool // done, or not needed ("skip")
	effectDetail string
	// running are the actions whose commands started ("run") and did
	// not finish: a crash may have left them half done.
	running map[string]bool
	// shells are the WinRM shells created and not deleted (shells.go).
	shells []string
}

func (r *runner) hostStates() map[string]*hostState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*hostState{}
	for _, e := range r.events {
		if e.Host == "" {
			continue
		}
		hs := out[e.Host]
		if hs == nil {
			hs = &hostState{effectCmd: -1}
			out[e.Host] = hs
		}
		switch {
		case e.Step == "host" && (e.State == outFixed || e.State == outFailed || e.State == outUnreachable):
			hs.outcome, hs.detail = e.State, e.Detail
		case strings.HasPrefix(e.Step, "action:") && e.State == "run":
			if hs.running == nil {
				hs.running = map[string]bool{}
			}
			hs.running[strings.TrimPrefix(e.Step, "action:")] = true
		case strings.HasPrefix(e.Step, "action:") && e.State == "done":
			id := strings.TrimPrefix(e.Step, "action:")
			hs.changed = true
			if hs.done == nil {
				hs.done = map[string]bool{}
			}
			hs.done[id] = true
			delete(hs.running, id)
		case e.Step == "effect" && e.State == effectStart:
			hs.effectStarted, hs.effectDetail = true, e.Detail
		case e.Step == "effect" && e.State == effectCreated:
			hs.effectCreated = true
		case e.Step == "effect" && e.State == effectCmd:
			if n, err := strconv.Atoi(e.Detail); err == nil {
				hs.effectCmd = n
			}
		case e.Step == "effect" && e.State == effectRan:
			hs.effectRan = true
		case e.Step == "effect" && (e.State == effectDone || e.State == effectSkip):
			hs.effectDone = true
		case e.Step == "shell":
			hs.shells = openShells(hs.shells, e.State, e.Detail)
		}
	}
	return out
}

func (r *runner) stageDone(i int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Step == "stage" && e.Stage == i && e.State == "done" {
			return true
		}
	}
	return false
}

func (r *runner) stageStarted(i int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Step == "stage" && e.Stage == i && e.State == "start" {
			return true
		}
	}
	return false
}

// status reads the rollout's state: another process may have asked it to
// abort. It is the runner's checkpoint between steps, so a paused rollout
// (Config.Gate) holds here first.
func (r *runner) aborting(ctx context.Context) bool {
	if r.sink != nil {
		return r.sink.Aborting(ctx)
	}
	r.hold(ctx)
	rec, err := r.cfg.Store.Rollout(context.WithoutCancel(ctx), r.id)
	return err == nil && rec.Status == store.RolloutAborting
}

func (r *runner) finish(ctx context.Context, status store.RolloutStatus, reason string) (Result, error) {
	if err := r.cfg.Store.SetRolloutStatus(context.WithoutCancel(ctx), r.id, status, reason, r.cfg.Now()); err != nil {
		return Result{}, err
	}
	_ = r.journal(ctx, 0, "", "rollout", string(status), reason)
	res := Result{ID: r.id, Status: status, Reason: reason}
	for _, hs := range r.hostStates() {
		switch hs.outcome {
		case outFixed:
			res.Fixed++
		case outFailed:
			res.Failed++
		case outUnreachable:
			res.Unreachable++
		}
	}
	res.Pending = len(r.p.Hosts) - res.Fixed - res.Failed - res.Unreachable
	return res, nil
}

func (r *runner) run(ctx context.Context) (Result, error) {
	r.byName = map[string]plan.HostPlan{}
	for _, h := range r.p.Hosts {
		r.byName[h.Host] = h
	}
	g, err := newGuard(r.opts.Guard)
	if err != nil {
		return Result{}, err
	}
	r.guard = g
	ctx = withSleeper(ctx, r.cfg.Sleep)
	stages := r.opts.Assigned
	for i, hosts := range stages {
		idx := i + 1
		if r.stageDone(idx) {
			continue
		}
		if ctx.Err() != nil {
			return r.finish(ctx, store.RolloutAborted, "interrupted: "+ctx.Err().Error())
		}
		if r.aborting(ctx) {
			return r.finish(ctx, store.RolloutAborted, fmt.Sprintf("abort asked: stopped before stage %d", idx))
		}
		budget := r.opts.MaxFailures.Allowed(len(hosts))
		if !r.stageStarted(idx) {
			if idx > 1 {
				if r.opts.Wait > 0 {
					if err := r.journal(ctx, idx, "", "stage", "wait", r.opts.Wait.String()); err != nil {
						return Result{}, err
					}
					for end := r.cfg.Now().Add(r.opts.Wait); r.cfg.Now().Before(end); {
						sleep(ctx, min(r.cfg.PollEvery, end.Sub(r.cfg.Now())))
						if ctx.Err() != nil {
							return r.finish(ctx, store.RolloutAborted, "interrupted while waiting between stages")
						}
						if r.aborting(ctx) {
							return r.finish(ctx, store.RolloutAborted, fmt.Sprintf("abort asked: stopped before stage %d", idx))
						}
					}
				}
				if r.cfg.Confirm != nil {
					ok, err := r.cfg.Confirm(ctx, StageInfo{Index: idx, Of: len(stages), Hosts: hosts, Budget: budget})
					if err != nil {
						return Result{}, err
					}
					if !ok {
						return r.finish(ctx, store.RolloutAborted, fmt.Sprintf("not confirmed before stage %d", idx))
					}
				}
			}
		}
		if !r.admitStage(ctx, idx) {
			return r.finish(ctx, store.RolloutAborted, r.stopReason(ctx, fmt.Sprintf("stopped before stage %d", idx)))
		}
		if !r.stageStarted(idx) {
			if err := r.journal(ctx, idx, "", "stage", "start", fmt.Sprintf("%d hosts, up to %d may fail", len(hosts), budget)); err != nil {
				return Result{}, err
			}
		}
		stopped, why, err := r.runStage(ctx, idx, hosts, budget)
		if err != nil {
			return Result{}, err
		}
		if stopped {
			status := store.RolloutStopped
			if r.aborting(ctx) || ctx.Err() != nil || r.refusal() != "" {
				status = store.RolloutAborted
			}
			return r.finish(ctx, status, why)
		}
		if err := r.journal(ctx, idx, "", "stage", "done", ""); err != nil {
			return Result{}, err
		}
	}
	return r.finish(ctx, store.RolloutComplete, "")
}

// runStage changes a stage's hosts, Concurrency at once. It stops
// launching hosts when the failures exceed the budget, or on abort.
func (r *runner) runStage(ctx context.Context, stage int, hosts []string, budget int) (bool, string, error) {
	states := r.hostStates()
	var (
		mu       sync.Mutex
		failures int
		fixed    int
		unreach  int
		fatal    error
	)
	count := func() {
		for _, h := range hosts {
			if hs := states[h]; hs != nil {
				switch hs.outcome {
				case outFailed:
					failures++
				case outUnreachable:
					if hs.changed {
						failures++
					} else {
						unreach++
					}
				case outFixed:
					fixed++
				}
			}
		}
	}
	count()
	sem := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, name := range hosts {
		if hs := states[name]; hs != nil && hs.outcome != "" {
			continue
		}
		mu.Lock()
		over := failures > budget
		mu.Unlock()
		if over || ctx.Err() != nil || r.aborting(ctx) {
			break
		}
		sem <- struct{}{}
		// Waiting for a place may have taken a while: a pause or an abort
		// that came meanwhile applies before the host starts.
		if ctx.Err() != nil || r.aborting(ctx) || !r.admitHost(ctx, stage, name) {
			<-sem
			break
		}
		wg.Add(1)
		go func(name string, hs *hostState) {
			defer wg.Done()
			defer func() { <-sem }()
			out, changed, err := r.runHost(ctx, stage, r.byName[name], hs)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && fatal == nil {
				fatal = err
			}
			switch out {
			case outFailed:
				failures++
			case outUnreachable:
				if changed {
					failures++
				} else {
					unreach++
				}
			case outFixed:
				fixed++
			}
		}(name, states[name])
	}
	wg.Wait()
	if fatal != nil {
		return true, "", fatal
	}
	if ctx.Err() != nil || r.aborting(ctx) || r.refusal() != "" {
		return true, r.stopReason(ctx, fmt.Sprintf("stopped during stage %d", stage)), nil
	}
	if failures > budget {
		return true, fmt.Sprintf("stage %d: %d hosts failed, more than the %d allowed", stage, failures, budget), nil
	}
	if fixed == 0 && unreach > 0 {
		return true, fmt.Sprintf("stage %d fixed no host: %d could not be reached", stage, unreach), nil
	}
	after := r.hostStates()
	for _, h := range hosts {
		if hs := after[h]; hs == nil || hs.outcome == "" {
			return true, fmt.Sprintf("stage %d did not finish", stage), nil
		}
	}
	return false, "", nil
}

// errAbort ends a host's work early without an outcome: the rollout was
// asked to stop; resume continues the host.
var errAbort = errors.New("aborted")

// runHost runs one host's machine: probe and change each action, put the
// changes into effect, verify. It returns the host's outcome ("" when it
// was interrupted) and whether something changed on the host. A non-nil
// error means the journal could not be written.
func (r *runner) runHost(ctx context.Context, stage int, hp plan.HostPlan, prior *hostState) (string, bool, error) {
	if r.cfg.Dispatch != nil && r.cfg.Dispatch.Remote(hp.Host) {
		return r.runRemote(ctx, stage, hp, prior)
	}
	h := &hostRun{r: r, stage: stage, hp: hp, done: map[string]bool{}}
	var shells []string
	if prior != nil {
		h.changed = prior.changed
		h.halfDone = prior.running
		shells = prior.shells
		for id := range prior.done {
			h.done[id] = true
		}
	}
	h.shells = newShellBook(h, shells)
	if err := r.journal(ctx, stage, hp.Host, "host", "start", ""); err != nil {
		return "", false, err
	}
	ctx = remote.WithShellTrace(ctx, h.shells.trace(ctx))
	out, detail, err := h.run(ctx, prior)
	// The session is deleted before the outcome is journaled, and also
	// when the host stops without one: a shell left open would hold the
	// host's quota after this process ends.
	h.drop()
	if h.jerr == nil {
		h.jerr = h.shells.failed()
	}
	if h.jerr != nil {
		return "", h.changed, h.jerr
	}
	if errors.Is(err, errAbort) || out == "" {
		return "", h.changed, nil
	}
	return out, h.changed, r.journal(ctx, stage, hp.Host, "host", out, detail)
}

// hostRun is one host's work in progress.
type hostRun struct {
	r        *runner
	stage    int
	hp       plan.HostPlan
	s        Session
	changed  bool
	done     map[string]bool // actions this rollout changed on the host
	halfDone map[string]bool // actions a crash may have left half done
	shells   *shellBook
	jerr     error // a journal write failed
	held     bool  // the guard rails stopped it before its effect
}

func (h *hostRun) log(ctx context.Context, step, state, detail string) {
	if h.jerr == nil {
		h.jerr = h.shells.failed()
	}
	if h.jerr != nil {
		return
	}
	h.jerr = h.r.journal(ctx, h.stage, h.hp.Host, step, state, detail)
}

// session opens (or returns) the session, within the command timeout.
// Before it opens one, it deletes the shells a predecessor left.
func (h *hostRun) session(ctx context.Context) (Session, error) {
	if h.s != nil {
		return h.s, nil
	}
	h.cleanShells(ctx)
	cctx, cancel := context.WithTimeout(ctx, h.r.cfg.CommandTimeout)
	defer cancel()
	s, err := h.r.cfg.Open(cctx, h.hp)
	if err != nil {
		return nil, err
	}
	h.s = s
	return s, nil
}

func (h *hostRun) drop() {
	if h.s != nil {
		_ = h.s.Close()
		h.s = nil
	}
}

// exec runs one command; a session error drops the session.
func (h *hostRun) exec(ctx context.Context, line string) (remote.Result, error) {
	s, err := h.session(ctx)
	if err != nil {
		return remote.Result{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, h.r.cfg.CommandTimeout)
	defer cancel()
	res, err := s.Run(cctx, remote.Command{Line: line})
	if err != nil {
		h.drop()
	}
	return res, err
}

func (h *hostRun) unreachable(err error) (string, string, error) {
	return outUnreachable, oneLine(err), nil
}

// run changes the configuration, puts it into effect, then brings
// services to their state (a restart or reboot changes which services run,
// so their run state is set last), and verifies.
func (h *hostRun) run(ctx context.Context, prior *hostState) (string, string, error) {
	var config, services []plan.Action
	for _, a := range h.hp.Actions {
		if a.Kind == plan.KindService {
			services = append(services, a)
		} else {
			config = append(config, a)
		}
	}
	actions := func(as []plan.Action) (string, string, error) {
		for _, a := range as {
			if h.r.aborting(ctx) || ctx.Err() != nil {
				return "", "", errAbort
			}
			out, detail, err := h.action(ctx, a)
			if out != "" || err != nil || h.jerr != nil {
				return out, detail, err
			}
		}
		return "", "", nil
	}
	// Once the effect started, every configuration action had run or
	// been found done: a restart or reboot the stopped controller started
	// may be under way, and the effect's recovery waits for the host
	// before anything reads its state again.
	if prior == nil || !prior.effectStarted {
		if out, detail, err := actions(config); out != "" || err != nil || h.jerr != nil {
			return out, detail, err
		}
	}
	if h.r.aborting(ctx) || ctx.Err() != nil {
		return "", "", errAbort
	}
	if out, detail := h.effect(ctx, prior); out != "" || h.jerr != nil {
		return out, detail, nil
	}
	if h.held {
		return "", "", errAbort // stopped waiting for its effect's turn
	}
	if out, detail, err := actions(services); out != "" || err != nil || h.jerr != nil {
		return out, detail, err
	}
	return h.verify(ctx)
}

// action probes the state and runs the change only from Before: After is
// skipped (it already ran, perhaps before a crash), anything else means
// the host changed since the plan.
func (h *hostRun) action(ctx context.Context, a plan.Action) (string, string, error) {
	step := "action:" + a.ID
	res, err := h.exec(ctx, a.Probe)
	if err != nil {
		return h.unreachable(err)
	}
	st, desc, err := a.Classify(plan.Output{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode})
	if err != nil {
		h.log(ctx, step, "failed", "reading the state: "+err.Error())
		return outFailed, fmt.Sprintf("%s: reading the state: %v", a.ID, err), nil
	}
	switch st {
	case plan.StateAfter:
		if h.halfDone[a.ID] {
			// Its commands started before the controller stopped: the
			// change is this rollout's (its effect is needed, a rollback
			// undoes it).
			h.changed, h.done[a.ID] = true, true
			h.log(ctx, step, "done", a.Summary+" (finished before the controller stopped)")
			return "", "", nil
		}
		h.log(ctx, step, "skip", "already done: "+desc)
		return "", "", nil
	case plan.StateOther:
		rest, ok := h.remaining(a, res)
		if !ok {
			h.log(ctx, step, "failed", "changed since the plan: "+desc)
			return outFailed, fmt.Sprintf("%s: the host changed since the plan (%s); plan again", a.ID, desc), nil
		}
		// A crash left the action half done: run what is left of it.
		a.Commands = rest
	}
	h.log(ctx, step, "run", "before: "+desc)
	for _, line := range a.Commands {
		res, err := h.exec(ctx, line)
		if err != nil {
			h.changed = true // it may have run
			h.log(ctx, step, "failed", oneLine(err))
			return h.unreachable(err)
		}
		if res.ExitCode != 0 && accessDenied(res) {
			// Windows refused the change before making it: the account
			// has no administrator rights on the host. Nothing changed.
			msg := fmt.Sprintf("refused: the account has no administrator rights on %s (%s exited %d: %s); nothing was changed: "+
				"changes need an account in the host's Administrators (the inventory's change_user)", h.hp.Host, line, res.ExitCode, firstLine(res.Stderr, res.Stdout))
			h.log(ctx, step, "failed", msg)
			return outFailed, a.ID + ": " + msg, nil
		}
		if res.ExitCode != 0 {
			h.changed = true
			msg := firstLine(res.Stderr, res.Stdout)
			h.log(ctx, step, "failed", fmt.Sprintf("%s: exit %d: %s", line, res.ExitCode, msg))
			return outFailed, fmt.Sprintf("%s: %s exited %d: %s", a.ID, line, res.ExitCode, msg), nil
		}
	}
	h.changed, h.done[a.ID] = true, true
	h.log(ctx, step, "done", a.Summary)
	return "", "", nil
}

// verify reads every action's state back (After, and a listen list that
// still reaches the management address) and judges the host's policies
// again.
func (h *hostRun) verify(ctx context.Context) (string, string, error) {
	h.log(ctx, "verify", "start", "")
	for _, a := range h.hp.Actions {
		res, err := h.exec(ctx, a.Probe)
		if err != nil {
			h.log(ctx, "verify", "failed", oneLine(err))
			o, d, _ := h.unreachable(err)
			return o, d, nil
		}
		st, desc, err := a.Classify(plan.Output{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode})
		if err != nil || st != plan.StateAfter {
			msg := fmt.Sprintf("%s reads back as %s", a.ID, desc)
			if err != nil {
				msg = fmt.Sprintf("%s: reading it back: %v", a.ID, err)
			}
			h.log(ctx, "verify", "failed", msg)
			return outFailed, msg, nil
		}
	}
	if h.r.cfg.Verify != nil && len(h.hp.Verify) > 0 {
		h.drop() // collection opens its own session
		v := h.r.cfg.Verify(ctx, h.hp)
		switch {
		case v.Unreachable:
			h.log(ctx, "verify", "failed", v.Detail)
			return outUnreachable, v.Detail, nil
		case !v.Fixed:
			h.log(ctx, "verify", "failed", v.Detail)
			return outFailed, "still drifts: " + v.Detail, nil
		}
	}
	h.log(ctx, "verify", "done", "")
	return outFixed, "", nil
}

// accessDenied reports a command Windows refused for want of
// administrator rights (ERROR_ACCESS_DENIED, or netsh's elevation check),
// which it refuses before changing anything: "ERROR: Access is denied."
// (reg, schtasks), "System error 5 has occurred." (net), "[SC]
// OpenService FAILED 5:", "Error: 5" (netsh http), "Access is
// denied.(5)" (shutdown), "requires elevation" (netsh interface).
func accessDenied(res remote.Result) bool {
	out := string(res.Stderr) + "\n" + string(res.Stdout)
	return strings.Contains(out, "Access is denied") || strings.Contains(out, "System error 5 has occurred") ||
		strings.Contains(out, "requires elevation") || strings.Contains(out, "completed with 5.")
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

func firstLine(bs ...[]byte) string {
	for _, b := range bs {
		for _, l := range strings.Split(string(b), "\n") {
			if t := strings.TrimSpace(l); t != "" {
				if len(t) > 200 {
					t = t[:200]
				}
				return t
			}
		}
	}
	return ""
}

// remaining is what is left to run of a listen-list action that a crash
// interrupted between its commands: each address still to add or still to
// remove. ok is false when the action did not start (the state really
// changed since the plan) or the list is not between Before and After.
func (h *hostRun) remaining(a plan.Action, res remote.Result) ([]string, bool) {
	ll := a.ListenList
	if ll == nil || !h.halfDone[a.ID] {
		return nil, false
	}
	parser := parse.ParseIPListen
	if ll.Tool == "httpcfg" {
		parser = parse.ParseHttpcfg
	}
	l, err := parser(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		return nil, false
	}
	now := map[netip.Addr]bool{}
	for _, e := range l.Entries {
		now[e.Addr.Unmap()] = true
	}
	allowed := map[netip.Addr]bool{}
	for _, x := range append(append([]netip.Addr{}, ll.Before...), ll.Add...) {
		allowed[x.Unmap()] = true
	}
	for x := range now {
		if !allowed[x] {
			return nil, false
		}
	}
	removed := map[netip.Addr]bool{}
	for _, x := range ll.Remove {
		removed[x.Unmap()] = true
	}
	for _, x := range ll.Before {
		if !removed[x.Unmap()] && !now[x.Unmap()] {
			return nil, false
		}
	}
	var rest []string
	for _, line := range a.Commands {
		addr, add, ok := listenCommand(line)
		if !ok {
			return nil, false
		}
		if add != now[addr] {
			rest = append(rest, line)
		}
	}
	return rest, true
}

// listenCommand reads the address of a listen-list command and whether it
// adds it (netsh http add|delete iplisten ipaddress=A, httpcfg set|delete
// iplisten -i A).
func listenCommand(line string) (netip.Addr, bool, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return netip.Addr{}, false, false
	}
	last := strings.TrimPrefix(f[len(f)-1], "ipaddress=")
	a, err := netip.ParseAddr(last)
	if err != nil {
		return netip.Addr{}, false, false
	}
	add := strings.Contains(line, " add iplisten") || strings.HasPrefix(line, "httpcfg set iplisten")
	return a.Unmap(), add, true
}
