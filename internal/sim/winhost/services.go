package winhost

// The service model: a table of service definitions per release (shared by
// every host of the release), a state per service per host, and the
// dependency rules the Service Control Manager applies.
//
// Sources for the dependencies and names: windows-semantics.md section 2
// and windows-commands.md (W3SVC depends on WAS and HTTP; stopping HTTP
// stops every dependant); the captures of `net stop http` on Windows 10/11
// in code index ids 70154449997 and 38683268916 (dependants World Wide Web
// Publishing Service, SSDP Discovery, Print Spooler); a Windows 10
// `sc qc Spooler` showing DEPENDENCIES RPCSS and http (code index id
// 69440538689); the 2012 R2 `sc query` capture (code index id
// 46727831326) for display names, types and accepted controls. WinRM's
// dependency on HTTP is its documented one (it listens through
// http.sys). The 2003 IIS 6 chain (W3SVC needs IISADMIN and HTTP SSL, which
// needs HTTP) follows KB 813368 ("net start w3svc ... starts the HTTP SSL
// service and the HTTP service") [chosen: the exact 2003 dependency lists
// are not verified].

import (
	"slices"
	"strings"
	"sync"
)

type svcKind uint8

const (
	kindShare svcKind = iota
	kindOwn
	kindOwnInteractive
	kindDriver
)

// code is the service type as sc prints and the registry stores it.
func (k svcKind) code() uint32 {
	switch k {
	case kindOwn:
		return 0x10
	case kindOwnInteractive:
		return 0x110
	case kindDriver:
		return 0x1
	}
	return 0x20
}

// scType is sc's TYPE column, trailing blanks included (sc prints them).
func (k svcKind) scType() string {
	switch k {
	case kindOwn:
		return "10  WIN32_OWN_PROCESS  "
	case kindOwnInteractive:
		return "110  WIN32_OWN_PROCESS  (interactive)"
	case kindDriver:
		return "1  KERNEL_DRIVER  "
	}
	return "20  WIN32_SHARE_PROCESS  "
}

// serviceDef is a service of the model.
type serviceDef struct {
	name, display string
	deps          []string
	start         StartType
	kind          svcKind
	stoppable     bool
	pausable      bool
	shutdown      string // ACCEPTS_SHUTDOWN, IGNORES_SHUTDOWN, ACCEPTS_PRESHUTDOWN
	pid           uint32
	image         string
	listeners     []Listener
	// defaultSocks: the listeners are part of every server's socket table
	// (left out with Spec.NoDefaultSockets).
	defaultSocks bool
	stopped      bool // not running at boot although automatic
}

func (d *serviceDef) regStart() uint32 {
	if d.kind == kindDriver {
		return 3
	}
	switch d.start {
	case StartManual:
		return 3
	case StartDisabled:
		return 4
	}
	return 2
}

// controls is sc's line of accepted controls for a running service.
func (d *serviceDef) controls() string {
	s, p := "STOPPABLE", "NOT_PAUSABLE"
	if !d.stoppable {
		s = "NOT_STOPPABLE"
	}
	if d.pausable {
		p = "PAUSABLE"
	}
	return "(" + s + ", " + p + ", " + d.shutdown + ")"
}

type svcState uint8

const (
	stateStopped      svcState = 1
	stateStartPending svcState = 2
	stateStopPending  svcState = 3
	stateRunning      svcState = 4
)

func (s svcState) String() string {
	switch s {
	case stateStopped:
		return "STOPPED"
	case stateStartPending:
		return "START_PENDING"
	case stateStopPending:
		return "STOP_PENDING"
	case stateRunning:
		return "RUNNING"
	}
	return ""
}

// svcRun is a service's state on one host.
type svcRun struct {
	state svcState
	exit  uint16 // WIN32_EXIT_CODE: 1077 = never started since boot
	// poolOff: DisableSocketPooling was in effect when the service last
	// started (metabase services only).
	poolOff bool
}

var (
	svcTablesOnce [len(osTable)]sync.Once
	svcTables     [len(osTable)][]*serviceDef
)

// baseServices is the release's service table, shared by its hosts.
func baseServices(o OS) []*serviceDef {
	if o.info() == nil {
		return nil
	}
	svcTablesOnce[o].Do(func() { svcTables[o] = buildServices(o) })
	return svcTables[o]
}

// hostServices is the release's table, without IIS's web services when
// withoutIIS is set (a new slice then; the shared one otherwise).
func hostServices(o OS, withoutIIS bool) []*serviceDef {
	base := baseServices(o)
	if !withoutIIS {
		return base
	}
	var out []*serviceDef
	for _, d := range base {
		switch d.name {
		case "W3SVC", "WAS", "HTTPFilter":
			continue
		}
		out = append(out, d)
	}
	return out
}

func tcpL(addr string, port uint16) Listener {
	return Listener{Proto: TCP, Addr: netipAddrPort(addr, port)}
}

func udpL(addr string, port uint16) Listener {
	return Listener{Proto: UDP, Addr: netipAddrPort(addr, port)}
}

// buildServices returns the release's services in the order net.exe
// lists dependants (the order of the table).
func buildServices(o OS) []*serviceDef {
	info := o.info()
	v6 := info.vistaStack
	both := func(port uint16, udp bool) []Listener {
		mk := tcpL
		if udp {
			mk = udpL
		}
		ls := []Listener{mk("0.0.0.0", port)}
		if v6 {
			ls = append(ls, mk("::", port))
		}
		return ls
	}
	var t []*serviceDef
	add := func(d *serviceDef) { t = append(t, d) }

	if o == Server2003 {
		add(&serviceDef{name: "W3SVC", display: "World Wide Web Publishing Service", deps: []string{"HTTPFilter", "IISADMIN", "RpcSs"},
			kind: kindShare, stoppable: true, pausable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: 1524, image: "svchost.exe"})
		add(&serviceDef{name: "HTTPFilter", display: "HTTP SSL", deps: []string{"HTTP"}, start: StartManual,
			kind: kindShare, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: 1336, image: "lsass.exe"})
		add(&serviceDef{name: "IISADMIN", display: "IIS Admin Service", deps: []string{"RpcSs"},
			kind: kindOwn, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: 1412, image: "inetinfo.exe"})
	} else {
		add(&serviceDef{name: "W3SVC", display: "World Wide Web Publishing Service", deps: []string{"WAS", "HTTP"},
			kind: kindShare, stoppable: true, pausable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: 2268, image: "svchost.exe"})
	}
	add(&serviceDef{name: "WinRM", display: "Windows Remote Management (WS-Management)", deps: []string{"RPCSS", "HTTP"},
		kind: kindShare, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: 1492, image: "svchost.exe"})
	if v6 {
		add(&serviceDef{name: "SSDPSRV", display: "SSDP Discovery", deps: []string{"HTTP"}, start: StartDisabled,
			kind: kindShare, stoppable: true, shutdown: "IGNORES_SHUTDOWN", pid: 2540, image: "svchost.exe"})
	}
	spoolDeps := []string{"RPCSS"}
	if info.spoolerOnHTTP {
		spoolDeps = append(spoolDeps, "http")
	}
	add(&serviceDef{name: "Spooler", display: "Print Spooler", deps: spoolDeps,
		kind: kindOwnInteractive, stoppable: true, shutdown: "IGNORES_SHUTDOWN", pid: 2152, image: "spoolsv.exe",
		listeners: []Listener{tcpL("0.0.0.0", 49668)}, defaultSocks: true})
	if v6 {
		t[len(t)-1].listeners = both(49668, false)
		add(&serviceDef{name: "WAS", display: "Windows Process Activation Service", deps: []string{"RPCSS"}, start: StartManual,
			kind: kindShare, stoppable: true, pausable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: 2268, image: "svchost.exe"})
	}
	add(&serviceDef{name: "HTTP", display: info.httpDisplay, start: StartManual, kind: kindDriver, stoppable: true,
		shutdown: "IGNORES_SHUTDOWN", pid: 4, image: "System"})
	add(&serviceDef{name: "RpcSs", display: "Remote Procedure Call (RPC)", kind: kindShare, shutdown: "IGNORES_SHUTDOWN",
		pid: 908, image: "svchost.exe", listeners: both(135, false), defaultSocks: true})
	add(&serviceDef{name: "EventLog", display: "Windows Event Log", kind: kindShare, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN",
		pid: 1036, image: "svchost.exe", listeners: both(49665, false), defaultSocks: true})
	add(&serviceDef{name: "Schedule", display: "Task Scheduler", kind: kindShare, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN",
		pid: 1180, image: "svchost.exe", listeners: both(49667, false), defaultSocks: true})
	ts := "Remote Desktop Services"
	if o == Server2003 {
		ts = "Terminal Services"
	}
	add(&serviceDef{name: "TermService", display: ts, kind: kindShare, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN",
		pid: 1764, image: "svchost.exe", listeners: both(3389, false), defaultSocks: true})
	add(&serviceDef{name: "W32Time", display: "Windows Time", kind: kindShare, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN",
		pid: 1256, image: "svchost.exe", listeners: both(123, true), defaultSocks: true})
	if v6 {
		add(&serviceDef{name: "Dnscache", display: "DNS Client", kind: kindShare, shutdown: "IGNORES_SHUTDOWN",
			pid: 1312, image: "svchost.exe", listeners: both(5355, true), defaultSocks: true})
		add(&serviceDef{name: "IKEEXT", display: "IKE and AuthIP IPsec Keying Modules", kind: kindShare, stoppable: true,
			shutdown: "ACCEPTS_SHUTDOWN", pid: 1640, image: "svchost.exe",
			listeners: append(both(500, true), both(4500, true)...), defaultSocks: true})
	}
	add(&serviceDef{name: "LanmanServer", display: "Server", kind: kindShare, stoppable: true, shutdown: "IGNORES_SHUTDOWN",
		pid: 1368, image: "svchost.exe"})
	for _, d := range t {
		for i := range d.listeners {
			d.listeners[i].PID = d.pid
			d.listeners[i].Image = d.image
			if d.kind == kindShare {
				d.listeners[i].Service = d.name
			}
		}
	}
	return t
}

// specServices turns the spec's services into definitions.
func specServices(specs []ServiceSpec) []*serviceDef {
	var out []*serviceDef
	for _, s := range specs {
		d := &serviceDef{
			name: s.Name, display: s.DisplayName, deps: append([]string(nil), s.DependsOn...), start: s.Start,
			kind: kindOwn, stoppable: true, shutdown: "ACCEPTS_SHUTDOWN", pid: s.PID, image: s.Image, stopped: s.Stopped,
		}
		if d.display == "" {
			d.display = s.Name
		}
		if d.image == "" {
			d.image = strings.ToLower(s.Name) + ".exe"
		}
		if strings.EqualFold(d.image, "svchost.exe") {
			d.kind = kindShare
		}
		for _, l := range s.Listeners {
			if l.PID == 0 {
				l.PID = d.pid
			}
			if l.Image == "" && l.Service == "" {
				l.Image = d.image
				if d.kind == kindShare {
					l.Service = d.name
				}
			}
			d.listeners = append(d.listeners, l)
		}
		out = append(out, d)
	}
	return out
}

// findService returns the index of a service by key or display name.
func (h *Host) findService(name string) int {
	for i, d := range h.svcDefs {
		if strings.EqualFold(d.name, name) {
			return i
		}
	}
	for i, d := range h.svcDefs {
		if strings.EqualFold(d.display, name) {
			return i
		}
	}
	return -1
}

func (h *Host) hasService(name string) bool { return h.findService(name) >= 0 }

func (h *Host) runningLocked(name string) bool {
	i := h.findService(name)
	return i >= 0 && h.svc[i].state == stateRunning
}

// startOrderLocked returns the services to start for i, dependencies
// first, i last; the ones already running are left out. ok is false when
// one of them is disabled (failed is its index).
func (h *Host) startOrderLocked(i int) (order []int, failed int, ok bool) {
	seen := map[int]bool{}
	failed = -1
	var visit func(j int)
	visit = func(j int) {
		if seen[j] {
			return
		}
		seen[j] = true
		for _, dep := range h.svcDefs[j].deps {
			if k := h.findService(dep); k >= 0 {
				visit(k)
			}
		}
		if h.svc[j].state == stateRunning {
			return
		}
		if h.svcDefs[j].start == StartDisabled && failed < 0 {
			failed = j
		}
		order = append(order, j)
	}
	visit(i)
	return order, failed, failed < 0
}

// dependantsLocked returns the running services that depend on i, directly
// or not, each before the services it depends on.
func (h *Host) dependantsLocked(i int) []int { return h.dependantsWhereLocked(i, false) }

// allDependantsLocked returns every service that depends on i, directly or
// not, whatever its state, in the order EnumDependentServices returns
// them: each before the services it depends on (the reverse of the start
// order).
func (h *Host) allDependantsLocked(i int) []int { return h.dependantsWhereLocked(i, true) }

func (h *Host) dependantsWhereLocked(i int, stopped bool) []int {
	dependsOn := func(j, k int) bool {
		for _, d := range h.svcDefs[j].deps {
			if h.findService(d) == k {
				return true
			}
		}
		return false
	}
	set := map[int]bool{}
	var grow func(k int)
	grow = func(k int) {
		for j := range h.svcDefs {
			if !set[j] && j != i && (stopped || h.svc[j].state != stateStopped) && dependsOn(j, k) {
				set[j] = true
				grow(j)
			}
		}
	}
	grow(i)
	var out []int
	for len(out) < len(set) {
		for j := range h.svcDefs {
			if !set[j] || slices.Contains(out, j) {
				continue
			}
			blocked := false
			for k := range set {
				if !slices.Contains(out, k) && k != j && dependsOn(k, j) {
					blocked = true
					break
				}
			}
			if !blocked {
				out = append(out, j)
			}
		}
	}
	return out
}

// setStateLocked changes a service's state and applies what the change
// does to the rest of the host.
func (h *Host) setStateLocked(i int, s svcState) {
	h.svc[i].state = s
	switch s {
	case stateRunning:
		h.svc[i].exit = 0
		if poolingService(h.svcDefs[i].name) {
			// IIS's Winsock services read DisableSocketPooling when
			// they start.
			h.svc[i].poolOff = h.poolingDisabledLocked(h.svcDefs[i].name)
		}
		if h.svcDefs[i].name == "HTTP" {
			// http.sys reads the IP listen list when it starts.
			h.listenNow = h.listenConfiguredLocked()
		}
	case stateStopped:
		h.svc[i].exit = 0
	}
}

// bootLocked starts the automatic services, dependencies first, at once.
func (h *Host) bootLocked() {
	h.power = powerOn
	h.maxUserPort = 5000
	if v, ok := h.regDWORDValue(keyTcpip, "MaxUserPort"); ok {
		h.maxUserPort = clampMaxUserPort(v)
	}
	h.timedWait = 240
	if v, ok := h.regDWORDValue(keyTcpip, "TcpTimedWaitDelay"); ok {
		h.timedWait = v
	}
	for i := range h.svc {
		h.svc[i] = svcRun{state: stateStopped, exit: 1077}
	}
	for i, d := range h.svcDefs {
		if d.start != StartAuto || d.stopped {
			continue
		}
		order, _, ok := h.startOrderLocked(i)
		if !ok {
			continue
		}
		for _, j := range order {
			h.setStateLocked(j, stateRunning)
		}
	}
}
