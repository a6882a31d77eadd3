package policies

// The typed values rules and remediations carry. Everything that may one
// day reach a remote command line is one of these types, validated when it
// is decoded: an IP address ([net/netip.Addr]), a port, a registry key from
// the known set, a value name of safe characters, registry data of a
// declared type, a service key name. Nothing from a policy or an inventory
// travels as free text.

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Applicability is the tri-state answer to "does this apply to the host":
// a per-host expression or an OS range that needs a value not collected
// yet answers [ApplicabilityUnknown], never a guess. The zero value is
// unknown, so an unset Applicability is never taken for compliance.
type Applicability int

// The three answers.
const (
	ApplicabilityUnknown Applicability = iota
	Applies
	NotApplicable
)

func (a Applicability) String() string {
	switch a {
	case Applies:
		return "applies"
	case NotApplicable:
		return "not applicable"
	}
	return "unknown"
}

// and combines two answers: not applicable wins, then unknown.
func (a Applicability) and(b Applicability) Applicability {
	switch {
	case a == NotApplicable || b == NotApplicable:
		return NotApplicable
	case a == ApplicabilityUnknown || b == ApplicabilityUnknown:
		return ApplicabilityUnknown
	}
	return Applies
}

// RegType is a registry value type. Only the types fleetport reads and
// writes are here.
type RegType int

// The registry types.
const (
	RegTypeUnset RegType = iota
	RegDWORD
	RegQWORD
	RegSZ
	RegMultiSZ
)

var regTypeNames = [...]string{RegTypeUnset: "", RegDWORD: "REG_DWORD", RegQWORD: "REG_QWORD", RegSZ: "REG_SZ", RegMultiSZ: "REG_MULTI_SZ"}

// String returns the reg.exe spelling ("REG_DWORD").
func (t RegType) String() string {
	if t <= RegTypeUnset || int(t) >= len(regTypeNames) {
		return "unset"
	}
	return regTypeNames[t]
}

// Numeric reports whether the type holds a number.
func (t RegType) Numeric() bool { return t == RegDWORD || t == RegQWORD }

// maxValue is the largest number the type holds.
func (t RegType) maxValue() uint64 {
	if t == RegDWORD {
		return math.MaxUint32
	}
	return math.MaxUint64
}

// ParseRegType parses "REG_DWORD", "REG_QWORD", "REG_SZ" or "REG_MULTI_SZ"
// (case-insensitive).
func ParseRegType(s string) (RegType, error) {
	for t := RegDWORD; int(t) < len(regTypeNames); t++ {
		if strings.EqualFold(regTypeNames[t], strings.TrimSpace(s)) {
			return t, nil
		}
	}
	return RegTypeUnset, fmt.Errorf("unknown registry type %q (want REG_DWORD, REG_QWORD, REG_SZ or REG_MULTI_SZ)", s)
}

// RegData is registry data of one type: Num for REG_DWORD and REG_QWORD,
// Str for REG_SZ, Multi for REG_MULTI_SZ.
type RegData struct {
	Type  RegType
	Num   uint64
	Str   string
	Multi []string
}

// DWORD returns REG_DWORD data.
func DWORD(n uint32) RegData { return RegData{Type: RegDWORD, Num: uint64(n)} }

// String renders the data for messages: decimal numbers, quoted strings.
func (d RegData) String() string {
	switch d.Type {
	case RegDWORD, RegQWORD:
		return strconv.FormatUint(d.Num, 10)
	case RegSZ:
		return strconv.Quote(d.Str)
	case RegMultiSZ:
		q := make([]string, len(d.Multi))
		for i, s := range d.Multi {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return "<unset>"
}

// Equal reports whether two data are the same type and value. Strings
// compare case-sensitively, as Windows stores them.
func (d RegData) Equal(e RegData) bool {
	if d.Type != e.Type {
		return false
	}
	switch d.Type {
	case RegDWORD, RegQWORD:
		return d.Num == e.Num
	case RegSZ:
		return d.Str == e.Str
	case RegMultiSZ:
		return slices.Equal(d.Multi, e.Multi)
	}
	return true
}

// checkRegString validates string data that a remediation may one day
// write through reg.exe: printable, no double quote (it would end the
// quoted /d argument), no percent sign (cmd.exe expands %VAR% even inside
// quotes), no control characters, at most 1024 characters.
func checkRegString(s string) error {
	if len(s) > 1024 {
		return fmt.Errorf("is %d characters long; at most 1024 are allowed", len(s))
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("contains the control character %U", r)
		case r == '"':
			return fmt.Errorf("contains a double quote")
		case r == '%':
			return fmt.Errorf("contains a percent sign, which cmd.exe would expand")
		}
	}
	return nil
}

// checkValueName validates a registry value name: 1 to 255 characters of
// letters, digits, space and _-.$ (every value name fleetport knows fits).
func checkValueName(s string) error {
	if s == "" || len(s) > 255 {
		return fmt.Errorf("must be 1 to 255 characters long")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" _-.$", r)) {
			return fmt.Errorf("contains %q; value names are letters, digits, space and _-.$", r)
		}
	}
	return nil
}

// Protocol is a transport protocol of the socket table.
type Protocol int

// The protocols.
const (
	TCP Protocol = iota
	UDP
)

func (p Protocol) String() string {
	if p == UDP {
		return "udp"
	}
	return "tcp"
}

func parseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	}
	return TCP, fmt.Errorf("unknown protocol %q (want tcp or udp)", s)
}

// Family is an IP address family, as netsh's "int ipv4" / "int ipv6".
type Family int

// The families.
const (
	IPv4 Family = iota
	IPv6
)

func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

func parseFamily(s string) (Family, error) {
	switch strings.ToLower(s) {
	case "ipv4":
		return IPv4, nil
	case "ipv6":
		return IPv6, nil
	}
	return IPv4, fmt.Errorf("unknown address family %q (want ipv4 or ipv6)", s)
}

// TCPState is a TCP connection state, numbered as MSFT_NetTCPConnection
// (Get-NetTCPConnection) numbers them, so that the facts document's
// locale-independent states map one to one. Names are the English netstat
// spellings; parse localized netstat output by structure, never by these.
type TCPState int

// The states.
const (
	StateClosed      TCPState = 1
	StateListen      TCPState = 2
	StateSynSent     TCPState = 3
	StateSynReceived TCPState = 4
	StateEstablished TCPState = 5
	StateFinWait1    TCPState = 6
	StateFinWait2    TCPState = 7
	StateCloseWait   TCPState = 8
	StateClosing     TCPState = 9
	StateLastAck     TCPState = 10
	StateTimeWait    TCPState = 11
	StateDeleteTCB   TCPState = 12
	StateBound       TCPState = 100
)

var tcpStateNames = map[TCPState]string{
	StateClosed: "CLOSED", StateListen: "LISTENING", StateSynSent: "SYN_SENT", StateSynReceived: "SYN_RECEIVED",
	StateEstablished: "ESTABLISHED", StateFinWait1: "FIN_WAIT_1", StateFinWait2: "FIN_WAIT_2",
	StateCloseWait: "CLOSE_WAIT", StateClosing: "CLOSING", StateLastAck: "LAST_ACK", StateTimeWait: "TIME_WAIT",
	StateDeleteTCB: "DELETE_TCB", StateBound: "BOUND",
}

func (s TCPState) String() string {
	if n, ok := tcpStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("TCPState(%d)", int(s))
}

// connectionStateNames lists the states a connections rule may name.
func connectionStateNames() []string {
	var out []string
	for s, n := range tcpStateNames {
		if s != StateListen {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func parseTCPState(s string) (TCPState, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for st, n := range tcpStateNames {
		if n == u {
			return st, true
		}
	}
	return 0, false
}

// ServiceState is the run state a service rule or action names.
type ServiceState int

// The states a policy can require.
const (
	ServiceStateAny ServiceState = iota
	ServiceRunning
	ServiceStopped
)

func (s ServiceState) String() string {
	switch s {
	case ServiceRunning:
		return "running"
	case ServiceStopped:
		return "stopped"
	}
	return "any"
}

// StartMode is a service's start type.
type StartMode int

// The start types a policy can require.
const (
	StartModeAny StartMode = iota
	StartAuto
	StartManual
	StartDisabled
)

func (m StartMode) String() string {
	switch m {
	case StartAuto:
		return "auto"
	case StartManual:
		return "manual"
	case StartDisabled:
		return "disabled"
	}
	return "any"
}

// checkServiceName validates a service key name: 1 to 80 characters of
// letters, digits and _-.$ ($ for named SQL Server instances, MSSQL$NAME).
func checkServiceName(s string) error {
	if s == "" || len(s) > 80 {
		return fmt.Errorf("must be 1 to 80 characters long")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.$", r)) {
			return fmt.Errorf("contains %q; service key names are letters, digits and _-.$", r)
		}
	}
	return nil
}

func bigUint(n uint64) *big.Float { return new(big.Float).SetUint64(n) }

// MarshalText renders the answer as String does, for JSON reports.
func (a Applicability) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// MarshalText renders the type as reg.exe spells it.
func (t RegType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MarshalText renders the state as netstat spells it in English.
func (s TCPState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
