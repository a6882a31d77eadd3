package remote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// Session is one host's WinRM session for one run: one keep-alive
// connection (re-dialled only when the host or the network drops it) and
// one cmd shell that runs every command. Make it with [Open]; [Session.Close]
// deletes the shell and closes the connection.
//
// Run calls are serialised: a Session is meant for the one goroutine that
// works on its host. Close and Stats are safe from any goroutine; Close
// interrupts a Run in progress.
type Session struct {
	host   string
	opts   Options
	log    *slog.Logger
	tr     *transport
	client *winrm.Client // masterzen's client over tr; its Parameters feed the SOAP builders
	url    string

	abort  context.Context // cancelled by Close to interrupt a Run
	cancel context.CancelFunc
	trace  *ShellTrace // from Open's context; nil: none

	// mu is held for a whole Run and by Close; it guards the fields below.
	mu       sync.Mutex
	shellID  string
	commands int // commands started on the current shell
	closed   bool

	shells, started, retries, polls atomic.Int64
}

// Stats counts what a session did.
type Stats struct {
	// Connections is the number of TCP connections opened: 1 unless the
	// host or the network dropped one.
	Connections int64
	// Requests counts SOAP messages sent (NTLM handshake legs excluded).
	Requests int64
	// Shells counts shells created; Commands counts commands started.
	Shells, Commands int64
	// Retries counts waits before another try after a connection setup
	// failure, a quota fault or an HTTP 503.
	Retries int64
	// Polls counts Receive long polls the host ended with TimedOut.
	Polls int64
}

// Open connects to the host, authenticates and creates the shell, retrying
// connection setup failures and quota faults with backoff (Options.Retry)
// while ctx allows. Every error is an [*Error]. The caller must Close the
// session it gets. A [ShellTrace] in ctx ([WithShellTrace]) observes the
// session's shells for the session's whole life.
func Open(ctx context.Context, ep Endpoint, cred Credentials, opts Options) (*Session, error) {
	s, err := newSession(ep, cred, opts)
	if err != nil {
		return nil, err
	}
	s.trace = ContextShellTrace(ctx)
	s.mu.Lock()
	err = s.openShell(ctx)
	s.mu.Unlock()
	if err != nil {
		s.cancel()
		s.tr.close()
		return nil, err
	}
	return s, nil
}

// newSession checks the input and sets up the transport and masterzen's
// client; it sends nothing and creates no shell. The caller closes s.tr
// and calls s.cancel.
func newSession(ep Endpoint, cred Credentials, opts Options) (*Session, error) {
	host := ep.Address()
	config := func(err error) error { return &Error{Class: ClassConfig, Op: "open", Host: host, Err: err} }
	o, err := opts.withDefaults()
	if err != nil {
		return nil, config(err)
	}
	if err := ep.validate(); err != nil {
		return nil, config(err)
	}
	if cred.User == "" && ep.Auth != AuthKerberos && ep.Auth != AuthNegotiate {
		return nil, config(errors.New("no user name"))
	}
	ca := append([]byte(nil), ep.CAPEM...)
	if ep.CAFile != "" {
		b, err := os.ReadFile(ep.CAFile)
		if err != nil {
			return nil, config(fmt.Errorf("CA file: %w", err))
		}
		ca = append(append(ca, '\n'), b...)
	}
	tr, err := newTransport(ep, cred, o)
	if err != nil {
		var ae *authError
		if errors.As(err, &ae) {
			return nil, &Error{Class: ClassAuth, Op: "open", Host: host, Err: err}
		}
		return nil, config(err)
	}
	params := winrm.NewParameters(wsmanDuration(o.OperationTimeout), "en-US", o.EnvelopeSize)
	params.TransportDecorator = func() winrm.Transporter { return tr }
	wep := &winrm.Endpoint{
		Host: ep.Host, Port: ep.port(), HTTPS: ep.HTTPS,
		Insecure: ep.InsecureSkipVerify, TLSServerName: ep.TLSServerName, CACert: ca,
		Timeout: o.RequestTimeout,
	}
	// masterzen keeps the password it is given; the transport has its own
	// copy, so masterzen gets none.
	client, err := winrm.NewClientWithParameters(wep, cred.User, "", params)
	if err != nil {
		tr.close()
		return nil, config(err)
	}
	s := &Session{host: host, opts: o, log: o.Logger, tr: tr, client: client, url: ep.url()}
	s.abort, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Run runs one command in the session's shell and returns its output and
// exit code: Command, then Receive until the command is done (a Receive
// that the host ends with TimedOut is simply sent again). A command that
// ends in an error or is given up is stopped with Signal terminate. The
// shell is created again first if an earlier failure lost it, and once
// when the host refuses the Command because it no longer has the shell
// (it idled out, WinRM restarted).
//
// Every error is an [*Error]; with an error the Result holds what arrived
// before it. When ctx ends, or the connection fails, while the command may
// still run, Run stops the command and deletes the shell within
// Options.CloseTimeout, detached from ctx. A Command is never sent twice:
// only connection setup failures (before anything was sent), quota faults
// and the lost-shell fault (which the host answers instead of starting the
// command) are retried.
func (s *Session) Run(ctx context.Context, cmd Command) (Result, error) {
	if err := cmd.Validate(); err != nil {
		return Result{}, s.fail("run", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Result{}, s.fail("run", ErrClosed)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.abort, cancel)()

	start := time.Now()
	id, err := s.startCommand(ctx, cmd.Line)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = s.receive(ctx, id, &res)
	res.Duration = time.Since(start)
	if err != nil {
		s.abandon(ctx, id, err)
		return res, err
	}
	// The command is done and Windows has already dropped its id: a Signal
	// terminate now would only be answered, not needed (the operation
	// stays counted until the shell is deleted, Signal or not), so none
	// is sent. That is a third of the requests of a command.
	if cmd.CheckExit && res.ExitCode != 0 {
		return res, &Error{Class: ClassCommand, Op: "run", Host: s.host, Code: res.ExitCode, Err: &ExitError{res.ExitCode}}
	}
	return res, nil
}

// Close deletes the shell (within Options.CloseTimeout, also after errors),
// closes the connection and waits for the session's dials to end. A Run in
// progress is interrupted first. Close is idempotent; its error, an
// [*Error], only says that the Delete failed: the shell then stays on the
// host until its idle timeout.
func (s *Session) Close() error {
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.shellID != "" {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.CloseTimeout)
		err = s.deleteShell(ctx)
		cancel()
	}
	s.tr.close()
	return err
}

// Auth is the authentication the session uses: the endpoint's, or for
// [AuthNegotiate] the one it chose (AuthKerberos or AuthNTLM) once its
// first message went out; AuthNegotiate until then.
func (s *Session) Auth() Auth { return s.tr.method() }

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	return Stats{
		Connections: s.tr.connections.Load(),
		Requests:    s.tr.requests.Load(),
		Shells:      s.shells.Load(),
		Commands:    s.started.Load(),
		Retries:     s.retries.Load() + s.tr.busy.Load(),
		Polls:       s.polls.Load(),
	}
}

// openShell creates the shell. s.mu is held.
func (s *Session) openShell(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		env, err := s.call(ctx, "create", true, s.createRequest)
		if err == nil {
			id := env.shellID()
			if id == "" {
				return s.fail("create", ErrEmptyShellID)
			}
			s.shellID, s.commands = id, 0
			s.shells.Add(1)
			s.trace.created(s.host, id)
			return nil
		}
		if f := faultOf(err); f != nil && f.Quota() && attempt < s.opts.Retry.Attempts {
			// The host is at its shell quota: wait for shells to close
			// rather than fail the host at once.
			if err := s.backoff(ctx, "create", attempt, err); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// startCommand sends Command and returns the command id. s.mu is held.
func (s *Session) startCommand(ctx context.Context, line string) (string, error) {
	recycled := false
	for attempt := 1; ; attempt++ {
		if s.shellID != "" && s.opts.MaxCommandsPerShell > 0 && s.commands >= s.opts.MaxCommandsPerShell {
			if err := s.deleteShell(ctx); err != nil {
				s.log.Debug("winrm shell recycle: delete failed", "host", s.host, "err", err)
			}
		}
		if s.shellID == "" {
			if err := s.openShell(ctx); err != nil {
				return "", err
			}
		}
		shell := s.shellID
		env, err := s.call(ctx, "command", true, func() *soap.SoapMessage {
			return winrm.NewExecuteCommandRequest(s.url, shell, line, nil, &s.client.Parameters)
		})
		if err == nil {
			id := env.commandID()
			if id == "" {
				return "", s.fail("command", protof("CommandResponse without a command id (action %q)", env.Header.Action))
			}
			s.commands++
			s.started.Add(1)
			return id, nil
		}
		f := faultOf(err)
		switch {
		case f != nil && f.Code == CodeQuotaOperations && s.commands > 0 && !recycled:
			// This shell's own commands hold the operations quota until
			// it is deleted (Server 2008 R2 allows 15). The host refused
			// the Command, so it did not run: start a new shell.
			recycled = true
			s.log.Debug("winrm operations quota: new shell", "host", s.host, "commands", s.commands)
			if err := s.deleteShell(ctx); err != nil {
				s.log.Debug("winrm shell recycle: delete failed", "host", s.host, "err", err)
			}
			continue
		case f != nil && f.Quota() && attempt < s.opts.Retry.Attempts:
			if err := s.backoff(ctx, "command", attempt, err); err != nil {
				return "", err
			}
			continue
		case f != nil && f.shellLost() && !recycled:
			// The shell is gone (it idled out, WinRM restarted): the host
			// refused the Command, so it did not run. Start a new shell.
			recycled = true
			s.log.Debug("winrm shell lost: new shell", "host", s.host)
			s.forgetShell()
			continue
		case f != nil && f.shellLost():
			s.forgetShell()
			return "", s.fail("command", fmt.Errorf("%w: %w", ErrShellLost, f))
		}
		return "", err
	}
}

// receive polls for output until the command is done. s.mu is held.
func (s *Session) receive(ctx context.Context, id string, res *Result) error {
	out := receiveOutput{}
	quick := 0
	for {
		start := time.Now()
		shell := s.shellID
		env, err := s.call(ctx, "receive", true, func() *soap.SoapMessage {
			return winrm.NewGetOutputRequest(s.url, shell, id, "stdout stderr", &s.client.Parameters)
		})
		progress := false
		if err != nil {
			f := faultOf(err)
			switch {
			case f != nil && f.TimedOut():
				// The long poll ended without output: poll again.
				s.polls.Add(1)
			case f != nil && f.commandLost():
				return s.fail("receive", fmt.Errorf("%w: %w", ErrCommandLost, f))
			case f != nil && f.shellLost():
				s.forgetShell()
				return s.fail("receive", fmt.Errorf("%w: %w", ErrShellLost, f))
			default:
				return err
			}
		} else {
			before := len(out.stdout) + len(out.stderr)
			err := env.receive(id, &out)
			res.Stdout, res.Stderr = out.stdout, out.stderr
			if err != nil {
				return s.fail("receive", err)
			}
			if n := int64(len(out.stdout) + len(out.stderr)); n > s.opts.MaxOutputBytes {
				res.Stdout = out.stdout[:min(int64(len(out.stdout)), s.opts.MaxOutputBytes)]
				res.Stderr = out.stderr[:s.opts.MaxOutputBytes-int64(len(res.Stdout))]
				return s.fail("receive", fmt.Errorf("%w: more than %d bytes", ErrOutputLimit, s.opts.MaxOutputBytes))
			}
			if out.done {
				res.ExitCode = out.exitCode
				return nil
			}
			progress = len(out.stdout)+len(out.stderr) > before
		}
		// A host that answers at once without output, again and again,
		// must not make this a busy loop (masterzen spins on a lost shell).
		if !progress && time.Since(start) < s.opts.OperationTimeout/4 {
			quick++
			if err := sleep(ctx, min(5*time.Millisecond<<min(quick, 8), time.Second)); err != nil {
				return s.fail("receive", err)
			}
		} else {
			quick = 0
		}
	}
}

// abandon stops a command that failed or was given up while it may still
// run: Signal terminate, then (unless the shell is known to be fine)
// Delete, detached from ctx within CloseTimeout. s.mu is held.
func (s *Session) abandon(ctx context.Context, id string, cause error) {
	if s.shellID == "" {
		return // the shell is gone, and the command with it
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.CloseTimeout)
	defer cancel()
	if _, err := s.call(cctx, "signal", false, s.signalRequest(id)); err != nil {
		s.log.Debug("winrm signal failed", "host", s.host, "err", err)
	}
	if errors.Is(cause, ErrOutputLimit) || errors.Is(cause, ErrCommandLost) {
		return // the shell itself is fine
	}
	if err := s.deleteShell(cctx); err != nil {
		s.log.Debug("winrm shell left on the host", "host", s.host, "err", err)
	}
}

// deleteShell deletes the shell, which releases its operations. The
// session forgets the shell whatever the answer. s.mu is held.
func (s *Session) deleteShell(ctx context.Context) error {
	id := s.shellID
	s.shellID, s.commands = "", 0
	if id == "" {
		return nil
	}
	_, err := s.deleteByID(ctx, id, false)
	s.trace.deleted(s.host, id, err)
	return err
}

// forgetShell drops a shell the host reported lost. s.mu is held.
func (s *Session) forgetShell() {
	id := s.shellID
	s.shellID, s.commands = "", 0
	if id != "" {
		s.trace.deleted(s.host, id, nil)
	}
}

// deleteByID sends Delete for a shell. gone reports that the host did
// not have it (then err is nil). retry allows connection setup retries.
func (s *Session) deleteByID(ctx context.Context, id string, retry bool) (gone bool, err error) {
	_, err = s.call(ctx, "delete", retry, func() *soap.SoapMessage {
		return winrm.NewDeleteShellRequest(s.url, id, &s.client.Parameters)
	})
	if f := faultOf(err); f != nil && f.shellLost() {
		return true, nil
	}
	return false, err
}

func (s *Session) signalRequest(id string) func() *soap.SoapMessage {
	shell := s.shellID
	return func() *soap.SoapMessage {
		return winrm.NewSignalRequest(s.url, shell, id, &s.client.Parameters)
	}
}

// call sends one message and parses the answer. With retry, connection
// setup failures (nothing was sent) are tried again with backoff. Each
// attempt has RequestTimeout as its deadline, within ctx's.
func (s *Session) call(ctx context.Context, op string, retry bool, build func() *soap.SoapMessage) (*envelope, error) {
	for attempt := 1; ; attempt++ {
		msg := build()
		body := []byte(msg.String())
		msg.Free()
		rctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
		raw, err := s.tr.roundTrip(rctx, body)
		expired := rctx.Err()
		cancel()
		if err == nil {
			env, perr := parseEnvelope(raw)
			switch {
			case perr != nil:
				err = perr
			case env.Body.Fault != nil:
				return nil, s.fail(op, env.Body.Fault.fault())
			default:
				return env, nil
			}
		}
		var he *HTTPError
		if expired != nil && faultOf(err) == nil && !errors.As(err, &he) && !errors.Is(err, expired) {
			// What broke when the deadline passed (a cut connection, a
			// half answer) is the deadline's doing.
			err = fmt.Errorf("%w: %w", expired, err)
		}
		if retry && retryableSetup(err) && attempt < s.opts.Retry.Attempts && ctx.Err() == nil {
			if err := s.backoff(ctx, op, attempt, s.fail(op, err)); err != nil {
				return nil, err
			}
			continue
		}
		return nil, s.fail(op, err)
	}
}

// backoff waits before attempt+1. It returns cause when the wait would
// not end before ctx's deadline, and a timeout error when ctx ends during
// it.
func (s *Session) backoff(ctx context.Context, op string, attempt int, cause error) error {
	d := s.opts.Retry.delay(attempt)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return cause
	}
	s.retries.Add(1)
	s.log.Debug("winrm retry", "host", s.host, "op", op, "attempt", attempt+1, "delay", d, "err", cause)
	if err := sleep(ctx, d); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// fail wraps err in an *Error unless it is one.
func (s *Session) fail(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Class: classify(err), Op: op, Host: s.host, Code: errorCode(err), Err: err}
}

func faultOf(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return nil
}

// delay is the wait before try attempt+1: BaseDelay doubled per attempt,
// capped at MaxDelay, of which a random half is jitter.
func (r Retry) delay(attempt int) time.Duration {
	d := r.BaseDelay
	for i := 1; i < attempt && d < r.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, r.MaxDelay)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
