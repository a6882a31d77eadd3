package parse

// wmic os get LastBootUpTime (every release, 2003 to 2022).
//
// wmic ends its lines with CR CR LF, and writes UTF-16LE with a byte-order
// mark when its output is redirected to a file; both decode like any other
// input. Two layouts (internal/parse/testdata/boottime, whose README
// names the captures):
//
//	/value:  two empty lines, "LastBootUpTime=20260621145108.500000-300",
//	         three empty lines
//	table:   "LastBootUpTime" padded to the column width, then the value
//	         row, then an empty line
//
// The property name is WMI's, never localized, so it is read by name,
// case-insensitively: in /value output the line "LastBootUpTime=..."
// among other "Name=value" lines; in table output the column whose header
// is LastBootUpTime, cut from the value row at the header's column (other
// properties may stand beside it). The value is a CIM datetime,
// yyyymmddHHMMSS.ffffff then the offset from UTC in minutes, signed, three
// digits: the result is that instant in a fixed zone of that offset.
// wmic's error report ("Node - NAME", "ERROR:", "Description = ...") is an
// ErrFailed error quoting its description.

import (
	"io"
	"strconv"
	"strings"
	"time"
)

const bootProp = "LastBootUpTime"

// ParseBootTime reads the output of `wmic os get LastBootUpTime /value`
// (or without /value: the table form) and returns the boot time in the
// host's UTC offset.
func ParseBootTime(r io.Reader, opts Options) (time.Time, error) {
	in, err := readInput(KindBootTime, r, opts)
	if err != nil {
		return time.Time{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return time.Time{}, err
	}
	first := -1
	for i, l := range lines {
		if isBlank(l) {
			continue
		}
		if strings.TrimSpace(l) == "ERROR:" {
			return time.Time{}, wmicFailure(lines, i)
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return time.Time{}, inputErr(KindBootTime, ErrEmpty, "no wmic output")
	}
	if strings.Contains(lines[first], "=") {
		return bootFromList(lines, first)
	}
	return bootFromTable(lines, first)
}

// wmicFailure reports wmic's own error: the Description line after
// "ERROR:" when there is one.
func wmicFailure(lines []string, at int) error {
	for j := at + 1; j < len(lines); j++ {
		if _, desc, ok := strings.Cut(lines[j], "="); ok {
			return lineErr(KindBootTime, j+1, lines[j], ErrFailed, "wmic failed: %s", strings.TrimSpace(desc))
		}
	}
	return lineErr(KindBootTime, at+1, lines[at], ErrFailed, "wmic failed")
}

// bootFromList reads the /value form: every non-empty line is
// Name=value, one of them LastBootUpTime.
func bootFromList(lines []string, first int) (time.Time, error) {
	found := -1
	var val string
	for i := first; i < len(lines); i++ {
		l := lines[i]
		if isBlank(l) {
			continue
		}
		name, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok || !isPropertyName(name) {
			return time.Time{}, lineErr(KindBootTime, i+1, l, ErrUnknownFormat,
				"not wmic /value output: expected Name=value lines")
		}
		if !strings.EqualFold(name, bootProp) {
			continue
		}
		if found >= 0 {
			return time.Time{}, lineErr(KindBootTime, i+1, l, ErrUnknownFormat, "a second LastBootUpTime")
		}
		found, val = i, v
	}
	if found < 0 {
		return time.Time{}, lineErr(KindBootTime, first+1, lines[first], ErrUnknownFormat,
			"no LastBootUpTime= line (run wmic os get LastBootUpTime /value)")
	}
	return cimTime(found+1, lines[found], val)
}

// bootFromTable reads the table form: a header row naming the columns and
// one value row, the value cut at the LastBootUpTime column.
func bootFromTable(lines []string, head int) (time.Time, error) {
	h := lines[head]
	start, end := -1, -1 // the column's bounds; end -1: to the end of the row
	for i := 0; i < len(h); {
		for i < len(h) && h[i] == ' ' {
			i++
		}
		j := i
		for j < len(h) && h[j] != ' ' {
			j++
		}
		if j == i {
			break
		}
		if !isPropertyName(h[i:j]) {
			return time.Time{}, lineErr(KindBootTime, head+1, h, ErrUnknownFormat,
				"not wmic output: expected a header of property names")
		}
		if start >= 0 && end < 0 {
			end = i
		}
		if strings.EqualFold(h[i:j], bootProp) {
			if start >= 0 {
				return time.Time{}, lineErr(KindBootTime, head+1, h, ErrUnknownFormat, "two LastBootUpTime columns")
			}
			start = i
		}
		i = j
	}
	if start < 0 {
		return time.Time{}, lineErr(KindBootTime, head+1, h, ErrUnknownFormat,
			"no LastBootUpTime column (run wmic os get LastBootUpTime /value)")
	}
	row := -1
	for i := head + 1; i < len(lines); i++ {
		if isBlank(lines[i]) {
			continue
		}
		if row >= 0 {
			return time.Time{}, lineErr(KindBootTime, i+1, lines[i], ErrUnknownFormat,
				"wmic os prints one row; this is a second one")
		}
		row = i
	}
	if row < 0 {
		return time.Time{}, lineErr(KindBootTime, head+1, h, ErrUnknownFormat, "a header without a value row")
	}
	l := lines[row]
	if len(l) <= start || (start > 0 && l[start-1] != ' ') {
		return time.Time{}, lineErr(KindBootTime, row+1, l, ErrUnknownFormat,
			"the value row does not reach the LastBootUpTime column")
	}
	if end < 0 || end > len(l) {
		end = len(l)
	}
	return cimTime(row+1, l, l[start:end])
}

// isPropertyName reports whether s can be a WMI property name: a letter
// or underscore, then letters, digits and underscores.
func isPropertyName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// cimTime reads a CIM datetime, yyyymmddHHMMSS.ffffff±UUU.
func cimTime(n int, line, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	bad := func(why string) (time.Time, error) {
		return time.Time{}, valueErr(KindBootTime, n, line, nil,
			"%q is not a CIM datetime yyyymmddHHMMSS.ffffff+UUU: %s", v, why)
	}
	if len(v) != 25 || v[14] != '.' || (v[21] != '+' && v[21] != '-') {
		return bad("wrong length or punctuation")
	}
	num := func(s string) int {
		if !isDigits(s) {
			return -1
		}
		x, _ := strconv.Atoi(s)
		return x
	}
	year, month, day := num(v[0:4]), num(v[4:6]), num(v[6:8])
	hour, minute, sec := num(v[8:10]), num(v[10:12]), num(v[12:14])
	micro, off := num(v[15:21]), num(v[22:25])
	for _, x := range []int{year, month, day, hour, minute, sec, micro, off} {
		if x < 0 {
			return bad("a field is not a number")
		}
	}
	if v[21] == '-' {
		off = -off
	}
	// Windows keeps time from 1601 (FILETIME); offsets run from -12:00
	// to +14:00.
	if year < 1601 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 || off < -720 || off > 840 {
		return bad("a field is out of range")
	}
	zone := time.FixedZone("", off*60)
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, zone)
	if t.Day() != day {
		return bad("no such day")
	}
	return t, nil
}
