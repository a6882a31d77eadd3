package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
)

// TestJUnitCounts parses the JUnit XML back and checks every suite against
// its policy's counts in the report, and the totals.
func TestJUnitCounts(t *testing.T) {
	for _, in := range inputs(t) {
		t.Run(in.name, func(t *testing.T) {
			out := render(t, JUnit, in.r, Options{})
			if !strings.HasPrefix(string(out), xml.Header) {
				t.Error("no XML header")
			}
			var doc junitSuites
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Suites) != len(in.r.Policies) {
				t.Fatalf("%d suites, want one per policy (%d)", len(doc.Suites), len(in.r.Policies))
			}
			var total drift.Counts
			for i, s := range doc.Suites {
				p := in.r.Policies[i]
				c := p.Hosts
				if s.Name != p.Name {
					t.Errorf("suite %d is %q, want %q", i, s.Name, p.Name)
				}
				want := [4]int{c.Pass + c.Fail + c.Pending + c.Unknown + c.NotApplicable + c.Waived, c.Fail + c.Pending, c.Unknown, c.NotApplicable + c.Waived}
				if got := [4]int{s.Tests, s.Failures, s.Errors, s.Skipped}; got != want {
					t.Errorf("suite %s: tests/failures/errors/skipped = %v, want %v", s.Name, got, want)
				}
				// The attributes match the test cases.
				var n [4]int
				for _, tc := range s.Cases {
					n[0]++
					if tc.ClassName != p.Name {
						t.Errorf("suite %s: case classname %q", s.Name, tc.ClassName)
					}
					switch {
					case tc.Failure != nil:
						n[1]++
						if tc.Failure.Type != p.Severity.String() || tc.Failure.Message == "" {
							t.Errorf("suite %s, %s: failure type %q message %q", s.Name, tc.Name, tc.Failure.Type, tc.Failure.Message)
						}
					case tc.Error != nil:
						n[2]++
						if tc.Error.Message == "" {
							t.Errorf("suite %s, %s: error without message", s.Name, tc.Name)
						}
					case tc.Skipped != nil:
						n[3]++
					}
				}
				if n != [4]int{s.Tests, s.Failures, s.Errors, s.Skipped} {
					t.Errorf("suite %s: attributes %v, cases %v", s.Name, [4]int{s.Tests, s.Failures, s.Errors, s.Skipped}, n)
				}
				total.Pass += s.Tests
				total.Fail += s.Failures
				total.Unknown += s.Errors
				total.NotApplicable += s.Skipped
			}
			if got := [4]int{doc.Tests, doc.Failures, doc.Errors, doc.Skipped}; got != [4]int{total.Pass, total.Fail, total.Unknown, total.NotApplicable} {
				t.Errorf("testsuites totals %v do not add up", got)
			}
		})
	}
}

// TestJUnitContent checks what a failure says.
func TestJUnitContent(t *testing.T) {
	var doc junitSuites
	if err := xml.Unmarshal(render(t, JUnit, handReport(), Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	var pending *junitCase
	for _, s := range doc.Suites {
		for i, tc := range s.Cases {
			if s.Name == "max_user_port" && tc.Name == "web01" {
				pending = &s.Cases[i]
			}
		}
	}
	if pending == nil || pending.Failure == nil {
		t.Fatal("no failure for max_user_port on web01")
	}
	for _, want := range []string{"expected: >= 65534", "actual:   65534 configured, 5000 in effect until reboot", "in effect: after reboot",
		`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v MaxUserPort:3:     MaxUserPort    REG_DWORD    0xfffe`} {
		if !strings.Contains(pending.Failure.Text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, pending.Failure.Text)
		}
	}
	if !strings.HasPrefix(pending.Failure.Message, "pending: ") {
		t.Errorf("message = %q", pending.Failure.Message)
	}
	// Data with "]]>" and control characters stays well-formed.
	r := handReport()
	r.Hosts[0].Findings[0].Evidence[0].Text = "a ]]> b \x00\x1b c"
	if err := xml.Unmarshal(render(t, JUnit, r, Options{}), &doc); err != nil {
		t.Fatalf("odd evidence: %v", err)
	}
}
