package policies

import (
	"fmt"
	"strings"
)

// Release is a Windows (Server) release, ordered by age: a later release
// compares greater. The zero value, [ReleaseUnknown], means the host's
// release has not been collected yet.
type Release int

// The releases fleetport knows. 2008 and 2012 are not in the simulator's
// mix but are real releases, so rule kinds can state where Windows changed
// (the dynamic port range arrived with 2008, not 2008 R2).
const (
	ReleaseUnknown Release = iota
	Release2000            // Windows 2000 Server (5.0), IIS 5
	Release2003            // Windows Server 2003 / XP (5.2), IIS 6, the old TCP/IP stack
	Release2008            // Windows Server 2008 / Vista (6.0), the next-generation stack
	Release2008R2          // 6.1
	Release2012            // 6.2
	Release2012R2          // 6.3
	Release2016            // 10.0.14393
	Release2019            // 10.0.17763
	Release2022            // 10.0.20348
)

type releaseInfo struct {
	name    string  // host.os spelling
	long    string  // for messages
	version float64 // host.os_version
	build   int     // the release's base build (RTM)
}

var releases = [...]releaseInfo{
	ReleaseUnknown: {name: "", long: "an unknown release"},
	Release2000:    {name: "2000", long: "Windows 2000", version: 5.0, build: 2195},
	Release2003:    {name: "2003", long: "Windows Server 2003", version: 5.2, build: 3790},
	Release2008:    {name: "2008", long: "Windows Server 2008", version: 6.0, build: 6001},
	Release2008R2:  {name: "2008r2", long: "Windows Server 2008 R2", version: 6.1, build: 7600},
	Release2012:    {name: "2012", long: "Windows Server 2012", version: 6.2, build: 9200},
	Release2012R2:  {name: "2012r2", long: "Windows Server 2012 R2", version: 6.3, build: 9600},
	Release2016:    {name: "2016", long: "Windows Server 2016", version: 10.0, build: 14393},
	Release2019:    {name: "2019", long: "Windows Server 2019", version: 10.0, build: 17763},
	Release2022:    {name: "2022", long: "Windows Server 2022", version: 10.0, build: 20348},
}

// String returns the short name host.os uses ("2003", "2008r2", ...), or
// "unknown".
func (r Release) String() string {
	if r <= ReleaseUnknown || int(r) >= len(releases) {
		return "unknown"
	}
	return releases[r].name
}

// Long is the release's product name, for messages.
func (r Release) Long() string {
	if r < ReleaseUnknown || int(r) >= len(releases) {
		return fmt.Sprintf("Release(%d)", int(r))
	}
	return releases[r].long
}

// Version is the NT version (5.2, 6.1, 6.3, 10.0) host.os_version holds;
// 0 for an unknown release.
func (r Release) Version() float64 {
	if r <= ReleaseUnknown || int(r) >= len(releases) {
		return 0
	}
	return releases[r].version
}

// ReleaseNames lists the spellings [ParseRelease] accepts, oldest first.
func ReleaseNames() []string {
	out := make([]string, 0, len(releases)-1)
	for r := Release2000; int(r) < len(releases); r++ {
		out = append(out, releases[r].name)
	}
	return out
}

// ParseRelease parses a host.os spelling: "2000", "2003", "2008", "2008r2",
// "2012", "2012r2", "2016", "2019" or "2022" (case-insensitive; "2008 R2"
// and a "Windows Server " prefix are accepted too). The empty string is
// [ReleaseUnknown] without error: the release is collected later.
func ParseRelease(s string) (Release, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return ReleaseUnknown, nil
	}
	t = strings.TrimPrefix(t, "windows")
	t = strings.TrimSpace(t)
	t = strings.TrimPrefix(t, "server")
	t = strings.ReplaceAll(strings.TrimSpace(t), " ", "")
	for r := Release2000; int(r) < len(releases); r++ {
		if releases[r].name == t {
			return r, nil
		}
	}
	return ReleaseUnknown, fmt.Errorf("unknown Windows release %q (want one of %s)", s, strings.Join(ReleaseNames(), ", "))
}

// OSRange is the set of releases on which something exists and is
// honoured, from Min to Max inclusive. A zero bound is open: the zero
// OSRange is every release.
type OSRange struct {
	Min, Max Release
}

// Contains reports whether the range holds r: [Applies] or
// [NotApplicable], and [ApplicabilityUnknown] for [ReleaseUnknown] unless
// the range is every release.
func (o OSRange) Contains(r Release) Applicability {
	if o.All() {
		return Applies
	}
	if r == ReleaseUnknown {
		return ApplicabilityUnknown
	}
	if (o.Min != ReleaseUnknown && r < o.Min) || (o.Max != ReleaseUnknown && r > o.Max) {
		return NotApplicable
	}
	return Applies
}

// All reports whether the range is every release.
func (o OSRange) All() bool { return o.Min == ReleaseUnknown && o.Max == ReleaseUnknown }

// String describes the range: "every release", "2003 and earlier",
// "2008 and later", "2000 to 2003".
func (o OSRange) String() string {
	switch {
	case o.All():
		return "every release"
	case o.Min == ReleaseUnknown:
		return o.Max.String() + " and earlier"
	case o.Max == ReleaseUnknown:
		return o.Min.String() + " and later"
	case o.Min == o.Max:
		return o.Min.String() + " only"
	}
	return o.Min.String() + " to " + o.Max.String()
}

// Intersect returns the releases both ranges hold.
func (o OSRange) Intersect(p OSRange) OSRange {
	out := o
	if p.Min != ReleaseUnknown && (out.Min == ReleaseUnknown || p.Min > out.Min) {
		out.Min = p.Min
	}
	if p.Max != ReleaseUnknown && (out.Max == ReleaseUnknown || p.Max < out.Max) {
		out.Max = p.Max
	}
	return out
}

// MarshalText renders the release as host.os spells it.
func (r Release) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
