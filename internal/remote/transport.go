package remote

// The HTTP side: fleetport's winrm.Transporter. Rules this file keeps:
//
//   - one http.Transport per host, MaxConnsPerHost 1, keep-alive, its own
//     dial, TLS, connect and response-header deadlines, no proxy, no
//     HTTP/2; masterzen's encrypted transport shares http.DefaultTransport
//     and has no deadline at all;
//   - one request at a time (sem): NTLM's RC4 state runs on across the
//     messages of a connection, so sealing, sending, reading and
//     unsealing one exchange must finish before the next starts;
//   - NTLM authenticates each connection once, inside the dial, so that
//     every connection the pool hands out already has its security
//     context (ntlmConn.sess); bodies are sealed when the pool has chosen
//     the connection (GotConn), with that connection's context;
//   - every response body is read to the cap and no further, and HTTP 500
//     is parsed into a *Fault instead of being returned as a success.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/fleetport/fleetport/internal/gsswrap"
)

const (
	userAgent = "fleetport"
	soapType  = "application/soap+xml;charset=UTF-8"
)

// transport carries one host's WS-Man messages. It implements
// winrm.Transporter, so masterzen's Client can use it too (see Post).
type transport struct {
	ep     Endpoint
	url    string
	user   string // as given, for Basic and Kerberos
	ntUser string // user and domain split for NTLM
	domain string
	pass   secret
	opts   Options
	seal   bool
	krb    *kerberosAuth
	// auth is the Auth in use: the endpoint's, or for AuthNegotiate the
	// one negotiate chose (until then AuthNegotiate). fallback says why
	// a negotiating session did not use Kerberos.
	auth     atomic.Int32
	fallback string

	tlsConf *tls.Config
	dialer  net.Dialer
	ht      *http.Transport

	life context.Context // ends at close; aborts dials and handshakes
	stop context.CancelFunc
	sem  chan struct{} // one exchange at a time

	// mu guards conns and closed. dials counts dials in progress; Add
	// happens under mu while !closed.
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
	dials  sync.WaitGroup

	requests, connections atomic.Int64
	// busy counts the waits after an HTTP 503 (the host's request queue
	// was full).
	busy atomic.Int64
}

var _ winrm.Transporter = (*transport)(nil)

func newTransport(ep Endpoint, cred Credentials, opts Options) (*transport, error) {
	t := &transport{
		ep:     ep,
		url:    ep.url(),
		user:   cred.User,
		pass:   newSecret(cred.Password),
		opts:   opts,
		seal:   ep.sealed(),
		dialer: net.Dialer{KeepAlive: 30 * time.Second},
		sem:    make(chan struct{}, 1),
		conns:  map[*trackedConn]struct{}{},
	}
	t.ntUser, t.domain = splitUser(cred.User)
	t.life, t.stop = context.WithCancel(context.Background())
	t.auth.Store(int32(ep.Auth))
	if ep.Auth == AuthKerberos {
		k, err := newKerberos(ep, cred.User, t.pass, opts.Kerberos)
		if err != nil {
			return nil, err
		}
		t.krb = k
	}
	return t, nil
}

// Transport configures TLS and the HTTP transport from masterzen's
// endpoint: CACert, Insecure, TLSServerName, and Timeout as the response
// header deadline. masterzen's NewClientWithParameters calls it.
func (t *transport) Transport(wep *winrm.Endpoint) error {
	if wep.HTTPS {
		cfg := &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ServerName:         wep.TLSServerName,
			InsecureSkipVerify: wep.Insecure, //nolint:gosec // the caller's explicit opt-in
		}
		if cfg.ServerName == "" {
			cfg.ServerName = wep.Host
		}
		if len(wep.CACert) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(wep.CACert) {
				return errors.New("no PEM certificate in the CA data")
			}
			cfg.RootCAs = pool
		}
		t.tlsConf = cfg
	}
	t.ht = &http.Transport{
		Proxy:                  nil, // NTLM binds to the TCP connection; a proxy would break it
		DialContext:            t.dialConn,
		DialTLSContext:         t.dialConn,
		MaxConnsPerHost:        1,
		MaxIdleConns:           1,
		MaxIdleConnsPerHost:    1,
		IdleConnTimeout:        t.opts.IdleTimeout,
		ResponseHeaderTimeout:  wep.Timeout,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
		TLSNextProto:           map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	return nil
}

// Post sends one message for masterzen's Client, with RequestTimeout as
// its deadline. Unlike masterzen's transports it returns every SOAP fault
// as a *Fault error; the TimedOut fault's text names OperationTimeout, so
// masterzen's Receive loop polls again instead of spinning on faults.
func (t *transport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	ctx, cancel := context.WithTimeout(t.life, t.opts.RequestTimeout)
	defer cancel()
	b, err := t.roundTrip(ctx, []byte(msg.String()))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// roundTrip sends one SOAP message and returns the SOAP answer of an HTTP
// 200. HTTP 500 becomes a *Fault (or a protocol error when it holds
// none), other statuses an *HTTPError.
func (t *transport) roundTrip(ctx context.Context, msg []byte) ([]byte, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()
	if err := t.negotiate(ctx); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		body, status, conn, err := t.exchange(ctx, msg)
		if err != nil {
			if attempt == 0 && unsent(err) && ctx.Err() == nil {
				// The kept connection was dead (the host closed it
				// while it was idle) and the request could not be
				// written: the host cannot have acted on it. Send it
				// on a new connection.
				continue
			}
			return nil, err
		}
		switch status {
		case http.StatusOK:
			return body, nil
		case http.StatusInternalServerError:
			f, err := parseFault(body)
			if err != nil {
				return nil, err
			}
			return nil, f
		case http.StatusUnauthorized:
			if conn != nil && attempt == 0 {
				// The host dropped this connection's NTLM context and
				// refused the request unread: authenticate a new
				// connection and send it again.
				conn.Close()
				continue
			}
			return nil, &HTTPError{Status: status, Detail: "credentials refused"}
		case http.StatusServiceUnavailable:
			// http.sys answers 503 without passing the request on when
			// its queue is full (or something in between is saturated):
			// nothing was done, so it is sent again after a wait, on a new
			// connection: the request was sealed with this connection's
			// security context, which the host never advanced.
			if conn != nil {
				conn.Close()
			}
			if attempt+1 < t.opts.Retry.Attempts {
				d := t.opts.Retry.delay(attempt + 1)
				if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > d {
					t.busy.Add(1)
					if err := sleep(ctx, d); err != nil {
						return nil, err
					}
					continue
				}
			}
			return nil, &HTTPError{Status: status, Detail: "the host is busy (its request queue is full)"}
		case http.StatusBadRequest:
			if conn != nil {
				conn.Close() // the security context may be out of step
			}
			return nil, &HTTPError{Status: status, Detail: "the host could not read the request"}
		case http.StatusRequestEntityTooLarge:
			return nil, &HTTPError{Status: status, Detail: "request larger than the host's MaxEnvelopeSizekb"}
		default:
			return nil, &HTTPError{Status: status}
		}
	}
}

// exchangeState follows one request through the pool: which connection it
// got, which connection's context sealed its body, and whether it was
// written.
type exchangeState struct {
	plain      []byte
	conn       atomic.Pointer[ntlmConn]
	sealedWith atomic.Pointer[ntlmConn]
	wrote      chan struct{}
	wroteOnce  sync.Once
}

func (st *exchangeState) gotConn(info httptrace.GotConnInfo) {
	c, _ := info.Conn.(*ntlmConn)
	st.conn.Store(c)
}

func (st *exchangeState) wroteRequest(httptrace.WroteRequestInfo) {
	st.wroteOnce.Do(func() { close(st.wrote) })
}

// waitWritten waits (briefly) until the transport's writer has finished
// with the request. net/http keeps a connection after a response only if
// its writer reports the write within 50 ms of the body's end
// (maxWriteWaitBeforeConnReuse); on a loaded machine, with an answer that
// comes back at once, a writer goroutine that has not run yet makes it
// drop a healthy connection, and NTLM then needs a new one. Reading the
// body only after the write is reported closes that window.
func (st *exchangeState) waitWritten(ctx context.Context) {
	select {
	case <-st.wrote:
		return
	default:
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-st.wrote:
	case <-t.C:
	case <-ctx.Done():
	}
}

// exchange does one HTTP request. It returns the (unsealed) body, the
// status and, for NTLM, the connection that carried it.
func (t *transport) exchange(ctx context.Context, msg []byte) ([]byte, int, *ntlmConn, error) {
	st := &exchangeState{plain: msg, wrote: make(chan struct{})}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: st.gotConn, WroteRequest: st.wroteRequest})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	if t.seal {
		req.Header.Set("Content-Type", encryptedContentType)
		sig := sigLen
		if t.method() == AuthKerberos {
			sig = gsswrap.HeaderLen
		}
		req.ContentLength = sealedLen(len(msg), sig)
		req.GetBody = func() (io.ReadCloser, error) { return &sealedBody{st: st}, nil }
	} else {
		req.Header.Set("Content-Type", soapType)
		req.ContentLength = int64(len(msg))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(msg)), nil }
	}
	req.Body, _ = req.GetBody()
	switch t.ep.Auth {
	case AuthBasic:
		req.SetBasicAuth(t.user, t.pass.get())
	}
	t.requests.Add(1)
	resp, err := t.ht.RoundTrip(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	st.waitWritten(ctx)
	conn := st.conn.Load()
	limit := t.opts.MaxResponseBytes
	if t.seal {
		limit += sealSlack
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, nil, err
	}
	if int64(len(data)) > limit {
		// Closing the body unread closes the connection too.
		return nil, 0, nil, fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, limit)
	}
	ct := resp.Header.Get("Content-Type")
	switch {
	case len(data) == 0:
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusInternalServerError {
			return nil, 0, nil, protof("HTTP %d without a body", resp.StatusCode)
		}
	case isEncrypted(ct):
		c := st.sealedWith.Load()
		if !t.seal || c == nil {
			return nil, 0, nil, protof("encrypted answer to a request sent in clear text")
		}
		plain, err := c.unseal(data)
		if err != nil {
			c.Close() // the RC4 state is lost; start over on a new connection
			return nil, 0, nil, protof("cannot decrypt the answer: %v", err)
		}
		data = plain
	case resp.StatusCode == http.StatusServiceUnavailable:
		// http.sys's own page, before any session: roundTrip waits and
		// sends the request again.
		return nil, resp.StatusCode, conn, nil
	case t.seal:
		return nil, 0, nil, fmt.Errorf("%w: HTTP %d answer in clear text", ErrNotEncrypted, resp.StatusCode)
	case !soapContentType(ct):
		return nil, 0, nil, protof("HTTP %d answer with content type %q", resp.StatusCode, ct)
	}
	return data, resp.StatusCode, conn, nil
}

// dialConn opens a connection for the pool: TCP, TLS for https, and the
// NTLM handshake for NTLM, all within ConnectTimeout and aborted by close.
// net/http dials detached from the request's context, so the bounds here
// are what keeps a dial to a hung host from outliving the session.
func (t *transport) dialConn(ctx context.Context, _, addr string) (net.Conn, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, &setupError{"dial", ErrClosed}
	}
	t.dials.Add(1)
	t.mu.Unlock()
	defer t.dials.Done()

	if t.ep.Auth == AuthKerberos {
		// The service ticket first, outside ConnectTimeout: a run's
		// sessions queue for the KDC (kdcSlots) and the KDC answers one by
		// one, which says nothing about this host. Within RequestTimeout.
		kctx, kcancel := context.WithTimeout(ctx, t.opts.RequestTimeout)
		stop := context.AfterFunc(t.life, kcancel)
		_, _, err := t.krb.serviceTicket(kctx)
		stop()
		kcancel()
		if err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, t.opts.ConnectTimeout)
	defer cancel()
	defer context.AfterFunc(t.life, cancel)()

	raw, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &setupError{"dial", err}
	}
	t.connections.Add(1)
	tc := &trackedConn{Conn: raw, t: t}
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.mu.Unlock()

	var c net.Conn = tc
	var state *tls.ConnectionState
	if t.ep.HTTPS {
		tlsConn := tls.Client(tc, t.tlsConf)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			tc.Close()
			return nil, &setupError{"tls", err}
		}
		cs := tlsConn.ConnectionState()
		state, c = &cs, tlsConn
	}
	nc := &ntlmConn{Conn: c}
	switch t.method() {
	case AuthNTLM:
		err = t.ntlmHandshake(ctx, nc, state)
		var ae *authError
		if t.fallback != "" && errors.As(err, &ae) {
			err = &authError{ae.detail + "; negotiate used NTLM because Kerberos could not be used: " + t.fallback}
		}
	case AuthKerberos:
		err = t.kerberosHandshake(ctx, nc, state)
	default:
		return c, nil
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return nc, nil
}

// close ends the transport: dials and handshakes in progress are aborted
// and waited for, and every connection is closed.
func (t *transport) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	t.mu.Unlock()
	t.stop()
	t.dials.Wait()
	if t.ht != nil {
		t.ht.CloseIdleConnections()
	}
	t.mu.Lock()
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	if t.krb != nil {
		t.krb.close()
	}
}

// trackedConn is a TCP connection the transport opened; close closes the
// ones the pool still holds.
type trackedConn struct {
	net.Conn
	t    *transport
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// unsent reports a request that failed while it was being written on a
// connection that was already open, or that net/http found closed by the
// host while idle ("server closed idle connection", an unexported error
// matched by its text): a host acts only on a whole request, so it did
// nothing. Failures while opening a connection are setupErrors and
// retried with backoff by the session.
func unsent(err error) bool {
	var (
		se *setupError
		op *net.OpError
	)
	if errors.As(err, &se) {
		return false
	}
	return errors.As(err, &op) && op.Op == "write" || strings.Contains(err.Error(), "server closed idle connection")
}

func isEncrypted(ct string) bool {
	return strings.Contains(ct, `protocol="application/HTTP-SPNEGO-session-encrypted"`) ||
		strings.Contains(ct, `protocol="application/HTTP-Kerberos-session-encrypted"`)
}
