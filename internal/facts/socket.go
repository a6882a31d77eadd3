package facts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
)

// Proto is a transport protocol of the socket table.
type Proto uint8

// The protocols. The zero value is not a protocol.
const (
	ProtoTCP Proto = 1
	ProtoUDP Proto = 2
)

func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	}
	return fmt.Sprintf("Proto(%d)", uint8(p))
}

// MarshalText returns "TCP" or "UDP".
func (p Proto) MarshalText() ([]byte, error) {
	if p != ProtoTCP && p != ProtoUDP {
		return nil, fmt.Errorf("facts: invalid protocol %d", uint8(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText accepts "TCP" and "UDP".
func (p *Proto) UnmarshalText(b []byte) error {
	switch string(b) {
	case "TCP":
		*p = ProtoTCP
	case "UDP":
		*p = ProtoUDP
	default:
		return fmt.Errorf("facts: unknown protocol %q", b)
	}
	return nil
}

// State is a TCP connection state, independent of the host's language.
// The numbers are those of MSFT_NetTCPConnection (Get-NetTCPConnection),
// so that its JSON maps directly; the names are netstat's English words.
// StateNone is a UDP endpoint's (absent) state.
type State uint8

// The states.
const (
	StateNone        State = 0
	StateClosed      State = 1
	StateListen      State = 2
	StateSynSent     State = 3
	StateSynReceived State = 4
	StateEstablished State = 5
	StateFinWait1    State = 6
	StateFinWait2    State = 7
	StateCloseWait   State = 8
	StateClosing     State = 9
	StateLastAck     State = 10
	StateTimeWait    State = 11
	StateDeleteTCB   State = 12
	StateBound       State = 100
)

// stateOrder lists the states in their display order; its index is the
// slot of [StateCounts].
var stateOrder = [...]State{
	StateClosed, StateListen, StateSynSent, StateSynReceived, StateEstablished, StateFinWait1,
	StateFinWait2, StateCloseWait, StateClosing, StateLastAck, StateTimeWait, StateDeleteTCB, StateBound,
}

var stateNames = map[State]string{
	StateClosed: "CLOSED", StateListen: "LISTENING", StateSynSent: "SYN_SENT",
	StateSynReceived: "SYN_RECEIVED", StateEstablished: "ESTABLISHED", StateFinWait1: "FIN_WAIT_1",
	StateFinWait2: "FIN_WAIT_2", StateCloseWait: "CLOSE_WAIT", StateClosing: "CLOSING",
	StateLastAck: "LAST_ACK", StateTimeWait: "TIME_WAIT", StateDeleteTCB: "DELETE_TCB", StateBound: "BOUND",
}

// slot returns the StateCounts index of s, -1 for StateNone or an
// unknown number.
func (s State) slot() int {
	switch {
	case s >= StateClosed && s <= StateDeleteTCB:
		return int(s) - 1
	case s == StateBound:
		return len(stateOrder) - 1
	}
	return -1
}

// Valid reports whether s is one of the named TCP states.
func (s State) Valid() bool { return s.slot() >= 0 }

// String returns netstat's English name ("LISTENING", "TIME_WAIT", ...),
// "" for StateNone.
func (s State) String() string {
	if s == StateNone {
		return ""
	}
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText returns String; it fails for an unknown number.
func (s State) MarshalText() ([]byte, error) {
	if s != StateNone && !s.Valid() {
		return nil, fmt.Errorf("facts: invalid TCP state %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts the names String returns.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseState parses a name String returns ("" is StateNone).
func ParseState(name string) (State, error) {
	if name == "" {
		return StateNone, nil
	}
	for s, n := range stateNames {
		if n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("facts: unknown TCP state %q", name)
}

// Owner is what `netstat -b` says about the process behind a socket.
// Rows with the same owner share one *Owner.
type Owner struct {
	// Service is the service short name (" RpcSs"), if netstat named one.
	Service string `json:"service,omitempty"`
	// Image is the executable (svchost.exe), without brackets.
	Image string `json:"image,omitempty"`
	// Unavailable is set when netstat could not obtain the ownership
	// information (PID 4, protected processes).
	Unavailable bool `json:"unavailable,omitempty"`
}

// Socket is one row of the socket table. Its size is 80 bytes.
type Socket struct {
	Proto Proto `json:"proto"`
	// State is StateNone for UDP.
	State State `json:"state,omitempty"`
	// PID is the owning process; see Sockets.PIDs for whether it is known.
	PID   uint32         `json:"pid,omitempty"`
	Local netip.AddrPort `json:"local"`
	// Remote is the zero AddrPort for UDP ("*:*").
	Remote netip.AddrPort `json:"remote,omitzero"`
	// Owner is set when the table came from `netstat -b`.
	Owner *Owner `json:"owner,omitempty"`
}

// IsListener reports whether s is a TCP listener or a UDP endpoint.
func (s *Socket) IsListener() bool {
	return s.Proto == ProtoUDP || s.State == StateListen
}

// IsWildcard reports whether s is bound to every address (0.0.0.0 or ::).
func (s *Socket) IsWildcard() bool { return s.Local.Addr().IsUnspecified() }

// Family returns "ipv4" or "ipv6" for the local address.
func (s *Socket) Family() string { return family(s.Local.Addr()) }

func family(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "ipv4"
	}
	return "ipv6"
}

// StateCounts counts sockets per TCP state in a fixed array (no map). Its
// JSON form is an object of the non-zero counts keyed by state name, in
// state order.
type StateCounts struct {
	n [len(stateOrder)]uint32
}

// Add counts one socket in state s; StateNone and unknown states are not
// counted.
func (c *StateCounts) Add(s State) {
	if i := s.slot(); i >= 0 {
		c.n[i]++
	}
}

// Get returns the count for s.
func (c *StateCounts) Get(s State) int {
	if i := s.slot(); i >= 0 {
		return int(c.n[i])
	}
	return 0
}

// Set sets the count for s.
func (c *StateCounts) Set(s State, n int) {
	if i := s.slot(); i >= 0 {
		c.n[i] = uint32(min(max(n, 0), math.MaxUint32))
	}
}

// Total is the number of TCP sockets counted.
func (c *StateCounts) Total() int {
	t := 0
	for _, v := range c.n {
		t += int(v)
	}
	return t
}

// MarshalJSON writes {"LISTENING": 3, ...} in state order.
func (c StateCounts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, v := range c.n {
		if v == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:%d", stateOrder[i].String(), v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *StateCounts) UnmarshalJSON(b []byte) error {
	var m map[string]uint32
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = StateCounts{}
	for k, v := range m {
		s, err := ParseState(k)
		if err != nil || s == StateNone {
			return fmt.Errorf("facts: state counts: unknown state %q", k)
		}
		c.n[s.slot()] = v
	}
	return nil
}

// Keep says which rows a [SocketBuilder] keeps; it always counts all.
type Keep uint8

// The keep policies.
const (
	// KeepAll keeps every row (the zero value).
	KeepAll Keep = iota
	// KeepNoTimeWait keeps every row but those in TIME_WAIT.
	KeepNoTimeWait
	// KeepListeners keeps the TCP listeners and UDP endpoints only.
	KeepListeners
)

var keepNames = [...]string{KeepAll: "all", KeepNoTimeWait: "no-time-wait", KeepListeners: "listeners"}

func (k Keep) String() string {
	if int(k) < len(keepNames) {
		return keepNames[k]
	}
	return fmt.Sprintf("Keep(%d)", uint8(k))
}

// MarshalText returns "all", "no-time-wait" or "listeners".
func (k Keep) MarshalText() ([]byte, error) {
	if int(k) >= len(keepNames) {
		return nil, fmt.Errorf("facts: invalid keep policy %d", uint8(k))
	}
	return []byte(keepNames[k]), nil
}

// UnmarshalText accepts the names String returns.
func (k *Keep) UnmarshalText(b []byte) error {
	for i, n := range keepNames {
		if n == string(b) {
			*k = Keep(i)
			return nil
		}
	}
	return fmt.Errorf("facts: unknown keep policy %q", b)
}

// Sockets is the socket table of a host with its aggregates.
type Sockets struct {
	// Source is the command the table came from: "netstat" or
	// "Get-NetTCPConnection".
	Source string `json:"source"`
	// Encoding is the character encoding the output was decoded from
	// ("ascii", "utf-8", "cp850", ...).
	Encoding string `json:"encoding,omitempty"`
	// PIDs is set when the rows carry the owning PID (netstat -o).
	PIDs bool `json:"pids"`
	// Owners is set when the rows carry -b ownership lines.
	Owners bool `json:"owners"`
	// Kept says which rows Listeners and Connections hold.
	Kept    Keep          `json:"kept"`
	Summary SocketSummary `json:"summary"`
	// Listeners are the TCP listeners and the UDP endpoints.
	Listeners []Socket `json:"listeners"`
	// Connections are the other TCP sockets, as far as Kept keeps them.
	Connections []Socket `json:"connections"`
	// RowErrors are rows a lenient parse skipped (at most
	// MaxRowErrors); SkippedRows counts them all.
	RowErrors   []RowError `json:"row_errors,omitempty"`
	SkippedRows int        `json:"skipped_rows,omitempty"`

	// clientPorts are the local ports of the client sockets, per family
	// (0 ipv4, 1 ipv6), sorted; kept for EphemeralUse and not serialised.
	clientPorts [2][]uint16
}

// MaxRowErrors bounds Sockets.RowErrors.
const MaxRowErrors = 20

// RowError is a row that a lenient parse skipped.
type RowError struct {
	Line    int    `json:"line"`
	Text    string `json:"text"`
	Message string `json:"message"`
}

// SocketSummary are the aggregates over every row, kept or not.
type SocketSummary struct {
	TCP int `json:"tcp"`
	UDP int `json:"udp"`
	// Listening is the number of TCP listeners.
	Listening int         `json:"listening"`
	States    StateCounts `json:"states"`
	// WildcardBinds are the TCP listeners and UDP endpoints bound to
	// 0.0.0.0 or :: (always kept, whatever the Keep policy).
	WildcardBinds []Socket `json:"wildcard_binds"`
	// TimeWaitRemotes is the number of distinct remote endpoints of the
	// TIME_WAIT sockets, TimeWaitTop the largest of those groups, by count
	// then endpoint.
	TimeWaitRemotes int           `json:"time_wait_remotes"`
	TimeWaitTop     []RemoteCount `json:"time_wait_top"`
	// ClientSockets counts the TCP sockets that are neither listeners
	// nor accepted by a local listener: their local port is not a
	// listening port of the host. Those use the client (ephemeral) range.
	ClientSockets int `json:"client_sockets"`
	// Ephemeral is the use of the client port range per family, when the
	// range is known ([Host.DeriveEphemeral], [Sockets.SetEphemeral]).
	Ephemeral []EphemeralUse `json:"ephemeral,omitempty"`
}

// RemoteCount is the number of sockets toward one remote endpoint.
type RemoteCount struct {
	Remote netip.AddrPort `json:"remote"`
	Count  int            `json:"count"`
}

// EphemeralUse is how much of a client port range the client sockets
// use.
type EphemeralUse struct {
	Family string `json:"family"`
	PortRange
	// InUse counts the client sockets whose local port is in the range.
	InUse int `json:"in_use"`
	// Percent is InUse / Count * 100, rounded to one decimal.
	Percent float64 `json:"percent"`
}

// EphemeralUse counts the client sockets of family ("ipv4", "ipv6") whose
// local port lies in r. It uses the client ports the builder recorded; for
// a table read back from JSON it falls back to the kept rows, which is
// exact only when Kept is KeepAll.
func (s *Sockets) EphemeralUse(fam string, r PortRange) EphemeralUse {
	u := EphemeralUse{Family: fam, PortRange: r}
	fi := 0
	if fam == "ipv6" {
		fi = 1
	}
	ports := s.clientPorts[fi]
	if ports == nil && (len(s.Connections) > 0 || len(s.Listeners) > 0) {
		ports = s.rowClientPorts(fi)
	}
	if r.Count > 0 {
		end := r.End()
		lo := sort.Search(len(ports), func(i int) bool { return ports[i] >= r.Start })
		hi := sort.Search(len(ports), func(i int) bool { return ports[i] > end })
		u.InUse = hi - lo
		u.Percent = math.Round(float64(u.InUse)*1000/float64(r.Count)) / 10
	}
	return u
}

// SetEphemeral fills Summary.Ephemeral for the given ranges (one per
// family; an invalid range is skipped).
func (s *Sockets) SetEphemeral(ranges map[string]PortRange) {
	s.Summary.Ephemeral = nil
	for _, fam := range []string{"ipv4", "ipv6"} {
		if r, ok := ranges[fam]; ok && r.Valid() {
			s.Summary.Ephemeral = append(s.Summary.Ephemeral, s.EphemeralUse(fam, r))
		}
	}
}

// rowClientPorts recomputes the client ports of a family from the kept
// rows.
func (s *Sockets) rowClientPorts(fi int) []uint16 {
	var listen portSet
	for i := range s.Listeners {
		if s.Listeners[i].Proto == ProtoTCP {
			listen.add(s.Listeners[i].Local.Port())
		}
	}
	var out []uint16
	for i := range s.Connections {
		c := &s.Connections[i]
		if c.Proto != ProtoTCP || c.State == StateListen || listen.has(c.Local.Port()) {
			continue
		}
		if (c.Family() == "ipv6") == (fi == 1) {
			out = append(out, c.Local.Port())
		}
	}
	slices.Sort(out)
	if out == nil {
		out = []uint16{}
	}
	return out
}

// portSet is a bitset of the 65536 ports.
type portSet [1024]uint64

func (p *portSet) add(port uint16)      { p[port>>6] |= 1 << (port & 63) }
func (p *portSet) has(port uint16) bool { return p[port>>6]&(1<<(port&63)) != 0 }

// SocketOptions configure a [SocketBuilder].
type SocketOptions struct {
	Keep Keep
	// TopRemotes is how many TIME_WAIT remote endpoints the summary
	// lists; 0 means DefaultTopRemotes.
	TopRemotes int
}

// DefaultTopRemotes is the default length of SocketSummary.TimeWaitTop.
const DefaultTopRemotes = 10

// SocketBuilder folds rows into a [Sockets] table as they are read, so
// that the aggregates never need every row kept.
type SocketBuilder struct {
	t        Sockets
	opts     SocketOptions
	timeWait map[netip.AddrPort]int
	listen   *portSet
	// cand are the local ports of the non-listening TCP sockets per
	// family; Finish removes the listening ports.
	cand [2][]uint16
}

// NewSocketBuilder starts a table for the given source command.
func NewSocketBuilder(source string, opts SocketOptions) *SocketBuilder {
	if opts.TopRemotes <= 0 {
		opts.TopRemotes = DefaultTopRemotes
	}
	return &SocketBuilder{
		t:        Sockets{Source: source, Kept: opts.Keep},
		opts:     opts,
		timeWait: map[netip.AddrPort]int{},
		listen:   new(portSet),
	}
}

// Add counts a row and keeps it if the policy says so.
func (b *SocketBuilder) Add(s Socket) {
	t := &b.t
	if s.Proto == ProtoUDP {
		t.Summary.UDP++
		if s.IsWildcard() {
			t.Summary.WildcardBinds = append(t.Summary.WildcardBinds, s)
		}
		t.Listeners = append(t.Listeners, s)
		return
	}
	t.Summary.TCP++
	t.Summary.States.Add(s.State)
	if s.State == StateListen {
		t.Summary.Listening++
		b.listen.add(s.Local.Port())
		if s.IsWildcard() {
			t.Summary.WildcardBinds = append(t.Summary.WildcardBinds, s)
		}
		t.Listeners = append(t.Listeners, s)
		return
	}
	fi := 0
	if a := s.Local.Addr(); !a.Is4() && !a.Is4In6() {
		fi = 1
	}
	b.cand[fi] = append(b.cand[fi], s.Local.Port())
	if s.State == StateTimeWait {
		b.timeWait[s.Remote]++
		if b.opts.Keep != KeepAll {
			return
		}
	}
	if b.opts.Keep == KeepListeners {
		return
	}
	t.Connections = append(t.Connections, s)
}

// Grow makes room for about n more rows, so that a large table is built
// without repeated copying (the parser knows its line count). Finish
// trims what was not used.
func (b *SocketBuilder) Grow(n int) {
	if n <= 0 {
		return
	}
	if b.opts.Keep == KeepAll {
		b.t.Connections = slices.Grow(b.t.Connections, n)
	}
	b.cand[0] = slices.Grow(b.cand[0], n)
}

// SetPIDs, SetOwners and SetEncoding record properties of the whole
// table.
func (b *SocketBuilder) SetPIDs(v bool)         { b.t.PIDs = v }
func (b *SocketBuilder) SetOwners(v bool)       { b.t.Owners = v }
func (b *SocketBuilder) SetEncoding(enc string) { b.t.Encoding = enc }

// SkipRow records a row that a lenient parse could not read.
func (b *SocketBuilder) SkipRow(e RowError) {
	b.t.SkippedRows++
	if len(b.t.RowErrors) < MaxRowErrors {
		b.t.RowErrors = append(b.t.RowErrors, e)
	}
}

// Finish computes the remaining aggregates and returns the table. The
// builder must not be used afterwards.
func (b *SocketBuilder) Finish() Sockets {
	t := &b.t
	for fi := range b.cand {
		ports := b.cand[fi][:0]
		for _, p := range b.cand[fi] {
			if !b.listen.has(p) {
				ports = append(ports, p)
			}
		}
		slices.Sort(ports)
		t.clientPorts[fi] = tight(ports)
		if t.clientPorts[fi] == nil {
			t.clientPorts[fi] = []uint16{}
		}
		t.Summary.ClientSockets += len(ports)
	}
	t.Summary.TimeWaitRemotes = len(b.timeWait)
	top := make([]RemoteCount, 0, len(b.timeWait))
	for r, n := range b.timeWait {
		top = append(top, RemoteCount{Remote: r, Count: n})
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].Count != top[j].Count {
			return top[i].Count > top[j].Count
		}
		return top[i].Remote.Compare(top[j].Remote) < 0
	})
	if len(top) > b.opts.TopRemotes {
		top = top[:b.opts.TopRemotes]
	}
	t.Summary.TimeWaitTop = tight(top)
	t.Listeners = tight(t.Listeners)
	t.Connections = tight(t.Connections)
	t.Summary.WildcardBinds = tight(t.Summary.WildcardBinds)
	if t.Listeners == nil {
		t.Listeners = []Socket{}
	}
	if t.Connections == nil {
		t.Connections = []Socket{}
	}
	if t.Summary.WildcardBinds == nil {
		t.Summary.WildcardBinds = []Socket{}
	}
	if t.Summary.TimeWaitTop == nil {
		t.Summary.TimeWaitTop = []RemoteCount{}
	}
	out := *t
	*b = SocketBuilder{}
	return out
}

// tight returns s in a slice of its own length when append left much
// slack, so that a long-lived table does not pin unused capacity.
func tight[T any](s []T) []T {
	if cap(s)-len(s) <= len(s)/8+4 {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}
