package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/policies"
)

// errFenced stops a host's work: the controller gave the host to another
// delivery of the job, or settled it.
var errFenced = errors.New("the controller no longer holds this runner's lease on the host")

// lease is a runner's hold on a rollout host, as the controller granted it.
type lease struct {
	token    string
	ttl      time.Duration
	mu       sync.Mutex
	lastOK   time.Time
	fenced   bool
	aborting atomic.Bool
	cancel   context.CancelFunc // stops the host's work
}

func (l *lease) ok(aborting bool) {
	l.mu.Lock()
	l.lastOK = time.Now()
	l.mu.Unlock()
	if aborting {
		l.aborting.Store(true)
	}
}

func (l *lease) fence() {
	l.mu.Lock()
	l.fenced = true
	l.mu.Unlock()
	l.cancel()
}

func (l *lease) isFenced() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fenced
}

// expiring reports whether the lease went unrenewed for two thirds of its
// life: past that the runner stops, so that it has stopped before the
// controller may hand the host to another delivery.
func (l *lease) expiring() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Since(l.lastOK) > l.ttl*2/3
}

// check says why no command may go to the host now: the lease passed on,
// or went unrenewed long enough that another delivery may soon hold it
// (the process was paused, or cut off from the controller).
func (l *lease) check() error {
	if l.isFenced() {
		return errFenced
	}
	if l.expiring() {
		l.fence()
		return fmt.Errorf("%w: not renewed for %s", errFenced, l.ttl*2/3)
	}
	return nil
}

// leasedSession checks the lease before every command, so that a runner
// that was paused or cut off sends nothing once another delivery may
// hold the host.
type leasedSession struct {
	rollout.Session
	l *lease
}

func (s leasedSession) Run(ctx context.Context, cmd remote.Command) (remote.Result, error) {
	if err := s.l.check(); err != nil {
		return remote.Result{}, err
	}
	return s.Session.Run(ctx, cmd)
}

// apply runs a rollout host's part of a stage under a lease.
func (r *runner) apply(ctx context.Context, m jetstream.Msg, j *dispatch.Job, set *policies.Set, delivered uint64, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) {
	ph, err := j.Host.Policy.Host()
	if err != nil {
		_ = m.TermWithReason("refused by runner " + r.o.ID + ": " + err.Error())
		return
	}
	a := j.Apply
	rep, err := r.request(ctx, j, dispatch.OpClaim, dispatch.Claim{V: dispatch.Version, Job: j.ID, Rollout: a.Rollout,
		Host: j.Host.Name, Runner: r.o.ID, Delivery: delivered})
	switch {
	case errors.Is(err, nats.ErrNoResponders) && delivered >= 2:
		_ = m.TermWithReason("dropped by runner " + r.o.ID + ": its controller is gone")
		return
	case err != nil:
		log.Warn("claiming the host", "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	}
	switch rep.Status {
	case dispatch.StatusBusy:
		_ = m.NakWithDelay(max(rep.RetryIn, time.Second))
		return
	case dispatch.StatusSettled:
		actx, cancel := context.WithTimeout(ctx, r.o.RequestTimeout)
		_ = m.DoubleAck(actx)
		cancel()
		return
	case dispatch.StatusOK:
	default:
		_ = m.TermWithReason("dropped by runner " + r.o.ID + ": the controller answered the claim with " + rep.Status)
		return
	}
	hostCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &lease{token: rep.Token, ttl: j.AckWait, lastOK: time.Now(), cancel: cancel}
	l.ok(rep.Aborting)
	var prior rollout.HostState
	if p := rep.Prior; p != nil {
		prior = rollout.HostState{Changed: p.Changed, Running: p.Running, EffectStarted: p.EffectStarted,
			EffectRan: p.EffectRan, EffectDone: p.EffectDone, EffectDetail: p.EffectDetail, Shells: p.Shells,
			Done: p.Done, EffectCreated: p.EffectCreated, EffectCommands: p.EffectCommands}
	}

	stop := make(chan struct{})
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		keepAlive(m, j, stop, func() { r.renew(ctx, j, l) })
	}()
	sink := &journalSink{r: r, j: j, l: l}
	t := r.target(j, ph)
	cfg := rollout.Config{
		Open: func(ctx context.Context, _ plan.HostPlan) (rollout.Session, error) {
			if err := l.check(); err != nil {
				return nil, err
			}
			s, err := t.Open(ctx)
			if err != nil {
				return nil, err
			}
			return leasedSession{Session: s, l: l}, nil
		},
		// The shells an earlier delivery left, deleted under this lease.
		DeleteShells: func(ctx context.Context, _ plan.HostPlan, ids []string) ([]remote.ShellDeletion, error) {
			if err := l.check(); err != nil {
				return nil, err
			}
			return t.DeleteShells(ctx, ids)
		},
		Verify: func(ctx context.Context, hp plan.HostPlan) rollout.Verdict {
			return rollout.Recollect(ctx, t, set, ph, hp, nil)
		},
		CommandTimeout: a.CommandTimeout,
		EffectTimeout:  a.EffectTimeout,
		PollEvery:      a.PollEvery,
	}
	log.Info("applying", "rollout", a.Rollout, "stage", a.Stage, "delivery", delivered)
	res, err := rollout.RunHost(hostCtx, cfg, a.Stage, a.Plan, prior, sink)
	close(stop)
	<-beat
	switch {
	case l.isFenced():
		log.Warn("stopped: the lease on the host passed on")
		return
	case ctx.Err() != nil:
		// The runner is stopping: the journal has every step; another
		// runner continues from it.
		_ = m.Nak()
		return
	case err != nil:
		log.Warn("stopped: the journal could not be written", "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	r.finish(ctx, m, j, dispatch.Result{V: dispatch.Version, Job: j.ID, Host: j.Host.Name, Runner: r.o.ID,
		Rollout: a.Rollout, Token: l.token, Outcome: res.Outcome, Detail: res.Detail, Changed: res.Changed}, log)
}

// renew keeps the lease, within a third of its life; a refusal or a lease
// left unrenewed too long stops the host's work.
func (r *runner) renew(ctx context.Context, j *dispatch.Job, l *lease) {
	rctx, cancel := context.WithTimeout(ctx, max(j.AckWait/3, 100*time.Millisecond))
	defer cancel()
	rep, err := r.request(rctx, j, dispatch.OpRenew, dispatch.Renew{V: dispatch.Version, Job: j.ID, Rollout: j.Apply.Rollout, Host: j.Host.Name, Token: l.token})
	switch {
	case err == nil && rep.Status == dispatch.StatusOK:
		l.ok(rep.Aborting)
	case err == nil:
		l.fence()
	case l.expiring():
		l.fence()
	}
}

// journalSink writes a host's journal at the controller.
type journalSink struct {
	r *runner
	j *dispatch.Job
	l *lease
}

// Append writes one entry, retrying while the lease lasts.
func (s *journalSink) Append(ctx context.Context, step, state, detail string) error {
	e := dispatch.JournalEntry{V: dispatch.Version, Job: s.j.ID, Rollout: s.j.Apply.Rollout, Host: s.j.Host.Name,
		Token: s.l.token, Step: step, State: state, Detail: detail}
	var err error
	for try := 0; ; try++ {
		if s.l.isFenced() {
			return errFenced
		}
		var rep dispatch.Reply
		rep, err = s.r.request(context.WithoutCancel(ctx), s.j, dispatch.OpJournal, e)
		if err == nil {
			if rep.Status != dispatch.StatusOK {
				s.l.fence()
				return fmt.Errorf("%w (%s)", errFenced, rep.Status)
			}
			s.l.ok(rep.Aborting)
			return nil
		}
		if s.l.expiring() || try >= 5 {
			s.l.fence()
			return fmt.Errorf("journal %s %s: %w", step, state, err)
		}
		sleep(context.WithoutCancel(ctx), 200*time.Millisecond)
	}
}

// Aborting reports whether the controller said the rollout is stopping.
func (s *journalSink) Aborting(context.Context) bool { return s.l.aborting.Load() }
