package parse

// Get-NetTCPConnection, as PowerShell prints it: the default table.
//
// Windows PowerShell 5.1 (corpus Get-NetTCPConnection-table-localport-
// askai.txt) prints a header line (LocalAddress LocalPort RemoteAddress
// RemotePort State AppliedSetting OwningProcess), a line of dashes under
// each column, and one row per connection; the columns are separated by
// blanks and AppliedSetting is often empty, so a row is read by the
// columns the dashes mark, not by splitting on blanks. Blank lines around
// the table are skipped. State is the enum's name (Listen, TimeWait, ...).
// An address too wide for its column is cut by PowerShell with "...": that
// row cannot be read and is an error.

import (
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// tcpTableColumns are the columns the table must have.
var tcpTableColumns = []string{"LocalAddress", "LocalPort", "RemoteAddress", "RemotePort", "State"}

// ParseTCPConnectionTable reads the default table of Get-NetTCPConnection.
func ParseTCPConnectionTable(r io.Reader, opts Options) (facts.Sockets, error) {
	in, err := readInput(KindTCPConnectionTable, r, opts)
	if err != nil {
		return facts.Sockets{}, err
	}
	b := facts.NewSocketBuilder("Get-NetTCPConnection", opts.Sockets)
	b.SetEncoding(in.enc)
	var (
		header   string
		headerN  int
		cols     map[string][2]int // column name -> [start, end) in runes
		allPIDs  = true
		sawTable bool
	)
	for {
		line, ok, err := in.next()
		if err != nil {
			return facts.Sockets{}, err
		}
		if !ok {
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		switch {
		case cols == nil && header == "":
			if !strings.HasPrefix(strings.TrimSpace(line), "LocalAddress") {
				return facts.Sockets{}, lineErr(KindTCPConnectionTable, in.n, line, ErrUnknownFormat,
					"not the table of Get-NetTCPConnection: expected the LocalAddress ... header")
			}
			header, headerN = line, in.n
		case cols == nil:
			cols, err = tcpTableLayout(header, line)
			if err != nil {
				return facts.Sockets{}, lineErr(KindTCPConnectionTable, headerN, header, ErrUnknownFormat, "%v", err)
			}
			sawTable = true
		default:
			s, hasPID, err := tcpTableRow([]rune(line), cols)
			if err != nil {
				return facts.Sockets{}, valueErr(KindTCPConnectionTable, in.n, line, err, "connection row: %v", err)
			}
			allPIDs = allPIDs && hasPID
			b.Add(s)
		}
	}
	if !sawTable {
		return facts.Sockets{}, inputErr(KindTCPConnectionTable, ErrEmpty, "no table (Get-NetTCPConnection printed nothing)")
	}
	b.SetPIDs(allPIDs)
	return b.Finish(), nil
}

// tcpTableLayout reads the columns from the header and the line of dashes
// under it.
func tcpTableLayout(header, dashes string) (map[string][2]int, error) {
	h, d := []rune(header), []rune(dashes)
	cols := map[string][2]int{}
	for i := 0; i < len(d); {
		if d[i] != '-' {
			if d[i] != ' ' {
				return nil, errors.New("the line under the header is not dashes")
			}
			i++
			continue
		}
		j := i
		for j < len(d) && d[j] == '-' {
			j++
		}
		name := ""
		if i < len(h) {
			name = strings.TrimSpace(string(h[i:min(j, len(h))]))
		}
		cols[name] = [2]int{i, j}
		i = j
	}
	// A column's text may run to the start of the next one.
	for name, c := range cols {
		end := 1 << 30
		for _, o := range cols {
			if o[0] > c[0] && o[0] < end {
				end = o[0]
			}
		}
		cols[name] = [2]int{c[0], end}
	}
	for _, want := range tcpTableColumns {
		if _, ok := cols[want]; !ok {
			return nil, errors.New("the table has no " + want + " column")
		}
	}
	return cols, nil
}

func tcpTableRow(r []rune, cols map[string][2]int) (facts.Socket, bool, error) {
	cell := func(name string) (string, bool) {
		c, ok := cols[name]
		if !ok || c[0] >= len(r) {
			return "", ok
		}
		return strings.TrimSpace(string(r[c[0]:min(c[1], len(r))])), true
	}
	var s facts.Socket
	get := func(name string) string { v, _ := cell(name); return v }
	la, ra := get("LocalAddress"), get("RemoteAddress")
	if strings.HasSuffix(la, "...") || strings.HasSuffix(ra, "...") {
		return s, false, errors.New("an address is cut (...): print the table wider, or use ConvertTo-Json")
	}
	local, err := netip.ParseAddr(la)
	if err != nil {
		return s, false, err
	}
	remote, err := netip.ParseAddr(ra)
	if err != nil {
		return s, false, err
	}
	port := func(name string) (uint16, error) {
		n, err := strconv.ParseUint(get(name), 10, 16)
		if err != nil {
			return 0, errors.New(name + " " + strconv.Quote(get(name)) + " is not a port")
		}
		return uint16(n), nil
	}
	lp, err := port("LocalPort")
	if err != nil {
		return s, false, err
	}
	rp, err := port("RemotePort")
	if err != nil {
		return s, false, err
	}
	st, ok := tcpStateNames[strings.ToLower(get("State"))]
	if !ok {
		return s, false, errors.New("state " + strconv.Quote(get("State")) + " is not a TCP state")
	}
	s = facts.Socket{Proto: facts.ProtoTCP, State: st, Local: netip.AddrPortFrom(local, lp), Remote: netip.AddrPortFrom(remote, rp)}
	if v := get("OwningProcess"); v != "" {
		pid, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return s, false, errors.New("OwningProcess " + strconv.Quote(v) + " is not a process id")
		}
		s.PID = uint32(pid)
		return s, true, nil
	}
	return s, false, nil
}
