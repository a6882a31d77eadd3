package rollout

import (
	"context"
	"sync"
)

// Gate pauses a running rollout from the process that runs it (the
// incident TUI's pause key). While it is paused the runner starts no new
// step: no stage, no host, no action, no effect; the steps under way
// finish first. The pause and the continuation are journaled ("rollout
// paused", "rollout continued"), once per pause.
//
// Aborting a paused rollout takes [Abort] (the store says "aborting")
// and then [Gate.Continue], so that the runner reaches its next step and
// stops there. A cancelled context also ends the wait.
//
// The zero value is an open gate. A Gate is safe for concurrent use; give
// each rollout its own (Config.Gate).
type Gate struct {
	mu     sync.Mutex
	paused bool
	// gen counts the pauses, so that each is journaled once however many
	// hosts wait on it.
	gen  int
	open chan struct{} // closed by Continue; nil while not paused
}

// Pause closes the gate; false when it was already paused.
func (g *Gate) Pause() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		return false
	}
	g.paused, g.open = true, make(chan struct{})
	g.gen++
	return true
}

// Continue opens the gate; false when it was not paused.
func (g *Gate) Continue() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		return false
	}
	g.paused = false
	close(g.open)
	g.open = nil
	return true
}

// Paused reports whether the gate is closed.
func (g *Gate) Paused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// state is the current pause: its number and the channel Continue closes
// (nil when open).
func (g *Gate) state() (int, chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gen, g.open
}

// hold waits while the rollout is paused, journaling the pause and the
// continuation once each. It is called at every step boundary, through
// aborting.
func (r *runner) hold(ctx context.Context) {
	g := r.cfg.Gate
	if g == nil {
		return
	}
	gen, open := g.state()
	if open == nil {
		return
	}
	r.mu.Lock()
	first := r.pausedGen < gen
	r.pausedGen = max(r.pausedGen, gen)
	r.mu.Unlock()
	if first {
		_ = r.journal(ctx, 0, "", "rollout", "paused", "no new step starts until it continues")
	}
	select {
	case <-open:
	case <-ctx.Done():
		return
	}
	r.mu.Lock()
	first = r.continuedGen < gen
	r.continuedGen = max(r.continuedGen, gen)
	r.mu.Unlock()
	if first {
		_ = r.journal(ctx, 0, "", "rollout", "continued", "")
	}
}
