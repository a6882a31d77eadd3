package endpoint

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetport/fleetport/internal/sim/ntlm"
	"github.com/fleetport/fleetport/internal/sim/wsman"
)

// Handler answers one authenticated, decrypted SOAP request. *wsman.Service
// is the real one.
type Handler interface {
	Handle(ctx context.Context, user, clientIP string, body []byte) wsman.Response
}

// Options configures an [Endpoint]. The zero value of a field means the
// Windows default where one exists.
type Options struct {
	// Name is the host name, used in log lines.
	Name string
	// Addr is the address both listeners bind.
	Addr netip.Addr
	// HTTPPort and HTTPSPort are the listener ports; 0 leaves that
	// transport off.
	HTTPPort, HTTPSPort int
	// TLS is the server configuration for HTTPSPort; required when it is set.
	TLS *tls.Config
	// Lookup returns the password of an account. User names compare
	// case-insensitively, as Windows compares them.
	Lookup func(user string) (password string, ok bool)
	// AllowBasic is WinRM's service/Auth/Basic.
	AllowBasic bool
	// AllowUnencrypted is WinRM's service/AllowUnencrypted: plain SOAP over
	// http, for Basic and for NTLM without sealing.
	AllowUnencrypted bool
	// Kerberos makes the host a domain member that accepts Kerberos;
	// nil means a workgroup host (NTLM and Basic only).
	Kerberos *Kerberos
	// RefuseNTLM is the policy "Restrict NTLM: Incoming NTLM traffic =
	// Deny all": NTLM logons are refused as bad credentials are.
	RefuseNTLM bool
	// Identity is what NTLM CHALLENGE messages say about the host.
	Identity Identity
	// MaxRequestBytes caps a request body before it is decrypted; larger
	// requests get 413 as http.sys sends it. Default 512000 plus framing.
	MaxRequestBytes int
	// Handler answers the SOAP requests.
	Handler Handler
	// Capacity, when set, is a bottleneck this endpoint shares with
	// others.
	Capacity *Capacity
	// Logger receives connection-level events; nil discards them.
	Logger *slog.Logger
}

// Identity names a host in NTLM terms.
type Identity struct {
	NbComputerName, NbDomainName, DnsComputerName, DnsDomainName string
}

// Faults are the misbehaviours injected into one endpoint. The zero value
// injects nothing.
type Faults struct {
	// Latency is added to every HTTP exchange (each request/response pair,
	// the NTLM legs included), plus a uniform random share of Jitter.
	Latency, Jitter time.Duration
	// Hang makes the host accept connections and read requests but never
	// answer, as a wedged WinRM service does.
	Hang bool
	// RejectAuth refuses every credential with 401.
	RejectAuth bool
}

// Ways a [Capacity] treats the requests beyond its threshold.
const (
	BeyondSlow    = "slow"    // each waits SlowPer for every request in flight above the threshold
	BeyondTimeout = "timeout" // never answered, as a saturated link drops them
	BeyondRefuse  = "refuse"  // HTTP 503, as http.sys answers when its queue is full
)

// Capacity is a bottleneck several endpoints share (a WAN link, a proxy, a
// jump host, a hypervisor's CPU): beyond Threshold requests in flight
// across them, requests are slowed, dropped or refused. It is safe for
// concurrent use.
type Capacity struct {
	Threshold int
	Beyond    string
	SlowPer   time.Duration

	inFlight, over, peak atomic.Int64
}

// CapacityStats are what a capacity saw.
type CapacityStats struct {
	// Over counts the requests that arrived beyond the threshold; Peak is
	// the most requests in flight at once.
	Over, Peak int64
}

// Stats returns the capacity's counters.
func (c *Capacity) Stats() CapacityStats {
	return CapacityStats{Over: c.over.Load(), Peak: c.peak.Load()}
}

// admit counts a request in and says how far beyond the threshold it is
// (0 when within); done counts it out.
func (c *Capacity) admit() (beyond int64, done func()) {
	n := c.inFlight.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	done = func() { c.inFlight.Add(-1) }
	if n > int64(c.Threshold) {
		c.over.Add(1)
		return n - int64(c.Threshold), done
	}
	return 0, done
}

// Stats are an endpoint's counters since it was made.
type Stats struct {
	ConnectionsAccepted int64 `json:"connections_accepted"`
	Requests            int64 `json:"requests"`
	Unauthorized        int64 `json:"unauthorized"`
	AuthFailures        int64 `json:"auth_failures"`
	KerberosLogons      int64 `json:"kerberos_logons,omitempty"`
}

// Endpoint serves one host's WinRM listeners. Make it with [New].
type Endpoint struct {
	opts   Options
	ntlm   *ntlm.Server
	faults atomic.Pointer[Faults]

	accepted, requests, unauthorized, authFailures, kerberosLogons atomic.Int64

	// mu guards the fields below. It is never held while a handler runs.
	mu      sync.Mutex
	servers []*http.Server
	down    chan struct{} // closed when the current up period ends
}

// ErrNoTLS is returned by [New] when HTTPS is asked for without a TLS
// configuration.
var ErrNoTLS = errors.New("endpoint: https port set without a TLS configuration")

// New makes an endpoint in the down state; call [Endpoint.SetUp] to listen.
func New(opts Options) (*Endpoint, error) {
	if opts.HTTPSPort != 0 && opts.TLS == nil {
		return nil, ErrNoTLS
	}
	if opts.Handler == nil || opts.Lookup == nil {
		return nil, errors.New("endpoint: Handler and Lookup are required")
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 512000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Endpoint{opts: opts}
	e.ntlm = &ntlm.Server{
		NbComputerName:  opts.Identity.NbComputerName,
		NbDomainName:    opts.Identity.NbDomainName,
		DnsComputerName: opts.Identity.DnsComputerName,
		DnsDomainName:   opts.Identity.DnsDomainName,
		Lookup: func(user, _ string) (string, bool) {
			// Clients send "user@realm" whole or split; the account is
			// the same.
			return opts.Lookup(accountName(user))
		},
	}
	e.faults.Store(&Faults{})
	return e, nil
}

// SetFaults replaces the injected faults; requests already waiting keep
// the faults they started with.
func (e *Endpoint) SetFaults(f Faults) { e.faults.Store(&f) }

// Faults returns the injected faults.
func (e *Endpoint) Faults() Faults { return *e.faults.Load() }

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	return Stats{
		ConnectionsAccepted: e.accepted.Load(),
		Requests:            e.requests.Load(),
		Unauthorized:        e.unauthorized.Load(),
		AuthFailures:        e.authFailures.Load(),
		KerberosLogons:      e.kerberosLogons.Load(),
	}
}

// Up reports whether the listeners are open.
func (e *Endpoint) Up() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.servers != nil
}

// SetUp opens the listeners. It is a no-op when they are open already.
func (e *Endpoint) SetUp() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.servers != nil {
		return nil
	}
	down := make(chan struct{})
	var servers []*http.Server
	for _, l := range []struct {
		port int
		tls  *tls.Config
	}{{e.opts.HTTPPort, nil}, {e.opts.HTTPSPort, e.opts.TLS}} {
		if l.port == 0 {
			continue
		}
		addr := netip.AddrPortFrom(e.opts.Addr, uint16(l.port)).String()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			close(down)
			return fmt.Errorf("host %s: listen on %s: %w", e.opts.Name, addr, err)
		}
		ln = &countingListener{Listener: ln, n: &e.accepted}
		if l.tls != nil {
			ln = tls.NewListener(ln, l.tls)
		}
		srv := e.newServer(down)
		servers = append(servers, srv)
		go srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on SetDown.
	}
	e.servers = servers
	e.down = down
	return nil
}

// SetDown closes the listeners and cuts every open connection, including
// requests in progress. It is a no-op when the endpoint is down.
func (e *Endpoint) SetDown() {
	e.mu.Lock()
	servers, down := e.servers, e.down
	e.servers, e.down = nil, nil
	e.mu.Unlock()
	if servers == nil {
		return
	}
	for _, s := range servers {
		// Close, not Shutdown: a host that loses WinRM does not drain
		// its connections politely.
		s.Close()
	}
	close(down)
}

func (e *Endpoint) newServer(down <-chan struct{}) *http.Server {
	return &http.Server{
		Handler: &handler{e: e, down: down},
		// http.sys drops idle connections after 120 s; clients rely on
		// keep-alive for NTLM, so do not close sooner.
		IdleTimeout:       120 * time.Second,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connState{})
		},
		ErrorLog: slog.NewLogLogger(e.opts.Logger.Handler(), slog.LevelDebug),
	}
}

// countingListener counts accepted connections, the figure benchmarks use to
// check that a client keeps one connection per host.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// delay sleeps for the injected latency, or until ctx ends.
func delay(ctx context.Context, f *Faults) {
	d := f.Latency
	if f.Jitter > 0 {
		d += rand.N(f.Jitter)
	}
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
