package inventory

import (
	"fmt"
	"net/netip"
	"strings"
)

// validName reports whether s may name a host, a group or a site: a
// letter or digit, then letters, digits, dots, hyphens and underscores.
// Such names need no quoting in a --limit pattern.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '.' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return true
}

// ValidName reports whether s may name a host, a group or a site, for
// code that makes names for an inventory (a source, an import).
func ValidName(s string) bool { return validName(s) }

const nameRule = "A name starts with a letter or digit and has only letters, digits, dots, hyphens and underscores."

// checkHostname returns why s is not a DNS host name, or "" when it is
// one. Underscores are accepted: many Windows networks have them.
func checkHostname(s string) string {
	name := strings.TrimSuffix(s, ".")
	switch {
	case name == "":
		return "it is empty"
	case len(name) > 253:
		return "it is longer than 253 characters"
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" {
			return "it has an empty label (two dots in a row)"
		}
		if len(l) > 63 {
			return fmt.Sprintf("its label %q is longer than 63 characters", l)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Sprintf("its label %q starts or ends with a hyphen", l)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Sprintf("it contains %q, which a host name cannot have", r)
			}
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return "it looks like an IP address but is not a valid one"
	}
	return ""
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// checkAddress returns why s is neither an IP address nor a host name, with
// a hint for the usual mistakes, or "" when s is fine.
func checkAddress(s string) string {
	if _, err := netip.ParseAddr(s); err == nil {
		return ""
	}
	switch {
	case strings.Contains(s, "://"):
		return "it is a URL; give only the host name or IP address, and set transport and port separately"
	case strings.HasPrefix(s, "[") && strings.Contains(s, "]"):
		return "IPv6 addresses are written without brackets here; set the port with the port argument"
	case strings.Count(s, ":") == 1:
		return "it has a port; give only the host name or IP address and set the port with the port argument"
	case strings.Contains(s, ":"):
		return "it is not a valid IPv6 address"
	}
	if why := checkHostname(s); why != "" {
		return why
	}
	return ""
}

// checkIP returns why s is not a plain IP address, or "" when it is one.
func checkIP(s string) string {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return "it is not an IP address"
	case a.Zone() != "":
		return "it has an IPv6 zone; give the address only"
	}
	return ""
}

// isIP reports whether s is an IP address.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
