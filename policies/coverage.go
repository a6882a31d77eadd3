package policies

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// CheckCoverage evaluates every policy's applicability on every host and
// returns a warning for each policy that applies to none of them (every
// answer NotApplicable: a misspelt group, or rules for a release the fleet
// does not run), located at the policy. Evaluation errors (a variable some
// hosts lack) come back once per place and summary, with the number of
// hosts and the first few names.
func CheckCoverage(s *Set, hosts []Host) hcl.Diagnostics {
	var diags hcl.Diagnostics
	type errKey struct {
		rng     hcl.Range
		summary string
	}
	type errGroup struct {
		diag  *hcl.Diagnostic
		hosts []string
	}
	var order []errKey
	groups := map[errKey]*errGroup{}
	for _, p := range s.Policies {
		any := false
		for _, h := range hosts {
			a, d := p.AppliesTo(h)
			for _, e := range d {
				var rng hcl.Range
				if e.Subject != nil {
					rng = *e.Subject
				}
				k := errKey{rng, e.Summary}
				g, ok := groups[k]
				if !ok {
					g = &errGroup{diag: e}
					groups[k] = g
					order = append(order, k)
				}
				g.hosts = append(g.hosts, h.Name)
			}
			if a != NotApplicable {
				any = true
			}
		}
		if !any && len(hosts) > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning, Summary: "Policy applies to no host",
				Detail: fmt.Sprintf("Policy %q applies to none of the %d hosts: check applies_to (a misspelt group or tag?) "+
					"and the releases its rules are honoured on. Fix it, or remove the policy.", p.Name, len(hosts)),
				Subject: p.DeclRange.Ptr(),
			})
		}
	}
	for _, k := range order {
		g := groups[k]
		if len(g.hosts) > 1 {
			names := g.hosts
			if len(names) > 3 {
				names = names[:3]
			}
			d := *g.diag
			d.Detail = fmt.Sprintf("%s (on %d hosts: %s%s)", d.Detail, len(g.hosts), strings.Join(names, ", "),
				map[bool]string{true: ", ...", false: ""}[len(g.hosts) > 3])
			g.diag = &d
		}
		diags = append(diags, g.diag)
	}
	return diags
}
