package winhost

// netsh: the http IP listen list and the dynamic port range (the http
// service state is in servicestate.go).
//
// Sources: the show iplisten layout (a blank line, the title, 43 dashes,
// a blank line, the entries indented four blanks, two blank lines) and
// "IP address successfully added/deleted" are corpus captures
// (netsh-http-*-blog.txt; the blank line before the success line is in
// the capture quoted at code index id 15076901263). The dynamicport layout
// (two blank lines, title, 33 dashes, padded labels) and "Ok." are corpus
// captures (dotnet/runtime#45544). "The following command was not found:
// <command>." is netsh's message (recorded sessions, code index ids
// 3841171572, 71640145725). The parameter keyword is ipaddress= (MS docs
// PR #250); netsh accepts any unique prefix of a keyword, and the address
// alone. [chosen] The failure texts for adding an address that is already
// listed (Win32 error 183) and for deleting one that is not (1168) follow
// the "<object> add failed, Error: N" + system message pattern netsh http
// uses for urlacl and sslcert (captures in code index ids 13986924635,
// 4827085188); the error for an out-of-range dynamic port range is the
// system message of ERROR_INVALID_PARAMETER. No capture of either was
// found.

import (
	"strconv"
	"strings"
)

const (
	netshBadParam = "The parameter is incorrect.\r\n\r\n"
	netshMissing  = "One or more essential parameters were not entered.\r\nVerify the required parameters, and reenter them.\r\n\r\n"
)

// matchWord finds the word of list that tok is a unique prefix of (or
// equals).
func matchWord(tok string, list ...string) string {
	t := strings.ToLower(tok)
	if t == "" {
		return ""
	}
	found := ""
	for _, w := range list {
		if w == t {
			return w
		}
		if strings.HasPrefix(w, t) {
			if found != "" {
				return ""
			}
			found = w
		}
	}
	return found
}

func runNetsh(e *execEnv, args []string, _ string) int {
	notFound := func() int {
		e.out.print("The following command was not found: " + strings.Join(args, " ") + ".\r\n")
		return 1
	}
	if len(args) == 0 {
		// Interactive netsh with no input: the prompt, then the end of
		// input ends it.
		e.out.print("netsh>")
		return 0
	}
	vista := e.h.info.vistaStack
	top := []string{"http", "interface", "winhttp", "winsock", "advfirewall", "firewall", "wlan", "ipsec", "ras",
		"lan", "bridge", "dump", "exec", "help", "show", "set", "add", "delete"}
	switch matchWord(args[0], top...) {
	case "http":
		if !vista || len(args) < 3 {
			return notFound()
		}
		verb := matchWord(args[1], "add", "delete", "show", "flush", "update")
		obj := matchWord(args[2], "iplisten", "urlacl", "sslcert", "servicestate", "setting", "timeout", "cacheparam", "cachestate")
		if obj == "servicestate" && verb == "show" {
			return netshShowServiceState(e, args[3:])
		}
		if obj != "iplisten" {
			return notFound()
		}
		switch verb {
		case "show":
			return netshShowIPListen(e)
		case "add", "delete":
			return netshChangeIPListen(e, verb, args[3:])
		}
		return notFound()
	case "interface":
		if !vista || len(args) < 4 {
			return notFound()
		}
		fam := matchWord(args[1], "ipv4", "ipv6", "ip", "tcp", "portproxy", "teredo", "6to4", "isatap", "httpstunnel")
		verb := matchWord(args[2], "show", "set", "add", "delete", "reset", "install", "uninstall", "dump")
		obj := matchWord(args[3], "dynamicport", "excludedportrange", "addresses", "config", "global", "interfaces", "dnsservers")
		if (fam != "ipv4" && fam != "ipv6" && fam != "ip") || obj != "dynamicport" {
			return notFound()
		}
		if len(args) < 5 {
			e.out.print(netshMissing)
			return 1
		}
		proto := matchWord(args[4], "tcp", "udp")
		if proto == "" {
			e.out.print(netshBadParam)
			return 1
		}
		idx := 0
		if proto == "udp" {
			idx = 1
		}
		if fam == "ipv6" {
			idx += 2
		}
		switch verb {
		case "show":
			return netshShowDynamic(e, proto, idx)
		case "set":
			if e.limited() {
				e.out.print(textNeedsElevation)
				return 1
			}
			return netshSetDynamic(e, idx, args[5:])
		}
		return notFound()
	}
	return notFound()
}

func netshShowIPListen(e *execEnv) int {
	e.h.mu.Lock()
	entries := e.h.listenConfiguredLocked()
	e.h.mu.Unlock()
	var b strings.Builder
	b.WriteString("\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n")
	for _, en := range entries {
		b.WriteString("    " + en.String() + "\r\n")
	}
	b.WriteString("\r\n\r\n")
	e.out.print(b.String())
	return 0
}

// ipListenUsage is netsh's help for add/delete iplisten [chosen: from
// the MS documentation of the command].
func ipListenUsage(verb string) string {
	what := "added to"
	if verb == "delete" {
		what = "deleted from"
	}
	return "\r\nUsage: " + verb + " iplisten [ ipaddress= ]<IPv4, IPv6 address or hostname>\r\n\r\n" +
		"Parameters:\r\n\r\n    Tag       Value\r\n" +
		"    ipaddress - IPv4 or IPv6 address or hostname to be " + what + " the IP listen list.\r\n\r\n" +
		"Examples:\r\n\r\n    " + verb + " iplisten ipaddress=fe80::1\r\n    " + verb + " iplisten ipaddress=1.1.1.1\r\n" +
		"    " + verb + " iplisten ipaddress=0.0.0.0\r\n    " + verb + " iplisten ipaddress=::\r\n\r\n"
}

func netshChangeIPListen(e *execEnv, verb string, params []string) int {
	if len(params) != 1 {
		e.out.print(ipListenUsage(verb))
		return 1
	}
	p := params[0]
	if tag, val, ok := strings.Cut(p, "="); ok {
		if matchWord(tag, "ipaddress") != "ipaddress" {
			e.out.print(ipListenUsage(verb))
			return 1
		}
		p = val
	}
	entry, ok := parseListenEntry(p)
	if !ok {
		e.out.print(netshBadParam)
		return 1
	}
	h := e.h
	if e.limited() {
		e.out.print("\r\nIP address " + verb + " failed, Error: 5\r\n" + textAccessDenied + "\r\n\r\n")
		return 1
	}
	var failed string
	h.update(func() {
		failed = h.changeListenListLocked(entry, verb == "add")
	})
	if failed != "" {
		e.out.print(failed)
		return 1
	}
	if verb == "add" {
		e.out.print("\r\nIP address successfully added\r\n\r\n")
	} else {
		e.out.print("\r\nIP address successfully deleted\r\n\r\n")
	}
	return 0
}

// changeListenListLocked adds or removes an entry of the configured list
// (the registry value); the list in effect does not change. It returns
// netsh's failure text, "" on success.
func (h *Host) changeListenListLocked(entry listenEntry, add bool) string {
	rv := h.regView("")
	var raw []string
	if v, ok := rv.value(keyHTTP, "ListenOnlyList"); ok && v.typ == regMultiSZ {
		raw = append(raw, v.multi...)
	}
	idx := -1
	for i, s := range raw {
		if en, ok := parseListenEntry(s); ok && en == entry {
			idx = i
			break
		}
	}
	switch {
	case add && idx >= 0:
		return "\r\nIP address add failed, Error: 183\r\nCannot create a file when that file already exists.\r\n\r\n"
	case !add && idx < 0:
		return "\r\nIP address delete failed, Error: 1168\r\nElement not found.\r\n\r\n"
	case add:
		raw = append(raw, entry.String())
	default:
		raw = append(raw[:idx], raw[idx+1:]...)
	}
	if len(raw) == 0 {
		rv.deleteValue(keyHTTP, "ListenOnlyList")
	} else {
		rv.set(keyHTTP, multiSZ("ListenOnlyList", raw...))
	}
	return ""
}

func netshShowDynamic(e *execEnv, proto string, idx int) int {
	e.h.mu.Lock()
	r := e.h.dyn[idx]
	e.h.mu.Unlock()
	t := e.h.text
	e.out.print("\r\n\r\n" + strings.Replace(t.dynTitle, "%s", proto, 1) + "\r\n" +
		"---------------------------------\r\n" +
		t.dynStart + strconv.Itoa(int(r.start)) + "\r\n" +
		t.dynNum + strconv.Itoa(int(r.num)) + "\r\n\r\n")
	return 0
}

func netshSetDynamic(e *execEnv, idx int, params []string) int {
	start, num := -1, -1
	for _, p := range params {
		tag, val, ok := strings.Cut(p, "=")
		if !ok {
			e.out.print(netshBadParam)
			return 1
		}
		n, err := strconv.Atoi(val)
		switch matchWord(tag, "start", "numberofports", "num", "store") {
		case "start":
			if err != nil {
				e.out.print(netshBadParam)
				return 1
			}
			start = n
		case "numberofports", "num":
			if err != nil {
				e.out.print(netshBadParam)
				return 1
			}
			num = n
		case "store":
			if matchWord(val, "active", "persistent") == "" {
				e.out.print(netshBadParam)
				return 1
			}
		default:
			e.out.print(netshBadParam)
			return 1
		}
	}
	if start < 0 || num < 0 {
		e.out.print(netshMissing)
		return 1
	}
	// Limits: at least 255 ports, start at 1025 or above, end at 65535
	// or below (KB 929851, windows-semantics.md).
	if num < 255 || start < 1025 || start+num-1 > 65535 {
		e.out.print(netshBadParam)
		return 1
	}
	e.h.mu.Lock()
	e.h.dyn[idx] = portRange{uint16(start), uint16(num)}
	e.h.mu.Unlock()
	e.out.print("Ok.\r\n\r\n")
	return 0
}
