package policies

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Severity ranks a policy's findings.
type Severity int

// The severities, lowest first. A policy without severity is
// [SeverityMedium].
const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{SeverityInfo: "info", SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high", SeverityCritical: "critical"}

func (s Severity) String() string {
	if s < SeverityInfo || s > SeverityCritical {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText renders the severity as policies spell it.
func (s Severity) MarshalText() ([]byte, error) {
	if s < SeverityInfo || s > SeverityCritical {
		return nil, fmt.Errorf("policies: invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts the names ParseSeverity accepts.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "info", "low", "medium", "high" or "critical".
func ParseSeverity(s string) (Severity, error) {
	for i := SeverityInfo; i <= SeverityCritical; i++ {
		if severityNames[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("severity %q is not one of %s", s, strings.Join(severityNames[1:], ", "))
}

// Policy is one decoded policy block.
type Policy struct {
	Name        string
	Description string
	Severity    Severity
	// AppliesToExpr is the applies_to expression, nil when the policy
	// applies to every host. Evaluate it with [Policy.AppliesTo].
	AppliesToExpr hcl.Expression
	// References cite the Windows behaviour the policy encodes (KB
	// numbers, sections of windows-semantics.md).
	References []string
	// Rules are the checks, in source order; all must pass.
	Rules []Rule
	// Remediation is nil when the policy declares none.
	Remediation *Remediation
	// DeclRange is the block header (policy "name"); NameRange the label.
	DeclRange, NameRange hcl.Range
}

// policyBlockSchema is the body of a policy block.
var policyBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "severity"}, {Name: "applies_to"}, {Name: "references"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "registry", LabelNames: []string{"name"}},
		{Type: "listen_list"},
		{Type: "listener"},
		{Type: "connections"},
		{Type: "dynamic_port_range"},
		{Type: "service", LabelNames: []string{"name"}},
		{Type: "remediation"},
	},
}

// checkPolicyName: letters, digits, _ and -, starting with a letter, at
// most 64 characters, so that names work as report keys and CLI filters.
func checkPolicyName(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("must be 1 to 64 characters long")
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if i == 0 && !letter {
			return fmt.Errorf("must start with a letter")
		}
		if !letter && !(r >= '0' && r <= '9') && r != '_' && r != '-' {
			return fmt.Errorf("contains %q; use letters, digits, _ and -", r)
		}
	}
	return nil
}

func decodePolicyBlock(block *hcl.Block) (*Policy, hcl.Diagnostics) {
	p := &Policy{
		Name: block.Labels[0], Severity: SeverityMedium,
		DeclRange: block.DefRange, NameRange: block.LabelRanges[0],
	}
	var diags hcl.Diagnostics
	if err := checkPolicyName(p.Name); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid policy name",
			Detail:  fmt.Sprintf("The policy name %q %v. Rename the policy.", p.Name, err),
			Subject: p.NameRange.Ptr(),
		})
	}
	content, contentDiags := block.Body.Content(policyBlockSchema)
	diags = append(diags, contentDiags...)
	attrs := content.Attributes
	const why = "it describes the policy, not a host"
	if a, ok := attrs["description"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		p.Description = s
	}
	if a, ok := attrs["severity"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		if !d.HasErrors() {
			sev, err := ParseSeverity(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid severity",
					Detail:  fmt.Sprintf("The %v.%s Use one of them.", err, didYouMean(s, severityNames[1:])),
					Subject: a.Expr.Range().Ptr(),
				})
			} else {
				p.Severity = sev
			}
		}
	}
	if a, ok := attrs["references"]; ok {
		refs, d := staticStrings(a, why)
		diags = append(diags, d...)
		p.References = refs
	}
	ev := newSchemaEvaluator()
	if a, ok := attrs["applies_to"]; ok {
		p.AppliesToExpr = a.Expr
		v, d := ev.value(a.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() && v.Type() != cty.DynamicPseudoType && v.Type() != cty.Bool {
			diags = append(diags, typeDiag(a.Expr.Range(), "applies_to", "true or false", v.Type()))
		}
	}

	for _, b := range content.Blocks {
		var r Rule
		var d hcl.Diagnostics
		switch b.Type {
		case "registry":
			r, d = decodeRegistryBlock(b)
		case "listen_list":
			r, d = decodeListenListBlock(b)
		case "listener":
			r, d = decodeListenerBlock(b)
		case "connections":
			r, d = decodeConnectionsBlock(b)
		case "dynamic_port_range":
			r, d = decodeDynamicPortRangeBlock(b)
		case "service":
			r, d = decodeServiceBlock(b)
		case "remediation":
			if p.Remediation != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate remediation block",
					Detail: fmt.Sprintf("This policy already has a remediation block at %s. Merge the two.",
						p.Remediation.DeclRange),
					Subject: b.DefRange.Ptr(),
				})
				continue
			}
			rem, d := decodeRemediationBlock(b)
			diags = append(diags, d...)
			p.Remediation = rem
			continue
		}
		diags = append(diags, d...)
		if !d.HasErrors() {
			_, d = r.resolve(ev)
			diags = append(diags, d...)
		}
		p.Rules = append(p.Rules, r)
	}
	// A block HCL could not decode (a missing label) is dropped; do not
	// add "without rules" on top of that error.
	if len(p.Rules) == 0 && !contentDiags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Policy without rules",
			Detail: "A policy must check something: add a registry, listen_list, listener, connections, " +
				"dynamic_port_range or service block.",
			Subject: p.DeclRange.Ptr(),
		})
	}
	if p.Remediation != nil {
		diags = append(diags, p.Remediation.validate(ev, p.Rules)...)
	}
	return p, diags
}
