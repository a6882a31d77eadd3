package collect

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Adaptive concurrency. A run starts with a moderate number of hosts in
// flight and judges the fleet after every window of commands: while the
// commands' round trip stays near the lowest it has seen and no host times
// out, refuses or answers busy, it lets more hosts in; when the round trip
// climbs it stops growing, and when hosts time out, refuse or answer busy
// it backs off. This is the congestion control of TCP Vegas and of
// Netflix's concurrency-limits, with a command's round trip as the
// signal: a saturated link, jump host or hypervisor shows first as
// latency, then as timeouts and refusals.
const (
	// AdaptiveStart is the first limit of an adaptive run.
	AdaptiveStart = 32
	// AdaptiveMax is the highest limit an adaptive run reaches when the
	// inventory sets no fleet-wide concurrency.
	AdaptiveMax = 1000
	// flatRatio: a window whose median round trip is within this factor
	// of the floor is flat, and the limit grows.
	flatRatio = 1.5
	// congestedRatio: beyond it the limit shrinks a little.
	congestedRatio = 2.5
	// backoffFactor shrinks the limit after faults.
	backoffFactor = 0.6
)

// Adaptation is what an adaptive run did with its concurrency.
type Adaptation struct {
	Adaptive bool
	Start    int // the first limit
	Max      int // the cap (the inventory's concurrency, or AdaptiveMax)
	Reached  int // the highest limit
	Final    int // the limit at the end
	Peak     int // the most hosts in flight at once
	Backoffs int // times it backed off after faults
	// Why says, in words, why the last window that did not grow did
	// not; "" when every window grew, or the run was fixed.
	Why string
}

// String says it in one line, as collect prints it.
func (a Adaptation) String() string {
	if !a.Adaptive {
		return fmt.Sprintf("fixed at %d (peak %d in flight)", a.Final, a.Peak)
	}
	s := fmt.Sprintf("adaptive, reached %d of %d (peak %d in flight)", a.Reached, a.Max, a.Peak)
	switch {
	case a.Why != "":
		s += ": " + a.Why
	case a.Reached >= a.Max:
		s += ": the cap"
	}
	if a.Backoffs > 0 {
		s += fmt.Sprintf("; backed off %d times", a.Backoffs)
	}
	return s
}

// limiter is the fleet-wide gate: a fixed limit, or an adaptive one.
type limiter struct {
	mu       sync.Mutex
	cond     *sync.Cond
	limit    int
	inFlight int
	adaptive bool
	min, max int
	pending  int // hosts not yet admitted, so that growth stops when none are left

	window    []time.Duration
	faults    int // hosts or sessions that timed out or found the host busy, this window
	done      int // hosts finished this window
	floor     time.Duration
	hold      int // windows to wait before growing again after a backoff
	reached   int
	peak      int
	backoffs  int
	why       string
	lastRatio float64
	lowest    int       // the lowest limit a backoff set
	changed   time.Time // when the limit last changed
	capMax    int       // the cap, as reported
	// running holds the start of each command in flight, by id: a
	// command unanswered long past the usual round trip is a dropped
	// request, which shows no latency until it times out.
	running map[uint64]time.Time
	nextID  uint64
	// slowStart doubles the limit after each flat window until the first
	// window that is not flat, as TCP's slow start does.
	slowStart bool
}

func newLimiter(fixed, max, pending int) *limiter {
	l := &limiter{limit: fixed, max: fixed, min: fixed, pending: pending}
	if fixed <= 0 {
		l.adaptive = true
		if max <= 0 {
			max = AdaptiveMax
		}
		l.max, l.min = max, min(4, max)
		l.limit = min(AdaptiveStart, max)
		l.slowStart = true
		l.capMax = max
	}
	l.reached = l.limit
	l.cond = sync.NewCond(&l.mu)
	return l
}

// acquire waits for a place, or for ctx to end.
func (l *limiter) acquire(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	defer stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.inFlight >= l.limit {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.cond.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.inFlight++
	l.pending--
	l.peak = max(l.peak, l.inFlight)
	return nil
}

func (l *limiter) release() {
	l.mu.Lock()
	l.inFlight--
	l.cond.Signal()
	l.mu.Unlock()
}

// begin records a command's start and returns its id for end.
func (l *limiter) begin(start time.Time) uint64 {
	if !l.adaptive {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running == nil {
		l.running = map[uint64]time.Time{}
	}
	l.nextID++
	l.running[l.nextID] = start
	return l.nextID
}

// end records the end of command id, started at start; answered says
// its round trip counts (an answer, not a failure). Only commands started
// since the limit last changed judge the new limit.
func (l *limiter) end(id uint64, start time.Time, d time.Duration, answered bool) {
	if !l.adaptive {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running, id)
	if !answered || start.Before(l.changed) {
		return
	}
	l.window = append(l.window, d)
	l.judge()
}

// stuck counts the commands in flight for much longer than the usual
// round trip. l.mu is held.
func (l *limiter) stuck(now time.Time) int {
	if l.floor == 0 {
		return 0
	}
	late := max(4*l.floor, l.floor+time.Second)
	n := 0
	for _, start := range l.running {
		if now.Sub(start) > late {
			n++
		}
	}
	return n
}

// finished records a host's end: fault says it timed out or found its
// host busy (a spent quota, HTTP 503), which an overloaded path causes.
func (l *limiter) finished(fault bool) {
	if !l.adaptive {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done++
	if fault {
		l.faults++
	}
	l.judge()
}

// judge adjusts the limit at the end of a window. l.mu is held.
func (l *limiter) judge() {
	// A few hosts that are down or slow are the fleet's, not the run's:
	// back off when faults are more than one host in ten of a window.
	if l.faults >= 3 && l.faults*10 > l.done {
		if l.hold > 0 {
			// Not again until the hosts let in before have had their say.
			l.faults, l.done = 0, 0
			return
		}
		n := max(l.min, int(float64(l.limit)*backoffFactor))
		l.why = fmt.Sprintf("hosts timed out or answered busy at %d in flight", l.inFlight)
		l.limit, l.faults, l.done, l.window, l.hold = n, 0, 0, l.window[:0], 3
		l.backoffs++
		l.changed = time.Now()
		l.slowStart = false
		if l.lowest == 0 || n < l.lowest {
			l.lowest = n
		}
		return
	}
	if l.done >= max(32, l.limit) {
		l.faults, l.done = 0, 0
	}
	size := max(16, l.limit/4)
	if len(l.window) < size {
		return
	}
	slices.Sort(l.window)
	median := l.window[len(l.window)/2]
	l.window = l.window[:0]
	if l.floor == 0 || median < l.floor {
		l.floor = median
	}
	ratio := float64(median) / float64(l.floor)
	l.lastRatio = ratio
	if n := l.stuck(time.Now()); n >= 3 && n*10 > len(l.running) {
		// Requests go unanswered: the path drops them.
		l.slowStart = false
		l.limit = max(l.min, l.limit*4/5)
		l.changed = time.Now()
		l.why = fmt.Sprintf("%d commands went unanswered far beyond the usual round trip of %v", n, l.floor.Round(time.Millisecond))
		return
	}
	if l.hold > 0 {
		l.hold--
		return
	}
	switch {
	case ratio <= flatRatio:
		if l.inFlight < l.limit && l.pending <= 0 {
			return // the run is ending: nothing to grow for
		}
		if l.limit < l.max {
			grow := max(4, l.limit/4)
			if l.slowStart {
				grow = l.limit
			}
			l.limit = min(l.max, l.limit+grow)
			l.reached = max(l.reached, l.limit)
			l.changed = time.Now()
			l.cond.Broadcast()
		}
	case ratio > congestedRatio:
		l.slowStart = false
		l.limit = max(l.min, l.limit*4/5)
		l.changed = time.Now()
		l.why = fmt.Sprintf("the commands' round trip rose %.1f× above its floor of %v", ratio, l.floor.Round(time.Millisecond))
	default:
		l.slowStart = false
		l.why = fmt.Sprintf("the commands' round trip rose %.1f× above its floor of %v", ratio, l.floor.Round(time.Millisecond))
	}
}

// adaptation reports what the limiter did.
func (l *limiter) adaptation() Adaptation {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := Adaptation{Adaptive: l.adaptive, Start: l.min, Max: l.capMax, Reached: l.reached, Final: l.limit, Peak: l.peak, Backoffs: l.backoffs, Why: l.why}
	if l.adaptive {
		a.Start = min(AdaptiveStart, l.max)
		if l.reached >= l.capMax && l.backoffs == 0 {
			a.Why = ""
		}
	}
	return a
}

// settle prepares a retry of the hosts that failed while the run backed
// off: half the lowest limit it backed off to (half the last retry's), and
// no growth.
func (l *limiter) settle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limit = max(1, min(l.limit, l.lowest)/2)
	l.lowest = l.limit
	l.max, l.slowStart = l.limit, false
	l.cond.Broadcast()
}
