package rollout

// A rollout whose hosts are worked on by site runners (fleetport runner)
// keeps one journal: the controller's store. The controller's runner
// journals "host start", hands the host to its Dispatcher and journals the
// outcome the dispatcher returns, exactly as for a local host, so stages,
// budgets, resume and status read the same journal. In between, the site
// runner runs the same host machine ([RunHost]) and writes every step
// through the [Journal] handle before the step goes on: the controller's
// journal decides what ran, and a job delivered twice starts from what it
// says, re-reading the host's state before any change.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
)

// Dispatcher runs hosts' work elsewhere.
type Dispatcher interface {
	// Remote reports whether the host's work goes to a runner.
	Remote(host string) bool
	// RunHost hands the host's part of a stage to a runner and returns
	// when it is settled: the runner's outcome, or one the dispatcher
	// decides (no runner finished the host). An empty Outcome means the
	// host stopped without one (an abort, an interrupt) and stays for
	// resume. The runner's journal entries arrive through j meanwhile. A
	// non-nil error means the controller itself failed.
	RunHost(ctx context.Context, j Journal, stage int, hp plan.HostPlan) (HostResult, error)
}

// HostResult is how one host's work ended.
type HostResult struct {
	// Outcome is "fixed", "failed", "unreachable", or "" (no outcome).
	Outcome string
	Detail  string
	// Changed says whether an action ran (or may have run) on the host.
	Changed bool
}

// Host outcomes, as the journal records them (step "host").
const (
	OutcomeFixed       = outFixed
	OutcomeFailed      = outFailed
	OutcomeUnreachable = outUnreachable
)

// HostState is what a rollout's journal says of a host so far.
type HostState struct {
	// Outcome is the host's terminal state, "" while unfinished.
	Outcome string
	Detail  string
	// Changed: an action ran on the host; Done are those actions.
	Changed bool
	Done    []string
	// Running are the actions whose commands started and did not finish.
	Running []string
	// How far the effect (a restart or reboot) went; EffectDetail is
	// what the "start" entry recorded.
	EffectStarted, EffectRan, EffectDone bool
	EffectDetail                         string
	// EffectCreated: the detached restart's task was created on the
	// host. EffectCommands: how many of an in-session restart's commands
	// started (the last of them may not have taken place).
	EffectCreated  bool
	EffectCommands int
	// Shells are the WinRM shells a session of the rollout created on
	// the host and the journal does not show deleted: the host's next
	// work deletes them before it opens a session.
	Shells []string
}

// Journal is a running rollout's journal, as a dispatcher serves it to the
// runners that do its hosts' work. It is safe for concurrent use.
type Journal struct{ r *runner }

// ID is the rollout's id.
func (j Journal) ID() int64 { return j.r.id }

// State reads what the journal says of a host now.
func (j Journal) State(host string) HostState {
	hs := j.r.hostStates()[host]
	if hs == nil {
		return HostState{}
	}
	st := HostState{Outcome: hs.outcome, Detail: hs.detail, Changed: hs.changed,
		EffectStarted: hs.effectStarted, EffectRan: hs.effectRan, EffectDone: hs.effectDone, EffectDetail: hs.effectDetail,
		EffectCreated: hs.effectCreated, EffectCommands: hs.effectCmd + 1,
		Shells: slices.Clone(hs.shells)}
	for a := range hs.running {
		st.Running = append(st.Running, a)
	}
	slices.Sort(st.Running)
	for a := range hs.done {
		st.Done = append(st.Done, a)
	}
	slices.Sort(st.Done)
	return st
}

// Append writes one entry of a host's work durably before it returns.
func (j Journal) Append(ctx context.Context, stage int, host, step, state, detail string) error {
	return j.r.journal(ctx, stage, host, step, state, detail)
}

// Settings are the rollout's command timeout, effect timeout and poll
// interval, for the runners that do its hosts' work.
func (j Journal) Settings() (command, effect, poll time.Duration) {
	return j.r.cfg.CommandTimeout, j.r.cfg.EffectTimeout, j.r.cfg.PollEvery
}

// Aborting reports whether the rollout was asked to stop.
func (j Journal) Aborting(ctx context.Context) bool { return j.r.aborting(ctx) }

// runRemote is runHost for a host a dispatcher takes.
func (r *runner) runRemote(ctx context.Context, stage int, hp plan.HostPlan, prior *hostState) (string, bool, error) {
	done, ok := r.admitRemote(ctx, stage, hp, prior)
	if !ok {
		return "", prior != nil && prior.changed, nil
	}
	defer done()
	if err := r.journal(ctx, stage, hp.Host, "host", "start", ""); err != nil {
		return "", false, err
	}
	res, err := r.cfg.Dispatch.RunHost(ctx, Journal{r}, stage, hp)
	changed := res.Changed || prior != nil && prior.changed
	if err != nil || res.Outcome == "" {
		return "", changed, err
	}
	return res.Outcome, changed, r.journal(ctx, stage, hp.Host, "host", res.Outcome, res.Detail)
}

// HostJournal is where one host's work, run away from its controller,
// writes its journal: Append must return only once the entry is durable
// (an error stops the work before its next step), and Aborting says
// whether the rollout was asked to stop.
type HostJournal interface {
	Append(ctx context.Context, step, state, detail string) error
	Aborting(ctx context.Context) bool
}

// ErrJournal wraps the error of a journal write that failed: RunHost
// stopped before the next step.
var ErrJournal = errors.New("journal")

// RunHost runs one host's part of a stage as a rollout does (probe and
// change each action, put the changes into effect once, verify) with the
// session, verification and timeouts of cfg (Store, Confirm, Gate and
// Dispatch are not used), writing every step through j. prior is what the
// journal said of the host when the work was handed over: actions already
// done are skipped after their probe, half-done ones finished, an effect
// already started is checked before it runs again, shells left open are
// deleted (cfg.DeleteShells) before the first session. An error wrapping
// [ErrJournal] means a journal write failed and the work stopped; the
// result's Outcome is then "".
func RunHost(ctx context.Context, cfg Config, stage int, hp plan.HostPlan, prior HostState, j HostJournal) (HostResult, error) {
	cfg.defaults()
	r := &runner{cfg: cfg, sink: j}
	h := &hostRun{r: r, stage: stage, hp: hp, done: map[string]bool{}}
	ps := &hostState{outcome: prior.Outcome, detail: prior.Detail, changed: prior.Changed,
		effectStarted: prior.EffectStarted, effectRan: prior.EffectRan, effectDone: prior.EffectDone, effectDetail: prior.EffectDetail,
		effectCreated: prior.EffectCreated, effectCmd: prior.EffectCommands - 1,
		shells: prior.Shells}
	for _, a := range prior.Done {
		h.done[a] = true
	}
	if len(prior.Running) > 0 {
		ps.running = map[string]bool{}
		for _, a := range prior.Running {
			ps.running[a] = true
		}
	}
	h.changed, h.halfDone = ps.changed, ps.running
	h.shells = newShellBook(h, ps.shells)
	ctx = withSleeper(ctx, r.cfg.Sleep)
	out, detail, err := h.run(remote.WithShellTrace(ctx, h.shells.trace(ctx)), ps)
	h.drop()
	if h.jerr == nil {
		h.jerr = h.shells.failed()
	}
	if h.jerr != nil {
		return HostResult{Changed: h.changed}, errors.Join(ErrJournal, h.jerr)
	}
	if errors.Is(err, errAbort) || out == "" {
		return HostResult{Changed: h.changed}, nil
	}
	return HostResult{Outcome: out, Detail: detail, Changed: h.changed}, nil
}
