package parse

// netsh int ipv4|ipv6 show dynamicport tcp|udp.
//
// The layout (corpus netsh-int-ipv4-show-dynamicport-tcp-default-
// dotnet45544.txt; windows-semantics.md 1): blank lines, a title
// ("Protocol tcp Dynamic Port Range"), a row of dashes, then two lines
// "<label> : <number>" (start port, number of ports), blank lines. The
// labels are localized ("Startport       :", "Port de démarrage   :"), so
// the lines are read by position: the first number is the start, the
// second the count. The protocol is the title word "tcp" or "udp" where
// the title has one. The family is not printed: the caller sets it.

import (
	"io"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// ParseDynamicPort reads `netsh int ipv4 show dynamicport tcp`.
func ParseDynamicPort(r io.Reader, opts Options) (facts.DynamicPortRange, error) {
	in, err := readInput(KindDynamicPort, r, opts)
	if err != nil {
		return facts.DynamicPortRange{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return facts.DynamicPortRange{}, err
	}
	d := facts.DynamicPortRange{Source: "netsh", Encoding: in.enc}
	title, dashes := -1, -1
	var nums []int
	for i, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			continue
		case title < 0:
			if isDashes(t) {
				return facts.DynamicPortRange{}, lineErr(KindDynamicPort, i+1, line, ErrUnknownFormat,
					"expected the title of the dynamic port range")
			}
			title = i
			for _, w := range strings.Fields(strings.ToLower(t)) {
				if w == "tcp" || w == "udp" {
					d.Protocol = w
				}
			}
		case dashes < 0:
			if !isDashes(t) || i != title+1 {
				return facts.DynamicPortRange{}, lineErr(KindDynamicPort, i+1, line, ErrUnknownFormat,
					"expected a row of dashes under the title")
			}
			dashes = i
		case len(nums) < 2:
			j := strings.LastIndexByte(t, ':')
			if j <= 0 {
				return facts.DynamicPortRange{}, lineErr(KindDynamicPort, i+1, line, ErrUnknownFormat,
					"expected a line \"<label> : <number>\"")
			}
			v := strings.TrimSpace(t[j+1:])
			n, err := strconv.Atoi(v)
			if err != nil || !isDigits(v) {
				return facts.DynamicPortRange{}, valueErr(KindDynamicPort, i+1, line, err, "%q is not a number", v)
			}
			if n < 1 || n > 65535 {
				return facts.DynamicPortRange{}, valueErr(KindDynamicPort, i+1, line, nil,
					"%d is out of the port range 1-65535", n)
			}
			nums = append(nums, n)
			if len(nums) == 2 && nums[0]+nums[1]-1 > 65535 {
				return facts.DynamicPortRange{}, valueErr(KindDynamicPort, i+1, line, nil,
					"start %d and %d ports end past 65535", nums[0], nums[1])
			}
		default:
			return facts.DynamicPortRange{}, lineErr(KindDynamicPort, i+1, line, ErrUnknownFormat,
				"unexpected line after the start port and the number of ports")
		}
	}
	switch {
	case title < 0:
		return facts.DynamicPortRange{}, inputErr(KindDynamicPort, ErrEmpty, "no netsh output")
	case len(nums) < 2:
		n := title
		if dashes >= 0 {
			n = dashes
		}
		return facts.DynamicPortRange{}, lineErr(KindDynamicPort, n+1, lines[n], ErrUnknownFormat,
			"not netsh show dynamicport output: expected the start port and the number of ports")
	}
	d.Start, d.Count = uint16(nums[0]), nums[1]
	return d, nil
}
