package parse

// reg query KEY [/v NAME | /ve] [/s].
//
// The layout (corpus reg-add-success-and-reg-query-v-single-hkcu-
// autorun.txt; windows-commands.md): a blank line, the key with its hive
// spelt out (HKEY_LOCAL_MACHINE\...), one line per value, a blank line.
// A value line is four blanks, the name, four blanks, the type, four
// blanks, the data:
//
//	    TcpTimedWaitDelay    REG_DWORD    0x1e
//
// Names may hold blanks, so the line is split at the type: the first
// "    REG_<known type>" followed by four blanks or the end of the line.
// Data is printed by type: REG_DWORD/REG_QWORD as lower-case 0x hex,
// REG_MULTI_SZ with a literal \0 between strings, binary types as hex
// digits, strings as they are. Without /s, subkeys follow the values as
// full key lines; with /s every key is a key line with its values, and a
// search (/s /v) ends with "End of search: N match(es) found.".
//
// A missing key or value is not output but a message on stderr with exit
// code 1, "ERROR: The system was unable to find the specified registry key
// or value." (windows-commands.md; the simulator). [ParseRegQuery] reads
// that message (alone in its input) as NotFound, and
// [ParseRegQueryOutput] applies the exit-code rule. reg.exe localizes its
// messages on other UI languages and no translation is known, so a
// message in another language is an error (quoting it), not "absent".

import (
	"encoding/hex"
	"io"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// RegNotFoundMessage is reg.exe's message for a missing key or value.
const RegNotFoundMessage = "ERROR: The system was unable to find the specified registry key or value."

// RegQuery is the result of one reg query.
type RegQuery struct {
	// NotFound is set when reg reported that the key or value does not
	// exist.
	NotFound bool `json:"not_found,omitempty"`
	// Keys are the key lines in output order, each with its values. A key
	// listed without values may be a subkey of a query without /s.
	Keys []RegKey `json:"keys"`
	// Matches is N of "End of search: N match(es) found." (/s /v), -1
	// when absent.
	Matches  int    `json:"matches"`
	Encoding string `json:"encoding,omitempty"`
}

// RegKey is one key of a query and the values listed under it.
type RegKey struct {
	Path   string                `json:"path"`
	Values []facts.RegistryValue `json:"values"`
}

// Value returns the value of a key (case-insensitive, HKLM/HKCU
// abbreviations accepted) as a facts value: present, or Absent when the
// query found nothing or did not list it.
func (q *RegQuery) Value(path, name string) facts.RegistryValue {
	p := facts.CanonicalRegPath(path)
	for _, k := range q.Keys {
		if !strings.EqualFold(k.Path, p) {
			continue
		}
		for _, v := range k.Values {
			if strings.EqualFold(v.Name, name) {
				return v
			}
		}
	}
	return facts.RegistryValue{Path: p, Name: name, Absent: true}
}

// ParseRegQuery reads the output of `reg query`: its stdout, or the
// not-found message alone (see the file comment).
func ParseRegQuery(r io.Reader, opts Options) (RegQuery, error) {
	in, err := readInput(KindReg, r, opts)
	if err != nil {
		return RegQuery{}, err
	}
	if in.text == "" {
		return RegQuery{}, inputErr(KindReg, ErrEmpty, "no reg output")
	}
	lines, err := in.lines()
	if err != nil {
		return RegQuery{}, err
	}
	q := RegQuery{Keys: []RegKey{}, Matches: -1, Encoding: in.enc}
	last := -1 // last non-blank line
	for i, l := range lines {
		if !isBlank(l) {
			last = i
		}
	}
	var key *RegKey
	for i, line := range lines {
		switch {
		case isBlank(line):
			continue
		case strings.HasPrefix(line, "HKEY_"):
			q.Keys = append(q.Keys, RegKey{Path: strings.Clone(strings.TrimRight(line, " ")), Values: []facts.RegistryValue{}})
			key = &q.Keys[len(q.Keys)-1]
		case strings.HasPrefix(line, "    "):
			if key == nil {
				return RegQuery{}, lineErr(KindReg, i+1, line, ErrUnknownFormat, "value line before any key line")
			}
			v, err := parseRegValueLine(i+1, line)
			if err != nil {
				return RegQuery{}, err
			}
			v.Path = key.Path
			key.Values = append(key.Values, v)
		case strings.TrimSpace(line) == RegNotFoundMessage && len(q.Keys) == 0 && i == last:
			q.NotFound = true
		case i == last && searchEnd(line) >= 0 && (len(q.Keys) > 0 || strings.HasPrefix(line, "End of search:")):
			// With keys listed, the last line is read by structure (a
			// localized reg words it differently); alone, only reg's
			// English text is believed.
			q.Matches = searchEnd(line)
		default:
			return RegQuery{}, lineErr(KindReg, i+1, line, ErrUnknownFormat,
				"not reg query output: expected a key (HKEY_...) or an indented value line")
		}
	}
	return q, nil
}

// ParseRegQueryOutput applies reg.exe's exit code: 0 parses stdout; 1
// with nothing on stdout and the not-found message on stderr is
// NotFound; any other failure is an [ErrFailed] error quoting stderr.
func ParseRegQueryOutput(stdout, stderr []byte, exitCode int, opts Options) (RegQuery, error) {
	if exitCode == 0 {
		return ParseRegQuery(strings.NewReader(string(stdout)), opts)
	}
	if strings.TrimSpace(string(stdout)) == "" {
		q, err := ParseRegQuery(strings.NewReader(string(stderr)), opts)
		if err == nil && q.NotFound && exitCode == 1 {
			return q, nil
		}
	}
	in, err := readInput(KindReg, strings.NewReader(string(stderr)), opts)
	if err != nil {
		return RegQuery{}, err
	}
	lines, _ := in.lines()
	for i, l := range lines {
		if !isBlank(l) {
			return RegQuery{}, lineErr(KindReg, i+1, l, ErrFailed, "reg exited with code %d", exitCode)
		}
	}
	return RegQuery{}, inputErr(KindReg, ErrFailed, "reg exited with code %d", exitCode)
}

// searchEnd reads "End of search: N match(es) found." by structure (a
// colon, then a number as the first word); -1 if the line is not that.
func searchEnd(line string) int {
	_, after, ok := strings.Cut(line, ":")
	if !ok {
		return -1
	}
	f := strings.Fields(after)
	if len(f) == 0 || !isDigits(f[0]) {
		return -1
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return -1
	}
	return n
}

// parseRegValueLine reads "    NAME    TYPE    DATA". When the line
// could be split at more than one type word (a name or string data that
// itself holds "    REG_SZ    "), it is ambiguous and an error: reg.exe's
// output cannot say which split is right.
func parseRegValueLine(n int, line string) (facts.RegistryValue, error) {
	body := line[4:]
	first, typ, data := -1, facts.RegType(""), ""
	for from := 0; ; {
		i := strings.Index(body[from:], "    REG_")
		if i < 0 {
			break
		}
		i += from
		from = i + 4
		t, rest := regTypeAt(body, i+4)
		if i == 0 || !t.Known() || !(strings.TrimLeft(rest, " ") == "" || strings.HasPrefix(rest, "    ")) {
			continue
		}
		if first >= 0 {
			return facts.RegistryValue{}, lineErr(KindReg, n, line, ErrUnknownFormat,
				"ambiguous value line: the name or the data holds a type word")
		}
		first, typ = i, t
		if len(rest) > 4 {
			data = rest[4:]
		}
	}
	if first < 0 {
		return facts.RegistryValue{}, lineErr(KindReg, n, line, ErrUnknownFormat,
			"value line without a known type (REG_SZ, REG_DWORD, ...)")
	}
	return regValue(n, line, strings.Clone(body[:first]), typ, strings.Clone(data))
}

// regTypeAt reads the type word at body[start:] and returns the rest.
func regTypeAt(body string, start int) (facts.RegType, string) {
	end := start
	for end < len(body) && body[end] != ' ' {
		end++
	}
	return facts.RegType(body[start:end]), body[end:]
}

// regValue parses data by type.
func regValue(n int, line, name string, typ facts.RegType, raw string) (facts.RegistryValue, error) {
	v := facts.RegistryValue{Name: name, Type: typ, Raw: raw}
	switch typ {
	case facts.RegSZ, facts.RegExpandSZ:
		s := raw
		v.String = &s
	case facts.RegMultiSZ:
		v.Strings = []string{}
		if raw != "" {
			v.Strings = strings.Split(raw, `\0`)
			// A REG_MULTI_SZ ends at an empty string; a printed trailing
			// \0 leaves empty elements, which are not values.
			for len(v.Strings) > 0 && v.Strings[len(v.Strings)-1] == "" {
				v.Strings = v.Strings[:len(v.Strings)-1]
			}
		}
	case facts.RegDWORD, facts.RegQWORD, facts.RegDWORDBigEndian:
		bits := 32
		if typ == facts.RegQWORD {
			bits = 64
		}
		h, ok := strings.CutPrefix(raw, "0x")
		if !ok {
			return facts.RegistryValue{}, valueErr(KindReg, n, line, nil, "%s data %q does not start with 0x", typ, raw)
		}
		u, err := strconv.ParseUint(h, 16, bits)
		if err != nil {
			return facts.RegistryValue{}, valueErr(KindReg, n, line, err, "%s data %q is not a %d-bit hex number", typ, raw, bits)
		}
		v.Number = &u
	default:
		b, err := hex.DecodeString(raw)
		if err != nil {
			return facts.RegistryValue{}, valueErr(KindReg, n, line, err, "%s data is not hex digits", typ)
		}
		v.Bytes = b
	}
	return v, nil
}
