// Package collect is fleetport's collection engine: it reaches many hosts at
// once over WinRM, asks each only what the policies need, and turns what
// Windows prints into one facts document per host.
//
// [Run] works through the targets with bounded concurrency: a fleet-wide
// cap and per-group caps (a host in several groups holds a place in each).
// One goroutine per host opens one session (one connection, one shell),
// runs `ver` first (the answer decides between httpcfg and netsh, MaxUserPort
// and the dynamic range), then the commands the policies' Needs name, and
// closes the session. Every selected host ends with a result: a status (ok,
// unreachable, timeout, auth, tls, quota, protocol, command-failed,
// parse-error) and, where it failed, one line of cause. A failed host is a
// value, never a reason to stop the fleet; Run returns an error only when
// the controller itself cannot go on.
//
// It does not store runs or print reports (the commands do), and it never
// holds a credential longer than a session needs it.
package collect

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/policies"
)

// Target is one host to collect from.
type Target struct {
	Name     string
	Endpoint remote.Endpoint
	// Credentials resolves the host's credentials when its session opens
	// (env, file, prompt); its error never holds a credential.
	Credentials func() (remote.Credentials, error)
	Session     remote.Options
	// Groups are the host's groups, for the per-group caps.
	Groups []string
	// Timeout bounds all of the host's work; 0 means 5 minutes.
	Timeout time.Duration
	// Policy is the policies' view of the host (groups, tags, vars), for
	// working out what to ask it.
	Policy policies.Host
}

// Session is what collection needs of a remote session; *remote.Session
// is the real one.
type Session interface {
	Run(ctx context.Context, cmd remote.Command) (remote.Result, error)
	Close() error
}

// Options configures [Run].
type Options struct {
	// Concurrency is the fleet-wide number of hosts worked on at once;
	// 0 means 50, unless Adaptive.
	Concurrency int
	// Adaptive, with Concurrency 0, lets the number of hosts in flight
	// adapt to the fleet (see [Adaptation]), from AdaptiveStart up to
	// MaxConcurrency (0: AdaptiveMax). Hosts that timed out, were refused
	// or found busy while the run had to back off are tried once more at
	// the end, so that no host fails because the run asked too much.
	Adaptive       bool
	MaxConcurrency int
	// AuthConcurrency caps the sessions authenticating at once, so that a
	// domain controller (NTLM pass-through, Kerberos tickets) is not
	// flooded; 0 means 64.
	AuthConcurrency int
	// Report, when set, is told at the end what the run did with its
	// concurrency.
	Report func(Adaptation)
	// GroupLimits caps the hosts of a group worked on at once.
	GroupLimits map[string]int
	// Policies decide what each host is asked; nil asks for everything
	// fleetport collects.
	Policies *policies.Set
	// Open opens a session; nil means remote.Open.
	Open func(ctx context.Context, ep remote.Endpoint, cred remote.Credentials, opts remote.Options) (Session, error)
	// Progress, when set, is called as hosts start and finish (from many
	// goroutines; it must be quick).
	Progress func(Event)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Event reports a host starting or finishing.
type Event struct {
	Host   string
	Done   bool
	Status facts.Status
}

// ErrInterrupted marks hosts not collected because the run was cancelled.
var ErrInterrupted = errors.New("not collected: the run was interrupted")

// Run collects from every target and calls out once per target with its
// facts document (from several goroutines, one call at a time). It returns
// when every host has a result; a cancelled ctx makes the hosts not yet done
// end with status timeout and [ErrInterrupted], and Run then returns
// ctx.Err().
func Run(ctx context.Context, targets []Target, opts Options, out func(*facts.Host)) error {
	fixed := opts.Concurrency
	if fixed <= 0 && !opts.Adaptive {
		fixed = 50
	}
	if opts.Open == nil {
		opts.Open = func(ctx context.Context, ep remote.Endpoint, cred remote.Credentials, o remote.Options) (Session, error) {
			return remote.Open(ctx, ep, cred, o)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AuthConcurrency <= 0 {
		opts.AuthConcurrency = 64
	}
	groups := map[string]*semaphore.Weighted{}
	for g, n := range opts.GroupLimits {
		if n > 0 {
			groups[g] = semaphore.NewWeighted(int64(n))
		}
	}
	fleet := newLimiter(fixed, opts.MaxConcurrency, len(targets))
	auth := semaphore.NewWeighted(int64(opts.AuthConcurrency))
	var outMu sync.Mutex
	emit := func(h *facts.Host) {
		outMu.Lock()
		defer outMu.Unlock()
		out(h)
	}
	// Under an adaptive run, a host that failed in a way an overloaded
	// path causes is held back: if the run had to back off, it is tried
	// again at the end. (Only one pass runs at a time: the held lists are
	// swapped between passes.)
	var heldMu sync.Mutex
	var held []Target
	var heldResults []*facts.Host
	pass := func(targets []Target, last bool) {
		var wg sync.WaitGroup
		for _, t := range targets {
			gs, err := acquire(ctx, fleet, groups, t.Groups)
			if err != nil {
				// Cancelled while waiting for a place: this host and every
				// later one get their result without being started.
				h := facts.NewHost(t.Name, t.Endpoint.Host)
				h.Status, h.Error = facts.StatusTimeout, ErrInterrupted.Error()
				emit(h)
				continue
			}
			wg.Go(func() {
				defer release(fleet, gs)
				if opts.Progress != nil {
					opts.Progress(Event{Host: t.Name})
				}
				h, busy := collectHost(ctx, t, opts, fleet, auth)
				fleet.finished(busy || overloadStatus(h.Status))
				if overloadStatus(h.Status) {
					if fleet.adaptive && !last && ctx.Err() == nil {
						heldMu.Lock()
						held, heldResults = append(held, t), append(heldResults, h)
						heldMu.Unlock()
						return
					}
				}
				if opts.Progress != nil {
					opts.Progress(Event{Host: t.Name, Done: true, Status: h.Status})
				}
				emit(h)
			})
		}
		wg.Wait()
	}
	pass(targets, false)
	// Up to three more passes over the hosts that failed while the run
	// backed off, each at half the limit of the one before.
	for try := 1; len(held) > 0; try++ {
		if fleet.adaptation().Backoffs > 0 && ctx.Err() == nil && try <= retryPasses {
			fleet.settle()
			again := held
			held, heldResults = nil, nil
			pass(again, try == retryPasses)
		} else {
			for i, h := range heldResults {
				if opts.Progress != nil {
					opts.Progress(Event{Host: held[i].Name, Done: true, Status: h.Status})
				}
				emit(h)
			}
			break
		}
	}
	if opts.Report != nil {
		opts.Report(fleet.adaptation())
	}
	return ctx.Err()
}

// retryPasses is how often the hosts that failed while the run backed off
// are tried again.
const retryPasses = 3

// overloadStatus reports the statuses an overloaded path causes: a host
// that refuses connections is down, not overloaded.
func overloadStatus(s facts.Status) bool {
	return s == facts.StatusTimeout || s == facts.StatusQuota
}

// acquire takes a place in the fleet and in each of the host's capped
// groups, in name order so that two hosts never wait on each other.
func acquire(ctx context.Context, fleet *limiter, groups map[string]*semaphore.Weighted, names []string) ([]*semaphore.Weighted, error) {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var held []*semaphore.Weighted
	for _, g := range sorted {
		s, ok := groups[g]
		if !ok || containsSem(held, s) {
			continue
		}
		if err := s.Acquire(ctx, 1); err != nil {
			release(nil, held)
			return nil, err
		}
		held = append(held, s)
	}
	if err := fleet.acquire(ctx); err != nil {
		release(nil, held)
		return nil, err
	}
	return held, nil
}

func containsSem(list []*semaphore.Weighted, s *semaphore.Weighted) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func release(fleet *limiter, held []*semaphore.Weighted) {
	for _, s := range held {
		s.Release(1)
	}
	if fleet != nil {
		fleet.release()
	}
}

// StatusOf maps a session error to the host's status: what collection
// records for a host whose session failed with err.
func StatusOf(err error) facts.Status {
	switch remote.ClassOf(err) {
	case remote.ClassUnreachable:
		return facts.StatusUnreachable
	case remote.ClassTimeout:
		return facts.StatusTimeout
	case remote.ClassAuth:
		return facts.StatusAuth
	case remote.ClassTLS:
		return facts.StatusTLS
	case remote.ClassQuota:
		return facts.StatusQuota
	case remote.ClassCommand:
		return facts.StatusCommandFailed
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return facts.StatusTimeout
	}
	return facts.StatusProtocol
}

// collectHost does all of one host's work within its deadline.
func collectHost(ctx context.Context, t Target, opts Options, fleet *limiter, auth *semaphore.Weighted) (h *facts.Host, busy bool) {
	h = facts.NewHost(t.Name, t.Endpoint.Host)
	h.Started = opts.Now()
	defer func() { h.Finished = opts.Now() }()
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	fail := func(err error) *facts.Host {
		h.Status, h.Error = StatusOf(err), oneLine(err)
		return h
	}
	cred, err := t.Credentials()
	if err != nil {
		h.Status, h.Error = facts.StatusAuth, oneLine(err)
		return h, false
	}
	// The session authenticates as it opens: at most AuthConcurrency at
	// once across the run.
	if err := auth.Acquire(ctx, 1); err != nil {
		return fail(err), false
	}
	s, err := opts.Open(ctx, t.Endpoint, cred, t.Session)
	auth.Release(1)
	if err != nil {
		return fail(err), false
	}
	defer s.Close()
	if st, ok := s.(interface{ Stats() remote.Stats }); ok {
		// Waits for a busy host or a spent quota tell the run it asks
		// too much.
		defer func() { busy = st.Stats().Retries > 0 }()
	}
	if a, ok := s.(interface{ Auth() remote.Auth }); ok && a.Auth() != remote.AuthNegotiate {
		h.Auth = a.Auth().String()
	}
	s = &timedSession{Session: s, l: fleet}

	c := &collector{s: s, h: h}
	if err := c.identity(ctx); err != nil {
		return fail(err), false
	}
	ph := t.Policy
	if h.OS != nil {
		ph.OS, ph.OSBuild = h.OS.Release, int(h.OS.Build)
	}
	n := needsOf(opts.Policies, ph)
	if n.Roles {
		// Some policy applies by the host's roles: learn them first, and
		// ask again what the policies that apply need.
		if err := c.roles(ctx); err != nil {
			return fail(err), false
		}
		if ph.Roles, ph.RolesKnown = h.Roles(); ph.RolesKnown {
			n = needsOf(opts.Policies, ph)
		}
	}
	if err := c.facts(ctx, n); err != nil {
		return fail(err), false
	}
	h.DeriveEphemeral()
	h.Status = facts.StatusOK
	if len(h.FactErrors) > 0 {
		h.Status = facts.StatusParseError
		h.Error = h.FactErrors[0].Error()
	}
	return h, false
}

// needsOf is what the policies ask of a host; without policies, everything
// collection knows how to fetch.
func needsOf(set *policies.Set, h policies.Host) policies.Needs {
	if set != nil {
		return set.Needs(h)
	}
	return policies.Needs{ListenList: true, Sockets: true,
		PortRanges: []policies.PortRangeRef{{Protocol: policies.TCP, Family: policies.IPv4}}}
}

func oneLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' || r == '\r' {
			return s[:i]
		}
	}
	return s
}

// timedSession reports each command's round trip to the run's limiter.
type timedSession struct {
	Session
	l *limiter
}

func (s *timedSession) Run(ctx context.Context, cmd remote.Command) (remote.Result, error) {
	start := time.Now()
	id := s.l.begin(start)
	r, err := s.Session.Run(ctx, cmd)
	s.l.end(id, start, time.Since(start), err == nil || remote.ClassOf(err) == remote.ClassCommand)
	return r, err
}
