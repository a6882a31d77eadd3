package policies

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Waiver is one decoded waiver block: drift of one policy that is
// accepted, on some hosts, for a reason, until a date. Drift a live waiver
// covers is reported "waived" (with the waiver's reason, date and place),
// not "fail": it does not make drift's exit code 2, and plan leaves it
// alone. From the day after Until the waiver is expired: it is ignored
// (the findings fail again) and drift warns about it.
//
//	waiver "legacy-relay" {
//	  policy = "smtp_bind_address"          # a policy name, or a fleetport.* check
//	  hosts  = ["smtp0003", "smtp0004"]     # host names; or:
//	  # limit = "group:smtp,&tag:site=paris" # the --limit language, without @file
//	  reason = "the old relay binds 0.0.0.0 until it is replaced (CHG-4711)"
//	  until  = "2027-03-31"                 # the last day it holds, UTC
//	}
//
// Waivers live with the policies (-p): they are decisions about what the
// policies demand, reviewed and versioned with them, while the inventory
// says what the fleet is (and may be generated).
type Waiver struct {
	Name string
	// Policy is the policy (or cross-fact check) whose drift is waived;
	// [Set.CheckWaivers] spells it as the policy is declared.
	Policy string
	// Hosts names the hosts covered (compared without regard to case);
	// Limit selects them in the --limit language instead. Exactly one is
	// set.
	Hosts []string
	Limit string
	// Reason says why the drift is accepted.
	Reason string
	// Until is the last day the waiver holds (midnight UTC of that day);
	// it expires at the end of it (see [Waiver.Expires]).
	Until time.Time
	// DeclRange is the block header, NameRange its label; the others are
	// the attributes' expressions (zero when the attribute is absent).
	DeclRange, NameRange                            hcl.Range
	PolicyRange, HostsRange, LimitRange, UntilRange hcl.Range
}

// WaiverDateLayout is how until is written: a calendar date.
const WaiverDateLayout = "2006-01-02"

// MaxWaiverTerm is how far ahead an until may lie before validate warns:
// a waiver is a decision to review, not a way to switch a policy off.
const MaxWaiverTerm = 366 * 24 * time.Hour

// Expires is the first instant the waiver no longer holds: the midnight
// (UTC) after its until date.
func (w *Waiver) Expires() time.Time { return w.Until.AddDate(0, 0, 1) }

// Expired reports whether the waiver no longer holds at now.
func (w *Waiver) Expired(now time.Time) bool { return !now.Before(w.Expires()) }

// UntilText is the until date as written: "2027-03-31".
func (w *Waiver) UntilText() string { return w.Until.Format(WaiverDateLayout) }

// Source is where the waiver is declared: "file:line".
func (w *Waiver) Source() string {
	return fmt.Sprintf("%s:%d", w.DeclRange.Filename, w.DeclRange.Start.Line)
}

// CoversName reports whether the waiver's host list names host (without
// regard to case). A waiver with a limit instead lists no names: its
// hosts are selected by whoever knows the inventory (drift).
func (w *Waiver) CoversName(host string) bool {
	return slices.ContainsFunc(w.Hosts, func(n string) bool { return strings.EqualFold(n, host) })
}

var waiverBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "policy", Required: true},
		{Name: "hosts"},
		{Name: "limit"},
		{Name: "reason", Required: true},
		{Name: "until", Required: true},
	},
}

func decodeWaiverBlock(b *hcl.Block) (*Waiver, hcl.Diagnostics) {
	w := &Waiver{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	var diags hcl.Diagnostics
	if err := checkPolicyName(w.Name); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid waiver name",
			Detail:  fmt.Sprintf("Waiver name %q %v.", w.Name, err),
			Subject: w.NameRange.Ptr(),
		})
	}
	content, d := b.Body.Content(waiverBlockSchema)
	diags = append(diags, d...)
	str := func(name string) (string, hcl.Range, bool) {
		a, ok := content.Attributes[name]
		if !ok {
			return "", hcl.Range{}, false
		}
		v, d := staticValue(a, "a waiver is the same whatever the host")
		diags = append(diags, d...)
		if d.HasErrors() {
			return "", a.Expr.Range(), false
		}
		if v.IsNull() {
			diags = append(diags, nullDiag(a.Expr.Range(), name))
			return "", a.Expr.Range(), false
		}
		sv, err := convert.Convert(v, cty.String)
		if err != nil || !sv.IsKnown() {
			diags = append(diags, typeDiag(a.Expr.Range(), name, "a string", v.Type()))
			return "", a.Expr.Range(), false
		}
		return sv.AsString(), a.Expr.Range(), true
	}
	var ok bool
	if w.Policy, w.PolicyRange, ok = str("policy"); ok && strings.TrimSpace(w.Policy) == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing waiver policy",
			Detail: "policy is empty. Name the policy (or fleetport.* check) whose drift is waived.", Subject: w.PolicyRange.Ptr()})
	}
	var reasonRange hcl.Range
	if w.Reason, reasonRange, ok = str("reason"); ok && strings.TrimSpace(w.Reason) == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing waiver reason",
			Detail:  "reason is empty. Say why the drift is accepted (a change ticket, the plan to end it): reports show it next to every waived finding.",
			Subject: reasonRange.Ptr()})
	}
	w.Reason = strings.TrimSpace(w.Reason)
	var until string
	if until, w.UntilRange, ok = str("until"); ok {
		t, err := time.Parse(WaiverDateLayout, strings.TrimSpace(until))
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid waiver date",
				Detail:  fmt.Sprintf("until %q is not a date written YYYY-MM-DD (such as \"2027-03-31\"): the last day the waiver holds, UTC.", until),
				Subject: w.UntilRange.Ptr()})
		} else {
			w.Until = t.UTC()
		}
	}
	if a, ok := content.Attributes["limit"]; ok {
		w.Limit, w.LimitRange, _ = str("limit")
		if strings.TrimSpace(w.Limit) == "" && !diags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty waiver limit",
				Detail: "limit selects no host. Give a pattern in the --limit language (group:smtp, web*, tag:site=paris).", Subject: a.Expr.Range().Ptr()})
		}
		for _, term := range strings.Split(w.Limit, ",") {
			term = strings.TrimLeft(strings.TrimSpace(term), "&!")
			if strings.HasPrefix(strings.TrimSpace(term), "@") {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "File in a waiver limit",
					Detail:  fmt.Sprintf("limit term %q reads a file; a waiver must say by itself what it covers. List the hosts in hosts, or select them by group or tag.", strings.TrimSpace(term)),
					Subject: a.Expr.Range().Ptr()})
			}
		}
	}
	if a, ok := content.Attributes["hosts"]; ok {
		w.HostsRange = a.Expr.Range()
		v, d := staticValue(a, "a waiver is the same whatever the host")
		diags = append(diags, d...)
		if !d.HasErrors() {
			lv, err := convert.Convert(v, cty.List(cty.String))
			switch {
			case err != nil || v.IsNull() || !lv.IsWhollyKnown():
				diags = append(diags, typeDiag(w.HostsRange, "hosts", "a list of host names", v.Type()))
			case lv.LengthInt() == 0:
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty waiver hosts",
					Detail: "hosts lists no host. Name the hosts whose drift is waived.", Subject: w.HostsRange.Ptr()})
			default:
				for it := lv.ElementIterator(); it.Next(); {
					_, e := it.Element()
					if e.IsNull() || strings.TrimSpace(e.AsString()) == "" {
						diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty host name",
							Detail: "hosts holds an empty name. Name each host.", Subject: w.HostsRange.Ptr()})
						continue
					}
					w.Hosts = append(w.Hosts, strings.TrimSpace(e.AsString()))
				}
			}
		}
	}
	_, hasHosts := content.Attributes["hosts"]
	_, hasLimit := content.Attributes["limit"]
	switch {
	case hasHosts && hasLimit:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Both hosts and limit",
			Detail:  "A waiver names its hosts either by hosts (a list of names) or by limit (a pattern), not both. Keep one.",
			Subject: content.Attributes["limit"].NameRange.Ptr()})
	case !hasHosts && !hasLimit:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Waiver covers no host",
			Detail:  "Say which hosts the waiver covers: hosts = [\"smtp0003\"], or limit = \"group:smtp\". A waiver for every host would switch the policy off: remove the policy instead, or write limit = \"all\".",
			Subject: w.DeclRange.Ptr()})
	}
	return w, diags
}

// CheckWaivers checks the set's waivers against its policies: each names
// a policy of the set or one of the cross-fact checks ([CrossFactChecks]),
// else it is an error located at the name, with a suggestion. It spells
// each waiver's Policy as the policy is declared. Call it on the set that
// is judged (the built-in pack merged with the user's files), not on a
// part of it.
func (s *Set) CheckWaivers() hcl.Diagnostics {
	var diags hcl.Diagnostics
	known := make([]string, 0, len(s.Policies)+len(CrossFactChecks))
	for _, p := range s.Policies {
		known = append(known, p.Name)
	}
	known = append(known, CrossFactChecks...)
	for _, w := range s.Waivers {
		if w.Policy == "" {
			continue
		}
		if p := s.Policy(w.Policy); p != nil {
			w.Policy = p.Name
			continue
		}
		if i := slices.IndexFunc(CrossFactChecks, func(n string) bool { return strings.EqualFold(n, w.Policy) }); i >= 0 {
			w.Policy = CrossFactChecks[i]
			continue
		}
		detail := fmt.Sprintf("Waiver %q names policy %q, which the policy set does not have, so it would waive nothing.%s",
			w.Name, w.Policy, didYouMean(w.Policy, known))
		if isBuiltinName(w.Policy) {
			detail += " It is a built-in policy: --no-builtin leaves it out."
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Waiver for an unknown policy", Detail: detail, Subject: w.PolicyRange.Ptr()})
	}
	return diags
}

// WaiverWarnings are the warnings about the set's waivers at now: an
// expired waiver (its drift fails again) and one whose until lies more
// than [MaxWaiverTerm] ahead, each located at its until.
func (s *Set) WaiverWarnings(now time.Time) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, w := range s.Waivers {
		if w.Until.IsZero() {
			continue
		}
		switch {
		case w.Expired(now):
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Waiver expired",
				Detail: fmt.Sprintf("Waiver %q of policy %q expired at the end of %s: its drift fails again. Fix the drift, or extend until "+
					"with a reason that still holds, or remove the waiver.", w.Name, w.Policy, w.UntilText()),
				Subject: w.UntilRange.Ptr()})
		case w.Until.Sub(now) > MaxWaiverTerm:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Waiver for more than a year",
				Detail: fmt.Sprintf("Waiver %q of policy %q holds until %s, more than a year from now. A waiver is a decision to review: "+
					"give a nearer date (and extend it when it is reviewed), or change the policy (applies_to) if the drift is for good.", w.Name, w.Policy, w.UntilText()),
				Subject: w.UntilRange.Ptr()})
		}
	}
	return diags
}

// CrossFactChecks are the names of fleetport's cross-fact checks, which
// drift runs besides the policies and a waiver may name.
var CrossFactChecks = []string{
	"fleetport.site_unreachable",
	"fleetport.listen_list_lockout",
	"fleetport.port_exhaustion",
	"fleetport.not_in_effect",
}

// isBuiltinName reports whether the built-in pack declares a policy named
// name (without regard to case).
func isBuiltinName(name string) bool {
	b := builtinOnce()
	return b != nil && b.Policy(name) != nil
}

var builtinOnce = sync.OnceValue(func() *Set {
	b, _ := Builtin()
	return b
})
