package parse

// ipconfig (and ipconfig /all): the host's own IP addresses.
//
// The layout (testdata/ipconfig and its README name the captures): a
// title line ("Windows IP Configuration", "Windows-IP-Konfiguration",
// "Configuration IP de Windows", "Windows IP 配置"), with /all a block of
// indented host-wide lines, then per adapter a header (an unindented line
// ending in ':', "Ethernet adapter Ethernet:", "Carte Ethernet Ethernet :")
// and indented lines "<label> . . . : <value>" (the leader's dots and the
// blank before the colon vary by language: "IPv4-Adresse  . . . : ",
// "Adresse IPv4. . . .: ", "Verbindungsspezifisches DNS-Suffix: "), and
// continuation lines holding only a value (a second gateway, more DNS
// servers). A value may carry a status in parentheses, localized:
// "(Preferred)", "(Bevorzugt)", "(préféré)", "(首选)".
//
// The labels are localized, so the lines are classified by structure, and
// the structure that matters is the order within an adapter, which is
// fixed: its addresses, then the default gateway, then (with /all) the
// DHCP and DNS servers. From 2008 R2 on the addresses are the IPv6 ones
// (global, temporary, link-local), then each IPv4 address followed at once
// by its subnet mask; on 2003 (and XP) each IPv4 address and its mask,
// then any IPv6 address under the IPv4 label. So:
//
//  1. An IPv4 address followed at once by a line whose value is a subnet
//     mask (an IPv4 address of contiguous one bits, 255.255.255.0 or
//     0.0.0.0) is a host address, and that line a mask. The labels of such
//     address lines are the output's address labels.
//  2. In an adapter with a mask, the gateway line is the first line after
//     its last mask whose value is an address or empty and whose label is
//     not an address label (2003's IPv6 lines share the IPv4 label; /all's
//     lease lines are neither). Its label is the output's gateway label.
//  3. In an adapter without a mask (IPv6 only, or a tunnel), the gateway
//     line is the first line with a gateway label learned from another
//     adapter; failing that, in plain ipconfig, its last line (plain
//     ipconfig ends every connected adapter with the gateway). An /all
//     adapter with addresses but no mask and no learned gateway label is
//     an error: run plain ipconfig.
//  4. The host's addresses are the address values of the lines before the
//     gateway line, masks excluded. Continuation lines, the gateway and
//     everything after it (DHCP, DNS and WINS servers) and the host-wide
//     lines are never the host's. Unspecified addresses (0.0.0.0, ::) are
//     left out: 2003 shows a released DHCP lease as IP Address 0.0.0.0.
//
// The result is the host's addresses in the order ipconfig lists them,
// each once, IPv6 link-local ones with their zone as printed
// (fe80::1%11: compare with WithZone("")), whatever their status (a
// "(Duplicate)" or "(Tentative)" address is listed: the status word is
// localized and not read). An adapter without addresses (a disconnected
// or tunnel adapter) adds none; an output without any adapter header is
// an error (Windows prints that only with every adapter disabled).

import (
	"io"
	"net/netip"
	"strings"
)

// ipcfgLine is one labelled line of an adapter (or of the host-wide
// block) and its continuation lines.
type ipcfgLine struct {
	n     int // line number
	text  string
	label string
	value string
	addr  netip.Addr // the value as an address, when it is one
	cont  int        // number of continuation lines
}

func (l *ipcfgLine) addrOrEmpty() bool { return l.addr.IsValid() || l.value == "" || l.cont > 0 }

// ParseIPConfig reads the output of `ipconfig` or `ipconfig /all` and
// returns the host's own addresses, in ipconfig's order, each once, IPv6
// link-local ones with their zone as printed (fe80::1%11): never a subnet
// mask, a gateway, a DHCP, DNS or WINS server, nor 0.0.0.0. The labels are
// localized, so lines are told apart by structure: an IPv4 address is
// followed at once by its mask (an address of contiguous one bits); the
// gateway is the first address-or-empty line after an adapter's last mask
// whose label is not an address label, and its label identifies the
// gateway in adapters without a mask (IPv6 only), else in plain ipconfig
// the adapter's last line is; the host's addresses are the address lines
// before it. An /all adapter with addresses and no way to find its gateway
// is an ErrUnknownFormat error. The result is an empty, non-nil list when
// no adapter has an address.
func ParseIPConfig(r io.Reader, opts Options) ([]netip.Addr, error) {
	in, err := readInput(KindIPConfig, r, opts)
	if err != nil {
		return nil, err
	}
	lines, err := in.lines()
	if err != nil {
		return nil, err
	}
	title := -1
	for i, l := range lines {
		if !isBlank(l) {
			title = i
			break
		}
	}
	if title < 0 {
		return nil, inputErr(KindIPConfig, ErrEmpty, "no ipconfig output")
	}
	if t := lines[title]; t[0] == ' ' || t[0] == '\t' || strings.HasSuffix(strings.TrimSpace(t), ":") {
		return nil, lineErr(KindIPConfig, title+1, t, ErrUnknownFormat, "not ipconfig output: expected its title line first")
	}
	var (
		global   []ipcfgLine   // /all's host-wide lines
		adapters [][]ipcfgLine // each adapter's lines
		cur      *[]ipcfgLine
	)
	cur = &global
	for i := title + 1; i < len(lines); i++ {
		l := lines[i]
		if isBlank(l) {
			continue
		}
		if l[0] != ' ' && l[0] != '\t' {
			if !strings.HasSuffix(strings.TrimSpace(l), ":") {
				return nil, lineErr(KindIPConfig, i+1, l, ErrUnknownFormat, "expected an adapter header \"... adapter NAME:\"")
			}
			adapters = append(adapters, nil)
			cur = &adapters[len(adapters)-1]
			continue
		}
		t := strings.TrimSpace(l)
		if _, ok := ipcfgAddr(t); ok {
			// A continuation line holding an address.
			if len(*cur) == 0 {
				return nil, lineErr(KindIPConfig, i+1, l, ErrUnknownFormat, "a value without a label")
			}
			(*cur)[len(*cur)-1].cont++
			continue
		}
		label, value, ok := strings.Cut(t, ": ")
		if !ok {
			label, ok = strings.CutSuffix(t, ":")
		}
		if !ok {
			// A continuation line holding something else (a DNS suffix
			// of the search list).
			if len(*cur) == 0 {
				return nil, lineErr(KindIPConfig, i+1, l, ErrUnknownFormat, "expected \"LABEL . . . : VALUE\"")
			}
			(*cur)[len(*cur)-1].cont++
			continue
		}
		e := ipcfgLine{n: i + 1, text: l, label: strings.TrimRight(label, " ."), value: strings.TrimSpace(value)}
		if a, ok := ipcfgAddr(e.value); ok {
			e.addr = a
		}
		*cur = append(*cur, e)
	}
	if len(adapters) == 0 {
		// Windows prints the title alone only with every adapter
		// disabled; a host fleetport reaches has one.
		return nil, lineErr(KindIPConfig, title+1, lines[title], ErrUnknownFormat, "not ipconfig output: no adapter")
	}
	plain := len(global) == 0

	// Rule 1: address-mask pairs, and the address labels.
	addrLabels := map[string]bool{}
	masks := make([]map[int]bool, len(adapters))
	for k, ad := range adapters {
		masks[k] = map[int]bool{}
		for j := 0; j+1 < len(ad); j++ {
			if masks[k][j] || !ad[j].addr.Is4() || ad[j].cont > 0 || !isMask(ad[j+1].addr) {
				continue
			}
			masks[k][j+1] = true
			addrLabels[ad[j].label] = true
		}
	}
	// Rule 2: the gateway after the last mask, and the gateway labels.
	gw := make([]int, len(adapters))
	gwLabels := map[string]bool{}
	for k, ad := range adapters {
		gw[k] = -1
		last := -1
		for j := range ad {
			if masks[k][j] {
				last = j
			}
		}
		if last < 0 {
			continue
		}
		gw[k] = len(ad)
		for j := last + 1; j < len(ad); j++ {
			if ad[j].addrOrEmpty() && !addrLabels[ad[j].label] {
				gw[k] = j
				gwLabels[ad[j].label] = true
				break
			}
		}
	}
	// Rule 3: adapters without a mask.
	for k, ad := range adapters {
		if gw[k] >= 0 {
			continue
		}
		gw[k] = len(ad)
		found := false
		for j := range ad {
			if gwLabels[ad[j].label] {
				gw[k], found = j, true
				break
			}
		}
		if found {
			continue
		}
		if plain {
			if n := len(ad); n > 0 && ad[n-1].addrOrEmpty() {
				gw[k] = n - 1
			}
			continue
		}
		for _, e := range ad {
			if e.addr.IsValid() {
				return nil, lineErr(KindIPConfig, e.n, e.text, ErrUnknownFormat,
					"an adapter without an IPv4 address: cannot tell its addresses from its gateway in ipconfig /all (run ipconfig)")
			}
		}
	}
	// Rule 4: the addresses before the gateway.
	out := []netip.Addr{}
	seen := map[netip.Addr]bool{}
	for k, ad := range adapters {
		for j := 0; j < gw[k] && j < len(ad); j++ {
			a := ad[j].addr
			if !a.IsValid() || masks[k][j] || a.IsUnspecified() || seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// ipcfgAddr reads a value as an address, without a trailing status in
// parentheses ("10.0.0.5(Preferred)", "fe80::1%11(首选)").
func ipcfgAddr(v string) (netip.Addr, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '('); i > 0 && strings.HasSuffix(v, ")") {
		v = strings.TrimSpace(v[:i])
	}
	if v == "" || strings.ContainsAny(v, " \t") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}

// isMask reports whether a is an IPv4 subnet mask: ones, then zeros.
func isMask(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	inv := ^m
	return inv&(inv+1) == 0
}
