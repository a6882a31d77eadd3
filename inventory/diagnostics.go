package inventory

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// errorDiag returns an error diagnostic about subject.
func errorDiag(subject hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject.Ptr()}
}

// warningDiag returns a warning diagnostic about subject.
func warningDiag(subject hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: subject.Ptr()}
}

// at names a source position for a diagnostic's detail, as file:line.
func at(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// suggest returns the candidate closest to given, compared without regard
// to case, or "" when none is close enough to be a likely typo or given is
// itself a candidate.
func suggest(given string, candidates []string) string {
	if slices.Contains(candidates, given) {
		return ""
	}
	g := strings.ToLower(given)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := distance(g, strings.ToLower(c))
		limit := 2
		if n := len([]rune(g)) / 3; n > limit {
			limit = n
		}
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean returns " Did you mean "x"?" for the closest candidate, or "".
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// distance is the edit distance between a and b in runes, counting a
// swap of two neighbours as one edit (optimal string alignment), so that
// "wbe" is closer to "web" than to "db".
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		prev2, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, prev2
	}
	return rows[1][len(rb)]
}

// quoteList renders names as "a", "b" or "c".
func quoteList(names []string, conj string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

// hostDiags collects the diagnostics found while resolving hosts. Settings
// in defaults and groups are resolved once per member host, so the same
// problem would otherwise be reported once for every host: hostDiags keeps
// one diagnostic per problem and notes how many hosts it applies to.
type hostDiags struct {
	order []string
	byKey map[string]*hostDiag
}

type hostDiag struct {
	diag  *hcl.Diagnostic
	hosts []string
}

func newHostDiags() *hostDiags {
	return &hostDiags{byKey: map[string]*hostDiag{}}
}

// add records diags found for host, one per severity, summary and subject.
func (a *hostDiags) add(host string, diags hcl.Diagnostics) {
	for _, d := range diags {
		key := fmt.Sprintf("%d|%s", d.Severity, d.Summary)
		if d.Subject != nil {
			key += "|" + d.Subject.String()
		}
		a.addKeyed(key, host, d)
	}
}

// addKeyed records d for host under key; a later diagnostic with the same
// key only counts the host.
func (a *hostDiags) addKeyed(key, host string, d *hcl.Diagnostic) {
	if e, ok := a.byKey[key]; ok {
		if e.hosts[len(e.hosts)-1] != host {
			e.hosts = append(e.hosts, host)
		}
		return
	}
	a.order = append(a.order, key)
	a.byKey[key] = &hostDiag{diag: d, hosts: []string{host}}
}

// diagnostics returns the collected diagnostics in the order first found,
// each noting the hosts it applies to when there are several.
func (a *hostDiags) diagnostics() hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, k := range a.order {
		e := a.byKey[k]
		d := e.diag
		if len(e.hosts) > 1 {
			c := *d
			c.Detail = strings.TrimSpace(c.Detail + " " + appliesTo(e.hosts))
			d = &c
		}
		out = append(out, d)
	}
	return out
}

// appliesTo says which hosts a diagnostic applies to, naming at most three.
func appliesTo(hosts []string) string {
	hs := append([]string(nil), hosts...)
	sort.Strings(hs)
	if len(hs) <= 3 {
		return fmt.Sprintf("This applies to %d hosts: %s.", len(hs), strings.Join(hs, ", "))
	}
	return fmt.Sprintf("This applies to %d hosts: %s and %d more.", len(hs), strings.Join(hs[:3], ", "), len(hs)-3)
}
