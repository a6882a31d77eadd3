package winhost

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Host is one simulated Windows host. Make it with [New]; run commands
// with [Host.Exec]; it is safe for concurrent use.
//
// # Locks
//
// mu guards every mutable field below it. It is held only for short state
// reads and changes, never while a command sleeps (a service step, a
// prompt waiting for input) and never while OnReachability runs: state
// changes that alter reachability queue an event under mu, and the
// goroutine that queued it delivers the queue after releasing mu (see
// deliver). There is no other lock, so there is no lock order to keep.
// Background work (scheduled tasks, the reboot timer, sc's asynchronous
// stops) goes through the same methods and is tracked by bg so that
// [Host.Close] can wait for it.
type Host struct {
	// Immutable after New.
	name, domain string
	os           OS
	info         *osInfo
	build        string
	locale       string
	oemCP        int
	text         *texts
	mgmt         netip.Addr
	ifaces       []Interface
	listeners    []Listener
	conns        []Connection
	svcDefs      []*serviceDef // the release's table, plus the spec's services
	noDefaults   bool
	noHTTPSys    bool
	sites        []Site // IIS's sites; nil on a host without IIS
	winrmHTTPS   bool
	zone         *time.Location
	opts         Options

	bg sync.WaitGroup

	mu sync.Mutex
	// power is on, down (rebooting) or off (shut down for good).
	power       powerState
	bootGen     int // bumps on every power cycle; stale timers check it
	bootTime    time.Time
	powerTimer  *time.Timer
	closed      bool
	reg         regOverlay
	svc         []svcRun
	listenNow   []listenEntry // the listen list in effect (read at HTTP start)
	dyn         [4]portRange  // tcp4, udp4, tcp6, udp6; in effect at once
	maxUserPort uint32        // in effect since boot (2003: the client port ceiling)
	timedWait   uint32        // TcpTimedWaitDelay in effect since boot, seconds
	piles       []Pile
	tasks       []*task
	metabase    map[mbKey]bool // IIS metabase properties set (DisableSocketPooling)
	starts      []int          // per service: starts by a command since New (not by a boot)
	reboots     int            // restarts of the machine since New
	audit       auditRing
	lastReach   bool
	events      []bool
	delivering  bool
}

type powerState uint8

const (
	powerOn powerState = iota
	powerDown
	powerOff
)

// portRange is a dynamic (client) port range.
type portRange struct{ start, num uint16 }

// listenEntry is one entry of the http.sys IP listen list; port 0 means
// every port.
type listenEntry struct {
	addr netip.Addr
	port uint16
}

func (e listenEntry) String() string {
	if e.port == 0 {
		return e.addr.String()
	}
	return netip.AddrPortFrom(e.addr, e.port).String()
}

// parseListenEntry reads "10.0.0.5", "10.0.0.5:80", "::", "[fe80::1]:80".
func parseListenEntry(s string) (listenEntry, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return listenEntry{addr: a.Unmap()}, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return listenEntry{addr: ap.Addr().Unmap(), port: ap.Port()}, true
	}
	return listenEntry{}, false
}

// New builds a host from its spec, powered on, with its automatic
// services running and the spec's listen list in effect.
func New(spec Spec, opts Options) (*Host, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	loc, _ := canonLocale(spec.Locale)
	h := &Host{
		name:       spec.Name,
		domain:     spec.Domain,
		os:         spec.OS,
		info:       spec.OS.info(),
		build:      spec.Build,
		locale:     loc,
		oemCP:      locales[loc],
		text:       textFor(loc),
		mgmt:       spec.Interfaces[0].Addrs[0],
		noDefaults: spec.NoDefaultSockets,
		noHTTPSys:  spec.NoHTTPSys,
		winrmHTTPS: spec.WinRMHTTPS,
		zone:       spec.TimeZone,
		opts:       opts,
		bootTime:   spec.BootTime,
	}
	if h.zone == nil {
		h.zone = time.UTC
	}
	if h.bootTime.IsZero() {
		h.bootTime = opts.Now()
	}
	h.bootTime = h.bootTime.Round(0)
	switch {
	case spec.WithoutIIS:
	case spec.Sites == nil:
		h.sites = defaultSites
	default:
		for _, st := range spec.Sites {
			h.sites = append(h.sites, Site{Name: st.Name, Bindings: append([]string(nil), st.Bindings...)})
		}
	}
	if h.build == "" {
		h.build = h.info.defaultBuild
	}
	for _, itf := range spec.Interfaces {
		h.ifaces = append(h.ifaces, Interface{Name: itf.Name, Addrs: append([]netip.Addr(nil), itf.Addrs...),
			Bits: append([]int(nil), itf.Bits...), Gateway: itf.Gateway})
	}
	h.listeners = append([]Listener(nil), spec.Listeners...)
	h.conns = append([]Connection(nil), spec.Connections...)
	h.svcDefs = hostServices(spec.OS, spec.WithoutIIS)
	if len(spec.Services) > 0 {
		h.svcDefs = append(append([]*serviceDef(nil), h.svcDefs...), specServices(spec.Services)...)
	}
	h.svc = make([]svcRun, len(h.svcDefs))
	h.starts = make([]int, len(h.svcDefs))
	for i := range h.svc {
		h.svc[i] = svcRun{state: stateStopped, exit: 1077}
	}
	for i := range h.dyn {
		h.dyn[i] = portRange{49152, 16384}
	}

	// Registry: the spec's values, then the listen list.
	rv := h.regView("")
	for _, v := range spec.Registry {
		p, _ := parseRegPath(v.Path)
		val, _ := parseRegData(v.Type, v.Data, `\0`)
		val.name = v.Name
		rv.set(p, val)
	}
	if len(spec.ListenOnlyList) > 0 {
		var list []string
		for _, a := range spec.ListenOnlyList {
			list = append(list, a.Unmap().String())
		}
		rv.set(keyHTTP, multiSZ("ListenOnlyList", list...))
	}
	if h.hasService("MSSQLSERVER") {
		rv.set(keyMSSQL, dword("LoginMode", 2))
	}
	for _, p := range spec.Piles {
		h.addPileLocked(p)
	}
	h.loadMetabase(spec.Metabase)

	h.mu.Lock()
	h.bootLocked()
	h.lastReach = h.reachableLocked(h.mgmt)
	h.events = nil
	h.mu.Unlock()
	return h, nil
}

// Close stops the host's timers and waits for its background work (tasks
// started by schtasks /run, asynchronous sc stops). The host stays usable
// for reads; no timer fires after Close.
func (h *Host) Close() {
	h.mu.Lock()
	h.closed = true
	if h.powerTimer != nil && h.powerTimer.Stop() {
		h.bg.Done()
	}
	h.powerTimer = nil
	for _, t := range h.tasks {
		h.stopTaskTimerLocked(t)
	}
	h.mu.Unlock()
	h.bg.Wait()
}

func (h *Host) now() time.Time { return h.opts.Now() }

// Name is the host's computer name.
func (h *Host) Name() string { return h.name }

// OS is the host's release.
func (h *Host) OS() OS { return h.os }

// ManagementAddr is the address fleetport reaches the host on.
func (h *Host) ManagementAddr() netip.Addr { return h.mgmt }

// Reachable reports whether WinRM answers on addr: the host is up, the
// HTTP and WinRM services run, and the listen list in effect is empty or
// holds addr (or 0.0.0.0 / :: for its family).
func (h *Host) Reachable(addr netip.Addr) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reachableLocked(addr)
}

func (h *Host) reachableLocked(addr netip.Addr) bool {
	if h.power != powerOn || !h.runningLocked("HTTP") || !h.runningLocked("WinRM") {
		return false
	}
	return h.listenAllowsLocked(addr.Unmap(), 5985)
}

// listenAllowsLocked: does http.sys listen on addr:port under the list in
// effect?
func (h *Host) listenAllowsLocked(addr netip.Addr, port uint16) bool {
	if len(h.listenNow) == 0 {
		return true
	}
	for _, e := range h.listenNow {
		if e.port != 0 && e.port != port {
			continue
		}
		if e.addr == addr || (e.addr.IsUnspecified() && e.addr.Is4() == addr.Is4()) {
			return h.hasAddr(addr)
		}
	}
	return false
}

// hasAddr: is a an address of the host (interfaces and loopback)?
func (h *Host) hasAddr(a netip.Addr) bool {
	if a.IsLoopback() && (a.Is6() || a == netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
		return true
	}
	for i, itf := range h.ifaces {
		for _, x := range itf.Addrs {
			if x.WithZone("") == a.WithZone("") {
				return true
			}
		}
		if a.Is6() && a.IsLinkLocalUnicast() && h.info.vistaStack && !h.hasLinkLocal(i) &&
			h.linkLocalFor(i).WithZone("") == a.WithZone("") {
			return true
		}
	}
	return false
}

// noteReachLocked queues a reachability event if the management address
// changed state. Call deliver after unlocking.
func (h *Host) noteReachLocked() {
	r := h.reachableLocked(h.mgmt)
	if r != h.lastReach {
		h.lastReach = r
		h.events = append(h.events, r)
	}
}

// deliver calls OnReachability for the queued events, in order, without
// holding mu. A goroutine that finds another one delivering leaves its
// events to it, which keeps them ordered.
func (h *Host) deliver() {
	h.mu.Lock()
	if h.delivering {
		h.mu.Unlock()
		return
	}
	h.delivering = true
	for len(h.events) > 0 {
		up := h.events[0]
		h.events = h.events[1:]
		cb := h.opts.OnReachability
		h.mu.Unlock()
		if cb != nil {
			cb(up)
		}
		h.mu.Lock()
	}
	h.delivering = false
	h.mu.Unlock()
}

// update runs f under mu, then delivers reachability events.
func (h *Host) update(f func()) {
	h.mu.Lock()
	f()
	h.noteReachLocked()
	h.mu.Unlock()
	h.deliver()
}

// ListenListConfigured is the http.sys listen list as configured
// (HTTP\Parameters\ListenOnlyList), in order; entries that are not
// addresses are left out.
func (h *Host) ListenListConfigured() []netip.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []netip.Addr
	for _, e := range h.listenConfiguredLocked() {
		out = append(out, e.addr)
	}
	return out
}

// ListenListInEffect is the listen list http.sys read when the HTTP
// service last started.
func (h *Host) ListenListInEffect() []netip.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []netip.Addr
	for _, e := range h.listenNow {
		out = append(out, e.addr)
	}
	return out
}

func (h *Host) listenConfiguredLocked() []listenEntry {
	v, ok := h.regView("").value(keyHTTP, "ListenOnlyList")
	if !ok || v.typ != regMultiSZ {
		return nil
	}
	var out []listenEntry
	for _, s := range v.multi {
		if e, ok := parseListenEntry(s); ok {
			out = append(out, e)
		}
	}
	return out
}

// RegistryValue returns a value as `reg query` shows it (Type is the
// reg.exe type name, Data the data column: 0x-hex for numbers, \0 between
// REG_MULTI_SZ strings, upper-case hex for binary). HKCU is the hive of
// the user "" (commands run with an empty Command.User).
func (h *Host) RegistryValue(path, name string) (RegValue, bool) {
	return h.RegistryValueForUser("", path, name)
}

// RegistryValueForUser is [Host.RegistryValue] with HKCU of user.
func (h *Host) RegistryValueForUser(user, path, name string) (RegValue, bool) {
	p, err := parseRegPath(path)
	if err != nil {
		return RegValue{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.regView(user).value(p, name)
	if !ok {
		return RegValue{}, false
	}
	return RegValue{Path: p, Name: v.name, Type: v.typ.String(), Data: v.display()}, true
}

// DynamicPortRange is the TCP/IPv4 client port range as configured: from
// 2008 on the netsh dynamic port range (which applies at once, so it is
// also the range in effect); on 2003 1025..MaxUserPort from the registry,
// which applies at the next boot.
func (h *Host) DynamicPortRange() (start, num int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.os == Server2003 {
		top := uint32(5000)
		if v, ok := h.regDWORDValue(keyTcpip, "MaxUserPort"); ok {
			top = clampMaxUserPort(v)
		}
		return 1025, int(top) - 1024
	}
	return int(h.dyn[0].start), int(h.dyn[0].num)
}

// DynamicPortRangeInEffect is the TCP/IPv4 client port range the stack
// uses now; the local ports of the piles fall in it.
func (h *Host) DynamicPortRangeInEffect() (start, num int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.clientRangeLocked(false)
	return int(r.start), int(r.num)
}

// MaxUserPortInEffect and TcpTimedWaitDelayInEffect are the values the
// TCP/IP stack read at the last boot (defaults 5000 and 240 when absent).
// From 2008 on MaxUserPort is read but has no effect on the port range.
func (h *Host) MaxUserPortInEffect() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int(h.maxUserPort)
}

// TcpTimedWaitDelayInEffect: see [Host.MaxUserPortInEffect].
func (h *Host) TcpTimedWaitDelayInEffect() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int(h.timedWait)
}

// clampMaxUserPort keeps MaxUserPort in its documented range 5000..65534
// (KB 196271): the stack uses the nearest bound for a value outside it.
func clampMaxUserPort(v uint32) uint32 {
	if v < 5000 {
		return 5000
	}
	if v > 65534 {
		return 65534
	}
	return v
}

// clientRangeLocked is the client port range in effect for the family.
func (h *Host) clientRangeLocked(v6 bool) portRange {
	if h.os == Server2003 {
		return portRange{1025, uint16(h.maxUserPort - 1024)}
	}
	if v6 {
		return h.dyn[2]
	}
	return h.dyn[0]
}

// ServiceState is sc.exe's word for the service's state (RUNNING,
// STOPPED, START_PENDING, STOP_PENDING), "" for an unknown service. The
// name is the key name or the display name, any case.
func (h *Host) ServiceState(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.findService(name)
	if i < 0 {
		return ""
	}
	return h.svc[i].state.String()
}

// Restarts is how many times the service (key or display name, any case)
// was started by a command since the host was built: net start, sc start,
// a scheduled task's line, or the start of a dependant that started it
// first. Starts at boot (at New and when a reboot brings the host back)
// do not count. A service must be stopped to be started, so this is the
// number of stop-and-start cycles completed by commands, a restart of HTTP
// with `net stop http /y` then `net start w3svc` counting one for HTTP and
// one for W3SVC (and none for WinRM until it is started again). 0 for an
// unknown service.
func (h *Host) Restarts(service string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.findService(service)
	if i < 0 {
		return 0
	}
	return h.starts[i]
}

// Reboots is how many times the machine was restarted since the host was
// built: shutdown /r (at once or when its /t delay ends) and
// [Host.Reboot], each counted when the host goes down. shutdown /s is not
// a reboot; the Reboot that brings such a host back is.
func (h *Host) Reboots() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reboots
}

// BootTime is when the host last started: Spec.BootTime (or the moment
// of New) until the first reboot, then the moment each reboot brought it
// back up. `wmic os get LastBootUpTime` prints it in the host's time zone,
// to the microsecond on 2003 and 2008 R2 and, from 2012 R2 on, as the
// second it falls in plus half a second (".500000"), as Windows 10 and
// later print it.
func (h *Host) BootTime() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bootTime
}

// Up reports whether the host is powered on (not rebooting or shut down).
func (h *Host) Up() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.power == powerOn
}

// AddPile adds connections toward a remote endpoint while the host runs.
// A pile with the same local address, remote endpoint and state grows.
func (h *Host) AddPile(p Pile) {
	if p.check() != nil {
		return
	}
	h.mu.Lock()
	h.addPileLocked(p)
	h.mu.Unlock()
}

func (h *Host) addPileLocked(p Pile) {
	if p.State == 0 {
		p.State = TimeWait
	}
	p.Local = p.Local.Unmap()
	for i := range h.piles {
		q := &h.piles[i]
		if q.Local == p.Local && q.Remote == p.Remote && q.State == p.State {
			q.Count += p.Count
			return
		}
	}
	h.piles = append(h.piles, p)
}

// RemovePiles removes every pile toward remote.
func (h *Host) RemovePiles(remote netip.AddrPort) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.piles[:0]
	for _, p := range h.piles {
		if p.Remote != remote {
			out = append(out, p)
		}
	}
	h.piles = out
}

// Piles returns the piles as the host keeps them (counts as added, before
// the cap at the size of the port range).
func (h *Host) Piles() []Pile {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Pile(nil), h.piles...)
}

// waitCtx sleeps d or until ctx is done; false when ctx ended first.
func waitCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleepStep waits one service step. Steps are not cut short by a
// command's ctx: like the Service Control Manager's work, a begun
// start or stop completes.
func sleepStep(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}
