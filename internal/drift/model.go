package drift

import (
	"fmt"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// SchemaVersion is the version of the report's JSON form
// (docs/schema/drift-report.schema.json). It changes when a key is renamed
// or its meaning changes; adding an optional key does not change it.
// Version 2 added the result "waived" (drift a live waiver accepts, counted
// apart from fail and pending), the waivers and the change kinds "waived"
// and "unwaived".
const SchemaVersion = 2

// Result is the outcome of one check, one policy on one host, or one host.
type Result uint8

// The results, in increasing order of concern for a host's roll-up
// (NotApplicable < Pass < Waived < Unknown < Pending < Fail).
const (
	// NotApplicable: the policy or check does not apply to the host.
	NotApplicable Result = iota
	// Pass: compliant, as far as the facts show and in effect.
	Pass
	// Waived: drift (fail or pending) that a live waiver accepts. It is
	// not drift for the exit code, and plan leaves it alone.
	Waived
	// Unknown: could not tell (the host was unreachable, the output did
	// not parse, a fact or value is missing). Never compliant.
	Unknown
	// Pending: the configured value is compliant but not in effect yet
	// (it waits for a service restart or a reboot).
	Pending
	// Fail: drift.
	Fail
	resultSentinel
)

var resultNames = [...]string{
	NotApplicable: "not-applicable",
	Pass:          "pass",
	Waived:        "waived",
	Unknown:       "unknown",
	Pending:       "pending",
	Fail:          "fail",
}

func (r Result) String() string {
	if r < resultSentinel {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", uint8(r))
}

// MarshalText returns String.
func (r Result) MarshalText() ([]byte, error) {
	if r >= resultSentinel {
		return nil, fmt.Errorf("drift: invalid result %d", uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText accepts the names String returns.
func (r *Result) UnmarshalText(b []byte) error {
	for i, n := range resultNames {
		if n == string(b) {
			*r = Result(i)
			return nil
		}
	}
	return fmt.Errorf("drift: unknown result %q", b)
}

// IsDrift reports whether the result is drift for the exit code: a
// failing or pending check (a waived one is not).
func (r Result) IsDrift() bool { return r == Fail || r == Pending }

// Fix is what fixing a finding takes before the fix is in effect.
type Fix string

// The fixes.
const (
	// FixNone: the change applies at once.
	FixNone Fix = "none"
	// FixServiceRestart: a service (and its dependants) must restart;
	// FixDetail names it.
	FixServiceRestart Fix = "service-restart"
	// FixReboot: the host must reboot.
	FixReboot Fix = "reboot"
	// FixNewProcesses: processes started after the change see it.
	FixNewProcesses Fix = "new-processes"
	// FixManual: the policy declares no remediation (or the finding is
	// one no command can fix, such as an unreachable host).
	FixManual Fix = "manual"
)

// Evidence is one line of host output a finding rests on, or, when Line
// is 0, a summary of many (a TIME_WAIT pile) or of a missing fact.
type Evidence struct {
	Command string `json:"command,omitempty"`
	Line    int    `json:"line,omitempty"`
	Text    string `json:"text"`
}

// Finding is one check that did not pass on one host: failed, pending or
// unknown.
type Finding struct {
	Host   string `json:"host"`
	Policy string `json:"policy"`
	// Rule names the check within the policy: `registry "MaxUserPort"`,
	// `listen_list`, `listener 25/tcp`, `connections`,
	// `dynamic_port_range tcp/ipv4`, `service "W3SVC"`, or the cross-fact
	// check's subject.
	Rule string `json:"rule"`
	// Source is where the rule is written (file:line), empty for the
	// cross-fact checks and for a whole-host unknown.
	Source   string            `json:"source,omitempty"`
	Severity policies.Severity `json:"severity"`
	Result   Result            `json:"result"`
	Expected string            `json:"expected"`
	Actual   string            `json:"actual"`
	Evidence []Evidence        `json:"evidence"`
	Fix      Fix               `json:"fix"`
	// FixDetail says which service restarts, or what the manual fix is.
	FixDetail string `json:"fix_detail,omitempty"`
	// Waiver is the waiver that accepts the drift of a waived finding.
	Waiver *WaiverRef `json:"waiver,omitempty"`
}

// WaiverRef names the waiver behind a waived finding.
type WaiverRef struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Until is the last day the waiver holds, "2027-03-31" (UTC).
	Until string `json:"until"`
	// Source is where the waiver is declared, "file:line".
	Source string `json:"source"`
}

// The states of a waiver in a report.
const (
	// WaiverActive: the waiver holds at the time of the report.
	WaiverActive = "active"
	// WaiverExpired: its until date is past; it waives nothing.
	WaiverExpired = "expired"
	// WaiverInvalid: its limit could not be evaluated; it waives nothing.
	WaiverInvalid = "invalid"
)

// WaiverInfo is one waiver of the policy set and what it did in a report.
type WaiverInfo struct {
	Name   string   `json:"name"`
	Policy string   `json:"policy"`
	Hosts  []string `json:"hosts,omitempty"`
	Limit  string   `json:"limit,omitempty"`
	Reason string   `json:"reason"`
	Until  string   `json:"until"`
	Source string   `json:"source"`
	// State is active, expired or invalid (Error says why).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Waived counts the findings it waived in this report.
	Waived int `json:"waived"`
}

// Key identifies a finding across runs: host, policy and rule.
func (f *Finding) Key() string { return f.Host + "\x00" + f.Policy + "\x00" + f.Rule }

// Verdict is one policy's result on one host.
type Verdict struct {
	Policy string `json:"policy"`
	Result Result `json:"result"`
	// Reason explains not-applicable and unknown.
	Reason string `json:"reason,omitempty"`
}

// HostReport is one host's part of a report.
type HostReport struct {
	Name    string   `json:"name"`
	Address string   `json:"address"`
	Groups  []string `json:"groups,omitempty"`
	Site    string   `json:"site,omitempty"`
	// OS is the release ("2019"), empty when not known; Build the build.
	OS     string `json:"os,omitempty"`
	Build  uint32 `json:"build,omitempty"`
	Locale string `json:"locale,omitempty"`
	// Status is how collection ended; Error says why it is not ok.
	Status facts.Status `json:"status"`
	Error  string       `json:"error,omitempty"`
	// Collected is when the host's collection finished.
	Collected time.Time `json:"collected,omitzero"`
	// Result rolls up the verdicts: fail, pending, unknown, pass, or
	// not-applicable when no policy applies.
	Result Result `json:"result"`
	// Verdicts has one entry per policy of Report.Policies, same order.
	Verdicts []Verdict `json:"verdicts"`
	// Findings are the failed, pending and unknown checks, ordered by
	// policy (Report.Policies order), then rule.
	Findings []Finding `json:"findings"`
	// TimeWait and WildcardBinds summarise the socket table (-1 when it
	// was not collected), for the fleet view.
	TimeWait      int `json:"time_wait"`
	WildcardBinds int `json:"wildcard_binds"`
}

// PolicyInfo describes one policy of a report, with its results across
// the hosts.
type PolicyInfo struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Severity    policies.Severity `json:"severity"`
	References  []string          `json:"references,omitempty"`
	// Source is where the policy is written; "builtin/<file>:line" for
	// the built-in pack, empty for the cross-fact checks.
	Source string `json:"source,omitempty"`
	// CrossFact marks fleetport's own checks across facts (their names
	// start with "fleetport.", which no policy name can).
	CrossFact bool `json:"cross_fact,omitempty"`
	// Hosts counts the hosts by this policy's result.
	Hosts Counts `json:"hosts"`
}

// Counts counts hosts (or verdicts) by result.
type Counts struct {
	Pass          int `json:"pass"`
	Waived        int `json:"waived"`
	Fail          int `json:"fail"`
	Pending       int `json:"pending"`
	Unknown       int `json:"unknown"`
	NotApplicable int `json:"not_applicable"`
}

// Add counts one result.
func (c *Counts) Add(r Result) {
	switch r {
	case Pass:
		c.Pass++
	case Waived:
		c.Waived++
	case Fail:
		c.Fail++
	case Pending:
		c.Pending++
	case Unknown:
		c.Unknown++
	default:
		c.NotApplicable++
	}
}

// Summary is the report at a glance.
type Summary struct {
	Hosts int `json:"hosts"`
	// ByStatus counts hosts by collection status ("ok", "timeout", ...).
	ByStatus map[string]int `json:"by_status"`
	// Results counts hosts by their rolled-up result.
	Results Counts `json:"results"`
	// Findings counts every finding, unknown and waived ones included;
	// Waived counts the waived ones; BySeverity and ByFix break down only
	// the failed and pending ones (drift).
	Findings   int            `json:"findings"`
	Waived     int            `json:"waived"`
	BySeverity map[string]int `json:"by_severity"`
	ByFix      map[string]int `json:"by_fix"`
}

// RunInfo names the stored run a report was made from.
type RunInfo struct {
	ID       int64     `json:"id"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Status   string    `json:"status,omitempty"`
}

// Change is one difference between two runs.
type Change struct {
	// Kind is "new" (drift that the earlier run did not have), "fixed"
	// (drift the earlier run had and this one does not), "changed"
	// (drift in both, with a different result or actual value),
	// "now-known" (unknown before, told now: the current result, pass
	// included), "now-unknown" (drift before, on a host not reached now),
	// "waived" (drift before or new, accepted by a waiver now: neither
	// new nor fixed) or "unwaived" (waived before, drift again now: the
	// waiver expired or was removed). Only hosts both runs have are
	// compared (Changes.NotCompared).
	Kind string `json:"kind"`
	// Finding is the current finding for new, changed and now-known, the
	// earlier one for fixed and now-unknown.
	Finding Finding `json:"finding"`
	// BeforeResult and BeforeActual are the earlier result and actual
	// value of a changed finding (a finding is never not-applicable, so
	// omitempty drops nothing).
	BeforeResult Result `json:"before_result,omitempty"`
	BeforeActual string `json:"before_actual,omitempty"`
}

// Changes is what changed since an earlier run.
type Changes struct {
	Since   RunInfo `json:"since"`
	New     int     `json:"new"`
	Fixed   int     `json:"fixed"`
	Changed int     `json:"changed"`
	// NowKnown and NowUnknown count the now-known and now-unknown items.
	NowKnown   int `json:"now_known"`
	NowUnknown int `json:"now_unknown"`
	// Waived and Unwaived count the waived and unwaived items.
	Waived   int `json:"waived"`
	Unwaived int `json:"unwaived"`
	// NotCompared are the hosts only one of the runs has (checked in one
	// run, not selected or not stored in the other), sorted: nothing
	// about them is new or fixed.
	NotCompared []string `json:"not_compared"`
	Items       []Change `json:"items"`
}

// Report is a drift report: every host of a run judged against a policy
// set. Its JSON form is the documented, versioned schema; every list has
// a stable order (hosts by name, policies in set order, findings by
// policy then rule, changes by kind, host, policy, rule).
type Report struct {
	Schema    string       `json:"$schema"`
	Version   int          `json:"version"`
	Generated time.Time    `json:"generated"`
	Run       RunInfo      `json:"run"`
	Policies  []PolicyInfo `json:"policies"`
	Summary   Summary      `json:"summary"`
	Hosts     []HostReport `json:"hosts"`
	// Changes is set when an earlier run was compared.
	Changes *Changes `json:"changes,omitempty"`
	// Waivers are the policy set's waivers, in load order, with what
	// each did.
	Waivers []WaiverInfo `json:"waivers,omitempty"`
	// Provenance says what made the report, when the caller knows.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Provenance is what a report was made from: the fleetport that judged,
// the run, and digests of the inventory's view of the run's hosts (as
// stored with the run) and of the policy files, so that two reports can
// be told judged alike or not.
type Provenance struct {
	Fleetport string `json:"fleetport"`
	Run       int64  `json:"run"`
	// Inventory is "sha256:HEX" of the hosts the run carries, empty for a
	// run stored without them.
	Inventory string `json:"inventory,omitempty"`
	// Policies is "sha256:HEX" of the policy files (names and bytes).
	Policies string `json:"policies"`
}

// Short is the provenance in one line, digests cut to 12 hex digits.
func (p *Provenance) Short() string {
	cut := func(d string) string {
		if len(d) > len("sha256:")+12 {
			return d[:len("sha256:")+12]
		}
		return d
	}
	s := fmt.Sprintf("fleetport %s · run %d", p.Fleetport, p.Run)
	if p.Inventory != "" {
		s += " · inventory " + cut(p.Inventory)
	}
	return s + " · policies " + cut(p.Policies)
}

// SchemaID is the $schema value of a report.
const SchemaID = "urn:fleetport:drift-report:v2"

// ExitCode is the exit code PRODUCT.md fixes for a report: 2 when some
// host drifts (fail or pending), 3 when none does but some host could not
// be judged (unknown), 0 otherwise.
func (r *Report) ExitCode() int {
	if r.Summary.Results.Fail+r.Summary.Results.Pending > 0 {
		return 2
	}
	if r.Summary.Results.Unknown > 0 {
		return 3
	}
	return 0
}
