package policies

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// MissingVar marks (as hcl.Diagnostic.Extra) the error of a policy that
// reads host.vars.NAME on a host whose inventory declares no NAME: the
// inventory is to be completed, the policy is fine. Its detail says so in
// plain words, with what to add.
type MissingVar struct {
	Host, Name string
}

// varHints say what a variable the built-in pack reads is, and an example
// value, for the missing-variable message.
var varHints = map[string]struct{ what, example string }{
	"service_address": {"no service address (vars.service_address, the address its sites serve)", `"10.0.0.10"`},
}

// plainMissingVars replaces, in the diagnostics of evaluating expr for h,
// each error located at a host.vars.NAME reference whose NAME the host does
// not declare with the plain missing-variable error.
func plainMissingVars(diags hcl.Diagnostics, expr hcl.Expression, h *Host) hcl.Diagnostics {
	missing := missingVars(expr, h)
	if len(missing) == 0 {
		return diags
	}
	out := make(hcl.Diagnostics, 0, len(diags))
	used := map[int]bool{}
	for _, d := range diags {
		replaced := false
		if d.Severity == hcl.DiagError && d.Subject != nil {
			for i, m := range missing {
				if rangeWithin(*d.Subject, *m.Subject) {
					if !used[i] {
						out = append(out, m)
						used[i] = true
					}
					replaced = true
					break
				}
			}
		}
		if !replaced {
			out = append(out, d)
		}
	}
	return out
}

// rangeWithin reports whether a lies within b (same file).
func rangeWithin(a, b hcl.Range) bool {
	return a.Filename == b.Filename && a.Start.Byte >= b.Start.Byte && a.End.Byte <= b.End.Byte
}

// missingVars returns an error for each host.vars.NAME reference in expr
// whose NAME the host does not declare, nil when there is none.
func missingVars(expr hcl.Expression, h *Host) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		if t.RootName() != "host" || len(t) < 3 || traversalAttr(t) != "vars" {
			continue
		}
		var name string
		switch s := t[2].(type) {
		case hcl.TraverseAttr:
			name = s.Name
		case hcl.TraverseIndex:
			if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
				name = s.Key.AsString()
			}
		}
		if name == "" {
			continue
		}
		if v, ok := h.Vars[name]; ok && v != cty.NilVal {
			continue
		}
		hint, ok := varHints[name]
		what, example := hint.what, hint.example
		if !ok {
			what, example = fmt.Sprintf("no variable %q (vars.%s), which this policy reads", name, name), "..."
		}
		summary := "Host declares no vars." + name
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: summary,
			Detail: fmt.Sprintf("host %q declares %s: add vars = { %s = %s } to the host, or to its group, in the inventory",
				h.Name, what, name, example),
			Subject: hcl.RangeBetween(t[0].SourceRange(), t[len(t)-1].SourceRange()).Ptr(),
			Extra:   MissingVar{Host: h.Name, Name: name},
		})
	}
	return diags
}

// IsMissingVar reports whether d is the error of a host that lacks an
// inventory variable a policy reads.
func IsMissingVar(d *hcl.Diagnostic) bool {
	_, ok := d.Extra.(MissingVar)
	return ok
}

// ReasonText is an error diagnostic as a report or a plan says it: a
// missing inventory variable in plain words (what to add, where), any
// other error with its place, summary and detail.
func ReasonText(d *hcl.Diagnostic) string {
	if IsMissingVar(d) {
		return d.Detail
	}
	return d.Error()
}

// firstMissingVar is the detail of the first missing-variable error in
// diags, "" when there is none.
func firstMissingVar(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && IsMissingVar(d) {
			return d.Detail
		}
	}
	return ""
}
