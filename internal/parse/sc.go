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
	var cur *facts.Service
	seen, hasState := false, false
	end := func(n int, l string) error {
		if cur != nil && !hasState {
			return lineErr(KindSC, n, l, ErrUnknownFormat, "service %s has no STATE line", cur.Name)
		}
		return nil
	}
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		seen = true
		if strings.HasPrefix(t, "[SC]") {
			f := strings.Fields(strings.TrimSuffix(t, ":"))
			if len(f) >= 4 && f[len(f)-2] == "FAILED" && isDigits(f[len(f)-1]) {
				if f[len(f)-1] == "1060" && len(q.Services) == 0 {
					q.NotInstalled = true
					return q, nil
				}
				return SCQuery{}, lineErr(KindSC, i+1, line, ErrFailed, "sc reported failure %s", f[len(f)-1])
			}
			return SCQuery{}, lineErr(KindSC, i+1, line, ErrUnknownFormat, "unknown [SC] line")
		}
		label, value, ok := strings.Cut(t, ":")
		if !ok {
			if cur != nil && strings.HasPrefix(t, "(") {
				continue // the accepted-controls line under STATE
			}
			return SCQuery{}, lineErr(KindSC, i+1, line, ErrUnknownFormat, "expected \"LABEL : value\"")
		}
		label, value = strings.TrimSpace(label), strings.TrimSpace(value)
		indented := strings.HasPrefix(line, " ")
		switch {
		case !indented && label == "SERVICE_NAME":
			if err := end(i+1, line); err != nil {
				return SCQuery{}, err
			}
			if value == "" {
				return SCQuery{}, lineErr(KindSC, i+1, line, ErrUnknownFormat, "empty SERVICE_NAME")
			}
			q.Services = append(q.Services, facts.Service{Name: strings.Clone(value)})
			cur, hasState = &q.Services[len(q.Services)-1], false
		case cur == nil:
			return SCQuery{}, lineErr(KindSC, i+1, line, ErrUnknownFormat, "not sc query output: expected SERVICE_NAME")
		case !indented && label == "DISPLAY_NAME":
			cur.DisplayName = strings.Clone(value)
		case label == "STATE":
			f := strings.Fields(value)
			if len(f) == 0 {
				return SCQuery{}, valueErr(KindSC, i+1, line, nil, "STATE without a number")
			}
			n, err := strconv.Atoi(f[0])
			if err != nil || n < 1 || n > 7 {
				return SCQuery{}, valueErr(KindSC, i+1, line, err, "STATE %q is not a service state 1-7", f[0])
			}
			cur.State, hasState = facts.ServiceState(n), true
		case label == "WIN32_EXIT_CODE":
			f := strings.Fields(value)
			if len(f) > 0 {
				if n, err := strconv.ParseUint(f[0], 10, 32); err == nil {
					cur.ExitCode = uint32(n)
				}
			}
		case indented:
			// TYPE, SERVICE_EXIT_CODE, CHECKPOINT, WAIT_HINT, PID, FLAGS.
		default:
			return SCQuery{}, lineErr(KindSC, i+1, line, ErrUnknownFormat, "unexpected line %q", label)
		}
	}
	if !seen {
		return SCQuery{}, inputErr(KindSC, ErrEmpty, "no sc output")
	}
	if err := end(len(lines), lines[len(lines)-1]); err != nil {
		return SCQuery{}, err
	}
	return q, nil
}
