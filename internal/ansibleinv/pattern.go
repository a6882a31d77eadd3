package ansibleinv

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The host pattern forms of Ansible's parse_address, with ranges allowed.
var (
	bracketedHostPort = regexp.MustCompile(`^\[(.+)\]:([0-9]+)$`)
	hostPort          = regexp.MustCompile(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`)
	rangeExpr         = `\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	labelExpr         = `(?:[\w]|` + rangeExpr + `)(?:[\w-]|` + rangeExpr + `)*`
	hostnamePattern   = regexp.MustCompile(`^` + labelExpr + `(?:\.` + labelExpr + `)*$`)
	ipv4Pattern       = regexp.MustCompile(`^(?:(?:[0-9]{1,3}|\[[0-9]+:[0-9]+(?::[0-9]+)?\])\.){3}(?:[0-9]{1,3}|\[[0-9]+:[0-9]+(?::[0-9]+)?\])$`)
	ipv6Pattern       = regexp.MustCompile(`(?i)^[0-9a-f:.\[\]]*:[0-9a-f:.\[\]]*$`)
)

// expandHostPattern turns one host pattern (a name, an address, either with
// [x:y(:step)] ranges, and an optional :port) into host names and a port
// (0 when none is given), as Ansible's _expand_hostpattern does. max bounds
// the number of names.
func expandHostPattern(pattern string, max int) ([]string, int, error) {
	host, port := pattern, 0
	addr := pattern
	p := ""
	if m := bracketedHostPort.FindStringSubmatch(addr); m != nil {
		addr, p = m[1], m[2]
	}
	if m := hostPort.FindStringSubmatch(addr); m != nil {
		addr, p = m[1], m[2]
	}
	valid := ipv4Pattern.MatchString(addr) || ipv6Pattern.MatchString(addr) || validHostname(addr)
	if valid {
		host = addr
		if p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n > 65535 {
				return nil, 0, fmt.Errorf("host pattern %q: port %s is out of range", pattern, p)
			}
			port = n
		}
	}
	if strings.HasSuffix(strings.TrimSpace(pattern), ":") && port == 0 {
		return nil, 0, fmt.Errorf("invalid host pattern %q: a trailing \":\" is reserved for a port", pattern)
	}
	if !strings.Contains(host, "[") {
		return []string{host}, port, nil
	}
	var out []string
	if err := expandRange(host, max, &out); err != nil {
		return nil, 0, fmt.Errorf("host pattern %q: %w", pattern, err)
	}
	return out, port, nil
}

// validHostname matches Ansible's hostname pattern, which also forbids a
// label ending in "_" or "-".
func validHostname(s string) bool {
	if !hostnamePattern.MatchString(s) {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if strings.HasSuffix(l, "-") || strings.HasSuffix(l, "_") {
			return false
		}
	}
	return true
}

const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// expandRange expands the first [beg:end(:step)] of line, then the rest,
// as expand_hostname_range does.
func expandRange(line string, max int, out *[]string) error {
	i := strings.IndexByte(line, '[')
	j := strings.IndexByte(line[i+1:], ']')
	if j < 0 {
		return fmt.Errorf("a range opened with [ is not closed")
	}
	j += i + 1
	head, nrange, tail := line[:i], line[i+1:j], line[j+1:]
	bounds := strings.Split(nrange, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return fmt.Errorf("host range must be begin:end or begin:end:step")
	}
	beg, end := bounds[0], bounds[1]
	step := 1
	if len(bounds) == 3 {
		n, err := strconv.Atoi(bounds[2])
		if err != nil || n <= 0 {
			return fmt.Errorf("host range step %q is not a positive number", bounds[2])
		}
		step = n
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return fmt.Errorf("host range must specify end value")
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		width = len(beg)
		if width != len(end) {
			return fmt.Errorf("host range must specify equal-length begin and end formats")
		}
	}
	var seq []string
	bi, ei := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if len(beg) == 1 && len(end) == 1 && bi >= 0 && ei >= 0 {
		if bi > ei {
			return fmt.Errorf("host range must have begin <= end")
		}
		for k := bi; k <= ei; k += step {
			seq = append(seq, asciiLetters[k:k+1])
		}
	} else {
		b, err1 := strconv.Atoi(beg)
		e, err2 := strconv.Atoi(end)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("host range [%s] is neither numeric nor alphabetic", nrange)
		}
		if (e-b)/step+1 > max-len(*out) {
			return fmt.Errorf("the range expands to more than %d hosts", max)
		}
		for k := b; k <= e; k += step {
			s := strconv.Itoa(k)
			if width > 0 && len(s) < width {
				s = strings.Repeat("0", width-len(s)) + s
			}
			seq = append(seq, s)
		}
	}
	for _, v := range seq {
		name := head + v + tail
		if strings.Contains(name, "[") {
			if err := expandRange(name, max, out); err != nil {
				return err
			}
			continue
		}
		if len(*out) >= max {
			return fmt.Errorf("the pattern expands to more than %d hosts", max)
		}
		*out = append(*out, name)
	}
	return nil
}
