package winhost

// netsh http show servicestate: the URLs registered with http.sys.
//
// Sources. The layout of the Server Session View is that of the corpus
// capture netsh-http-show-servicestate-win10-iotbay.txt (Windows 10) and
// of two captures in public write-ups (code index ids 68388051111, a
// Windows Server with IIS, and 56466183354, taken over WinRM with
// evil-winrm): a blank line, the title "Snapshot of HTTP service state
// (Server Session View):" and 53 dashes, each followed by one blank in
// the two WinRM-era captures (the corpus copy, taken from a console
// window, lost its trailing blanks), a blank line, then one block per
// server session: "Server session ID: <16 hex digits>" with its version,
// state, properties and timeouts indented four blanks per level, "URL
// groups:", and per URL group its ID, state, request queue, properties,
// "Number of registered URLs: N" and "Registered URLs:" with the URLs
// indented 16 blanks; a blank line after each session; then "Request
// queues:" and one block per queue, each followed by a blank line.
//
// What each service registers, from the same captures: WinRM one server
// session of version 1.0 (ID FF00000120000001, URL group
// FE00000140000001, an unnamed queue) with HTTP://+:5985/WSMAN/ and
// HTTP://+:47001/WSMAN/; IIS one server session of version 2.0 (ID
// FD00000120000001, request queue timeout 65535, minimum send rate 240)
// with a URL group per site (ID FF00000040000001 for the first) in the
// queue DefaultAppPool, whose timeouts, "Logging information" (Log
// directory C:\inetpub\logs\LogFiles\W3SVC<site id>, Log format 0) and
// empty "Authentication schemes enabled:" block are those of the IIS
// capture, as is the DefaultAppPool queue: 503 verbosity Limited, no
// worker process attached until a request comes, "Controller process ID"
// (WAS). http.sys shows a URL whose host is an IP address in its
// IP-bound form, host:port:address ("HTTP://127.0.0.1:8000:127.0.0.1/"
// in the IIS capture, "HTTP://127.0.0.1:19443:127.0.0.1/" for another
// application in code index id 57407066818), and upper-cases the URL.
// The queue blocks of Windows 10 and the IIS capture list "Process
// IDs:"; the WinRM-era capture of a 2022-era server and a Windows 11
// sample (code index id 57407066818) list "Processes:" with "ID: N,
// image: <?>" and then the queue's "Registered URLs:" again.
//
// [chosen] HTTPS://+:5986/WSMAN/ (WinRM's HTTPS listener; no capture
// shows one) between the two HTTP URLs; the second and later sites' URL
// group IDs (counting up from FF00000040000001); every site in
// DefaultAppPool; the "Processes:" layout on 2022 only (2008 R2 to 2019
// print "Process IDs:"); the upper-cased IPv6 form; the IDs never change
// (real ones do when a service restarts); the output of a snapshot with
// nothing registered (the title alone); view=requestq is not modelled
// (netsh's parameter error).

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// binding is one URL a site or WinRM registers with http.sys.
type binding struct {
	scheme string     // "http" or "https"
	host   string     // "+", "*", a name, an IPv4 address or a bracketed IPv6 address
	port   uint16     // the port, defaulted from the scheme
	path   string     // "/" or "/VROOT/"
	addr   netip.Addr // set when host is an IP address
}

// parseBinding reads scheme://host[:port]/[path/] as a site binding.
func parseBinding(s string) (binding, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return binding{}, fmt.Errorf("binding %q is not a URL (scheme://host:port/)", s)
	}
	b := binding{scheme: strings.ToLower(scheme)}
	if b.scheme != "http" && b.scheme != "https" {
		return binding{}, fmt.Errorf("binding %q: the scheme is neither http nor https", s)
	}
	hostport, path, _ := strings.Cut(rest, "/")
	b.path = "/" + path
	if !strings.HasSuffix(b.path, "/") {
		return binding{}, fmt.Errorf("binding %q: the path must end in a slash", s)
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		i := strings.IndexByte(hostport, ']')
		if i < 0 {
			return binding{}, fmt.Errorf("binding %q: unterminated IPv6 address", s)
		}
		host, port = hostport[:i+1], hostport[i+1:]
		if port != "" && port[0] != ':' {
			return binding{}, fmt.Errorf("binding %q: text after the IPv6 address", s)
		}
		port = strings.TrimPrefix(port, ":")
		a, err := netip.ParseAddr(host[1:i])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return binding{}, fmt.Errorf("binding %q: %s is not an IPv6 address", s, host)
		}
		b.addr = a
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i+1:]
	}
	switch {
	case host == "":
		return binding{}, fmt.Errorf("binding %q: no host", s)
	case host == "+" || host == "*" || b.addr.IsValid():
	default:
		if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
			b.addr = a
		} else if strings.Trim(strings.ToLower(host), "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
			return binding{}, fmt.Errorf("binding %q: host %q is not +, *, an IP address or a name", s, host)
		}
	}
	b.host = host
	switch {
	case port == "" && b.scheme == "http":
		b.port = 80
	case port == "":
		b.port = 443
	default:
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return binding{}, fmt.Errorf("binding %q: port %q is not 1 to 65535", s, port)
		}
		b.port = uint16(n)
	}
	return b, nil
}

// registered is the URL as http.sys lists it: upper case, and in the
// IP-bound form host:port:address when the host is an IP address.
func (b binding) registered() string {
	hp := b.host + ":" + strconv.Itoa(int(b.port))
	if b.addr.IsValid() {
		hp += ":" + b.host
	}
	return strings.ToUpper(b.scheme + "://" + hp + b.path)
}

// defaultSites is what IIS creates at install: one site on port 80 of
// every address.
var defaultSites = []Site{{Name: "Default Web Site", Bindings: []string{"HTTP://*:80/"}}}

// siteBindings returns the sites' bindings, per site, in order.
func (h *Host) siteBindings() [][]binding {
	out := make([][]binding, len(h.sites))
	for i, s := range h.sites {
		for _, raw := range s.Bindings {
			if b, err := parseBinding(raw); err == nil {
				out[i] = append(out[i], b)
			}
		}
	}
	return out
}

// winrmURLs are the URLs WinRM registers: its HTTP listener, its HTTPS
// listener when it has one, and the local listener on 47001.
func (h *Host) winrmURLs() []string {
	urls := []string{"HTTP://+:5985/WSMAN/"}
	if h.winrmHTTPS {
		urls = append(urls, "HTTPS://+:5986/WSMAN/")
	}
	return append(urls, "HTTP://+:47001/WSMAN/")
}

func netshShowServiceState(e *execEnv, params []string) int {
	for _, p := range params {
		tag, val, ok := strings.Cut(p, "=")
		if !ok {
			tag, val = "", p
		}
		switch t := matchWord(tag, "view", "verbose"); {
		case tag == "" && matchWord(val, "session") == "session":
		case t == "view" && matchWord(val, "session") == "session":
		case t == "verbose" && matchWord(val, "yes", "no") != "":
		default:
			e.out.print(netshBadParam)
			return 1
		}
	}
	e.out.print(e.h.serviceState())
	return 0
}

// serviceState renders the Server Session View of what is registered
// now: WinRM's URLs while WinRM runs, the sites' while W3SVC runs.
func (h *Host) serviceState() string {
	h.mu.Lock()
	up := h.power == powerOn && h.runningLocked("HTTP")
	winrm := up && h.runningLocked("WinRM")
	iis := up && h.runningLocked("W3SVC")
	h.mu.Unlock()

	var b strings.Builder
	line := func(indent int, s string) {
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteString(s)
		b.WriteString("\r\n")
	}
	line(0, "")
	line(0, "Snapshot of HTTP service state (Server Session View): ")
	line(0, "----------------------------------------------------- ")
	line(0, "")
	if !winrm && !iis {
		return b.String()
	}
	urlList := func(indent int, urls []string) {
		for _, u := range urls {
			line(indent, u)
		}
	}
	sessionHead := func(id, version, queueTimeout, minRate string) {
		line(0, "Server session ID: "+id)
		line(4, "Version: "+version)
		line(4, "State: Active")
		line(4, "Properties:")
		line(8, "Max bandwidth: 4294967295")
		line(8, "Timeouts:")
		line(12, "Entity body timeout (secs): 120")
		line(12, "Drain entity body timeout (secs): 120")
		line(12, "Request queue timeout (secs): "+queueTimeout)
		line(12, "Idle connection timeout (secs): 120")
		line(12, "Header wait timeout (secs): 120")
		line(12, "Minimum send rate (bytes/sec): "+minRate)
		line(4, "URL groups:")
	}
	var siteURLs []string
	if winrm {
		urls := h.winrmURLs()
		sessionHead("FF00000120000001", "1.0", "120", "150")
		line(4, "URL group ID: FE00000140000001")
		line(8, "State: Active")
		line(8, "Request queue name: Request queue is unnamed.")
		line(8, "Properties:")
		line(12, "Max bandwidth: inherited")
		line(12, "Max connections: inherited")
		line(12, "Timeouts:")
		line(16, "Timeout values inherited")
		line(12, "Number of registered URLs: "+strconv.Itoa(len(urls)))
		line(12, "Registered URLs:")
		urlList(16, urls)
		line(0, "")
	}
	if iis {
		sessionHead("FD00000120000001", "2.0", "65535", "240")
		for i, binds := range h.siteBindings() {
			line(4, fmt.Sprintf("URL group ID: FF%014X", 0x40000001+i))
			line(8, "State: Active")
			line(8, "Request queue name: DefaultAppPool")
			line(8, "Properties:")
			line(12, "Max bandwidth: inherited")
			line(12, "Max connections: 4294967295")
			line(12, "Timeouts:")
			line(16, "Entity body timeout (secs): 120")
			line(16, "Drain entity body timeout (secs): 120")
			line(16, "Request queue timeout (secs): 65535")
			line(16, "Idle connection timeout (secs): 120")
			line(16, "Header wait timeout (secs): 0")
			line(16, "Minimum send rate (bytes/sec): 0")
			line(12, "Logging information:")
			line(16, `Log directory: C:\inetpub\logs\LogFiles\W3SVC`+strconv.Itoa(i+1))
			line(16, "Log format: 0")
			line(12, "Authentication Configuration:")
			line(16, "Authentication schemes enabled:")
			line(12, "Number of registered URLs: "+strconv.Itoa(len(binds)))
			line(12, "Registered URLs:")
			for _, bd := range binds {
				u := bd.registered()
				siteURLs = append(siteURLs, u)
				line(16, u)
			}
		}
		line(0, "")
	}

	// The request queues.
	processes := h.os >= Server2022
	line(0, "Request queues:")
	if winrm {
		line(4, "Request queue name: Request queue is unnamed.")
		line(8, "Version: 1.0")
		line(8, "State: Active")
		line(8, "Request queue 503 verbosity level: Basic")
		line(8, "Max requests: 1000")
		line(8, "Number of active processes attached: 1")
		pid := strconv.Itoa(int(h.serviceDef("WinRM").pid))
		if processes {
			line(8, "Processes:")
			line(12, "ID: "+pid+", image: <?>")
			line(8, "Registered URLs:")
			urlList(12, h.winrmURLs())
		} else {
			line(8, "Process IDs:")
			line(12, pid)
		}
		line(0, "")
	}
	if iis {
		line(4, "Request queue name: DefaultAppPool")
		line(8, "Version: 2.0")
		line(8, "State: Active")
		line(8, "Request queue 503 verbosity level: Limited")
		line(8, "Max requests: 1000")
		line(8, "Number of active processes attached: 0")
		if was := h.serviceDef("WAS"); was != nil {
			line(8, "Controller process ID: "+strconv.Itoa(int(was.pid)))
		}
		if processes {
			line(8, "Processes:")
			line(8, "Registered URLs:")
			urlList(12, siteURLs)
		} else {
			line(8, "Process IDs:")
		}
		line(0, "")
	}
	return b.String()
}

// serviceDef returns a service's definition by key name, nil when the
// host lacks it.
func (h *Host) serviceDef(name string) *serviceDef {
	if i := h.findService(name); i >= 0 {
		return h.svcDefs[i]
	}
	return nil
}
