package facts

// PortRange is a range of ports: Count ports from Start.
type PortRange struct {
	Start uint16 `json:"start"`
	Count int    `json:"count"`
}

// Valid reports whether the range is non-empty and ends at or below
// 65535.
func (r PortRange) Valid() bool {
	return r.Start > 0 && r.Count > 0 && int(r.Start)+r.Count-1 <= 65535
}

// End is the last port of the range (Start for an empty range).
func (r PortRange) End() uint16 {
	if r.Count <= 0 {
		return r.Start
	}
	return uint16(min(int(r.Start)+r.Count-1, 65535))
}

// Contains reports whether port is in the range.
func (r PortRange) Contains(port uint16) bool {
	return r.Count > 0 && port >= r.Start && port <= r.End()
}

// DynamicPortRange is a client (ephemeral) port range as
// `netsh int ipv4|ipv6 show dynamicport tcp|udp` shows it.
type DynamicPortRange struct {
	// Family is "ipv4" or "ipv6" and Protocol "tcp" or "udp". The netsh
	// output names the protocol but not the family: the collector sets
	// Family from the command it ran.
	Family   string `json:"family,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	PortRange
	// Source is "netsh" (or "MaxUserPort" for a range derived from the
	// Windows 2003 registry value).
	Source   string `json:"source"`
	Encoding string `json:"encoding,omitempty"`
}

// DefaultDynamicPortRange is the Vista/2008+ default: 49152..65535.
var DefaultDynamicPortRange = PortRange{Start: 49152, Count: 16384}
