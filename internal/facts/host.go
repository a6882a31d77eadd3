package facts

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON document. It changes when a
// key is renamed or its meaning changes; adding an optional key does not
// change it.
const SchemaVersion = 1

// Host is the facts document of one host for one run. Pointer and slice
// fields are nil when the fact was not asked for or could not be
// collected; [Host.FactErrors] says which.
type Host struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	Address string `json:"address"`
	// OS is what `ver` printed.
	OS *OSVersion `json:"os,omitempty"`
	// Locale is the host's UI language (e.g. "de-DE") and CodePage the
	// OEM code page its console tools write in (e.g. 850), as far as
	// they are known.
	Locale   string `json:"locale,omitempty"`
	CodePage int    `json:"code_page,omitempty"`

	// Auth is the authentication the host's session used: "ntlm",
	// "kerberos" or "basic" (what auth = "negotiate" chose); empty when
	// no session was opened.
	Auth string `json:"auth,omitempty"`

	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Status   Status    `json:"status"`
	// Error is one line on why Status is not ok. It never holds a
	// credential.
	Error string `json:"error,omitempty"`

	Sockets      *Sockets           `json:"sockets,omitempty"`
	ListenList   *ListenList        `json:"listen_list,omitempty"`
	Registry     []RegistryValue    `json:"registry,omitempty"`
	DynamicPorts []DynamicPortRange `json:"dynamic_ports,omitempty"`
	Services     []Service          `json:"services,omitempty"`
	// BootTime is when the host last started (wmic os get
	// LastBootUpTime), zero when not collected. A registry value that
	// changed after it and takes effect at boot is not in effect yet.
	BootTime time.Time `json:"boot_time,omitzero"`
	// HTTPURLs are the URLs registered with http.sys (netsh http show
	// servicestate): the sites' and WinRM's bindings. Nil when not
	// collected.
	HTTPURLs []HTTPURL `json:"http_urls,omitempty"`
	// Addresses are the host's own IP addresses (ipconfig), nil when not
	// collected: a listen-list entry the host lacks is stale.
	Addresses  []netip.Addr `json:"addresses,omitempty"`
	FactErrors []FactError  `json:"fact_errors,omitempty"`
	// Outputs keep, per command, the lines of host output the facts rest
	// on (decoded to UTF-8, numbered as the host printed them), so that a
	// finding can show its evidence. Large outputs keep only the lines a
	// check can cite (see [Output]).
	Outputs []Output `json:"outputs,omitempty"`
}

// NewHost returns an empty document for a host, with the schema version
// set.
func NewHost(name, address string) *Host {
	return &Host{Version: SchemaVersion, Name: name, Address: address}
}

// Duration is how long the collection took; 0 when either time is unset.
func (h *Host) Duration() time.Duration {
	if h.Started.IsZero() || h.Finished.IsZero() {
		return 0
	}
	return h.Finished.Sub(h.Started)
}

// AddFactError records that one fact could not be collected or parsed.
func (h *Host) AddFactError(e FactError) { h.FactErrors = append(h.FactErrors, e) }

// RegistryValue returns the requested value with this path and name
// (case-insensitive, HKLM/HKCU abbreviations accepted).
func (h *Host) RegistryValue(path, name string) (RegistryValue, bool) {
	p := CanonicalRegPath(path)
	for _, v := range h.Registry {
		if !strings.EqualFold(v.Name, name) {
			continue
		}
		// Collected paths are canonical already; canonicalise only the
		// odd one.
		if strings.EqualFold(v.Path, p) || strings.EqualFold(CanonicalRegPath(v.Path), p) {
			return v, true
		}
	}
	return RegistryValue{}, false
}

// DynamicPortRange returns the range collected for a family ("ipv4",
// "ipv6") and protocol ("tcp", "udp").
func (h *Host) DynamicPortRange(family, protocol string) (DynamicPortRange, bool) {
	for _, r := range h.DynamicPorts {
		if strings.EqualFold(r.Family, family) && strings.EqualFold(r.Protocol, protocol) {
			return r, true
		}
	}
	return DynamicPortRange{}, false
}

// Service returns the collected state of a service (by key name,
// case-insensitive).
func (h *Host) Service(name string) (Service, bool) {
	for _, s := range h.Services {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Service{}, false
}

// ClientPortRange is the TCP client (ephemeral) port range in effect for
// a family, as far as the document tells: the collected dynamic port
// range from Windows 2008 on; on Windows 2003 (OS major version 5)
// 1025..MaxUserPort, with MaxUserPort from the collected registry value
// (5000 when absent). The registry holds the configured value, which takes
// effect at the next boot, so on 2003 this is the range after a reboot.
func (h *Host) ClientPortRange(family string) (PortRange, bool) {
	if r, ok := h.DynamicPortRange(family, "tcp"); ok {
		return r.PortRange, true
	}
	if h.OS == nil || h.OS.Major != 5 || family != "ipv4" {
		return PortRange{}, false
	}
	top := uint64(5000)
	if v, ok := h.RegistryValue(TcpipParameters, "MaxUserPort"); ok && !v.Absent && v.Number != nil {
		top = min(max(*v.Number, 5000), 65534)
	}
	return PortRange{Start: 1025, Count: int(top) - 1024}, true
}

// DeriveEphemeral fills Sockets.Summary.Ephemeral from the client port
// ranges the document knows ([Host.ClientPortRange]). It does nothing
// without sockets.
func (h *Host) DeriveEphemeral() {
	if h.Sockets == nil {
		return
	}
	h.Sockets.Summary.Ephemeral = h.Sockets.Summary.Ephemeral[:0]
	for _, fam := range []string{"ipv4", "ipv6"} {
		if r, ok := h.ClientPortRange(fam); ok {
			h.Sockets.Summary.Ephemeral = append(h.Sockets.Summary.Ephemeral, h.Sockets.EphemeralUse(fam, r))
		}
	}
	if len(h.Sockets.Summary.Ephemeral) == 0 {
		h.Sockets.Summary.Ephemeral = nil
	}
}

// Status classifies how the collection of one host ended.
type Status uint8

// The statuses. StatusUnknown is the zero value: not collected (yet).
const (
	StatusUnknown Status = iota
	StatusOK
	StatusUnreachable
	StatusTimeout
	StatusAuth
	StatusTLS
	StatusQuota
	StatusProtocol
	StatusCommandFailed
	StatusParseError
)

var statusNames = [...]string{
	StatusUnknown:       "unknown",
	StatusOK:            "ok",
	StatusUnreachable:   "unreachable",
	StatusTimeout:       "timeout",
	StatusAuth:          "auth",
	StatusTLS:           "tls",
	StatusQuota:         "quota",
	StatusProtocol:      "protocol",
	StatusCommandFailed: "command-failed",
	StatusParseError:    "parse-error",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// MarshalText returns the status name.
func (s Status) MarshalText() ([]byte, error) {
	if int(s) >= len(statusNames) {
		return nil, fmt.Errorf("facts: invalid status %d", uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText accepts the names String returns.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseStatus parses a status name.
func ParseStatus(name string) (Status, error) {
	for i, n := range statusNames {
		if n == name {
			return Status(i), nil
		}
	}
	return 0, fmt.Errorf("facts: unknown status %q", name)
}

// The fact names used in [FactError.Fact].
const (
	FactOS           = "os"
	FactSockets      = "sockets"
	FactListenList   = "listen_list"
	FactRegistry     = "registry"
	FactDynamicPorts = "dynamic_ports"
	FactServices     = "services"
	FactBootTime     = "boot_time"
	FactHTTPURLs     = "http_urls"
	FactAddresses    = "addresses"
)

// FactError says why one fact is missing: the command failed, or its
// output could not be parsed. The other facts of the host are unaffected.
type FactError struct {
	// Fact is one of the Fact* names.
	Fact string `json:"fact"`
	// Command is the command line that was run (built from typed values,
	// never holding a secret).
	Command string `json:"command,omitempty"`
	// Status is StatusCommandFailed or StatusParseError.
	Status   Status `json:"status"`
	ExitCode int    `json:"exit_code,omitempty"`
	// Kind, Line and Text locate a parse error: the parser kind, the
	// 1-based line and the line itself (shortened).
	Kind    string `json:"kind,omitempty"`
	Line    int    `json:"line,omitempty"`
	Text    string `json:"text,omitempty"`
	Message string `json:"message"`
}

func (e FactError) Error() string {
	var b strings.Builder
	b.WriteString(e.Fact)
	if e.Kind != "" {
		b.WriteString(" (" + e.Kind + ")")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	b.WriteString(": " + e.Message)
	if e.Text != "" {
		fmt.Fprintf(&b, ": %q", e.Text)
	}
	return b.String()
}
