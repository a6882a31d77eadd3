package winhost

// ipconfig (without arguments): the host's interfaces and their
// addresses, localized like netstat, in the OEM code page.
//
// Layout (2008 R2 on; text_en.go names the captures): a blank line, the
// title, two blank lines, then per adapter its header ("Ethernet adapter
// NAME:"), a blank line and its lines, adapters separated by a blank line,
// nothing after the last line. A connected adapter lists the
// connection-specific DNS suffix, its IPv6 addresses, its link-local IPv6
// address with the interface index as zone (%11), then each IPv4 address
// followed by its subnet mask, then the default gateway (empty when
// none); every label is followed by ": " even when the value is empty.
// 2008 R2 to 2016 add a disconnected ISATAP tunnel adapter per interface.
// 2003 indents by 8 blanks, calls the address "IP Address", has no IPv6
// unless configured and no tunnel adapters.
//
// [chosen] The link-local address is derived from the host and interface
// names (Windows draws a random interface identifier); the interface
// index is 11 (2008 R2), 12 (2012 R2), 2 (2016), 4 (2019), 6 (2022) for
// the first interface and counts up from there; the ISATAP adapter's GUID
// is derived from the host name; ISATAP is gone from 2019 on; the
// connection-specific DNS suffix is empty (static addresses); each IPv4
// address gets its own mask line. `ipconfig /all` and the other switches
// are not modelled: ipconfig answers as to a command line it does not
// understand.

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"
)

// ipconfigUsage is the start of ipconfig's usage text [chosen: abridged].
const ipconfigUsage = "\r\nUSAGE:\r\n" +
	"    ipconfig [/allcompartments] [/? | /all | \r\n" +
	"                                 /renew [adapter] | /release [adapter] |\r\n" +
	"                                 /renew6 [adapter] | /release6 [adapter] |\r\n" +
	"                                 /flushdns | /displaydns | /registerdns |\r\n" +
	"                                 /showclassid adapter |\r\n" +
	"                                 /setclassid adapter [classid] |\r\n" +
	"                                 /showclassid6 adapter |\r\n" +
	"                                 /setclassid6 adapter [classid] ]\r\n\r\n"

func runIpconfig(e *execEnv, args []string, _ string) int {
	if len(args) > 0 {
		if len(args) == 1 && (args[0] == "/?" || args[0] == "-?") {
			e.out.print(ipconfigUsage)
			return 0
		}
		e.out.print("\r\nError: unrecognized or incomplete command line.\r\n" + ipconfigUsage)
		return 1
	}
	e.out.print(e.h.ipconfigText())
	return 0
}

// firstIfIndex is the interface index of the first interface by release.
var firstIfIndex = map[OS]int{Server2008R2: 11, Server2012R2: 12, Server2016: 2, Server2019: 4, Server2022: 6}

// linkLocalFor is the link-local address of interface i.
func (h *Host) linkLocalFor(i int) netip.Addr {
	f := fnv.New64a()
	_, _ = f.Write([]byte(strings.ToUpper(h.name) + "|" + h.ifaces[i].Name))
	iid := f.Sum64()
	var b [16]byte
	b[0], b[1] = 0xfe, 0x80
	for k := 0; k < 8; k++ {
		b[8+k] = byte(iid >> (56 - 8*k))
	}
	return netip.AddrFrom16(b).WithZone(fmt.Sprint(firstIfIndex[h.os] + i))
}

// hasLinkLocal reports whether interface i has a link-local address of
// its own in the spec.
func (h *Host) hasLinkLocal(i int) bool {
	for _, a := range h.ifaces[i].Addrs {
		if a.Is6() && a.IsLinkLocalUnicast() {
			return true
		}
	}
	return false
}

// isatapGUID is the ISATAP adapter's interface GUID for interface i.
func (h *Host) isatapGUID(i int) string {
	f := fnv.New128a()
	_, _ = f.Write([]byte("isatap|" + strings.ToUpper(h.name) + "|" + h.ifaces[i].Name))
	s := f.Sum(nil)
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// maskOf is the subnet mask of interface i's address j, as ipconfig
// writes it.
func (h *Host) maskOf(i, j int) string {
	a := h.ifaces[i].Addrs[j]
	bits := 0
	if j < len(h.ifaces[i].Bits) {
		bits = h.ifaces[i].Bits[j]
	}
	if bits == 0 {
		bits = 24
		if a.IsLoopback() {
			bits = 8
		}
	}
	var m [4]byte
	for k := 0; k < bits && k < 32; k++ {
		m[k/8] |= 0x80 >> (k % 8)
	}
	return netip.AddrFrom4(m).String()
}

// ipconfigText renders plain ipconfig.
func (h *Host) ipconfigText() string {
	t := &h.text.ipcfg
	var b strings.Builder
	b.WriteString("\r\n" + t.title + "\r\n\r\n")
	old := h.os == Server2003
	indent := "   "
	if old {
		indent = "        "
	}
	line := func(label, value string) { b.WriteString(indent + label + value + "\r\n") }
	for i, itf := range h.ifaces {
		if old {
			b.WriteString("\r\n" + fmt.Sprintf(t.ethernet2003, itf.Name) + "\r\n\r\n")
			line(t.suffix2003, "")
			for j, a := range itf.Addrs {
				if a.Is4() {
					line(t.ip2003, a.String())
					line(t.mask2003, h.maskOf(i, j))
				}
			}
			// XP/2003 list IPv6 addresses after the IPv4 pairs, with
			// the same label (the XP captures with IPv6 installed).
			for _, a := range itf.Addrs {
				if a.Is6() {
					line(t.ip2003, a.String())
				}
			}
			line(t.gateway2003, gatewayText(itf.Gateway))
			continue
		}
		b.WriteString("\r\n" + fmt.Sprintf(t.ethernet, itf.Name) + "\r\n\r\n")
		line(t.suffix, "")
		for _, a := range itf.Addrs {
			if a.Is6() && !a.IsLinkLocalUnicast() {
				line(t.ipv6, a.String())
			}
		}
		for _, a := range itf.Addrs {
			if a.Is6() && a.IsLinkLocalUnicast() {
				line(t.linkLocal, a.String())
			}
		}
		if !h.hasLinkLocal(i) {
			line(t.linkLocal, h.linkLocalFor(i).String())
		}
		for j, a := range itf.Addrs {
			if a.Is4() {
				line(t.ipv4, a.String())
				line(t.mask, h.maskOf(i, j))
			}
		}
		line(t.gw, gatewayText(itf.Gateway))
	}
	if h.os >= Server2008R2 && h.os <= Server2016 {
		for i := range h.ifaces {
			b.WriteString("\r\n" + fmt.Sprintf(t.tunnel, "isatap."+h.isatapGUID(i)) + "\r\n\r\n")
			line(t.media, t.mediaOff)
			line(t.suffix, "")
		}
	}
	return b.String()
}

func gatewayText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Addresses are the host's addresses as ipconfig lists them, in its
// order: per interface its IPv6 addresses, its link-local address (from
// 2008 R2 on, with the interface index as zone, fe80::...%11) and its
// IPv4 addresses. Subnet masks and gateways are not addresses of the host.
func (h *Host) Addresses() []netip.Addr {
	var out []netip.Addr
	for i, itf := range h.ifaces {
		if h.os == Server2003 {
			for _, a := range itf.Addrs {
				if a.Is4() {
					out = append(out, a)
				}
			}
			for _, a := range itf.Addrs {
				if a.Is6() {
					out = append(out, a)
				}
			}
			continue
		}
		for _, a := range itf.Addrs {
			if a.Is6() && !a.IsLinkLocalUnicast() {
				out = append(out, a)
			}
		}
		for _, a := range itf.Addrs {
			if a.Is6() && a.IsLinkLocalUnicast() {
				out = append(out, a)
			}
		}
		if !h.hasLinkLocal(i) {
			out = append(out, h.linkLocalFor(i))
		}
		for _, a := range itf.Addrs {
			if a.Is4() {
				out = append(out, a)
			}
		}
	}
	return out
}
