package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/jobq"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// Options configures [Run].
type Options struct {
	// Conn is an open NATS connection (jobq.Connect); the caller closes it
	// after Run returns.
	Conn *nats.Conn
	// Site is the site whose jobs the runner takes.
	Site string
	// Concurrency caps the hosts worked on at once; default 50.
	Concurrency int
	// ID names the runner in heartbeats and logs; default host-pid-random.
	ID string
	// Release is fleetport's version, announced in heartbeats.
	Release string
	// Resolver resolves the credentials jobs name; default: this
	// process's environment and files, no prompts.
	Resolver inventory.Resolver
	// Logger receives one line per job and per problem; nil logs nothing.
	Logger *slog.Logger
	// Heartbeat is how often the runner announces itself; default 5 s.
	Heartbeat time.Duration
	// RequestTimeout bounds each request to a controller; default 10 s.
	RequestTimeout time.Duration
	// DrainTimeout bounds the wait for jobs in flight once ctx ends;
	// default 1 minute.
	DrainTimeout time.Duration
	// Kerberos is the runner's own Kerberos configuration, used for the
	// hosts whose auth is kerberos or negotiate: no job carries a ticket,
	// a key or a password for it.
	Kerberos Kerberos
	// Open opens WinRM sessions for collection; nil means remote.Open
	// (tests put a fault in between).
	Open func(ctx context.Context, ep remote.Endpoint, cred remote.Credentials, o remote.Options) (collect.Session, error)

	// testOnlyAbandon, when set and true for a job, makes the runner drop
	// the job unacknowledged and without progress acks, as a runner that
	// died holding it would.
	testOnlyAbandon func(j *dispatch.Job) bool
}

// Kerberos is where a runner's Kerberos tickets come from: its keytab
// (with Principal, for a runner that runs unattended), else the password a
// job names by reference (resolved here), else its credential cache
// (CCacheFile, else KRB5CCNAME, else /tmp/krb5cc_<uid>: kinit's).
type Kerberos struct {
	// ConfigFile is the krb5.conf; empty means KRB5_CONFIG, else
	// /etc/krb5.conf.
	ConfigFile string
	// CCacheFile is a credential cache kinit wrote.
	CCacheFile string
	// KeytabFile holds Principal's keys; Principal is "name@REALM" (the
	// realm may come from the krb5.conf's default_realm).
	KeytabFile, Principal string
}

// Run connects the runner to its site's consumer and works on jobs until
// ctx ends; then it drains (see the package documentation) and returns
// nil. It returns an error when it cannot start (no JetStream, a bad
// site); a consumer deleted while it runs is made again.
func Run(ctx context.Context, o Options) error {
	if o.Conn == nil {
		return errors.New("runner: no NATS connection")
	}
	if err := dispatch.CheckSite(o.Site); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 50
	}
	if o.ID == "" {
		o.ID = defaultID()
	}
	if o.Resolver == nil {
		o.Resolver = localResolver{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 5 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = time.Minute
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	if _, err := jobq.EnsureStream(ctx, js); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	cons, err := bindConsumer(ctx, js, o.Site)
	if err != nil {
		return fmt.Errorf("runner: site %s: %w", o.Site, err)
	}
	if o.Kerberos.KeytabFile != "" && o.Kerberos.Principal == "" {
		return errors.New("runner: a keytab needs the principal whose keys it holds")
	}
	r := &runner{o: o, js: js, cons: cons, specs: newSpecCache(8), krb: newKerberosRuns(10 * time.Minute)}
	defer r.krb.close()
	return r.loop(ctx)
}

// bindConsumer binds the site's durable consumer, creating it with the
// defaults when no controller made it yet.
func bindConsumer(ctx context.Context, js jetstream.JetStream, site string) (jetstream.Consumer, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := js.Consumer(cctx, dispatch.Stream, dispatch.ConsumerName(site))
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		c, err = js.CreateConsumer(cctx, dispatch.Stream, jobq.ConsumerConfig(site, 0, 0))
		if errors.Is(err, jetstream.ErrConsumerExists) {
			c, err = js.Consumer(cctx, dispatch.Stream, dispatch.ConsumerName(site))
		}
	}
	return c, err
}

func defaultID() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// runner is one running site runner.
type runner struct {
	o     Options
	js    jetstream.JetStream
	cons  jetstream.Consumer
	specs *specCache
	krb   *kerberosRuns
	busy  atomic.Int64
}

// kerberosRuns shares Kerberos tickets between the jobs of one
// controller's run, as a local run does (one TGT per run, one service
// ticket per host), and forgets a run's tickets once none of its jobs has
// been seen for idle.
type kerberosRuns struct {
	mu   sync.Mutex
	idle time.Duration
	runs map[string]*kerberosRun
}

type kerberosRun struct {
	cache *remote.KerberosCache
	users int
	last  time.Time
}

func newKerberosRuns(idle time.Duration) *kerberosRuns {
	return &kerberosRuns{idle: idle, runs: map[string]*kerberosRun{}}
}

// acquire returns the ticket cache of controller's run, and the function
// that says the job is done with it.
func (k *kerberosRuns) acquire(controller string) (*remote.KerberosCache, func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	for id, kr := range k.runs {
		if kr.users == 0 && now.Sub(kr.last) > k.idle {
			kr.cache.Close()
			delete(k.runs, id)
		}
	}
	kr := k.runs[controller]
	if kr == nil {
		kr = &kerberosRun{cache: remote.NewKerberosCache()}
		k.runs[controller] = kr
	}
	kr.users++
	return kr.cache, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		kr.users--
		kr.last = time.Now()
	}
}

// lookup returns the ticket cache of controller's run, which a job of it
// holds (acquire); nil when there is none, and each session then logs in
// on its own.
func (k *kerberosRuns) lookup(controller string) *remote.KerberosCache {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kr := k.runs[controller]; kr != nil {
		return kr.cache
	}
	return nil
}

// close forgets every ticket; the jobs are done.
func (k *kerberosRuns) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, kr := range k.runs {
		kr.cache.Close()
		delete(k.runs, id)
	}
}

// loop fetches as many jobs as there are free places, starts each as it
// arrives, and drains when ctx ends.
func (r *runner) loop(ctx context.Context) error {
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	freed := make(chan struct{}, r.o.Concurrency)
	stopBeat := make(chan struct{})
	wg.Go(func() { r.heartbeats(stopBeat) })

	r.o.Logger.Info("runner started", "site", r.o.Site, "runner", r.o.ID, "concurrency", r.o.Concurrency)
	failures := 0
	for ctx.Err() == nil {
		free := r.o.Concurrency - int(r.busy.Load())
		if free <= 0 {
			select {
			case <-freed:
			case <-ctx.Done():
			}
			continue
		}
		fctx, fcancel := context.WithTimeout(ctx, 2*time.Second)
		batch, err := r.cons.Fetch(free, jetstream.FetchContext(fctx))
		if err != nil {
			fcancel()
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				// Someone deleted the site's consumer: make it again.
				if c, berr := bindConsumer(ctx, r.js, r.o.Site); berr == nil {
					r.cons = c
				}
			}
			failures++
			if failures == 1 || failures%30 == 0 {
				r.o.Logger.Warn("fetching jobs", "site", r.o.Site, "err", err)
			}
			sleep(ctx, time.Second)
			continue
		}
		for m := range batch.Messages() {
			r.busy.Add(1)
			wg.Go(func() {
				defer func() {
					r.busy.Add(-1)
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
				r.handle(workCtx, m)
			})
		}
		fcancel()
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			failures++
			if failures == 1 || failures%30 == 0 {
				r.o.Logger.Warn("fetching jobs", "site", r.o.Site, "err", err)
			}
			sleep(ctx, time.Second)
			continue
		}
		failures = 0
	}
	// Drain: the jobs in flight finish, up to DrainTimeout.
	if n := r.busy.Load(); n > 0 {
		r.o.Logger.Info("runner draining", "site", r.o.Site, "jobs", n, "timeout", r.o.DrainTimeout)
	}
	drained := make(chan struct{})
	go func() {
		for r.busy.Load() > 0 {
			select {
			case <-freed:
			case <-time.After(100 * time.Millisecond):
			}
		}
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(r.o.DrainTimeout):
		r.o.Logger.Warn("runner: drain timeout; giving the remaining jobs back", "jobs", r.busy.Load())
		cancelWork()
		<-drained
	}
	close(stopBeat)
	wg.Wait()
	r.o.Logger.Info("runner stopped", "site", r.o.Site, "runner", r.o.ID)
	return nil
}

// heartbeats announces the runner until stop closes.
func (r *runner) heartbeats(stop <-chan struct{}) {
	t := time.NewTicker(r.o.Heartbeat)
	defer t.Stop()
	for {
		hb := dispatch.Heartbeat{V: dispatch.Version, Runner: r.o.ID, Site: r.o.Site, Release: r.o.Release,
			Busy: int(r.busy.Load()), Slots: r.o.Concurrency}
		if b, err := dispatch.Encode(hb); err == nil {
			_ = r.o.Conn.Publish(dispatch.HeartbeatSubject(r.o.Site), b)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// localResolver resolves credentials from this process's environment and
// files. A runner has no terminal to prompt on.
type localResolver struct{}

func (localResolver) Env(name string) (string, bool)       { return os.LookupEnv(name) }
func (localResolver) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
func (localResolver) Prompt(string, string) (string, error) {
	return "", errors.New("prompt() cannot be answered by a site runner: set the credential with env() or file()")
}

// specCache keeps the last specs by hash, parsed.
type specCache struct {
	mu    sync.Mutex
	max   int
	order []string
	sets  map[string]*policies.Set
}

func newSpecCache(n int) *specCache { return &specCache{max: n, sets: map[string]*policies.Set{}} }

func (c *specCache) get(hash string) *policies.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets[hash]
}

func (c *specCache) put(hash string, s *policies.Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sets[hash]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.sets, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, hash)
	c.sets[hash] = s
}
