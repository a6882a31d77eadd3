package policies

// A reference evaluator of the check semantics the Check types document,
// over a minimal facts model. It exists to test the built-in pack against
// the simulator's baseline and drift kinds; drift implements the same
// semantics over the real facts document and can port these cases.

import (
	"net/netip"
	"slices"
	"strings"
)

type refSocket struct {
	proto Protocol
	addr  netip.AddrPort
}

type refConn struct {
	local, remote netip.AddrPort
	state         TCPState
	count         int // a pile: count rows toward remote
}

type refFacts struct {
	registry   map[string]RegData // strings.ToLower(key\name); absent when missing
	listenList []netip.Addr       // configured
	listeners  []refSocket
	conns      []refConn
	ranges     map[PortRangeRef][2]int // start, number of ports
	services   map[string]ServiceState // strings.ToLower(name); missing: not installed
	release    Release
}

func regKey(v RegistryValue) string { return strings.ToLower(v.String()) }

// verdict is pass, fail, n/a or unknown.
type verdict string

const (
	vPass    verdict = "pass"
	vFail    verdict = "fail"
	vNA      verdict = "n/a"
	vUnknown verdict = "unknown"
)

// judge evaluates a resolved policy: n/a when it does not apply or every
// check is n/a; fail when a check fails; unknown when a check is unknown
// and none fails; pass otherwise.
func judge(r *Resolved, f *refFacts) (verdict, []string) {
	switch r.Applies {
	case NotApplicable:
		return vNA, nil
	case ApplicabilityUnknown:
		return vUnknown, nil
	}
	out := vNA
	var failed []string
	for _, c := range r.Checks {
		var v verdict
		switch c.Common().Applies {
		case NotApplicable:
			continue
		case ApplicabilityUnknown:
			v = vUnknown
		default:
			v = checkFacts(c, f)
		}
		switch {
		case v == vFail:
			failed = append(failed, c.Common().DeclRange.String())
			out = vFail
		case v == vUnknown && out != vFail:
			out = vUnknown
		case v == vPass && out == vNA:
			out = vPass
		}
	}
	return out, failed
}

func checkFacts(c Check, f *refFacts) verdict {
	b := func(ok bool) verdict {
		if ok {
			return vPass
		}
		return vFail
	}
	switch c := c.(type) {
	case *RegistryCheck:
		d, present := f.registry[regKey(c.Value)]
		var data *RegData
		if present {
			data = &d
			if d.Type != c.Value.Type {
				return vFail
			}
		}
		ok, known := c.satisfiedBy(data)
		if !known {
			return vUnknown
		}
		return b(ok)
	case *ListenListCheck:
		l := f.listenList
		if len(l) == 0 && c.AllowEmpty {
			return vPass
		}
		for _, a := range c.Contains {
			if !slices.Contains(l, a) {
				return vFail
			}
		}
		for _, a := range c.Excludes {
			if slices.Contains(l, a) {
				return vFail
			}
		}
		if c.Restricted {
			for _, a := range l {
				if !slices.Contains(c.Only, a) {
					return vFail
				}
			}
		}
		return vPass
	case *ListenerCheck:
		var on []netip.Addr
		for _, s := range f.listeners {
			if s.proto == c.Protocol && s.addr.Port() == c.Port {
				on = append(on, s.addr.Addr())
			}
		}
		if c.Listening != nil && *c.Listening != (len(on) > 0) {
			return vFail
		}
		for _, a := range on {
			if c.NotWildcard && a.IsUnspecified() {
				return vFail
			}
			if c.Restricted && !slices.Contains(c.OnlyAddresses, a) {
				return vFail
			}
		}
		return vPass
	case *ConnectionsCheck:
		per := map[netip.AddrPort]int{}
		total := 0
		for _, k := range f.conns {
			if len(c.States) > 0 && !slices.Contains(c.States, k.state) {
				continue
			}
			if c.RemotePort != 0 && k.remote.Port() != c.RemotePort {
				continue
			}
			if c.RemoteAddress.IsValid() && k.remote.Addr() != c.RemoteAddress {
				continue
			}
			n := max(k.count, 1)
			per[k.remote] += n
			total += n
		}
		if c.MaxTotal != nil && total > *c.MaxTotal {
			return vFail
		}
		for remote, n := range per {
			if c.MaxPerRemote != nil && n > *c.MaxPerRemote {
				return vFail
			}
			if c.MaxShareOfRange != nil {
				size, ok := clientRange(f, remote.Addr())
				if !ok {
					return vUnknown
				}
				if float64(n)/float64(size) > *c.MaxShareOfRange {
					return vFail
				}
			}
		}
		return vPass
	case *DynamicPortRangeCheck:
		r, ok := f.ranges[c.Ports]
		if !ok {
			return vUnknown
		}
		if c.Start != nil && r[0] != *c.Start || c.Size != nil && r[1] != *c.Size || c.MinSize != nil && r[1] < *c.MinSize {
			return vFail
		}
		return vPass
	case *ServiceCheck:
		st, installed := f.services[strings.ToLower(c.Service)]
		switch c.State {
		case ServiceRunning:
			return b(installed && st == ServiceRunning)
		case ServiceStopped:
			return b(!installed || st == ServiceStopped)
		}
		return vPass
	}
	return vUnknown
}

// clientRange is the size of the client port range for a remote address,
// as ConnectionsCheck documents.
func clientRange(f *refFacts, remote netip.Addr) (int, bool) {
	if f.release == ReleaseUnknown {
		return 0, false
	}
	if f.release <= Release2003 {
		max := 5000
		if d, ok := f.registry[strings.ToLower(string(KeyTcpipParameters)+`\MaxUserPort`)]; ok {
			max = int(d.Num)
		}
		return max - 1024, true
	}
	fam := IPv4
	if remote.Is6() && !remote.Is4In6() {
		fam = IPv6
	}
	r, ok := f.ranges[PortRangeRef{Protocol: TCP, Family: fam}]
	return r[1], ok
}
