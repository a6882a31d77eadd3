package parse

// Get-NetTCPConnection | Select-Object ... | ConvertTo-Json.
//
// Windows PowerShell 5.1 (corpus Get-NetTCPConnection-listen-ConvertTo-
// Json-inspec.txt): an array of objects, or one object when the pipeline
// had one; pretty-printed ("Key":  value, 4-space indents, CRLF) unless
// -Compress. State is the MSFT_NetTCPConnection enum as a number (2 =
// Listen, 100 = Bound); with a calculated property
// (@{n='State';e={"$($_.State)"}}) it is the name ("Listen"). Both are
// read. The keys read are LocalAddress, LocalPort, RemoteAddress,
// RemotePort, State (all required) and OwningProcess (optional; the table
// has PIDs when every object has it); other keys are ignored.
//
// JSON is not line-based: -Compress writes a 16,000-connection table as
// one line of about 2 MB, so Options.MaxLineBytes does not apply here;
// Options.MaxBytes does.
//
// ConvertTo-Json of an empty pipeline prints nothing: that is an
// [ErrEmpty] error, as the caller cannot tell it from a failed command.
// "[]" is an empty table.

import (
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// tcpStateNames are the MSFT_NetTCPConnection State enum names.
var tcpStateNames = map[string]facts.State{
	"closed": facts.StateClosed, "listen": facts.StateListen, "synsent": facts.StateSynSent,
	"synreceived": facts.StateSynReceived, "established": facts.StateEstablished,
	"finwait1": facts.StateFinWait1, "finwait2": facts.StateFinWait2, "closewait": facts.StateCloseWait,
	"closing": facts.StateClosing, "lastack": facts.StateLastAck, "timewait": facts.StateTimeWait,
	"deletetcb": facts.StateDeleteTCB, "bound": facts.StateBound,
}

type tcpConnObj struct {
	LocalAddress  *string
	LocalPort     *int64
	RemoteAddress *string
	RemotePort    *int64
	State         json.RawMessage
	OwningProcess *int64
}

// ParseTCPConnectionJSON reads the JSON of Get-NetTCPConnection.
func ParseTCPConnectionJSON(r io.Reader, opts Options) (facts.Sockets, error) {
	in, err := readInput(KindTCPConnectionJSON, r, opts)
	if err != nil {
		return facts.Sockets{}, err
	}
	text := in.text
	// lineAt returns the number and text of the line holding offset.
	lineAt := func(off int64) (int, string) {
		off = min(max(off, 0), int64(len(text)))
		start := strings.LastIndexByte(text[:off], '\n') + 1
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += int(off)
		}
		return strings.Count(text[:start], "\n") + 1, strings.TrimRight(text[start:end], "\r")
	}
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return facts.Sockets{}, inputErr(KindTCPConnectionJSON, ErrEmpty, "no JSON (ConvertTo-Json of nothing prints nothing)")
	}
	b := facts.NewSocketBuilder("Get-NetTCPConnection", opts.Sockets)
	b.SetEncoding(in.enc)
	allPIDs := true
	dec := json.NewDecoder(strings.NewReader(text))
	fail := func(off int64, err error) error {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			n, t := lineAt(syn.Offset)
			return lineErr(KindTCPConnectionJSON, n, t, ErrUnknownFormat, "not JSON: %v", err)
		case errors.As(err, &typ):
			n, t := lineAt(typ.Offset)
			return valueErr(KindTCPConnectionJSON, n, t, err, "%s is not a %s", typ.Value, typ.Type)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			n, t := lineAt(int64(len(text)))
			return lineErr(KindTCPConnectionJSON, n, t, ErrUnknownFormat, "JSON ends early")
		}
		n, t := lineAt(off)
		return lineErr(KindTCPConnectionJSON, n, t, ErrUnknownFormat, "%v", err)
	}
	one := func() error {
		off := dec.InputOffset()
		var o tcpConnObj
		if err := dec.Decode(&o); err != nil {
			return fail(off, err)
		}
		s, hasPID, err := tcpConnSocket(&o)
		if err != nil {
			// off is just after the previous token: the object starts at
			// the next brace.
			if k := strings.IndexByte(text[off:], '{'); k >= 0 {
				off += int64(k)
			}
			n, t := lineAt(off)
			return valueErr(KindTCPConnectionJSON, n, t, err, "connection object: %v", err)
		}
		allPIDs = allPIDs && hasPID
		b.Add(s)
		return nil
	}
	switch trimmed[0] {
	case '[':
		if _, err := dec.Token(); err != nil {
			return facts.Sockets{}, fail(0, err)
		}
		for dec.More() {
			if err := one(); err != nil {
				return facts.Sockets{}, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return facts.Sockets{}, fail(dec.InputOffset(), err)
		}
	case '{':
		if err := one(); err != nil {
			return facts.Sockets{}, err
		}
	default:
		n, t := lineAt(int64(strings.Index(text, trimmed[:1])))
		return facts.Sockets{}, lineErr(KindTCPConnectionJSON, n, t, ErrUnknownFormat,
			"not ConvertTo-Json output: expected an array or an object")
	}
	if _, err := dec.Token(); err != io.EOF {
		n, t := lineAt(dec.InputOffset())
		return facts.Sockets{}, lineErr(KindTCPConnectionJSON, n, t, ErrUnknownFormat, "text after the JSON value")
	}
	b.SetPIDs(allPIDs)
	return b.Finish(), nil
}

// tcpConnSocket checks one object and turns it into a socket.
func tcpConnSocket(o *tcpConnObj) (facts.Socket, bool, error) {
	var s facts.Socket
	switch {
	case o.LocalAddress == nil:
		return s, false, errors.New("no LocalAddress")
	case o.LocalPort == nil:
		return s, false, errors.New("no LocalPort")
	case o.RemoteAddress == nil:
		return s, false, errors.New("no RemoteAddress")
	case o.RemotePort == nil:
		return s, false, errors.New("no RemotePort")
	case len(o.State) == 0 || string(o.State) == "null":
		return s, false, errors.New("no State")
	}
	la, err := netip.ParseAddr(*o.LocalAddress)
	if err != nil {
		return s, false, err
	}
	ra, err := netip.ParseAddr(*o.RemoteAddress)
	if err != nil {
		return s, false, err
	}
	for _, p := range []int64{*o.LocalPort, *o.RemotePort} {
		if p < 0 || p > 65535 {
			return s, false, errors.New("port " + strconv.FormatInt(p, 10) + " is out of range")
		}
	}
	st, err := tcpConnState(o.State)
	if err != nil {
		return s, false, err
	}
	s = facts.Socket{Proto: facts.ProtoTCP, State: st,
		Local:  netip.AddrPortFrom(la, uint16(*o.LocalPort)),
		Remote: netip.AddrPortFrom(ra, uint16(*o.RemotePort))}
	if o.OwningProcess == nil {
		return s, false, nil
	}
	if *o.OwningProcess < 0 || *o.OwningProcess > 0xFFFFFFFF {
		return s, false, errors.New("OwningProcess is out of range")
	}
	s.PID = uint32(*o.OwningProcess)
	return s, true, nil
}

// tcpConnState reads State: a number, or the enum name (or a number) in a
// string.
func tcpConnState(raw json.RawMessage) (facts.State, error) {
	var text string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, err
		}
		if st, ok := tcpStateNames[strings.ToLower(strings.TrimSpace(text))]; ok {
			return st, nil
		}
	} else {
		text = string(raw)
	}
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 0 || n > 255 || !facts.State(n).Valid() {
		return 0, errors.New("State " + strconv.Quote(text) + " is not a TCP state (1-12, 100, or its name)")
	}
	return facts.State(n), nil
}
