package parse

// sc query [NAME].
//
// The layout (captures quoted in the simulator's sc.go): per service a
// block "SERVICE_NAME: X" (list mode adds "DISPLAY_NAME: Y"), then
// indented "LABEL : value" lines; STATE's value is the number and the
// English word ("4  RUNNING"), WIN32_EXIT_CODE's the number and its hex.
// sc's labels and state words are not localized as far as is known; the
// state is read from the number. A service that does not exist is
// "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:" and the system
// message: that is [ServiceNotInstalled], not an error; another FAILED
// code is an [ErrFailed] error.

import (
	"io"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// SCQuery is the result of sc query: the services listed, or the FAILED
// report.
type SCQuery struct {
	Services []facts.Service `json:"services"`
	// NotInstalled is set for FAILED 1060 (the named service does not
	// exist).
	NotInstalled bool `json:"not_installed,omitempty"`
}

// Service returns the state of name from the query: the listed service,
// or ServiceNotInstalled when sc said so.
func (q *SCQuery) Service(name string) (facts.Service, bool) {
	for _, s := range q.Services {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	if q.NotInstalled {
		return facts.Service{Name: name, State: facts.ServiceNotInstalled}, true
	}
	return facts.Service{}, false
}

// ParseSC reads the output of `sc query` or `sc query NAME`.
func ParseSC(r io.Reader, opts Options) (SCQuery, error) {
	in, err := readInput(KindSC, r, opts)
	if err != nil {
		return SCQuery{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return SCQuery{}, err
	}
	q := SCQuery{Services: []facts.Service{}}
	b := scBlocks{kind: KindSC}
	seen := false
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		seen = true
		if strings.HasPrefix(t, "[SC]") {
			f := strings.Fields(strings.TrimSuffix(t, ":"))
			if len(f) >= 4 && f[len(f)-2] == "FAILED" && isDigits(f[len(f)-1]) {
				if f[len(f)-1] == "1060" && len(b.svcs) == 0 {
					q.NotInstalled = true
					return q, nil
				}
				return SCQuery{}, lineErr(KindSC, i+1, line, ErrFailed, "sc reported failure %s", f[len(f)-1])
			}
			return SCQuery{}, lineErr(KindSC, i+1, line, ErrUnknownFormat, "unknown [SC] line")
		}
		if err := b.line(i+1, line); err != nil {
			return SCQuery{}, err
		}
	}
	if !seen {
		return SCQuery{}, inputErr(KindSC, ErrEmpty, "no sc output")
	}
	if err := b.end(len(lines), lines[len(lines)-1]); err != nil {
		return SCQuery{}, err
	}
	if b.svcs != nil {
		q.Services = b.svcs
	}
	return q, nil
}

// scBlocks reads sc's service blocks ("SERVICE_NAME: X", "DISPLAY_NAME:
// Y", indented "LABEL : value" lines), which sc query, sc queryex and sc
// enumdepend print with one routine.
type scBlocks struct {
	kind     string
	svcs     []facts.Service
	hasState bool
}

// end checks the last block.
func (b *scBlocks) end(n int, l string) error {
	if len(b.svcs) > 0 && !b.hasState {
		return lineErr(b.kind, n, l, ErrUnknownFormat, "service %s has no STATE line", b.svcs[len(b.svcs)-1].Name)
	}
	return nil
}

// line reads one non-blank line that is not an [SC] line.
func (b *scBlocks) line(n int, line string) error {
	t := strings.TrimSpace(line)
	var cur *facts.Service
	if len(b.svcs) > 0 {
		cur = &b.svcs[len(b.svcs)-1]
	}
	label, value, ok := strings.Cut(t, ":")
	if !ok {
		if cur != nil && strings.HasPrefix(t, "(") {
			return nil // the accepted-controls line under STATE
		}
		return lineErr(b.kind, n, line, ErrUnknownFormat, "expected \"LABEL : value\"")
	}
	label, value = strings.TrimSpace(label), strings.TrimSpace(value)
	indented := strings.HasPrefix(line, " ")
	switch {
	case !indented && label == "SERVICE_NAME":
		if err := b.end(n, line); err != nil {
			return err
		}
		if value == "" {
			return lineErr(b.kind, n, line, ErrUnknownFormat, "empty SERVICE_NAME")
		}
		b.svcs = append(b.svcs, facts.Service{Name: strings.Clone(value)})
		b.hasState = false
	case cur == nil:
		return lineErr(b.kind, n, line, ErrUnknownFormat, "not sc output: expected SERVICE_NAME")
	case !indented && label == "DISPLAY_NAME":
		cur.DisplayName = strings.Clone(value)
	case label == "STATE":
		f := strings.Fields(value)
		if len(f) == 0 {
			return valueErr(b.kind, n, line, nil, "STATE without a number")
		}
		st, err := strconv.Atoi(f[0])
		if err != nil || st < 1 || st > 7 {
			return valueErr(b.kind, n, line, err, "STATE %q is not a service state 1-7", f[0])
		}
		cur.State, b.hasState = facts.ServiceState(st), true
	case label == "WIN32_EXIT_CODE":
		f := strings.Fields(value)
		if len(f) > 0 {
			if x, err := strconv.ParseUint(f[0], 10, 32); err == nil {
				cur.ExitCode = uint32(x)
			}
		}
	case indented:
		// TYPE, SERVICE_EXIT_CODE, CHECKPOINT, WAIT_HINT, PID, FLAGS.
	default:
		return lineErr(b.kind, n, line, ErrUnknownFormat, "unexpected line %q", label)
	}
	return nil
}
