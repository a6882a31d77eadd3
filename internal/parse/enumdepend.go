package parse

// sc enumdepend NAME [BUFSIZE].
//
// The layout (the simulator's sc.go quotes the sources): a line
// "[SC] EnumDependentServices: entriesread = N", then N service blocks as
// sc query's list mode prints them (SERVICE_NAME, DISPLAY_NAME, TYPE,
// STATE with the controls line, WIN32_EXIT_CODE, SERVICE_EXIT_CODE,
// CHECKPOINT, WAIT_HINT), each after a blank line. They are every service
// that depends on NAME, directly or through another, in any state, in the
// order EnumDependentServices returns them (the reverse of the start
// order). When the buffer is too small (1,024 bytes unless BUFSIZE says
// more), sc prints "[SC] EnumDependentServices: more data, need N bytes"
// and exits 234: that is an [ErrFailed] error naming the size, to be run
// again with a larger BUFSIZE. "[SC] OpenService FAILED 1060:" (no such
// service) and any other FAILED report are [ErrFailed] errors too: unlike
// sc query, there is no list to report "not installed" in. The blocks are
// read with sc query's block reader; the count must match entriesread.

import (
	"io"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// ParseSCEnumDepend reads the output of `sc enumdepend NAME [BUFSIZE]`
// and returns the dependants in sc's order, with their display names,
// states and exit codes; an empty (non-nil) slice when nothing depends on
// NAME.
func ParseSCEnumDepend(r io.Reader, opts Options) ([]facts.Service, error) {
	in, err := readInput(KindSCEnumDepend, r, opts)
	if err != nil {
		return nil, err
	}
	lines, err := in.lines()
	if err != nil {
		return nil, err
	}
	b := scBlocks{kind: KindSCEnumDepend}
	want := -1
	last := 0
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		last = i
		if strings.HasPrefix(t, "[SC]") {
			if err := enumDependSCLine(i+1, line, t, len(b.svcs), &want); err != nil {
				return nil, err
			}
			continue
		}
		if want < 0 {
			return nil, lineErr(KindSCEnumDepend, i+1, line, ErrUnknownFormat,
				"not sc enumdepend output: expected \"[SC] EnumDependentServices: entriesread = N\"")
		}
		if err := b.line(i+1, line); err != nil {
			return nil, err
		}
	}
	if want < 0 {
		if len(lines) == 0 || isBlank(strings.Join(lines, "")) {
			return nil, inputErr(KindSCEnumDepend, ErrEmpty, "no sc output")
		}
		return nil, inputErr(KindSCEnumDepend, ErrUnknownFormat, "no \"[SC] EnumDependentServices: entriesread = N\" line")
	}
	if err := b.end(last+1, lines[last]); err != nil {
		return nil, err
	}
	if len(b.svcs) != want {
		return nil, lineErr(KindSCEnumDepend, last+1, lines[last], ErrUnknownFormat,
			"entriesread = %d, but %d services are listed", want, len(b.svcs))
	}
	if b.svcs == nil {
		return []facts.Service{}, nil
	}
	return b.svcs, nil
}

// enumDependSCLine reads an [SC] line: the entriesread header (before any
// block), the more-data report or a FAILED report.
func enumDependSCLine(n int, line, t string, listed int, want *int) error {
	f := strings.Fields(strings.TrimSuffix(t, ":"))
	if len(f) >= 4 && f[len(f)-2] == "FAILED" && isDigits(f[len(f)-1]) {
		msg := "sc reported failure " + f[len(f)-1]
		if f[len(f)-1] == "1060" {
			msg += ": the service does not exist"
		}
		return lineErr(KindSCEnumDepend, n, line, ErrFailed, "%s", msg)
	}
	_, rest, _ := strings.Cut(t, ":")
	rest = strings.TrimSpace(rest)
	if v, ok := strings.CutPrefix(rest, "entriesread"); ok {
		v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "="))
		if *want >= 0 || listed > 0 {
			return lineErr(KindSCEnumDepend, n, line, ErrUnknownFormat, "a second entriesread line")
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 || !isDigits(v) {
			return valueErr(KindSCEnumDepend, n, line, err, "entriesread %q is not a count", v)
		}
		*want = x
		return nil
	}
	if strings.HasPrefix(rest, "more data") {
		need := ""
		for _, w := range strings.Fields(rest) {
			if isDigits(w) {
				need = w
				break
			}
		}
		if need == "" {
			return lineErr(KindSCEnumDepend, n, line, ErrFailed, "sc's buffer is too small")
		}
		return lineErr(KindSCEnumDepend, n, line, ErrFailed,
			"sc's buffer is too small: it needs %s bytes (run sc enumdepend NAME %s)", need, need)
	}
	return lineErr(KindSCEnumDepend, n, line, ErrUnknownFormat, "unknown [SC] line")
}
