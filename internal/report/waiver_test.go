package report

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
)

// TestWaivedInEveryFormat: a waived finding shows, with its waiver, in
// every format, and --only waived keeps only those.
func TestWaivedInEveryFormat(t *testing.T) {
	r := waivedReport()
	reason := "the nightly batch needs long TIME_WAIT until the job moves (CHG-4711)"

	table := string(render(t, Table, r, Options{}))
	for _, want := range []string{
		`≈ waived by "batch-window" until 2026-06-30 (policies/waivers.hcl:3): ` + reason,
		"hosts 8: 3 fail, 0 pending, 3 unknown, 1 waived, 1 pass",
		"6 drift findings, 2 waived, 10 unknown",
		"old-relay     smtp_socket_pooling   expired  2026-02-28  0",
		"Since run 41: 2 new, 1 fixed, 1 changed, 1 waived",
		"DRIFT: 3 of 8 hosts drift (3 fail, 0 pending), 3 unknown, 1 waived, 1 pass",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q", want)
		}
	}

	only := string(render(t, Table, r, Options{Only: "waived"}))
	if !strings.Contains(only, "app01  waived") || !strings.Contains(only, "web03  waived") || strings.Contains(only, "mail01  fail") ||
		strings.Contains(only, "web01  pending") {
		t.Errorf("--only waived:\n%s", only)
	}
	fail := string(render(t, Table, r, Options{Only: "fail"}))
	if strings.Contains(fail, "app01  waived") || !strings.Contains(fail, "mail01  fail") {
		t.Errorf("--only fail:\n%s", fail)
	}

	md := string(render(t, Markdown, r, Options{}))
	for _, want := range []string{
		"| app01 | waived (batch-window until 2026-06-30) |",
		"## Waivers",
		"| old-relay | smtp\\_socket\\_pooling | **expired** | 2026-02-28 | 0 |",
		"| Hosts | Fail | Pending | Unknown | Waived |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}

	var back drift.Report
	if err := json.Unmarshal(render(t, JSON, r, Options{}), &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.Waived != 2 || back.Summary.Results.Waived != 1 || len(back.Waivers) != 3 || back.Changes.Waived != 1 {
		t.Errorf("json: %+v %+v", back.Summary, back.Waivers)
	}

	var doc junitSuites
	if err := xml.Unmarshal(render(t, JUnit, r, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if s.Name == "tcp_timed_wait_delay" && c.Name == "app01" {
				found = true
				if c.Skipped == nil || c.Failure != nil || !strings.Contains(c.Skipped.Message, `waived by "batch-window" until 2026-06-30`) {
					t.Errorf("junit app01: %+v %+v", c.Skipped, c.Failure)
				}
			}
		}
	}
	if !found {
		t.Error("junit has no case for app01 tcp_timed_wait_delay")
	}

	html := string(render(t, HTML, r, Options{}))
	if !strings.Contains(html, `waived by &#34;batch-window&#34; until 2026-06-30`) || !strings.Contains(html, `class="card st st-waived"`) {
		t.Errorf("html lacks the waiver or the waived card")
	}
}
