package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/endpoint"
	"github.com/fleetport/fleetport/internal/sim/winhost"
	"github.com/fleetport/fleetport/internal/sim/wsman"
)

// Options configures a [Fleet].
type Options struct {
	Scenario Scenario
	// Dir keeps the CA across runs (ca.pem, ca-key.pem). Empty: the CA
	// lives in memory only and CAFile is empty.
	Dir string
	// Accounts are the users every host accepts, user name → password.
	// Empty: the demo pair.
	Accounts map[string]string
	Logger   *slog.Logger
	// Now is the clock of the host models; nil = time.Now.
	Now func() time.Time
	// Domain, when set, makes every host a member of that Active
	// Directory domain, as Add-Computer does: [New] creates each host's
	// computer account over LDAPS and the hosts accept Kerberos. The
	// hosts' DNS suffix becomes the realm's DNS name.
	Domain *adjoin.Directory
}

// Fleet is a set of simulated Windows hosts, each with its own WinRM
// listeners on its own loopback address. Make it with [New], then
// [Fleet.Start]; [Fleet.Close] ends it.
type Fleet struct {
	opts   Options
	ca     *CA
	caFile string
	hosts  []*Host
	byName map[string]*Host
	byAddr map[netip.Addr]*Host
	sql    netip.AddrPort // where the fleet's SQL clients connect
	start  time.Time      // when New built the fleet: the hosts' uptimes count back from it

	capacity *endpoint.Capacity // nil unless the scenario sets one

	// mu guards timers and started.
	mu      sync.Mutex
	timers  []*time.Timer
	started bool
}

// Host is one simulated Windows host: the Windows model, the WinRM shell
// service and the HTTP endpoint in front of them.
type Host struct {
	Plan     HostPlan
	Model    *winhost.Host
	Service  *wsman.Service
	Endpoint *endpoint.Endpoint

	fleet    *Fleet
	commands atomic.Int64
	garble   bool
	slowBy   time.Duration

	// syncMu serialises reachability changes, so that a burst of up/down
	// events ends in the model's latest state.
	syncMu  sync.Mutex
	refused bool // a refuse fault: never listen
}

// New builds the fleet's hosts without opening any listener.
func New(opts Options) (*Fleet, error) {
	plans, err := opts.Scenario.Plan()
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.Accounts) == 0 {
		opts.Accounts = map[string]string{DemoUser: DemoPassword}
	}
	accounts := make(map[string]string, len(opts.Accounts))
	for u, p := range opts.Accounts {
		accounts[strings.ToLower(u)] = p
	}
	lookup := func(user string) (string, bool) {
		p, ok := accounts[strings.ToLower(user)]
		return p, ok
	}

	f := &Fleet{opts: opts, byName: make(map[string]*Host, len(plans)), byAddr: make(map[netip.Addr]*Host, len(plans)), sql: sqlEndpoint(plans),
		start: opts.Now()}
	if c := opts.Scenario.Capacity; c != nil {
		switch c.Beyond {
		case endpoint.BeyondSlow, endpoint.BeyondTimeout, endpoint.BeyondRefuse:
		default:
			return nil, fmt.Errorf("capacity: beyond is %q, %q or %q, not %q", endpoint.BeyondSlow, endpoint.BeyondTimeout, endpoint.BeyondRefuse, c.Beyond)
		}
		if c.Threshold < 1 {
			return nil, fmt.Errorf("capacity: threshold %d is not a positive number of requests", c.Threshold)
		}
		f.capacity = &endpoint.Capacity{Threshold: c.Threshold, Beyond: c.Beyond, SlowPer: c.SlowPer}
	}
	if opts.Dir != "" {
		f.ca, err = LoadOrCreateCA(opts.Dir)
		f.caFile = opts.Dir + "/ca.pem"
	} else {
		f.ca, err = NewCA()
	}
	if err != nil {
		return nil, fmt.Errorf("simulator CA: %w", err)
	}
	tlsConf := f.ca.TLSConfig()
	sc := opts.Scenario
	var members map[string]*endpoint.Kerberos
	if opts.Domain == nil && sc.Join != nil {
		dir, err := sc.Join.Directory()
		if err != nil {
			return nil, fmt.Errorf("scenario: %w", err)
		}
		opts.Domain = &dir
	}
	if opts.Domain != nil {
		sc.Domain = strings.ToLower(opts.Domain.Realm)
		f.opts.Scenario.Domain = sc.Domain
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		members, err = joinDomain(ctx, *opts.Domain, plans, sc.Administrators, sc.RemoteManagementUsers)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	// Hosts are independent; their setup commands wait on simulated
	// service steps, so build them side by side.
	f.hosts = make([]*Host, len(plans))
	var g errgroup.Group
	g.SetLimit(64)
	for i, p := range plans {
		g.Go(func() error {
			h, err := f.newHost(p, sc, tlsConf, lookup, members[p.Name])
			if err != nil {
				return fmt.Errorf("host %s: %w", p.Name, err)
			}
			f.hosts[i] = h
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		f.hosts = slices.DeleteFunc(f.hosts, func(h *Host) bool { return h == nil })
		f.Close()
		return nil, err
	}
	for _, h := range f.hosts {
		f.byName[h.Plan.Name] = h
		f.byAddr[h.Plan.Addr] = h
		f.ca.register(h.Plan.Addr, h.Plan.FQDN(sc.Domain))
	}
	return f, nil
}

func (f *Fleet) newHost(p HostPlan, sc Scenario, tlsConf *tls.Config, lookup func(string) (string, bool), krb *endpoint.Kerberos) (*Host, error) {
	h := &Host{Plan: p, fleet: f, garble: p.Has(FaultGarble), slowBy: p.SlowBy, refused: p.Has(FaultRefuse)}
	spec, err := hostSpec(p, sc, f.sql, f.start)
	if err != nil {
		return nil, err
	}
	model, err := winhost.New(spec, winhost.Options{
		Now:              f.opts.Now,
		ServiceStepDelay: sc.ServiceStep,
		RebootDuration:   sc.RebootTime,
		OnReachability:   func(bool) { go h.sync() },
	})
	if err != nil {
		return nil, err
	}
	h.Model = model

	cfg := wsman.DefaultConfig()
	if p.OS == "2003" || p.OS == "2008r2" {
		cfg = wsman.Config2008R2()
	}
	if sc.MaxShellsPerUser > 0 {
		cfg.MaxShellsPerUser = sc.MaxShellsPerUser
	}
	cfg.MachineName = p.FQDN(sc.Domain)
	cfg.Address = fmt.Sprintf("http://%s:%d/wsman", p.Addr, sc.HTTPPort)
	cfg.Now = f.opts.Now
	h.Service = wsman.NewService(cfg, &backend{h: h})
	if p.Has(FaultQuota) {
		// Another tool leaked shells until the quota was spent, so
		// Create faults with Windows' quota fault.
		for user := range f.opts.Accounts {
			if err := leakShells(h.Service, user, cfg.MaxShellsPerUser); err != nil {
				return nil, err
			}
		}
	}

	h.Endpoint, err = endpoint.New(endpoint.Options{
		Name:             p.Name,
		Addr:             p.Addr,
		HTTPPort:         sc.HTTPPort,
		HTTPSPort:        sc.HTTPSPort,
		TLS:              tlsConf,
		Lookup:           lookup,
		AllowBasic:       sc.Basic,
		AllowUnencrypted: sc.AllowUnencrypted,
		Kerberos:         krb,
		RefuseNTLM:       p.Has(FaultNTLMRefused),
		Identity: endpoint.Identity{
			NbComputerName:  strings.ToUpper(p.Name),
			NbDomainName:    netbiosDomain(sc.Domain),
			DnsComputerName: p.FQDN(sc.Domain),
			DnsDomainName:   sc.Domain,
		},
		MaxRequestBytes: cfg.MaxEnvelopeSize,
		Handler:         h.Service,
		Logger:          f.opts.Logger,
		Capacity:        f.capacity,
	})
	if err != nil {
		return nil, err
	}
	h.Endpoint.SetFaults(endpoint.Faults{
		Latency:    p.Latency,
		Jitter:     p.Jitter,
		Hang:       p.Has(FaultHang),
		RejectAuth: p.Has(FaultAuth),
	})
	if err := applySetup(context.Background(), h); err != nil {
		return nil, err
	}
	return h, nil
}

// Start opens every reachable host's listeners and arms the scheduled
// reboots. It fails, closing what it opened, when a listener cannot be
// opened (the address or port is taken, or the process is out of file
// descriptors).
func (f *Fleet) Start() error {
	f.mu.Lock()
	if f.started {
		f.mu.Unlock()
		return errors.New("fleet already started")
	}
	f.started = true
	f.mu.Unlock()
	for _, h := range f.hosts {
		if err := h.sync(); err != nil {
			f.Close()
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, h := range f.hosts {
		if h.Plan.Has(FaultReboot) {
			f.timers = append(f.timers, time.AfterFunc(h.Plan.RebootAfter, h.Model.Reboot))
		}
	}
	return nil
}

// Close takes every host down and waits for their work to end.
func (f *Fleet) Close() {
	f.mu.Lock()
	for _, t := range f.timers {
		t.Stop()
	}
	f.timers = nil
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range f.hosts {
		wg.Go(func() {
			h.syncMu.Lock()
			h.refused = true // no later sync may reopen it
			h.syncMu.Unlock()
			h.Endpoint.SetDown()
			h.Service.Close()
			h.Model.Close()
		})
	}
	wg.Wait()
}

// Hosts returns the hosts in fleet order.
func (f *Fleet) Hosts() []*Host { return f.hosts }

// Host returns the host with that name, or nil.
func (f *Fleet) Host(name string) *Host { return f.byName[name] }

// HostByAddr returns the host with that management address, or nil.
func (f *Fleet) HostByAddr(a netip.Addr) *Host { return f.byAddr[a] }

// CAFile is the path of the CA certificate file, empty for an in-memory CA.
func (f *Fleet) CAFile() string { return f.caFile }

// CAPEM is the CA certificate.
func (f *Fleet) CAPEM() []byte { return f.ca.CertPEM() }

// Scenario is the scenario the fleet was built from.
func (f *Fleet) Scenario() Scenario { return f.opts.Scenario }

func (f *Fleet) now() time.Time { return f.opts.Now() }

// sync makes the listeners follow the model: open while WinRM is reachable
// on the management address, closed (with every connection cut and every
// shell gone) while it is not.
func (h *Host) sync() error {
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	if !h.refused && h.Model.Reachable(h.Plan.Addr) {
		return h.Endpoint.SetUp()
	}
	if h.Endpoint.Up() {
		h.Endpoint.SetDown()
		h.Service.Reset()
	}
	return nil
}

// leakShells opens n shells for user that nobody will close, through the
// service's own Create path.
func leakShells(svc *wsman.Service, user string, n int) error {
	for i := range n {
		body := fmt.Sprintf(leakedCreate, i)
		if resp := svc.Handle(context.Background(), strings.ToLower(user), "127.0.0.1", []byte(body)); resp.Status != 200 {
			return fmt.Errorf("open a leaked shell: status %d: %s", resp.Status, resp.Body)
		}
	}
	return nil
}

// leakedCreate is a Create request as pywinrm sends it.
const leakedCreate = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><env:Header><a:To>http://windows-host:5985/wsman</a:To><a:ReplyTo><a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>uuid:00000000-0000-4000-8000-%012d</a:MessageID><w:OperationTimeout>PT20S</w:OperationTimeout><a:Action mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI></env:Header><env:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></env:Body></env:Envelope>`

func netbiosDomain(dns string) string {
	label, _, _ := strings.Cut(dns, ".")
	if label == "" {
		return "WORKGROUP"
	}
	if len(label) > 15 {
		label = label[:15]
	}
	return strings.ToUpper(label)
}

// CapacityStats returns what the scenario's shared bottleneck saw; the zero
// value when it has none.
func (f *Fleet) CapacityStats() endpoint.CapacityStats {
	if f.capacity == nil {
		return endpoint.CapacityStats{}
	}
	return f.capacity.Stats()
}
