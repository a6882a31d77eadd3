package rollout

// Guard rails: a rollout restarts or reboots at most so many hosts at once
// (in all, and within each inventory group), and starts hosts and their
// restarts or reboots only inside a maintenance window. Outside a window
// it waits for the next one to open, or stops (refuse), saying until
// when. Every wait is journaled ("window wait" for the rollout, "effect
// wait" for a host) with the reason, so that the CLI and the TUI show it.
//
// The clock is Config.Now and the waits sleep through Config.Sleep, so
// that a test runs a window hours away without sleeping hours.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/policies"
)

// GuardRails are a rollout's limits, stored with it (Options.Guard).
type GuardRails struct {
	// MaxDisruptive caps the hosts whose restart or reboot runs at once;
	// MaxDisruptivePerGroup the same within each inventory group of the
	// host (0: no cap). A host waits for a place before its effect starts.
	MaxDisruptive         int `json:"max_disruptive,omitempty"`
	MaxDisruptivePerGroup int `json:"max_disruptive_per_group,omitempty"`
	// Windows are the maintenance windows (none: any time). A stage, a
	// host and a host's restart or reboot start only inside one.
	Windows []policies.Window `json:"windows,omitempty"`
	// OutsideWindow is "wait" (the default: wait until a window opens) or
	// "refuse" (stop the rollout; resume continues it).
	OutsideWindow string `json:"outside_window,omitempty"`
}

// Check reads the guard rails, as Start does before it stores a rollout.
func (g GuardRails) Check() error {
	_, err := g.parse()
	return err
}

func (g GuardRails) parse() ([]policies.ParsedWindow, error) {
	if g.MaxDisruptive < 0 || g.MaxDisruptivePerGroup < 0 {
		return nil, fmt.Errorf("the hosts restarting or rebooting at once cannot be negative")
	}
	switch g.OutsideWindow {
	case "", policies.OutsideWindowWait, policies.OutsideWindowRefuse:
	default:
		return nil, fmt.Errorf("outside the maintenance window: %q is not wait or refuse", g.OutsideWindow)
	}
	var ws []policies.ParsedWindow
	for _, w := range g.Windows {
		p, err := w.Parse()
		if err != nil {
			return nil, fmt.Errorf("maintenance window %s: %w", w, err)
		}
		ws = append(ws, p)
	}
	return ws, nil
}

// Outside says, at now, why a change may not start: "" inside a window
// (or with none), else "outside the maintenance window: it opens Sat 22:00
// CET (in 3h12m)".
func (g GuardRails) Outside(now time.Time) (string, error) {
	ws, err := g.parse()
	if err != nil {
		return "", err
	}
	open, next := windowState(ws, now)
	if open {
		return "", nil
	}
	return "outside the maintenance window: it opens " + when(next, now), nil
}

// windowState says whether a window is open at t, and when not, when the
// next one opens. Days, times and daylight saving are those of each
// window's zone: the opening is the wall clock time of that day.
func windowState(ws []policies.ParsedWindow, t time.Time) (bool, time.Time) {
	if len(ws) == 0 {
		return true, time.Time{}
	}
	var next time.Time
	for _, w := range ws {
		local := t.In(w.Location)
		y, m, d := local.Date()
		// A window that opened yesterday may still be open (it crosses
		// midnight); one opens at the latest a week from today.
		for off := -1; off <= 7; off++ {
			day := time.Date(y, m, d+off, 12, 0, 0, 0, w.Location)
			if !w.Days[day.Weekday()] {
				continue
			}
			open := clockOn(y, m, d+off, w.From, w.Location)
			end := clockOn(y, m, d+off, w.To, w.Location)
			if w.To <= w.From {
				end = clockOn(y, m, d+off+1, w.To, w.Location)
			}
			if !t.Before(open) && t.Before(end) {
				return true, time.Time{}
			}
			if open.After(t) && (next.IsZero() || open.Before(next)) {
				next = open
			}
		}
	}
	return false, next
}

// clockOn is the wall clock time "of" (an offset such as 22h) on the day
// y-m-d in loc; a time that daylight saving skips is normalized by time.Date.
func clockOn(y int, m time.Month, d int, of time.Duration, loc *time.Location) time.Time {
	return time.Date(y, m, d, int(of/time.Hour), int(of%time.Hour/time.Minute), 0, 0, loc)
}

// when says a time to come: "Sat 22:00 CET (in 3h12m)".
func when(t, now time.Time) string {
	return t.Format("Mon 15:04 MST") + " (in " + shortDuration(t.Sub(now)) + ")"
}

// shortDuration is d to the minute ("3h12m", "45m"), or to the second
// under a minute.
func shortDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	s := d.Round(time.Minute).String()
	return strings.TrimSuffix(s, "0s")
}

// guard is a running rollout's guard rails: its windows, and the hosts
// whose restart or reboot runs now.
type guard struct {
	rails   GuardRails
	windows []policies.ParsedWindow

	mu sync.Mutex
	// running are the hosts in their effect, with their groups; freed is
	// closed (and replaced) whenever one leaves.
	running map[string][]string
	freed   chan struct{}
}

func newGuard(rails GuardRails) (*guard, error) {
	ws, err := rails.parse()
	if err != nil {
		return nil, err
	}
	return &guard{rails: rails, windows: ws, running: map[string][]string{}, freed: make(chan struct{})}, nil
}

// refuses says whether the rollout stops outside a window.
func (g *guard) refuses() bool { return g.rails.OutsideWindow == policies.OutsideWindowRefuse }

// full says why host may not start its effect now ("" when it may).
func (g *guard) full(host string, groups []string) string {
	if n := g.rails.MaxDisruptive; n > 0 && len(g.running) >= n {
		return fmt.Sprintf("%d hosts restarting or rebooting, the most at once: %s", len(g.running), strings.Join(sortedHosts(g.running, ""), ", "))
	}
	if n := g.rails.MaxDisruptivePerGroup; n > 0 {
		for _, grp := range groups {
			if in := sortedHosts(g.running, grp); len(in) >= n {
				return fmt.Sprintf("%d hosts of group %s restarting or rebooting, the most at once per group: %s", len(in), grp, strings.Join(in, ", "))
			}
		}
	}
	return ""
}

func sortedHosts(running map[string][]string, group string) []string {
	var out []string
	for h, gs := range running {
		if group == "" || slices.Contains(gs, group) {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

func (g *guard) release(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.running[host]; !ok {
		return
	}
	delete(g.running, host)
	close(g.freed)
	g.freed = make(chan struct{})
}

// disruptive says whether an effect restarts or reboots the host.
func disruptive(e plan.Effect) bool {
	return e.Kind != "" && e.Kind != plan.EffectNone
}

// sleeperKey carries the runner's Sleep in the context of its work, so
// that every wait of the package sleeps on the rollout's clock.
type sleeperKey struct{}

func withSleeper(ctx context.Context, s func(context.Context, time.Duration)) context.Context {
	return context.WithValue(ctx, sleeperKey{}, s)
}

// sleep waits d or until ctx ends, with the rollout's Sleep when ctx
// carries one.
func sleep(ctx context.Context, d time.Duration) {
	if s, ok := ctx.Value(sleeperKey{}).(func(context.Context, time.Duration)); ok && s != nil {
		s(ctx, d)
		return
	}
	realSleep(ctx, d)
}

func realSleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// windowWait is the longest a window wait sleeps before it looks again
// for an abort (or a pause).
const windowWait = 5 * time.Second

// awaitWindow holds until a maintenance window is open: true then. It
// journals the wait once per opening it waits for (step "window" for the
// rollout, before a stage or a host; "effect" for a host's restart or
// reboot). Outside a window with refuse, or on an abort or an interrupt,
// it returns false; a refusal is kept in r.refused.
func (r *runner) awaitWindow(ctx context.Context, log func(state, detail string)) bool {
	g := r.guard
	if g == nil || len(g.windows) == 0 {
		return true
	}
	var waitingFor time.Time
	for {
		now := r.cfg.Now()
		open, next := windowState(g.windows, now)
		if open {
			if !waitingFor.IsZero() {
				log("open", "inside the maintenance window")
			}
			return true
		}
		if g.refuses() {
			r.refuse("outside the maintenance window: it opens " + when(next, now))
			log("refused", "outside the maintenance window: it opens "+when(next, now))
			return false
		}
		if !next.Equal(waitingFor) {
			waitingFor = next
			log("wait", "outside the maintenance window: waiting until "+when(next, now))
		}
		sleep(ctx, min(next.Sub(now), max(r.cfg.PollEvery, windowWait)))
		if ctx.Err() != nil || r.aborting(ctx) {
			return false
		}
	}
}

// refuse records why the rollout stops outside its windows (the first
// reason wins).
func (r *runner) refuse(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused == "" {
		r.refused = why
	}
}

func (r *runner) refusal() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// admitStage holds a stage until a window is open.
func (r *runner) admitStage(ctx context.Context, stage int) bool {
	return r.awaitWindow(ctx, func(state, detail string) {
		_ = r.journal(ctx, stage, "", "window", state, detail)
	})
}

// admitHost holds a host of a stage until a window is open.
func (r *runner) admitHost(ctx context.Context, stage int, host string) bool {
	return r.awaitWindow(ctx, func(state, detail string) {
		_ = r.journal(ctx, stage, "", "window", state, fmt.Sprintf("before %s: %s", host, detail))
	})
}

// admitEffect holds a host's restart or reboot until a window is open and
// a place is free under the caps; false when the host stops there (an
// abort, an interrupt, a refusal). A host admitted holds its place until
// releaseEffect.
func (h *hostRun) admitEffect(ctx context.Context, eff plan.Effect) bool {
	g := h.r.guard
	if g == nil || !disruptive(eff) {
		return true
	}
	logged := ""
	for {
		if !h.r.awaitWindow(ctx, func(state, detail string) { h.log(ctx, "effect", "wait", detail) }) {
			h.held = true
			return false
		}
		g.mu.Lock()
		why := g.full(h.hp.Host, h.hp.Groups)
		if why == "" {
			g.running[h.hp.Host] = slices.Clone(h.hp.Groups)
			g.mu.Unlock()
			return true
		}
		freed := g.freed
		g.mu.Unlock()
		if why != logged {
			logged = why
			h.log(ctx, "effect", "wait", why)
		}
		t := time.NewTimer(max(h.r.cfg.PollEvery, 10*time.Millisecond))
		select {
		case <-ctx.Done():
		case <-freed:
		case <-t.C:
		}
		t.Stop()
		if ctx.Err() != nil || h.r.aborting(ctx) {
			h.held = true
			return false
		}
	}
}

// releaseEffect frees the host's place (its effect is done or failed).
func (h *hostRun) releaseEffect() {
	if g := h.r.guard; g != nil {
		g.release(h.hp.Host)
	}
}

// admitRemote holds a host a site runner works on until a place is free
// under the caps, when its plan restarts or reboots it: the controller
// cannot see when the runner's effect starts, so the host holds its place
// for all its work. done releases it.
func (r *runner) admitRemote(ctx context.Context, stage int, hp plan.HostPlan, prior *hostState) (done func(), ok bool) {
	g := r.guard
	if g == nil || !disruptive(hp.Effect) || prior != nil && prior.effectDone || g.rails.MaxDisruptive == 0 && g.rails.MaxDisruptivePerGroup == 0 {
		return func() {}, true
	}
	logged := ""
	for {
		g.mu.Lock()
		why := g.full(hp.Host, hp.Groups)
		if why == "" {
			g.running[hp.Host] = slices.Clone(hp.Groups)
			g.mu.Unlock()
			return func() { g.release(hp.Host) }, true
		}
		freed := g.freed
		g.mu.Unlock()
		if why != logged {
			logged = why
			_ = r.journal(ctx, stage, hp.Host, "effect", "wait", why)
		}
		t := time.NewTimer(max(r.cfg.PollEvery, 10*time.Millisecond))
		select {
		case <-ctx.Done():
		case <-freed:
		case <-t.C:
		}
		t.Stop()
		if ctx.Err() != nil || r.aborting(ctx) {
			return nil, false
		}
	}
}

// stopReason says why a stage stopped without its outcome: a refusal
// outside the windows, an abort, an interrupt.
func (r *runner) stopReason(ctx context.Context, where string) string {
	switch {
	case r.refusal() != "":
		return "refused " + r.refusal()
	case ctx.Err() != nil:
		return "interrupted: " + where
	case r.aborting(ctx):
		return "abort asked: " + where
	}
	return where
}
