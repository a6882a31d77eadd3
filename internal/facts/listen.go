package facts

import (
	"fmt"
	"net/netip"
)

// ListenSource names where a listen list was read.
type ListenSource string

// The listen list sources.
const (
	ListenNetsh    ListenSource = "netsh"    // netsh http show iplisten (2008+)
	ListenHttpcfg  ListenSource = "httpcfg"  // httpcfg query iplisten (2003)
	ListenRegistry ListenSource = "registry" // HTTP\Parameters\ListenOnlyList
)

// ListenList is the http.sys IP listen list (the configured one: what the
// HTTP service reads when it next starts). An empty list means http.sys
// listens on every address.
type ListenList struct {
	Source ListenSource `json:"source"`
	// Entries is never nil after parsing: an empty list is [].
	Entries  []ListenEntry `json:"entries"`
	Encoding string        `json:"encoding,omitempty"`
}

// Empty reports whether the list is empty (http.sys binds every address).
func (l *ListenList) Empty() bool { return len(l.Entries) == 0 }

// Covers reports whether http.sys, with this list, listens on addr for
// port: an empty list covers everything; an entry covers its address (or
// every address of its family when it is 0.0.0.0 / ::) on its port, or on
// every port when it has none.
func (l *ListenList) Covers(addr netip.Addr, port uint16) bool {
	if l.Empty() {
		return true
	}
	addr = addr.Unmap()
	for _, e := range l.Entries {
		if e.Port != 0 && e.Port != port {
			continue
		}
		a := e.Addr.Unmap()
		if a.WithZone("") == addr.WithZone("") || (a.IsUnspecified() && a.Is4() == addr.Is4()) {
			return true
		}
	}
	return false
}

// ListenEntry is one entry of the list: an address, and a port when the
// entry names one (some tools and documents write "10.0.0.5:80").
type ListenEntry struct {
	Addr netip.Addr
	Port uint16
}

// String returns "10.0.0.5", "10.0.0.5:80", "fe80::1" or "[fe80::1]:80".
func (e ListenEntry) String() string {
	if e.Port == 0 {
		return e.Addr.String()
	}
	return netip.AddrPortFrom(e.Addr, e.Port).String()
}

// MarshalText returns String.
func (e ListenEntry) MarshalText() ([]byte, error) {
	if !e.Addr.IsValid() {
		return nil, fmt.Errorf("facts: listen entry without an address")
	}
	return []byte(e.String()), nil
}

// UnmarshalText accepts what String returns.
func (e *ListenEntry) UnmarshalText(b []byte) error {
	v, err := ParseListenEntry(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// ParseListenEntry reads "10.0.0.5", "10.0.0.5:80", "::" or "[fe80::1]:80".
func ParseListenEntry(s string) (ListenEntry, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return ListenEntry{Addr: a}, nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ListenEntry{}, fmt.Errorf("facts: %q is not an IP address or address:port", s)
	}
	return ListenEntry{Addr: ap.Addr(), Port: ap.Port()}, nil
}

// ListenListFromRegistry builds the list from the registry value that
// stores it (HTTP\Parameters\ListenOnlyList, REG_MULTI_SZ): absent is the
// empty list; an entry that is not an address is an error.
func ListenListFromRegistry(v RegistryValue) (ListenList, error) {
	l := ListenList{Source: ListenRegistry, Entries: []ListenEntry{}}
	if v.Absent {
		return l, nil
	}
	if v.Type != RegMultiSZ {
		return ListenList{}, fmt.Errorf("facts: ListenOnlyList is %s, not REG_MULTI_SZ", v.Type)
	}
	for _, s := range v.Strings {
		e, err := ParseListenEntry(s)
		if err != nil {
			return ListenList{}, err
		}
		l.Entries = append(l.Entries, e)
	}
	return l, nil
}
