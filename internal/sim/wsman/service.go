package wsman

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// minEnvelope is the smallest w:MaxEnvelopeSize a client may ask for
// (DSP0226 requires services to accept 8192 octets).
const minEnvelope = 8192

// Service is the WS-Management / WinRS cmd shell service of one simulated
// host. Create it with [NewService]; it is safe for concurrent use.
//
// Lock order: Service.mu before command.mu. Service.mu guards the shell
// table and everything in a shell (its commands, quota counters, activity);
// command.mu guards a command's buffers and state. Nothing blocks, sleeps or
// calls the Backend while holding either lock.
type Service struct {
	cfg     Config
	backend Backend
	now     func() time.Time
	newID   func() string

	mu     sync.Mutex
	shells map[string]*shell // by uppercase ShellId
	closed bool
	root   context.Context // parent of every shell context
	stop   context.CancelFunc

	wg sync.WaitGroup // Exec goroutines and the idle janitor

	ops     atomic.Int64
	created atomic.Int64

	faultMu sync.Mutex
	faults  map[string]int64
}

// shell is one rsp:Shell. All fields after id are guarded by Service.mu
// (the immutable settings are only written before the shell is published).
type shell struct {
	id, user, userKey, clientIP string
	limited                     bool // the user is no administrator (AccessLimited)
	inputStreams, outputStreams string
	workDir                     string
	env                         []option
	codepage                    int
	noProfile                   bool
	idle                        time.Duration
	ctx                         context.Context
	cancel                      context.CancelFunc

	commands map[string]*command // by uppercase CommandId
	started  int                 // Commands accepted; counts against the operations quota until Delete
	inflight int                 // requests on this shell being handled now
	last     time.Time           // end of the last request (or creation)
}

// NewService returns a service for one host. Zero fields of cfg take the
// values of [DefaultConfig]; a negative quota allows nothing, so that every
// Create (or Command) gets the quota fault. The service starts one goroutine that deletes
// idle shells; [Service.Close] stops it.
func NewService(cfg Config, b Backend) *Service {
	def := DefaultConfig()
	quota := func(v *int, d int) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0 // nothing allowed: every request faults with the quota fault
		}
	}
	quota(&cfg.MaxShellsPerUser, def.MaxShellsPerUser)
	quota(&cfg.MaxConcurrentOperationsPerUser, def.MaxConcurrentOperationsPerUser)
	quota(&cfg.MaxConcurrentUsers, def.MaxConcurrentUsers)
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = def.MaxTimeout
	}
	if cfg.MaxEnvelopeSize <= 0 {
		cfg.MaxEnvelopeSize = def.MaxEnvelopeSize
	}
	s := &Service{
		cfg:     cfg,
		backend: b,
		now:     cfg.Now,
		newID:   cfg.NewID,
		shells:  map[string]*shell{},
		faults:  map[string]int64{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = randomID
	}
	s.root, s.stop = context.WithCancel(context.Background())
	period := min(max(cfg.IdleTimeout/8, 10*time.Millisecond), time.Second)
	s.wg.Add(1)
	go s.janitor(period)
	return s
}

// randomID returns a random (version 4) UUID in uppercase.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Handle answers one request. body is the decrypted SOAP envelope, user the
// authenticated user and clientIP the peer address (shown as rsp:ClientIP).
// ctx is the HTTP request's context: when it ends, a waiting Receive gives
// up. Handle never panics on any input.
func (s *Service) Handle(ctx context.Context, user, clientIP string, body []byte) Response {
	s.ops.Add(1)
	if len(body) > s.cfg.MaxEnvelopeSize {
		return Response{Status: http.StatusRequestEntityTooLarge}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Response{Status: http.StatusBadRequest}
	}
	s.sweepIdle()

	root, err := parseXML(body)
	if err != nil {
		return s.fault(faultSchema(), "")
	}
	rq, bad := readEnvelope(root)
	switch bad {
	case envMalformed:
		return s.fault(faultSchema(), "")
	case envVersion:
		return s.fault(faultVersion(), "")
	}
	if s.isClosed() {
		return s.fault(faultUnavailable(), rq.messageID)
	}
	if rq.action == "" || rq.messageID == "" {
		return s.fault(faultHeaderRequired(), rq.messageID)
	}
	access := AccessOf(ctx)
	if access == AccessDenied {
		return s.fault(faultAccessDenied(), rq.messageID)
	}
	timeout := s.cfg.MaxTimeout
	if rq.hasTimeout {
		d, ok := parseDuration(rq.timeout)
		if !ok {
			return s.fault(faultBadTimeout(strings.TrimSpace(rq.timeout)), rq.messageID)
		}
		timeout = min(d, s.cfg.MaxTimeout)
	}
	maxEnv := s.cfg.MaxEnvelopeSize
	if rq.hasMaxEnv {
		n, err := strconv.Atoi(rq.maxEnvelope)
		if err != nil || n < 0 {
			return s.fault(faultSchema(), rq.messageID)
		}
		if n < minEnvelope {
			return s.fault(faultMinEnvelope(), rq.messageID)
		}
		maxEnv = n
	}
	if !rq.hasResource || rq.resourceURI == "" {
		return s.fault(faultMissingResource(), rq.messageID)
	}
	if !strings.EqualFold(rq.resourceURI, resourceCmd) {
		return s.fault(faultUnknownResource(rq.resourceURI), rq.messageID)
	}

	if rq.action == actionCreate {
		return s.create(rq, user, clientIP, access == AccessLimited)
	}
	switch rq.action {
	case actionCommand, actionSend, actionReceive, actionSignal, actionDelete:
	default:
		return s.fault(faultActionNotSupported(), rq.messageID)
	}
	sh, f := s.beginShellOp(rq, user)
	if f != nil {
		return s.fault(f, rq.messageID)
	}
	defer s.endShellOp(sh)
	switch rq.action {
	case actionCommand:
		return s.command(rq, sh)
	case actionSend:
		return s.send(ctx, rq, sh, timeout)
	case actionReceive:
		return s.receive(ctx, rq, sh, timeout, maxEnv)
	case actionSignal:
		return s.signal(rq, sh)
	default:
		return s.deleteShell(rq, sh)
	}
}

func (s *Service) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// fault renders f as the answer to the request with that MessageID and
// counts it.
func (s *Service) fault(f *fault, relatesTo string) Response {
	s.faultMu.Lock()
	s.faults[f.statsKey()]++
	s.faultMu.Unlock()
	return Response{Status: http.StatusInternalServerError, Body: f.render(s.newID(), relatesTo, s.cfg.MachineName)}
}

// ok wraps a response body in the envelope for action.
func (s *Service) ok(nsSet, action string, rq *request, body string) Response {
	var b strings.Builder
	b.Grow(768 + len(body))
	writeHead(&b, nsSet, action, s.newID(), rq.messageID, true)
	b.WriteString(body)
	b.WriteString(tail)
	return Response{Status: http.StatusOK, Body: []byte(b.String())}
}

// beginShellOp finds the shell a request addresses and marks it busy (a
// shell with a request in progress is never idle).
func (s *Service) beginShellOp(rq *request, user string) (*shell, *fault) {
	id, ok := rq.selector("ShellId")
	if !ok {
		return nil, faultNeedShellID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shells[strings.ToUpper(id)]
	if sh == nil || sh.userKey != userKey(user) {
		return nil, faultShellNotFound(id)
	}
	sh.inflight++
	sh.last = s.now()
	return sh, nil
}

func (s *Service) endShellOp(sh *shell) {
	s.mu.Lock()
	sh.inflight--
	sh.last = s.now()
	s.mu.Unlock()
}

// userKey identifies a user for quotas and shell ownership; Windows account
// names are case-insensitive.
func userKey(user string) string { return strings.ToLower(user) }

// removeShellLocked deletes a shell and cancels its commands. s.mu must be
// held.
func (s *Service) removeShellLocked(sh *shell) {
	if s.shells[sh.id] == sh {
		delete(s.shells, sh.id)
	}
	// Commands first: cancelling the shell cancels their contexts, and a
	// Receive waiting on one must see it removed, not the exit the
	// cancellation makes the Backend report.
	for id, c := range sh.commands {
		c.remove()
		delete(sh.commands, id)
	}
	sh.cancel()
}

// shellGoneLocked reports whether sh was deleted. s.mu must be held.
func (s *Service) shellGoneLocked(sh *shell) bool { return s.shells[sh.id] != sh }

// sweepIdle deletes shells that had no traffic for their idle timeout.
func (s *Service) sweepIdle() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sh := range s.shells {
		if sh.inflight == 0 && now.Sub(sh.last) >= sh.idle {
			s.removeShellLocked(sh)
		}
	}
}

func (s *Service) janitor(period time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.root.Done():
			return
		case <-t.C:
			s.sweepIdle()
		}
	}
}

// Reset simulates a restart of the WinRM service: every shell and running
// command vanishes (the commands' contexts are cancelled) and later requests
// on old shell ids get the shell-not-found fault. Quotas are free again.
func (s *Service) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sh := range s.shells {
		s.removeShellLocked(sh)
	}
}

// Close resets the service, stops its idle timer and waits until every
// goroutine it started (including running Backend.Exec calls, which must
// return once their context is done) has finished. Requests handled after
// Close get an a:EndpointUnavailable fault. Close is idempotent.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.Reset()
	s.stop()
	s.wg.Wait()
}

// Stats returns a snapshot of the counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	open := int64(len(s.shells))
	s.mu.Unlock()
	s.faultMu.Lock()
	faults := make(map[string]int64, len(s.faults))
	for k, v := range s.faults {
		faults[k] = v
	}
	s.faultMu.Unlock()
	return Stats{
		ShellsCreated: s.created.Load(),
		ShellsOpen:    open,
		Operations:    s.ops.Load(),
		Faults:        faults,
	}
}
