package policies

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestDiagnosticLocations pins one diagnostic of each class to its exact
// place (line and column of the subject's start and end) and checks the
// detail says how to fix it (did-you-mean where one applies).
func TestDiagnosticLocations(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		sev     hcl.DiagnosticSeverity
		summary string
		start   hcl.Pos // Line, Column (Byte ignored)
		end     hcl.Pos
		detail  string // a substring of the detail
	}{
		{
			name:    "unknown block",
			src:     "policy \"p\" {\n  registy \"MaxUserPort\" { at_least = 65534 }\n  service \"W3SVC\" { state = \"running\" }\n}\n",
			summary: "Unsupported block type", start: hcl.Pos{Line: 2, Column: 3}, end: hcl.Pos{Line: 2, Column: 10},
			detail: `Did you mean "registry"?`,
		},
		{
			name:    "unknown attribute",
			src:     "policy \"p\" {\n  severty = \"high\"\n  service \"W3SVC\" { state = \"running\" }\n}\n",
			summary: "Unsupported argument", start: hcl.Pos{Line: 2, Column: 3}, end: hcl.Pos{Line: 2, Column: 10},
			detail: `Did you mean "severity"?`,
		},
		{
			name:    "wrong type",
			src:     "policy \"p\" {\n  listener {\n    port = [25]\n    not_wildcard = true\n  }\n}\n",
			summary: "Incorrect value type", start: hcl.Pos{Line: 3, Column: 12}, end: hcl.Pos{Line: 3, Column: 16},
			detail: "port must be a number",
		},
		{
			name:    "unknown registry value with did-you-mean",
			src:     "policy \"p\" {\n  registry \"TcpTimedWaitDelya\" { at_most = 30 }\n}\n",
			summary: "Unknown registry value", start: hcl.Pos{Line: 2, Column: 12}, end: hcl.Pos{Line: 2, Column: 31},
			detail: `Did you mean "TcpTimedWaitDelay"?`,
		},
		{
			name: "unknown registry value name for a known key",
			src: "policy \"p\" {\n  registry \"MaxUsrPort\" {\n    key = \"HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\Tcpip\\\\Parameters\"\n" +
				"    type = \"REG_DWORD\"\n    at_least = 5000\n  }\n}\n",
			sev: hcl.DiagWarning, summary: "Unknown registry value name", start: hcl.Pos{Line: 2, Column: 12}, end: hcl.Pos{Line: 2, Column: 24},
			detail: `Did you mean "MaxUserPort"?`,
		},
		{
			name:    "out-of-range value",
			src:     "policy \"p\" {\n  registry \"MaxUserPort\" {\n    at_least = 70000\n  }\n}\n",
			summary: "Value out of range", start: hcl.Pos{Line: 3, Column: 16}, end: hcl.Pos{Line: 3, Column: 21},
			detail: "from 5000 to 65534",
		},
		{
			name:    "type mismatch",
			src:     "policy \"p\" {\n  registry \"TcpTimedWaitDelay\" {\n    equals = \"30\"\n  }\n}\n",
			summary: "Type mismatch", start: hcl.Pos{Line: 3, Column: 14}, end: hcl.Pos{Line: 3, Column: 18},
			detail: "REG_DWORD",
		},
		{
			name:    "bad severity",
			src:     "policy \"p\" {\n  severity = \"critcal\"\n  service \"W3SVC\" { state = \"running\" }\n}\n",
			summary: "Invalid severity", start: hcl.Pos{Line: 2, Column: 14}, end: hcl.Pos{Line: 2, Column: 23},
			detail: `Did you mean "critical"?`,
		},
		{
			name:    "bad expression",
			src:     "policy \"p\" {\n  applies_to = host.groups == \n  service \"W3SVC\" { state = \"running\" }\n}\n",
			summary: "Invalid expression", start: hcl.Pos{Line: 2, Column: 31}, end: hcl.Pos{Line: 3, Column: 1},
		},
		{
			name:    "unknown function",
			src:     "policy \"p\" {\n  applies_to = startwith(host.name, \"web\")\n  service \"W3SVC\" { state = \"running\" }\n}\n",
			summary: "Call to unknown function", start: hcl.Pos{Line: 2, Column: 16}, end: hcl.Pos{Line: 2, Column: 25},
			detail: `Did you mean "startswith"?`,
		},
		{
			name:    "unknown host attribute",
			src:     "policy \"p\" {\n  applies_to = host.grups == []\n  service \"W3SVC\" { state = \"running\" }\n}\n",
			summary: "Unsupported attribute", start: hcl.Pos{Line: 2, Column: 20}, end: hcl.Pos{Line: 2, Column: 26},
			detail: `Did you mean "groups"?`,
		},
		{
			name: "listen-list remediation that locks fleetport out",
			src: "policy \"p\" {\n  listen_list { contains = [\"10.0.0.5\"] }\n  remediation {\n" +
				"    listen_list { exactly = [\"10.0.0.5\", \"127.0.0.1\"] }\n  }\n}\n",
			summary: "Listen list would lock fleetport out", start: hcl.Pos{Line: 4, Column: 29}, end: hcl.Pos{Line: 4, Column: 54},
			detail: "host.management_address",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Parse([]byte(c.src), "p.hcl")
			if len(diags) != 1 {
				t.Fatalf("want one diagnostic, got %d: %v", len(diags), diags)
			}
			d := diags[0]
			sev := c.sev
			if sev == hcl.DiagInvalid {
				sev = hcl.DiagError
			}
			if d.Severity != sev || d.Summary != c.summary {
				t.Errorf("got %v %q, want %v %q", d.Severity, d.Summary, sev, c.summary)
			}
			if d.Subject == nil {
				t.Fatal("no subject")
			}
			s, e := d.Subject.Start, d.Subject.End
			if s.Line != c.start.Line || s.Column != c.start.Column || e.Line != c.end.Line || e.Column != c.end.Column {
				t.Errorf("at %d,%d-%d,%d; want %d,%d-%d,%d", s.Line, s.Column, e.Line, e.Column,
					c.start.Line, c.start.Column, c.end.Line, c.end.Column)
			}
			if !strings.Contains(d.Detail, c.detail) {
				t.Errorf("detail %q lacks %q", d.Detail, c.detail)
			}
		})
	}
}

// TestDuplicatePolicyAcrossFiles: the later declaration is the subject and
// the detail names the earlier one.
func TestDuplicatePolicyAcrossFiles(t *testing.T) {
	a, _ := Parse([]byte("policy \"p\" {\n  service \"W3SVC\" { state = \"running\" }\n}\n"), "a.hcl")
	b, _ := Parse([]byte("# b\n\npolicy \"P\" {\n  service \"W3SVC\" { state = \"stopped\" }\n}\n"), "b.hcl")
	s, diags := NewSet(a, b)
	if len(diags) != 1 || diags[0].Summary != "Duplicate policy" {
		t.Fatalf("got %v", diags)
	}
	d := diags[0]
	if got := d.Subject.String(); got != "b.hcl:3,8-11" {
		t.Errorf("subject %s, want b.hcl:3,8-11", got)
	}
	if !strings.Contains(d.Detail, "a.hcl:1,1-11") {
		t.Errorf("detail %q does not name the earlier declaration", d.Detail)
	}
	if len(s.Policies) != 1 || s.Policy("p").DeclRange.Filename != "a.hcl" {
		t.Errorf("the set should keep the first declaration only")
	}
}
