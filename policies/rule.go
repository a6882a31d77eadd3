package policies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// RuleKind is the kind of a rule: the block type that declares it.
type RuleKind int

// The rule kinds.
const (
	RuleRegistry RuleKind = iota + 1
	RuleListenList
	RuleListener
	RuleConnections
	RuleDynamicPortRange
	RuleService
)

var ruleKindNames = map[RuleKind]string{
	RuleRegistry: "registry", RuleListenList: "listen_list", RuleListener: "listener",
	RuleConnections: "connections", RuleDynamicPortRange: "dynamic_port_range", RuleService: "service",
}

// String returns the block type ("listen_list").
func (k RuleKind) String() string {
	if n, ok := ruleKindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("RuleKind(%d)", int(k))
}

// Rule is one declared rule of a policy, as decoded: static attributes
// typed, per-host ones kept as expressions. The concrete types are
// [*RegistryRule], [*ListenListRule], [*ListenerRule], [*ConnectionsRule],
// [*DynamicPortRangeRule] and [*ServiceRule]; [Policy.Resolve] turns each
// into the matching [Check] for one host.
type Rule interface {
	Kind() RuleKind
	// Range is the rule block's declaration range (its header).
	Range() hcl.Range
	// OS is the releases on which the rule's subject exists and is
	// honoured; elsewhere its check is NotApplicable.
	OS() OSRange
	// resolve evaluates the rule for ev's host (or the schema host at
	// load time, when the returned check is discarded).
	resolve(ev *evaluator) (Check, hcl.Diagnostics)
	// needs adds what collection must fetch for the rule on a host of
	// release r (ReleaseUnknown: for any release).
	needs(r Release, n *Needs)
}

// Check is a rule resolved for one host: every value known and typed. The
// concrete types are [*RegistryCheck], [*ListenListCheck],
// [*ListenerCheck], [*ConnectionsCheck], [*DynamicPortRangeCheck] and
// [*ServiceCheck]; each documents exactly what drift must compute.
type Check interface {
	Common() *CheckCommon
}

// CheckCommon is what every check carries.
type CheckCommon struct {
	Kind      RuleKind
	DeclRange hcl.Range
	// Applies is Applies when drift must compare the check with the
	// host's facts; NotApplicable when the host's release does not honour
	// the rule's subject (report "not applicable", not a finding);
	// ApplicabilityUnknown when the release or a value the check needs is
	// not known yet (never compliant; collect, then resolve again).
	Applies Applicability
	// Reason explains a NotApplicable or unknown answer, for reports.
	Reason string
	// Incomplete, when set, says in plain words which value the host
	// lacks (an inventory variable it does not declare): the check was
	// resolved without it, so a pass means nothing.
	Incomplete string
	// partial is set when some operand is unknown.
	partial bool
}

// Common returns the common part.
func (c *CheckCommon) Common() *CheckCommon { return c }

// osCommon fills the common part from the rule's OS range and the host's
// release.
func osCommon(r Rule, rel Release, notes string) CheckCommon {
	c := CheckCommon{Kind: r.Kind(), DeclRange: r.Range(), Applies: r.OS().Contains(rel)}
	switch c.Applies {
	case NotApplicable:
		c.Reason = fmt.Sprintf("%s is honoured on %s; the host runs %s", notes, r.OS(), rel.Long())
	case ApplicabilityUnknown:
		c.Reason = fmt.Sprintf("%s is honoured on %s; the host's release is not known yet", notes, r.OS())
	}
	return c
}

// unknownValue marks a check whose values are not all known for the host.
func (c *CheckCommon) unknownValue() {
	c.partial = true
	if c.Applies == Applies {
		c.Applies = ApplicabilityUnknown
		c.Reason = "a value the rule needs is not known for this host yet"
	}
}

// suggest returns the option closest to given, or "" when none is close
// enough to be a likely typo. Case is ignored.
func suggest(given string, options []string) string {
	best, bestDist := "", 0
	g := strings.ToLower(given)
	for _, o := range options {
		d := levenshtein.Distance(g, strings.ToLower(o), nil)
		limit := 3
		if len(o) < 6 {
			limit = 2
		}
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean renders a suggestion for a diagnostic detail.
func didYouMean(given string, options []string) string {
	if s := suggest(given, options); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// exclusive reports an error when more than one of the named attributes
// is set.
func exclusive(attrs hcl.Attributes, names ...string) hcl.Diagnostics {
	var set []*hcl.Attribute
	for _, n := range names {
		if a, ok := attrs[n]; ok {
			set = append(set, a)
		}
	}
	if len(set) < 2 {
		return nil
	}
	// Report at the later of the two in the source.
	sort.Slice(set, func(i, j int) bool { return set[i].Range.Start.Byte < set[j].Range.Start.Byte })
	return hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Conflicting arguments",
		Detail: fmt.Sprintf("%s cannot be combined with %s. Keep one of %s.", set[1].Name, set[0].Name,
			strings.Join(names, ", ")),
		Subject: set[1].NameRange.Ptr(),
	}}
}

// requireOne reports an error when none of the named attributes is set.
func requireOne(attrs hcl.Attributes, block *hcl.Block, names ...string) hcl.Diagnostics {
	for _, n := range names {
		if _, ok := attrs[n]; ok {
			return nil
		}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Missing condition",
		Detail: fmt.Sprintf("A %s block must say what to check: set at least one of %s.", block.Type,
			strings.Join(names, ", ")),
		Subject: block.DefRange.Ptr(),
	}}
}

// MarshalText renders the kind as its block type.
func (k RuleKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
