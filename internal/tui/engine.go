package tui

import (
	"context"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
)

// The interfaces below are how the TUI reaches the engine beyond
// [Source]. Each is optional: a nil one hides the keys and views that need
// it. Every method is called from a tea.Cmd, never from Update, with
// inputs copied when the command was made; a method that reports results
// through a callback may call it from several goroutines at once, and the
// callback returns at once (it hands the value to a channel the TUI
// drains, and drops it when ctx has ended).

// Collector collects hosts again (c, C): live collection progress.
type Collector interface {
	// Collect collects the named hosts of run base again over WinRM,
	// stores a new run (those hosts' new documents and the other hosts
	// of base as they were) and returns the new run judged. It calls
	// progress as each host starts and ends. When ctx ends it stops, keeps
	// what was collected and returns ctx's error with the data it has.
	Collect(ctx context.Context, base int64, hosts []string, progress func(CollectEvent)) (*Data, error)
}

// CollectEvent is a host starting (Done false) or ending a collection.
type CollectEvent struct {
	Host   string
	Done   bool
	Status facts.Status
}

// Watcher samples connection tables for the watch view (incident mode).
type Watcher interface {
	// Watch reads the connection table of each host (netstat -ano) at
	// once and then every interval, until ctx ends, and calls out with
	// every sample. Every remote call has a deadline (about the
	// interval), so a hung host costs a late sample with an error, never
	// a stuck watch. It returns when ctx has ended and every session it
	// opened is closed.
	Watch(ctx context.Context, hosts []string, every time.Duration, out func(Sample))
}

// Sample is one reading of a host's connection table.
type Sample struct {
	Host string
	// At is when the reading ended; Took how long it took.
	At   time.Time
	Took time.Duration
	// Status is ok when the table was read; otherwise Error says why
	// (the host is unreachable, a deadline passed, the output could not
	// be parsed) and the counts are not set.
	Status facts.Status
	Error  string
	// Counts of TCP sockets by state.
	TimeWait, Established, CloseWait, Total int
	// TopRemotes are the remote endpoints with the most TIME_WAIT
	// sockets, most first (up to five).
	TopRemotes []facts.RemoteCount
	// Ephemeral is the use of the IPv4 client port range, when the
	// range is known (the dynamic port range, or MaxUserPort on 2003).
	Ephemeral *facts.EphemeralUse
}

// Remediator plans and applies fixes: the rollout view. A nil one, or
// Options.ReadOnly, hides every action that changes a host.
type Remediator interface {
	// Plan builds the corrective plan of the named hosts from run, as
	// fleetport plan does, and says how Apply would stage it.
	Plan(ctx context.Context, run int64, hosts []string) (*Proposal, error)
	// Apply stores a rollout of the proposal and runs it until it ends
	// (complete, stopped by a failure budget, aborted), calling
	// hooks.Progress with every journal entry as it is written and
	// hooks.Confirm before each stage after the first. The first entry
	// names the rollout, for Pause, Continue and Abort.
	Apply(ctx context.Context, p *Proposal, hooks RolloutHooks) (RolloutResult, error)
	// Resume continues a rollout that stopped (aborted, stopped by its
	// failure budget, interrupted) where it stopped, as fleetport rollout
	// resume does, until it ends, calling hooks as Apply does.
	Resume(ctx context.Context, id int64, hooks RolloutHooks) (RolloutResult, error)
	// Pause holds the rollout before its next step; Continue lets it go
	// on. Neither waits for the runner.
	Pause(id int64) error
	Continue(id int64) error
	// Abort asks the rollout to stop at its next step (it is journaled
	// and the runner stops; a paused rollout stops too).
	Abort(ctx context.Context, id int64) error
}

// RolloutHooks are what a running rollout calls back.
type RolloutHooks struct {
	// Progress receives every journal entry as it is written.
	Progress func(RolloutEvent)
	// Confirm is asked before each stage after the first (the operator
	// confirmed the first when the rollout started); false stops the
	// rollout there, to resume later. Nil goes on.
	Confirm func(ctx context.Context, next StageAsk) bool
}

// StageAsk is a stage about to start: its number of Of, its hosts, and
// the failures it may have.
type StageAsk struct {
	Index, Of int
	Hosts     []string
	Budget    int
}

// Proposal is a plan and how it would be rolled out.
type Proposal struct {
	Plan *plan.Plan
	// Stages is the stage specification (1,10%,50%,100%); Budget the
	// failures a stage may have (0, 2, 5%); Assigned the hosts of each
	// stage, in order.
	Stages   string
	Budget   string
	Assigned [][]string
}

// RolloutEvent is one journal entry of a running rollout: a step of a
// host (or of the rollout and its stages, with Host empty) entering a
// state.
type RolloutEvent struct {
	Rollout int64
	Time    time.Time
	Stage   int
	Host    string
	Step    string
	State   string
	Detail  string
}

// RolloutResult is how a rollout ended.
type RolloutResult struct {
	ID     int64
	Status string
	Reason string
	// Hosts by outcome.
	Fixed, Failed, Unreachable, Pending int
}

// coalesceWindow is how long results that follow a first one are gathered
// into one message: at most about ten redraws a second, whatever the
// number of hosts.
const coalesceWindow = 100 * time.Millisecond

// drain waits for a first value on ch, then gathers what else arrives
// within window. closed reports that ch was closed: the operation ended.
// It returns nothing new (and closed) once ch is closed and empty.
func drain[T any](ch <-chan T, window time.Duration) (batch []T, closed bool) {
	v, ok := <-ch
	if !ok {
		return nil, true
	}
	batch = append(batch, v)
	t := time.NewTimer(window)
	defer t.Stop()
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return batch, true
			}
			batch = append(batch, v)
		case <-t.C:
			return batch, false
		}
	}
}

// sender hands values to ch until ctx ends; then it drops them, so that
// an engine goroutine never blocks on a TUI that has gone.
func sender[T any](ctx context.Context, ch chan<- T) func(T) {
	return func(v T) {
		select {
		case ch <- v:
		case <-ctx.Done():
		}
	}
}
