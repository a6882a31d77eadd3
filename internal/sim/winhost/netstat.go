package winhost

// netstat: the socket table and its rendering.
//
// The layout is that of the corpus captures (netstat-an/-ano/-anob-
// win10-jc.txt, byte copies): a blank line, the title, a blank line, the
// header, then one row per socket: two blanks, the protocol padded to 5,
// two blanks, the local and the foreign address each padded to 21 and
// followed by two blanks (a longer address, such as a link-local IPv6
// address with its zone, pushes the rest of the row right), then the state
// padded to 16 and the PID with -o, or the state alone without it. UDP rows
// have "*:*" and an empty state, so they end in blanks without -o. Rows
// are sorted as GetTcpTable2/GetUdpTable sort them (by local address,
// port, then foreign address and port), TCP before UDP, IPv4 before IPv6,
// which the captures show.
//
// A German state longer than 16 characters (SCHLIESSEN_WARTEN) is followed
// by one blank before the PID [chosen: no German -o capture was found].

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func netipAddrPort(addr string, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(addr), port)
}

// sockRow is one row of the table, built when a command asks for it.
type sockRow struct {
	proto          Proto
	local, remote  netip.AddrPort // remote invalid for UDP
	state          TCPState
	pid            uint32
	service, image string
}

// socketsLocked gathers the socket table. tcpOnly skips UDP.
func (h *Host) socketsLocked(tcpOnly bool) []sockRow {
	if h.power != powerOn {
		return nil
	}
	var rows []sockRow
	add := func(l Listener) {
		if tcpOnly && l.Proto == UDP {
			return
		}
		r := sockRow{proto: l.Proto, local: l.Addr, pid: l.PID, service: l.Service, image: l.Image}
		if l.Proto == TCP {
			r.state = Listen
			r.remote = netip.AddrPortFrom(unspecifiedLike(l.Addr.Addr()), 0)
		}
		rows = append(rows, r)
	}
	if !h.noDefaults {
		for _, l := range h.systemListeners() {
			add(l)
		}
	}
	for i, d := range h.svcDefs {
		if h.svc[i].state != stateRunning || (d.defaultSocks && h.noDefaults) {
			continue
		}
		for _, l := range h.serviceListenersLocked(i) {
			add(l)
		}
	}
	if !h.noHTTPSys {
		for _, l := range h.httpSysListenersLocked() {
			add(l)
		}
	}
	for _, l := range h.listeners {
		add(l)
	}
	for _, c := range h.conns {
		rows = append(rows, sockRow{proto: TCP, local: c.Local, remote: c.Remote, state: c.State, pid: c.PID,
			service: c.Service, image: c.Image})
	}
	rows = h.appendPileRowsLocked(rows)
	return rows
}

func unspecifiedLike(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// systemListeners are the sockets of PID 4 (SMB, NetBIOS) and the RPC
// endpoints of wininit, lsass and services that every server has.
func (h *Host) systemListeners() []Listener {
	sys := func(p Proto, a netip.Addr, port uint16) Listener {
		return Listener{Proto: p, Addr: netip.AddrPortFrom(a, port), PID: 4}
	}
	v4any, v6any := netip.IPv4Unspecified(), netip.IPv6Unspecified()
	ls := []Listener{sys(TCP, v4any, 445)}
	if h.info.vistaStack {
		ls = append(ls, sys(TCP, v6any, 445))
	}
	for _, itf := range h.ifaces {
		for _, a := range itf.Addrs {
			if a.Is4() && !a.IsLoopback() {
				ls = append(ls, sys(TCP, a, 139), sys(UDP, a, 137), sys(UDP, a, 138))
			}
		}
	}
	rpc := []struct {
		port  uint16
		pid   uint32
		image string
	}{{49664, 580, "wininit.exe"}, {49666, 720, "lsass.exe"}, {49669, 700, "services.exe"}}
	switch {
	case h.os == Server2003:
		rpc = rpc[:0]
		ls = append(ls, Listener{Proto: TCP, Addr: netip.AddrPortFrom(v4any, 1025), PID: 720, Image: "lsass.exe"})
	case h.os == Server2008R2:
		rpc[0].port, rpc[1].port, rpc[2].port = 49152, 49155, 49156
	}
	for _, r := range rpc {
		ls = append(ls, Listener{Proto: TCP, Addr: netip.AddrPortFrom(v4any, r.port), PID: r.pid, Image: r.image},
			Listener{Proto: TCP, Addr: netip.AddrPortFrom(v6any, r.port), PID: r.pid, Image: r.image})
	}
	return ls
}

// httpSysListenersLocked are http.sys's sockets (PID 4): 80, 443 and the
// ports of the sites' bindings for IIS, 5985 (5986 with an HTTPS
// listener) and 47001 for WinRM, on every address when the listen list in
// effect is empty, else on each listed address that exists on the host.
// A site bound to one address does not narrow this: http.sys listens on
// the port of every address the list allows (and on none the list lacks).
func (h *Host) httpSysListenersLocked() []Listener {
	if !h.runningLocked("HTTP") {
		return nil
	}
	var ports []uint16
	if h.runningLocked("W3SVC") {
		ports = append(ports, 80, 443)
		for _, binds := range h.siteBindings() {
			for _, b := range binds {
				if !slices.Contains(ports, b.port) {
					ports = append(ports, b.port)
				}
			}
		}
	}
	if h.runningLocked("WinRM") {
		ports = append(ports, 5985)
		if h.winrmHTTPS {
			ports = append(ports, 5986)
		}
		ports = append(ports, 47001)
	}
	var ls []Listener
	seen := map[netip.AddrPort]bool{}
	emit := func(a netip.Addr, port uint16) {
		ap := netip.AddrPortFrom(a, port)
		if !seen[ap] {
			seen[ap] = true
			ls = append(ls, Listener{Proto: TCP, Addr: ap, PID: 4})
		}
	}
	for _, port := range ports {
		if len(h.listenNow) == 0 {
			emit(netip.IPv4Unspecified(), port)
			if h.info.vistaStack {
				emit(netip.IPv6Unspecified(), port)
			}
			continue
		}
		for _, e := range h.listenNow {
			if e.port != 0 && e.port != port {
				continue
			}
			if e.addr.IsUnspecified() || h.hasAddr(e.addr) {
				emit(e.addr, port)
			}
		}
	}
	return ls
}

// appendPileRowsLocked generates the piles' rows: local ports in order from
// the start of the client port range in effect, shared by all piles, at
// most the size of the range. Ports a listener holds are skipped, as
// Windows never hands them out as client ports.
func (h *Host) appendPileRowsLocked(rows []sockRow) []sockRow {
	if len(h.piles) == 0 {
		return rows
	}
	held := map[uint16]bool{}
	for _, r := range rows {
		if r.proto == TCP && r.state == Listen {
			held[r.local.Port()] = true
		}
	}
	used := [2]int{}
	for _, p := range h.piles {
		local := p.Local
		if !local.IsValid() {
			local = h.mgmt
		}
		fam := 0
		if p.Remote.Addr().Is6() && !p.Remote.Addr().Is4In6() {
			fam = 1
		}
		r := h.clientRangeLocked(fam == 1)
		pid := p.PID
		if p.State == TimeWait {
			pid = 0
		}
		rows = slices.Grow(rows, min(p.Count, int(r.num)-used[fam]))
		for made := 0; made < p.Count && used[fam] < int(r.num); used[fam]++ {
			port := uint16(int(r.start) + used[fam])
			if held[port] {
				continue
			}
			rows = append(rows, sockRow{proto: TCP, local: netip.AddrPortFrom(local, port), remote: p.Remote,
				state: p.State, pid: pid})
			made++
		}
	}
	return rows
}

func compareRows(a, b sockRow) int {
	if a.proto != b.proto {
		return int(a.proto) - int(b.proto)
	}
	if c := a.local.Addr().Compare(b.local.Addr()); c != 0 {
		return c
	}
	if a.local.Port() != b.local.Port() {
		return int(a.local.Port()) - int(b.local.Port())
	}
	if c := a.remote.Addr().Compare(b.remote.Addr()); c != 0 {
		return c
	}
	return int(a.remote.Port()) - int(b.remote.Port())
}

// netstatOpts are the parsed switches.
type netstatOpts struct {
	all, numeric, pid, owner, bound bool
	proto                           string // "", tcp, udp, tcpv6, udpv6
	interval                        int
}

func parseNetstatArgs(args []string) (netstatOpts, bool) {
	var o netstatOpts
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" {
			continue
		}
		if a[0] != '-' && a[0] != '/' {
			n, err := strconv.Atoi(a)
			if err != nil || n <= 0 {
				return o, false
			}
			o.interval = n
			continue
		}
		for j, c := range strings.ToLower(a[1:]) {
			switch c {
			case 'a':
				o.all = true
			case 'n':
				o.numeric = true
			case 'o':
				o.pid = true
			case 'b':
				o.owner = true
			case 'q':
				o.all, o.bound = true, true
			case 'f', 'v', 'x', 'y', 't':
				// FQDNs, verbose -b, NetworkDirect, templates, offload
				// state: accepted, no effect on the model's rows.
			case 'p':
				if j != len(a)-2 || i+1 >= len(args) {
					return o, false
				}
				i++
				o.proto = strings.ToLower(args[i])
				switch o.proto {
				case "tcp", "udp", "tcpv6", "udpv6":
				default:
					return o, false
				}
			default:
				return o, false
			}
		}
	}
	return o, true
}

// netstatHelp is the start of netstat's help text, printed for switches
// the model does not have [chosen: the real help is longer].
const netstatHelp = "\r\nDisplays protocol statistics and current TCP/IP network connections.\r\n\r\n" +
	"NETSTAT [-a] [-b] [-e] [-f] [-n] [-o] [-p proto] [-r] [-s] [-t] [-x] [-y] [interval]\r\n\r\n"

func runNetstat(e *execEnv, args []string, _ string) int {
	o, ok := parseNetstatArgs(args)
	if !ok {
		e.out.print(netstatHelp)
		return 1
	}
	for {
		e.h.mu.Lock()
		rows := e.h.socketsLocked(false)
		e.h.mu.Unlock()
		e.h.renderNetstat(e.out, rows, o)
		if o.interval == 0 {
			return 0
		}
		if !waitCtx(e.ctx, time.Duration(o.interval)*time.Second) {
			return ExitTerminated
		}
	}
}

// wellKnownPorts are the service names netstat prints without -n for a
// few ports (from %SystemRoot%\System32\drivers\etc\services).
var wellKnownPorts = map[uint16]string{
	25: "smtp", 53: "domain", 80: "http", 135: "epmap", 139: "netbios-ssn", 443: "https",
	445: "microsoft-ds", 1433: "ms-sql-s", 3389: "ms-wbt-server",
}

// foreignName is the foreign address without -n: the host's own and the
// unspecified addresses become its name; others stay numeric (the
// simulator resolves nothing).
func (h *Host) foreignName(ap netip.AddrPort) string {
	a := ap.Addr()
	host := a.String()
	if a.IsUnspecified() || a.IsLoopback() || h.hasAddr(a) {
		host = h.name
	} else if a.Is6() {
		host = "[" + host + "]"
	}
	port := strconv.Itoa(int(ap.Port()))
	if n, ok := wellKnownPorts[ap.Port()]; ok {
		port = n
	}
	return host + ":" + port
}

// renderNetstat writes the table. rows is sorted in place.
func (h *Host) renderNetstat(out *console, rows []sockRow, o netstatOpts) {
	slices.SortStableFunc(rows, compareRows)
	t := h.text
	var buf bytes.Buffer
	buf.Grow(64 * (len(rows) + 8))
	buf.WriteString("\r\n" + t.activeConns + "\r\n\r\n")
	if o.pid {
		buf.WriteString(t.netstatHdrPID)
	} else {
		buf.WriteString(t.netstatHdr)
	}
	buf.WriteString("\r\n")
	var scratch []byte
	flush := func() {
		out.print(buf.String())
		buf.Reset()
	}
	pad := func(n int) {
		for ; n > 0; n-- {
			buf.WriteByte(' ')
		}
	}
	for _, r := range rows {
		if !o.all && (r.proto == UDP || r.state == Listen) {
			continue
		}
		if !o.bound && r.state == Bound {
			continue
		}
		switch o.proto {
		case "tcp", "udp", "tcpv6", "udpv6":
			v6 := r.local.Addr().Is6()
			if (o.proto[0] == 't') != (r.proto == TCP) || strings.HasSuffix(o.proto, "v6") != v6 {
				continue
			}
		}
		buf.WriteString("  ")
		buf.WriteString(r.proto.String())
		buf.WriteString("    ")
		scratch = r.local.AppendTo(scratch[:0])
		buf.Write(scratch)
		pad(21 - len(scratch))
		buf.WriteString("  ")
		switch {
		case r.proto == UDP:
			buf.WriteString("*:*")
			pad(21 - 3)
		case o.numeric:
			scratch = r.remote.AppendTo(scratch[:0])
			buf.Write(scratch)
			pad(21 - len(scratch))
		default:
			s := h.foreignName(r.remote)
			buf.WriteString(s)
			pad(21 - len(s))
		}
		buf.WriteString("  ")
		state := ""
		if r.proto == TCP {
			state = t.states.name(r.state)
		}
		if o.pid {
			buf.WriteString(state)
			w := utf8.RuneCountInString(state)
			if w >= 16 {
				pad(1)
			} else {
				pad(16 - w)
			}
			buf.WriteString(strconv.FormatUint(uint64(r.pid), 10))
		} else {
			buf.WriteString(state)
		}
		buf.WriteString("\r\n")
		if o.owner && r.pid != 0 {
			h.writeOwner(&buf, r)
		}
		if buf.Len() > 32<<10 {
			flush()
		}
	}
	flush()
}

// writeOwner writes -b's lines under a row.
func (h *Host) writeOwner(buf *bytes.Buffer, r sockRow) {
	if h.os == Server2003 {
		// XP/2003 style: the image in brackets, then a blank line
		// (corpus netstat-anbv-winxp-parse-netstat.txt).
		img := r.image
		if img == "" {
			img = "System"
		}
		buf.WriteString("  [" + img + "]\r\n\r\n")
		return
	}
	if r.service == "" && r.image == "" {
		buf.WriteString(" " + h.text.noOwner + "\r\n")
		return
	}
	if r.service != "" {
		buf.WriteString("  " + r.service + "\r\n")
	}
	if r.image != "" {
		buf.WriteString(" [" + r.image + "]\r\n")
	}
}

// tcpConns is the TCP table as Get-NetTCPConnection lists it.
func (h *Host) tcpConns() []sockRow {
	h.mu.Lock()
	defer h.mu.Unlock()
	rows := h.socketsLocked(true)
	slices.SortStableFunc(rows, compareRows)
	return rows
}
