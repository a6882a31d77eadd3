package parse

// netstat -an, -ano, -anob, -anbv (and -anobq, -p tcp ...).
//
// The layout (corpus netstat-an/-ano/-anob-win10-jc.txt, exact copies;
// netstat-anbv-winxp-parse-netstat.txt; netstat-anbo-select-string-
// winserver-inspec.txt): an optional blank line, a title ("Active
// Connections", localized), a blank line, a column header (localized,
// indented, columns separated by two or more blanks, "PID" last with -o),
// then one row per socket:
//
//	  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712
//	  UDP    [fe80::…%9]:1900       *:*                                    4
//
// Rows are read by fields, not columns: a long link-local address pushes
// the rest of its row right. A row is the protocol (TCP or UDP, never
// localized), the local address, the foreign address, then for TCP the
// state (one or more words) and with -o the PID; a UDP row has "*:*" and
// no state, so its PID is the fourth field.
//
// The state: a known word (English, or a translation in stateWords) maps
// to the enum; an unknown word on a row whose foreign address is
// 0.0.0.0:0 or [::]:0 is a listener (that is netstat's structure in every
// language); any other unknown word is an error, never a guess.
//
// With -b, lines under a row name its owner: a service name (" RpcSs",
// one word), the image in brackets (" [svchost.exe]"), or a sentence in
// the host's language when the owner cannot be obtained (" Can not obtain
// ownership information"). Windows XP's -v adds component lines (DLL
// paths, "-- unknown component(s) --") and a blank line after each entry;
// those are skipped.
//
// Not read: netstat without -n (foreign addresses are names: an error
// that says to add -n), an interval (the title repeats: an error), -e, -r,
// -s. A capture piped through findstr or Select-String may lack the title
// and header; Select-String's "> " prefixes must be removed first.

import (
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// stateWords maps netstat's state words to the enum. English words cover
// every locale that keeps them (en, fr, ru, zh-CN: windows-semantics.md
// 6 and the simulator's captures). Only translations whose meaning is
// unambiguous are listed: a wrong spelling then fails to match (and falls
// back to the structural rule or an error), it never maps wrongly.
var stateWords = map[string]facts.State{
	"CLOSED": facts.StateClosed, "LISTENING": facts.StateListen, "SYN_SENT": facts.StateSynSent,
	"SYN_RECEIVED": facts.StateSynReceived, "ESTABLISHED": facts.StateEstablished,
	"FIN_WAIT_1": facts.StateFinWait1, "FIN_WAIT_2": facts.StateFinWait2, "CLOSE_WAIT": facts.StateCloseWait,
	"CLOSING": facts.StateClosing, "LAST_ACK": facts.StateLastAck, "TIME_WAIT": facts.StateTimeWait,
	"DELETE_TCB": facts.StateDeleteTCB, "BOUND": facts.StateBound,

	// German: ABHÖREN, HERGESTELLT, WARTEND (TIME_WAIT), SCHLIESSEN_WARTEN,
	// FIN_WARTEN_1/2, SYN_GESENDET, SYN_EMPFANGEN from Checkmk's
	// win_netstat.py map and German captures (windows-semantics.md 6);
	// SCHLIESSEND from a Checkmk agent-plugin regex; GESCHLOSSEN,
	// LETZTES_ACK, TCB_LÖSCHEN and GEBUNDEN as the simulator writes them
	// (its text_de.go marks them chosen).
	"ABHÖREN": facts.StateListen, "HERGESTELLT": facts.StateEstablished, "WARTEND": facts.StateTimeWait,
	"SCHLIESSEN_WARTEN": facts.StateCloseWait, "FIN_WARTEN_1": facts.StateFinWait1,
	"FIN_WARTEN_2": facts.StateFinWait2, "SYN_GESENDET": facts.StateSynSent,
	"SYN_EMPFANGEN": facts.StateSynReceived, "SCHLIESSEND": facts.StateClosing,
	"GESCHLOSSEN": facts.StateClosed, "LETZTES_ACK": facts.StateLastAck, "TCB_LÖSCHEN": facts.StateDeleteTCB,
	"GEBUNDEN": facts.StateBound,

	// [unverified] Spanish, Portuguese, Italian, Polish, Dutch words for
	// LISTENING and ESTABLISHED as remembered from localized hosts; their
	// meaning is unambiguous. Those locales keep TIME_WAIT and the other
	// underscore names in English as far as is known.
	"ESCUCHANDO": facts.StateListen, "ESTABLECIDO": facts.StateEstablished,
	"ESCUTANDO": facts.StateListen, "ESTABELECIDA": facts.StateEstablished,
	"IN ASCOLTO": facts.StateListen, "STABILITA": facts.StateEstablished,
	"NASŁUCHIWANIE": facts.StateListen, "USTANOWIONO": facts.StateEstablished,
	"CZAS_OCZEKIWANIA": facts.StateTimeWait,
	"LUISTEREN":        facts.StateListen, "TOT STAND GEBRACHT": facts.StateEstablished,
}

// StateWord maps one of netstat's state words, in any language the
// parser knows, to the enum.
func StateWord(w string) (facts.State, bool) {
	if s, ok := stateWords[w]; ok {
		return s, true
	}
	s, ok := stateWords[strings.ToUpper(w)]
	return s, ok
}

// ParseNetstat reads the output of `netstat -ano` (also -an, -anob,
// -anbv, -anobq, -p tcp) into a socket table. Rows are folded into the
// aggregates as they are read; Options.Sockets says which rows the table
// keeps. On error the table is zero, unless Options.Lenient, where rows
// that cannot be read are skipped and listed in RowErrors (the input as
// a whole must still look like netstat output).
func ParseNetstat(r io.Reader, opts Options) (facts.Sockets, error) {
	in, err := readInput(KindNetstat, r, opts)
	if err != nil {
		return facts.Sockets{}, err
	}
	p := &netstatParser{
		in:      in,
		b:       facts.NewSocketBuilder("netstat", opts.Sockets),
		lenient: opts.Lenient,
		owners:  map[facts.Owner]*facts.Owner{},
		onRow:   opts.Row,
	}
	// One row per line at most: size the table once.
	p.b.Grow(strings.Count(in.text, "\n"))
	if err := p.run(); err != nil {
		return facts.Sockets{}, err
	}
	return p.b.Finish(), nil
}

type netstatParser struct {
	in      *input
	b       *facts.SocketBuilder
	lenient bool
	owners  map[facts.Owner]*facts.Owner

	preamble  []string // lines before the first row (title, header)
	preambleN []int    // their line numbers
	onRow     func(line int, text string, s *facts.Socket)
	rowN      int    // the pending row's line number
	rowText   string // and its line
	seenRow   bool
	pidMode   int8 // 0 unknown, 1 rows have a PID, 2 they do not
	pending   bool // row holds a row not yet added (owner lines may follow)
	row       facts.Socket
	own       facts.Owner
	hasOwn    bool
	sawOwner  bool
	skipping  bool // a lenient parse skipped the row these lines belong to
	headerPID bool
}

func (p *netstatParser) run() error {
	for {
		line, ok, err := p.in.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := p.line(line); err != nil {
			return err
		}
	}
	p.flush()
	if !p.seenRow {
		if err := p.checkPreamble(true); err != nil {
			return err
		}
	}
	p.b.SetPIDs(p.pidMode == 1 || (p.pidMode == 0 && p.headerPID))
	p.b.SetOwners(p.sawOwner)
	p.b.SetEncoding(p.in.enc)
	return nil
}

func (p *netstatParser) line(line string) error {
	t := strings.TrimSpace(line)
	if t == "" {
		p.flush()
		p.skipping = false
		return nil
	}
	proto, rest := cutField(t)
	if proto == "TCP" || proto == "UDP" {
		p.flush()
		p.skipping = false
		if !p.seenRow {
			if err := p.checkPreamble(false); err != nil {
				return err
			}
			p.seenRow = true
		}
		if err := p.parseRow(line, proto, rest); err != nil {
			return p.skip(err)
		}
		return nil
	}
	if !p.seenRow {
		if len(p.preamble) == 2 {
			return lineErr(KindNetstat, p.in.n, line, ErrUnknownFormat,
				"not netstat output: expected a title, a column header, then TCP and UDP rows")
		}
		p.preamble = append(p.preamble, line)
		p.preambleN = append(p.preambleN, p.in.n)
		return nil
	}
	if p.skipping {
		return nil
	}
	if !p.pending {
		return p.skip(lineErr(KindNetstat, p.in.n, line, ErrUnknownFormat,
			"line is neither a TCP or UDP row nor an ownership line under one"))
	}
	p.ownerLine(t)
	return nil
}

// skip fails, or in a lenient parse records the row error and skips the
// lines that belong to the row.
func (p *netstatParser) skip(err *Error) error {
	if !p.lenient {
		return err
	}
	p.pending = false
	p.skipping = true
	p.b.SkipRow(facts.RowError{Line: err.Line, Text: strings.Clone(err.Text), Message: err.Msg})
	return nil
}

// checkPreamble validates the lines before the first row: none (a
// filtered capture), a title or a header, or a title and a header. With
// no row at all a header is required: an empty table is only believed
// when netstat's own header says so.
func (p *netstatParser) checkPreamble(noRows bool) error {
	header := -1
	for i, l := range p.preamble {
		if isNetstatHeader(l) {
			header = i
		}
	}
	if header >= 0 {
		p.headerPID = len(splitColumns(p.preamble[header])) == 5
	}
	switch {
	case noRows && len(p.preamble) == 0:
		return inputErr(KindNetstat, ErrEmpty, "no netstat output")
	case len(p.preamble) == 2 && header != 1, noRows && header < 0:
		last := len(p.preamble) - 1
		return lineErr(KindNetstat, p.preambleN[last], p.preamble[last], ErrUnknownFormat,
			"not netstat output: no column header (Proto, Local Address, Foreign Address, State)")
	}
	return nil
}

// isNetstatHeader reports whether l looks like netstat's column header:
// indented, four columns (five with -o) separated by two or more blanks.
func isNetstatHeader(l string) bool {
	if !strings.HasPrefix(l, "  ") {
		return false
	}
	n := len(splitColumns(l))
	return n == 4 || n == 5
}

// splitColumns splits a line on runs of two or more blanks.
func splitColumns(l string) []string {
	var cols []string
	l = strings.TrimSpace(l)
	for l != "" {
		i := strings.Index(l, "  ")
		if i < 0 {
			cols = append(cols, l)
			break
		}
		cols = append(cols, l[:i])
		l = strings.TrimLeft(l[i:], " ")
	}
	return cols
}

// cutField returns the first blank-separated field of s (which starts
// with a non-blank) and the rest with its leading blanks removed.
func cutField(s string) (field, rest string) {
	i := 0
	for i < len(s) && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	field = s[:i]
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return field, s[i:]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *netstatParser) parseRow(line, proto, rest string) *Error {
	n := p.in.n
	local, rest := cutField(rest)
	foreign, rest := cutField(rest)
	if foreign == "" {
		return lineErr(KindNetstat, n, line, ErrUnknownFormat, "row has fewer than three columns")
	}
	lap, err := netip.ParseAddrPort(local)
	if err != nil {
		if looksLikeName(local) {
			return valueErr(KindNetstat, n, line, err, "local address %q is a host name: run netstat with -n", local)
		}
		return valueErr(KindNetstat, n, line, err, "local address %q is not an IP address and port", local)
	}
	state, pid := rest, ""
	if i := strings.LastIndexAny(rest, " \t"); i >= 0 {
		if last := rest[i+1:]; isDigits(last) {
			pid, state = last, strings.TrimSpace(rest[:i])
		}
	} else if isDigits(rest) {
		pid, state = rest, ""
	}
	mode := int8(2)
	if pid != "" {
		mode = 1
	}
	switch {
	case p.pidMode == 0:
		p.pidMode = mode
	case p.pidMode != mode:
		return lineErr(KindNetstat, n, line, ErrUnknownFormat, "some rows have a PID column and others do not")
	}
	s := facts.Socket{Local: lap}
	if proto == "UDP" {
		if foreign != "*:*" {
			return valueErr(KindNetstat, n, line, nil, "UDP foreign address %q is not *:*", foreign)
		}
		if state != "" {
			return lineErr(KindNetstat, n, line, ErrUnknownFormat, "UDP row has a state column %q", state)
		}
		s.Proto = facts.ProtoUDP
	} else {
		rap, err := netip.ParseAddrPort(foreign)
		if err != nil {
			if looksLikeName(foreign) {
				return valueErr(KindNetstat, n, line, err,
					"foreign address %q is a host name: run netstat with -n", foreign)
			}
			return valueErr(KindNetstat, n, line, err, "foreign address %q is not an IP address and port", foreign)
		}
		if state == "" {
			return lineErr(KindNetstat, n, line, ErrUnknownFormat, "TCP row without a state")
		}
		st, ok := StateWord(state)
		if !ok {
			if !rap.Addr().IsUnspecified() || rap.Port() != 0 {
				return valueErr(KindNetstat, n, line, nil, "unknown TCP state %q", state)
			}
			// A foreign 0.0.0.0:0 / [::]:0 is a listener in any language.
			st = facts.StateListen
		}
		s.Proto, s.State, s.Remote = facts.ProtoTCP, st, rap
	}
	if pid != "" {
		v, err := strconv.ParseUint(pid, 10, 32)
		if err != nil {
			return valueErr(KindNetstat, n, line, err, "PID %q is not a 32-bit number", pid)
		}
		s.PID = uint32(v)
	}
	p.row, p.pending, p.own, p.hasOwn = s, true, facts.Owner{}, false
	p.rowN, p.rowText = n, line
	return nil
}

// looksLikeName reports whether a foreign address is a resolved name
// (netstat without -n: "api:1032", "server.example.com:https").
func looksLikeName(s string) bool {
	host, _, ok := strings.Cut(s, ":")
	if !ok || strings.HasPrefix(s, "[") {
		return false
	}
	for _, c := range host {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' {
			return true
		}
	}
	return false
}

// ownerLine reads one -b (or -v) line under a row.
func (p *netstatParser) ownerLine(t string) {
	switch {
	case len(t) >= 2 && t[0] == '[' && t[len(t)-1] == ']':
		if p.own.Image == "" {
			p.own.Image = t[1 : len(t)-1]
		}
	case strings.ContainsRune(t, '\\'), strings.HasPrefix(t, "--") && strings.HasSuffix(t, "--"):
		// -v component lines (DLL paths, "-- unknown component(s) --").
		return
	case !strings.ContainsAny(t, " \t"):
		if p.own.Service == "" {
			p.own.Service = t
		}
	default:
		// A sentence in the host's language: "Can not obtain ownership
		// information", "Besitzinformationen können nicht abgerufen
		// werden", "Impossible d'obtenir les informations de propriétaire".
		p.own.Unavailable = true
	}
	p.hasOwn = true
}

// flush adds the pending row, with its owner.
func (p *netstatParser) flush() {
	if !p.pending {
		return
	}
	p.pending = false
	if p.hasOwn {
		p.sawOwner = true
		o, ok := p.owners[p.own]
		if !ok {
			// Clone: the strings point into the whole input, which the
			// table must not keep alive.
			c := facts.Owner{Service: strings.Clone(p.own.Service), Image: strings.Clone(p.own.Image),
				Unavailable: p.own.Unavailable}
			o = &c
			p.owners[c] = o
		}
		p.row.Owner = o
	}
	p.b.Add(p.row)
	if p.onRow != nil {
		s := p.row
		p.onRow(p.rowN, strings.Clone(p.rowText), &s)
	}
}
