package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq"
)

// Options configures [Dial].
type Options struct {
	// Conn is an open NATS connection (jobq.Connect); the caller closes it
	// after Close.
	Conn *nats.Conn
	// AckWait is how long a runner may go without acking progress before
	// its job goes to another runner; default jobq.DefaultAckWait. It is
	// also the life of a rollout lease.
	AckWait time.Duration
	// MaxDeliver caps the deliveries of a job; default jobq.DefaultMaxDeliver.
	MaxDeliver int
	// SiteTimeout ends the waiting jobs of a site none of whose runners
	// has been heard from for this long (and every job when the NATS
	// connection has been down this long); default 1 minute.
	SiteTimeout time.Duration
	// SweepEvery is how often the consumers are checked; default 5 s.
	SweepEvery time.Duration
	// Logger receives what goes wrong; nil logs nothing.
	Logger *slog.Logger
}

// Controller publishes jobs and gathers their results. Make it with
// [Dial]; Close it.
type Controller struct {
	o      Options
	id     string
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream

	subs     []*nats.Subscription
	sem      chan struct{} // bounds the goroutines serving requests
	handlers sync.WaitGroup
	stop     chan struct{}
	sweeper  sync.WaitGroup

	// mu guards the fields below.
	mu        sync.Mutex
	seq       uint64
	specs     map[string]*dispatch.Spec
	jobs      map[string]*job // by job id
	bySeq     map[uint64]*job // by stream sequence
	sites     map[string]*site
	downSince time.Time // when the NATS connection went down; zero while up
	start     time.Time // since when sites are heard: Dial, or the last reconnection
}

// site is what the controller knows of a site.
type site struct {
	consumer bool      // its consumer has the controller's settings
	lastSeen time.Time // last heartbeat of one of its runners
	runners  map[string]time.Time
}

// Dial makes a controller on an open connection.
func Dial(ctx context.Context, o Options) (*Controller, error) {
	if o.Conn == nil {
		return nil, errors.New("controller: no NATS connection")
	}
	if o.AckWait <= 0 {
		o.AckWait = jobq.DefaultAckWait
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = jobq.DefaultMaxDeliver
	}
	if o.SiteTimeout <= 0 {
		o.SiteTimeout = time.Minute
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, err
	}
	st, err := jobq.EnsureStream(ctx, js)
	if err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	c := &Controller{o: o, id: "c" + hex.EncodeToString(b[:]), nc: o.Conn, js: js, stream: st, start: time.Now(),
		sem: make(chan struct{}, 32), stop: make(chan struct{}),
		specs: map[string]*dispatch.Spec{}, jobs: map[string]*job{}, bySeq: map[uint64]*job{}, sites: map[string]*site{}}
	subscribe := func(subj string, h func(*nats.Msg)) error {
		s, err := o.Conn.Subscribe(subj, func(m *nats.Msg) {
			c.sem <- struct{}{}
			c.handlers.Add(1)
			go func() {
				defer func() { <-c.sem; c.handlers.Done() }()
				h(m)
			}()
		})
		if err != nil {
			return fmt.Errorf("subscribe to %s: %w", subj, err)
		}
		_ = s.SetPendingLimits(1<<20, 256<<20)
		c.subs = append(c.subs, s)
		return nil
	}
	for _, s := range []struct {
		subj string
		h    func(*nats.Msg)
	}{
		{dispatch.ControllerSubject(c.id, "*"), c.serve},
		{dispatch.HeartbeatSubject("*"), c.heartbeat},
		{"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + dispatch.Stream + ".*", c.advisory},
		{"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED." + dispatch.Stream + ".*", c.advisory},
	} {
		if err := subscribe(s.subj, s.h); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := o.Conn.FlushTimeout(10 * time.Second); err != nil {
		c.Close()
		return nil, fmt.Errorf("NATS: %w", err)
	}
	c.sweeper.Go(c.sweepLoop)
	return c, nil
}

// ID is the controller's id, as its jobs name it.
func (c *Controller) ID() string { return c.id }

// Close unsubscribes, stops the sweep and waits for every request being
// served. Jobs still waiting are left to their runners, which drop them
// when they learn the controller is gone.
func (c *Controller) Close() {
	for _, s := range c.subs {
		_ = s.Unsubscribe()
	}
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.sweeper.Wait()
	c.handlers.Wait()
}

// ensureSites gives each site's consumer the controller's AckWait and
// MaxDeliver (creating it when no runner did yet).
func (c *Controller) ensureSites(ctx context.Context, names []string) error {
	for _, n := range names {
		if err := dispatch.CheckSite(n); err != nil {
			return err
		}
		c.mu.Lock()
		s := c.siteLocked(n)
		done := s.consumer
		c.mu.Unlock()
		if done {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := c.js.CreateOrUpdateConsumer(cctx, dispatch.Stream, jobq.ConsumerConfig(n, c.o.AckWait, c.o.MaxDeliver))
		cancel()
		if err != nil {
			return fmt.Errorf("the consumer of site %s: %w", n, err)
		}
		c.mu.Lock()
		s.consumer = true
		c.mu.Unlock()
	}
	return nil
}

func (c *Controller) siteLocked(name string) *site {
	s := c.sites[name]
	if s == nil {
		s = &site{runners: map[string]time.Time{}}
		c.sites[name] = s
	}
	return s
}

// addSpec registers a run's spec for the runners to fetch.
func (c *Controller) addSpec(s *dispatch.Spec) string {
	s.V = dispatch.Version
	h := s.Hash()
	c.mu.Lock()
	c.specs[h] = s
	c.mu.Unlock()
	return h
}

// newJobID returns the next job id.
func (c *Controller) newJobID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return fmt.Sprintf("%s.%d", c.id, c.seq)
}

// publish queues a job and records its stream sequence.
func (c *Controller) publish(ctx context.Context, jb *job) error {
	b, err := dispatch.Encode(jb.job)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.jobs[jb.job.ID] = jb
	c.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ack, err := c.js.Publish(pctx, dispatch.JobSubject(jb.job.Site), b, jetstream.WithMsgID(jb.job.ID))
	if err != nil {
		return fmt.Errorf("queue the job of %s on site %s: %w", jb.job.Host.Name, jb.job.Site, err)
	}
	c.mu.Lock()
	jb.seq = ack.Sequence
	c.bySeq[ack.Sequence] = jb
	c.mu.Unlock()
	return nil
}

// forget drops a finished job from the tables and, when it is still in
// the stream, from the queue.
func (c *Controller) forget(jb *job, deleteMsg bool) {
	c.mu.Lock()
	delete(c.jobs, jb.job.ID)
	if jb.seq != 0 {
		delete(c.bySeq, jb.seq)
	}
	c.mu.Unlock()
	if deleteMsg && jb.seq != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.stream.DeleteMsg(ctx, jb.seq)
		cancel()
	}
}

// serve answers a runner's request.
func (c *Controller) serve(m *nats.Msg) {
	op := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	reply := func(r dispatch.Reply) { jobq.Respond(m, r) }
	fail := func(err error) { reply(dispatch.Reply{Status: dispatch.StatusError, Error: err.Error()}) }
	switch op {
	case dispatch.OpSpec:
		var req dispatch.SpecRequest
		if err := dispatch.Decode(m.Data, dispatch.MaxMessageBytes, &req); err != nil {
			fail(err)
			return
		}
		c.mu.Lock()
		s := c.specs[req.Hash]
		c.mu.Unlock()
		if s == nil {
			reply(dispatch.Reply{Status: dispatch.StatusUnknown})
			return
		}
		reply(dispatch.Reply{Status: dispatch.StatusOK, Spec: s})
	case dispatch.OpStart:
		var req dispatch.Started
		if dispatch.Decode(m.Data, dispatch.MaxMessageBytes, &req) != nil {
			return
		}
		if jb := c.hostJob(req.Job, req.Host, false); jb != nil {
			jb.started()
		}
	case dispatch.OpResult:
		var req dispatch.Result
		if err := dispatch.Decode(m.Data, dispatch.MaxMessageBytes, &req); err != nil {
			fail(err)
			return
		}
		jb := c.hostJob(req.Job, req.Host, false)
		if jb == nil {
			reply(dispatch.Reply{Status: dispatch.StatusUnknown})
			return
		}
		reply(jb.result(&req))
	case dispatch.OpClaim:
		var req dispatch.Claim
		if err := dispatch.Decode(m.Data, dispatch.MaxMessageBytes, &req); err != nil {
			fail(err)
			return
		}
		jb := c.hostJob(req.Job, req.Host, true)
		if jb == nil {
			reply(dispatch.Reply{Status: dispatch.StatusUnknown})
			return
		}
		reply(jb.apply.claim(jb, &req, c.o.AckWait))
	case dispatch.OpJournal:
		var req dispatch.JournalEntry
		if err := dispatch.Decode(m.Data, dispatch.MaxMessageBytes, &req); err != nil {
			fail(err)
			return
		}
		jb := c.hostJob(req.Job, req.Host, true)
		if jb == nil {
			reply(dispatch.Reply{Status: dispatch.StatusUnknown})
			return
		}
		reply(jb.apply.write(jb, &req, c.o.AckWait))
	case dispatch.OpRenew:
		var req dispatch.Renew
		if err := dispatch.Decode(m.Data, dispatch.MaxMessageBytes, &req); err != nil {
			fail(err)
			return
		}
		jb := c.hostJob(req.Job, req.Host, true)
		if jb == nil {
			reply(dispatch.Reply{Status: dispatch.StatusUnknown})
			return
		}
		reply(jb.apply.renew(jb, req.Token, c.o.AckWait))
	default:
		fail(fmt.Errorf("unknown operation %q", op))
	}
}

// hostJob is the job with this id when it is for this host (and, with
// apply, a rollout's); nil otherwise: a runner's request about anything
// else is answered "unknown".
func (c *Controller) hostJob(id, host string, apply bool) *job {
	c.mu.Lock()
	jb := c.jobs[id]
	c.mu.Unlock()
	if jb == nil || jb.job.Host.Name != host || apply && jb.apply == nil {
		return nil
	}
	return jb
}

// heartbeat records a runner's heartbeat.
func (c *Controller) heartbeat(m *nats.Msg) {
	var hb dispatch.Heartbeat
	if dispatch.Decode(m.Data, 64<<10, &hb) != nil || dispatch.CheckSite(hb.Site) != nil {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.siteLocked(hb.Site)
	s.lastSeen = now
	s.runners[hb.Runner] = now
}

// advisory settles a job JetStream gave up on (MaxDeliver) or a runner
// terminated.
func (c *Controller) advisory(m *nats.Msg) {
	var a struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
		Reason     string `json:"reason"`
	}
	if len(m.Data) > 64<<10 || json.Unmarshal(m.Data, &a) != nil {
		return
	}
	c.mu.Lock()
	jb := c.bySeq[a.StreamSeq]
	c.mu.Unlock()
	if jb == nil {
		return
	}
	if strings.Contains(m.Subject, "MAX_DELIVERIES") {
		c.giveUp(jb, facts.StatusTimeout, fmt.Sprintf("site %s: no runner finished the host in %d deliveries (each runner died, hung or gave the job back)", jb.job.Site, a.Deliveries), true)
		return
	}
	reason := a.Reason
	if reason == "" {
		reason = "a runner terminated the job"
	}
	jb.refused(reason)
	if jb.apply != nil {
		c.giveUp(jb, facts.StatusProtocol, "site "+jb.job.Site+": "+reason, false)
	} else {
		c.forget(jb, false)
	}
}

// giveUp settles a job the runners did not finish: at once for a
// collection, after the last lease expired for a rollout host.
func (c *Controller) giveUp(jb *job, status facts.Status, why string, deleteMsg bool) {
	if jb.apply != nil && !jb.leaseExpired() {
		return // the next sweep looks again
	}
	if jb.abandoned(status, why) {
		c.forget(jb, deleteMsg)
	}
}

func (c *Controller) sweepLoop() {
	t := time.NewTicker(c.o.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.sweep()
		}
	}
}

// sweep settles what no message will: sites without runners, a NATS
// connection down too long, and jobs that left the queue (or hit the
// delivery cap) while their advisory was lost.
func (c *Controller) sweep() {
	now := time.Now()
	c.mu.Lock()
	if !c.nc.IsConnected() {
		if c.downSince.IsZero() {
			c.downSince = now
		}
	} else {
		if !c.downSince.IsZero() {
			// Back: heartbeats missed while cut off do not count.
			c.start = now
		}
		c.downSince = time.Time{}
	}
	connected := c.downSince.IsZero()
	down := !connected && now.Sub(c.downSince) > c.o.SiteTimeout
	bySite := map[string][]*job{}
	for _, jb := range c.jobs {
		if jb.seq != 0 && !jb.isSettled() {
			bySite[jb.job.Site] = append(bySite[jb.job.Site], jb)
		}
	}
	seen := map[string]time.Time{}
	for name := range bySite {
		s := c.siteLocked(name)
		seen[name] = s.lastSeen
		if seen[name].Before(c.start) {
			seen[name] = c.start
		}
	}
	c.mu.Unlock()
	for name, jobs := range bySite {
		switch {
		case down:
			for _, jb := range jobs {
				c.giveUp(jb, facts.StatusUnreachable, fmt.Sprintf("the connection to NATS has been down for more than %s", c.o.SiteTimeout), false)
			}
			continue
		case !connected:
			continue // the site's runners cannot be heard while the controller is cut off
		case now.Sub(seen[name]) > c.o.SiteTimeout:
			for _, jb := range jobs {
				c.giveUp(jb, facts.StatusUnreachable, fmt.Sprintf("site %s: no runner has been heard from for %s (is fleetport runner --site %s running?)", name, c.o.SiteTimeout.Round(time.Second), name), true)
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ci, err := c.stream.Consumer(ctx, dispatch.ConsumerName(name))
		var info *jetstream.ConsumerInfo
		if err == nil {
			info, err = ci.Info(ctx)
		}
		cancel()
		if err != nil || info.NumPending > 0 || info.NumAckPending > 0 {
			for _, jb := range jobs {
				jb.resetMissing()
			}
			continue
		}
		// Nothing is waiting or in flight for this site: a job still
		// unsettled either hit the delivery cap or left the queue; two
		// sweeps in a row, so that a result on its way can land.
		for _, jb := range jobs {
			if !jb.missing() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, gerr := c.stream.GetMsg(ctx, jb.seq)
			cancel()
			switch {
			case errors.Is(gerr, jetstream.ErrMsgNotFound):
				c.giveUp(jb, facts.StatusProtocol, fmt.Sprintf("site %s: the job left the queue without a result", name), false)
			case gerr == nil:
				c.giveUp(jb, facts.StatusTimeout, fmt.Sprintf("site %s: no runner finished the host in %d deliveries (each runner died, hung or gave the job back)", name, c.o.MaxDeliver), true)
			}
		}
	}
}
