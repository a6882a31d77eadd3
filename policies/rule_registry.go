package policies

// The registry rule:
//
//	registry "TcpTimedWaitDelay" {
//	  at_most = 30
//	}
//
// A value the known table lists takes its key and type from the table; any
// other needs key (one of the known keys) and type. Conditions: present,
// absent, equals, one_of, at_least, at_most, and when_absent for how an
// absent value compares.

import (
	"fmt"
	"math"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// registryBlockSchema is the body of a registry rule.
var registryBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "key"}, {Name: "type"},
		{Name: "present"}, {Name: "absent"},
		{Name: "equals"}, {Name: "one_of"}, {Name: "at_least"}, {Name: "at_most"},
		{Name: "when_absent"},
	},
}

// RegistryValue names one registry value: a known key, a value name and
// its type, and the table row when fleetport knows the value.
type RegistryValue struct {
	Key   RegistryKey
	Name  string
	Type  RegType
	Known *KnownValue // nil for a value the table lacks
}

func (v RegistryValue) String() string { return string(v.Key) + `\` + v.Name }

// Presence is what a registry rule requires of the value's existence.
type Presence int

// The presence requirements.
const (
	PresenceAny       Presence = iota // no requirement
	PresenceRequired                  // present = true
	PresenceForbidden                 // absent = true
)

func (p Presence) String() string {
	switch p {
	case PresenceRequired:
		return "present"
	case PresenceForbidden:
		return "absent"
	}
	return "any"
}

// AbsentRule says how an absent value fares in a comparison.
type AbsentRule int

// The rules, spelt "default", "pass" and "fail" in when_absent.
const (
	// AbsentUseDefault compares the release's documented default (the
	// value Windows uses when the value is absent); with no known default
	// the comparison fails.
	AbsentUseDefault AbsentRule = iota
	AbsentPass
	AbsentFail
)

func (a AbsentRule) String() string {
	switch a {
	case AbsentPass:
		return "pass"
	case AbsentFail:
		return "fail"
	}
	return "default"
}

// RegistryRule is a decoded registry block.
type RegistryRule struct {
	Value      RegistryValue
	Presence   Presence
	WhenAbsent AbsentRule
	// Equals, OneOf, AtLeast and AtMost are the comparisons, nil when not
	// set; they may use host values.
	Equals, OneOf, AtLeast, AtMost hcl.Expression
	DeclRange, NameRange           hcl.Range
}

// Kind implements [Rule].
func (r *RegistryRule) Kind() RuleKind { return RuleRegistry }

// Range implements [Rule].
func (r *RegistryRule) Range() hcl.Range { return r.DeclRange }

// OS implements [Rule]: the table's releases, every release for a value
// the table lacks.
func (r *RegistryRule) OS() OSRange {
	if r.Value.Known != nil {
		return r.Value.Known.OS
	}
	return OSRange{}
}

// RegistryCheck is a registry rule resolved for a host. Drift compares it
// with the collected value (absent, or a type and data) in this order:
//
//  1. Presence: PresenceRequired fails on an absent value,
//     PresenceForbidden on a present one.
//  2. A present value of another type than Value.Type fails.
//  3. When a comparison is set (Equals, OneOf, AtLeast, AtMost), the data
//     compared is the present data; for an absent value WhenAbsent
//     decides: AbsentUseDefault compares Default (and fails when Default
//     is nil), AbsentPass passes, AbsentFail fails.
//  4. Equals: equal data ([RegData.Equal]); OneOf: equal to one;
//     AtLeast/AtMost: Num >= AtLeast and Num <= AtMost (bounds included).
//
// The registry shows the configured value. Whether it is in effect yet
// (Value.Known.Effect: a reboot for the TCP/IP values) is not visible in
// the registry; see the package documentation.
type RegistryCheck struct {
	CheckCommon
	Value      RegistryValue
	Presence   Presence
	WhenAbsent AbsentRule
	// Default is the value in effect when the value is absent, from the
	// known table; nil when there is none.
	Default         *RegData
	Equals          *RegData
	OneOf           []RegData
	AtLeast, AtMost *uint64
}

func decodeRegistryBlock(block *hcl.Block) (*RegistryRule, hcl.Diagnostics) {
	content, diags := block.Body.Content(registryBlockSchema)
	r := &RegistryRule{DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	attrs := content.Attributes
	v, d := decodeRegistryValue(block, attrs)
	diags = append(diags, d...)
	r.Value = v
	if d.HasErrors() {
		return r, diags
	}

	diags = append(diags, exclusive(attrs, "present", "absent")...)
	diags = append(diags, exclusive(attrs, "equals", "one_of")...)
	if d := exclusive(attrs, "equals", "at_least"); d != nil {
		diags = append(diags, d...)
	} else if d := exclusive(attrs, "equals", "at_most"); d != nil {
		diags = append(diags, d...)
	} else if d := exclusive(attrs, "one_of", "at_least"); d != nil {
		diags = append(diags, d...)
	} else {
		diags = append(diags, exclusive(attrs, "one_of", "at_most")...)
	}
	diags = append(diags, requireOne(attrs, block, "present", "absent", "equals", "one_of", "at_least", "at_most")...)
	for _, n := range []string{"present", "absent"} {
		a, ok := attrs[n]
		if !ok {
			continue
		}
		b, d := staticBool(a, "it decides what is compliant on every host")
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if (n == "present") == b {
			r.Presence = PresenceRequired
		} else {
			r.Presence = PresenceForbidden
		}
	}
	r.Equals = attrExpr(attrs, "equals")
	r.OneOf = attrExpr(attrs, "one_of")
	r.AtLeast = attrExpr(attrs, "at_least")
	r.AtMost = attrExpr(attrs, "at_most")
	if r.Presence == PresenceForbidden {
		for _, n := range []string{"equals", "one_of", "at_least", "at_most"} {
			if a, ok := attrs[n]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Conflicting arguments",
					Detail:  fmt.Sprintf("%s compares the value's data, but the rule requires the value to be absent. Remove one of them.", n),
					Subject: a.NameRange.Ptr(),
				})
			}
		}
	}
	if !r.Value.Type.Numeric() {
		for _, n := range []string{"at_least", "at_most"} {
			if a, ok := attrs[n]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Type mismatch",
					Detail: fmt.Sprintf("%s compares numbers, but %s is a %s. Use equals or one_of for string data.",
						n, r.Value.Name, r.Value.Type),
					Subject: a.NameRange.Ptr(),
				})
			}
		}
	}
	if a, ok := attrs["when_absent"]; ok {
		s, d := staticString(a, "it decides what is compliant on every host")
		diags = append(diags, d...)
		switch s {
		case "default":
			r.WhenAbsent = AbsentUseDefault
		case "pass":
			r.WhenAbsent = AbsentPass
		case "fail":
			r.WhenAbsent = AbsentFail
		default:
			if !d.HasErrors() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid when_absent",
					Detail:  fmt.Sprintf("when_absent is %q; it must be \"default\", \"pass\" or \"fail\".%s", s, didYouMean(s, []string{"default", "pass", "fail"})),
					Subject: a.Expr.Range().Ptr(),
				})
			}
		}
		if s == "default" && r.Value.Known != nil && r.Value.Known.Default == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning, Summary: "No known default",
				Detail: fmt.Sprintf("%s has no fixed default, so an absent value fails every comparison. "+
					"Say when_absent = \"pass\" or \"fail\" to make that explicit.", r.Value.Name),
				Subject: a.Expr.Range().Ptr(),
			})
		}
	}
	return r, diags
}

// decodeRegistryValue decodes a registry block's label, key and type
// (shared by rules and remediation items): a value the known table lists
// takes its key and type from the table; any other needs both.
func decodeRegistryValue(block *hcl.Block, attrs hcl.Attributes) (RegistryValue, hcl.Diagnostics) {
	var v RegistryValue
	var diags hcl.Diagnostics
	nameRange := block.LabelRanges[0]
	name := block.Labels[0]
	if err := checkValueName(name); err != nil {
		return v, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid registry value name",
			Detail:  fmt.Sprintf("The value name %q %v. Give the value's name as regedit shows it.", name, err),
			Subject: nameRange.Ptr(),
		}}
	}
	v.Name = name
	const why = "it decides which value collection reads"
	if a, ok := attrs["key"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		if !d.HasErrors() {
			k, err := ParseRegistryKey(s)
			if err != nil {
				var names []string
				for _, k := range KnownKeys() {
					names = append(names, string(k))
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Unknown registry key",
					Detail: fmt.Sprintf("%v.%s fleetport reads and writes only these keys: %s.", err, didYouMean(s, names),
						strings.Join(names, "; ")),
					Subject: a.Expr.Range().Ptr(),
				})
			}
			v.Key = k
		}
	}
	if a, ok := attrs["type"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		if !d.HasErrors() {
			t, err := ParseRegType(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Unknown registry type",
					Detail:  fmt.Sprintf("%v.%s", err, didYouMean(s, regTypeNames[1:])),
					Subject: a.Expr.Range().Ptr(),
				})
			}
			v.Type = t
		}
	}
	if diags.HasErrors() {
		return v, diags
	}
	diags = append(diags, bindKnown(&v, nameRange, attrs)...)
	if diags.HasErrors() {
		return v, diags
	}
	if v.Key == KeyInternetSettingsUser {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning, Summary: "Per-user registry key",
			Detail: "Over WinRM, HKCU is the hive of the account fleetport connects with, not of the interactive user, " +
				"so this checks and changes that account's setting only. Use the HKLM key for a machine-wide setting.",
			Subject: attrs["key"].Expr.Range().Ptr(),
		})
	}
	return v, diags
}

// bindKnown fills key and type from the known table, or checks that a
// value the table lacks is fully declared.
func bindKnown(v *RegistryValue, nameRange hcl.Range, attrs hcl.Attributes) hcl.Diagnostics {
	if k, ok := LookupKnown(v.Name); ok {
		v.Known = k
		v.Name = k.Name
		var diags hcl.Diagnostics
		if v.Key != "" && v.Key != k.Key {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Registry key mismatch",
				Detail:  fmt.Sprintf("%s lives under %s. Leave key out; fleetport knows where the value lives.", k.Name, k.Key),
				Subject: attrs["key"].Expr.Range().Ptr(),
			})
		}
		if v.Type != RegTypeUnset && v.Type != k.Type {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Type mismatch",
				Detail:  fmt.Sprintf("%s is a %s, not a %s. Leave type out; fleetport knows the value's type.", k.Name, k.Type, v.Type),
				Subject: attrs["type"].Expr.Range().Ptr(),
			})
		}
		v.Key, v.Type = k.Key, k.Type
		return diags
	}
	names := knownNames(v.Key)
	switch {
	case v.Key == "":
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Unknown registry value",
			Detail: fmt.Sprintf("fleetport does not know a value named %q.%s For a value outside its table, give key and type.",
				v.Name, didYouMean(v.Name, names)),
			Subject: nameRange.Ptr(),
		}}
	case v.Type == RegTypeUnset:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Unknown registry value",
			Detail: fmt.Sprintf("fleetport does not know a value named %q under %s.%s For a value outside its table, give its type too.",
				v.Name, v.Key, didYouMean(v.Name, names)),
			Subject: nameRange.Ptr(),
		}}
	}
	if s := suggest(v.Name, names); s != "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagWarning, Summary: "Unknown registry value name",
			Detail: fmt.Sprintf("%s holds no value named %q in fleetport's table. Did you mean %q? "+
				"If the name is right, fleetport cannot check its range, and assumes a change needs a reboot.",
				v.Key, v.Name, s),
			Subject: nameRange.Ptr(),
		}}
	}
	return nil
}

func attrExpr(attrs hcl.Attributes, name string) hcl.Expression {
	if a, ok := attrs[name]; ok {
		return a.Expr
	}
	return nil
}

func (r *RegistryRule) resolve(ev *evaluator) (Check, hcl.Diagnostics) {
	notes := r.Value.Name
	if k := r.Value.Known; k != nil && k.Product != "" {
		notes += " (read by " + k.Product + ")"
	}
	c := &RegistryCheck{
		CheckCommon: osCommon(r, ev.release, notes),
		Value:       r.Value, Presence: r.Presence, WhenAbsent: r.WhenAbsent,
	}
	if k := r.Value.Known; k != nil && k.Default != nil {
		d := *k.Default
		c.Default = &d
	}
	var diags hcl.Diagnostics
	known := true
	if r.Equals != nil {
		v, d := ev.value(r.Equals)
		diags = append(diags, d...)
		if !d.HasErrors() {
			data, ok, d := regDataOf(v, r.Value, r.Equals.Range(), "equals")
			diags = append(diags, d...)
			known = known && ok
			if ok {
				c.Equals = &data
			}
		}
	}
	if r.OneOf != nil {
		v, d := ev.value(r.OneOf)
		diags = append(diags, d...)
		switch {
		case d.HasErrors():
		case !v.IsKnown():
			known = false
		case v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()):
			diags = append(diags, typeDiag(r.OneOf.Range(), "one_of", "a list of values", v.Type()))
		default:
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				data, ok, d := regDataOf(e, r.Value, r.OneOf.Range(), "one_of element")
				diags = append(diags, d...)
				known = known && (ok || d.HasErrors())
				if ok {
					c.OneOf = append(c.OneOf, data)
				}
			}
			if v.LengthInt() == 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Empty one_of",
					Detail:  "one_of lists no value, so no host could comply. List the allowed values.",
					Subject: r.OneOf.Range().Ptr(),
				})
			}
		}
	}
	bound := func(expr hcl.Expression, what string) *uint64 {
		if expr == nil {
			return nil
		}
		v, d := ev.value(expr)
		diags = append(diags, d...)
		if d.HasErrors() {
			return nil
		}
		data, ok, d := regDataOf(v, r.Value, expr.Range(), what)
		diags = append(diags, d...)
		if !ok {
			known = known && d.HasErrors()
			return nil
		}
		return &data.Num
	}
	if r.Value.Type.Numeric() {
		c.AtLeast = bound(r.AtLeast, "at_least")
		c.AtMost = bound(r.AtMost, "at_most")
		if c.AtLeast != nil && c.AtMost != nil && *c.AtLeast > *c.AtMost {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Empty range",
				Detail:  fmt.Sprintf("at_least (%d) is above at_most (%d), so no host could comply. Swap or fix the bounds.", *c.AtLeast, *c.AtMost),
				Subject: r.AtLeast.Range().Ptr(),
			})
		}
	}
	if !known {
		c.unknownValue()
	}
	return c, diags
}

// regDataOf converts an HCL value to registry data of the value's type,
// strictly: a number for REG_DWORD/REG_QWORD, a string for REG_SZ, a list
// of strings for REG_MULTI_SZ, then checks the known table's range and
// format. ok is false for an unknown value (no diagnostics) or an invalid
// one (with diagnostics).
func regDataOf(v cty.Value, rv RegistryValue, rng hcl.Range, what string) (RegData, bool, hcl.Diagnostics) {
	if !v.IsWhollyKnown() {
		return RegData{}, false, nil
	}
	if v.IsNull() {
		return RegData{}, false, hcl.Diagnostics{nullDiag(rng, what)}
	}
	mismatch := func(want string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Type mismatch",
			Detail: fmt.Sprintf("%s is a %s, so %s must be %s, not %s. Give %s.",
				rv.Name, rv.Type, what, want, v.Type().FriendlyName(), want),
			Subject: rng.Ptr(),
		}}
	}
	d := RegData{Type: rv.Type}
	switch rv.Type {
	case RegDWORD, RegQWORD:
		if v.Type() != cty.Number {
			return d, false, mismatch("a number")
		}
		bf := v.AsBigFloat()
		if !bf.IsInt() || bf.Sign() < 0 || (rv.Type == RegDWORD && bf.Cmp(bigUint(math.MaxUint32)) > 0) ||
			bf.Cmp(bigUint(math.MaxUint64)) > 0 {
			return d, false, hcl.Diagnostics{rangeDiag(rng, what, bf.Text('g', 20), "0", fmt.Sprint(rv.Type.maxValue()),
				fmt.Sprintf("A %s holds a whole number in that range.", rv.Type))}
		}
		d.Num, _ = bf.Uint64()
	case RegSZ:
		if v.Type() != cty.String {
			return d, false, mismatch("a string")
		}
		d.Str = v.AsString()
		if err := checkRegString(d.Str); err != nil {
			return d, false, hcl.Diagnostics{invalidData(rng, what, err)}
		}
	case RegMultiSZ:
		if !(v.Type().IsListType() || v.Type().IsTupleType()) {
			return d, false, mismatch("a list of strings")
		}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				return d, false, mismatch("a list of strings")
			}
			s := e.AsString()
			if s == "" {
				return d, false, hcl.Diagnostics{invalidData(rng, what, fmt.Errorf("holds an empty string, which REG_MULTI_SZ cannot store"))}
			}
			if err := checkRegString(s); err != nil {
				return d, false, hcl.Diagnostics{invalidData(rng, what, err)}
			}
			d.Multi = append(d.Multi, s)
		}
	}
	if k := rv.Known; k != nil {
		if err := k.check(d); err != nil {
			if k.HasRange && d.Type.Numeric() && (d.Num < k.Min || d.Num > k.Max) {
				return d, false, hcl.Diagnostics{rangeDiag(rng, what+" for "+k.Name, fmt.Sprint(d.Num), fmt.Sprint(k.Min), fmt.Sprint(k.Max),
					"("+strings.Join(k.Sources[:1], "")+")")}
			}
			return d, false, hcl.Diagnostics{invalidData(rng, what, err)}
		}
	}
	return d, true, nil
}

func invalidData(rng hcl.Range, what string, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Invalid registry data",
		Detail:  fmt.Sprintf("%s %v. Give valid data.", what, err),
		Subject: rng.Ptr(),
	}
}

func (r *RegistryRule) needs(rel Release, n *Needs) {
	if r.OS().Contains(rel) != NotApplicable {
		n.addRegistry(r.Value)
	}
}
