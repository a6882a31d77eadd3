package report

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fleetport/fleetport/internal/drift"
)

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// wideReport is the hand report with East Asian wide runes and long
// values in the cells.
func wideReport() *drift.Report {
	r := handReport()
	f := &r.Hosts[0].Findings[0]
	f.Actual = "東京データセンターの接続が多すぎます " + strings.Repeat("x", 300)
	f.Evidence = append(f.Evidence, drift.Evidence{Command: "netstat -ano", Line: 2, Text: strings.Repeat("接続 ", 200)})
	r.Policies[0].Description = strings.Repeat("long description ", 40)
	return r
}

func TestTableColor(t *testing.T) {
	for _, in := range inputs(t) {
		for _, group := range []string{"policy", "host"} {
			plain := string(render(t, Table, in.r, Options{GroupBy: group, Verbose: true}))
			if strings.Contains(plain, "\x1b") {
				t.Errorf("%s by %s: escape byte without Color", in.name, group)
			}
			color := string(render(t, Table, in.r, Options{Color: true, GroupBy: group, Verbose: true}))
			if !strings.Contains(color, "\x1b[") {
				t.Errorf("%s by %s: no escape with Color", in.name, group)
			}
			// Colour adds escapes and nothing else.
			if got := sgrRE.ReplaceAllString(color, ""); got != plain {
				t.Errorf("%s by %s: the coloured table without its escapes differs from the plain one", in.name, group)
			}
		}
	}
	out := string(render(t, Table, handReport(), Options{Color: true}))
	// (The CRITICAL and INFO policies have only hosts not reached, which
	// are listed once, by status.)
	for _, want := range []string{"\x1b[31mHIGH\x1b[0m", "\x1b[33mMEDIUM\x1b[0m", "\x1b[36mLOW\x1b[0m",
		"\x1b[31mfail\x1b[0m", "\x1b[35mpending\x1b[0m", "\x1b[90munknown\x1b[0m"} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured table lacks %q", want)
		}
	}
}

func TestTableWidth(t *testing.T) {
	reports := map[string]*drift.Report{"wide": wideReport()}
	for _, in := range inputs(t) {
		reports[in.name] = in.r
	}
	for name, r := range oddReports() {
		reports[name] = r
	}
	for name, r := range reports {
		for _, width := range []int{80, 120, 40} {
			for _, opts := range []Options{{Width: width}, {Width: width, GroupBy: "host", Verbose: true}, {Width: width, Color: true, Verbose: true}} {
				out := string(render(t, Table, r, opts))
				for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					line = sgrRE.ReplaceAllString(line, "")
					if n := utf8.RuneCountInString(line); n > width {
						t.Errorf("%s %+v: line %d has %d runes: %q", name, opts, i+1, n, line)
					}
					if n := textWidth(line); n > width {
						t.Errorf("%s %+v: line %d is %d columns wide: %q", name, opts, i+1, n, line)
					}
					if strings.HasSuffix(line, " ") {
						t.Errorf("%s %+v: line %d ends in a blank", name, opts, i+1)
					}
				}
			}
		}
	}
	// Width 0 (a pipe, a file) cuts nothing: what 100 columns cut is
	// there whole.
	cut, whole := string(render(t, Table, wideReport(), Options{Width: 100})), string(render(t, Table, wideReport(), Options{}))
	if !strings.Contains(cut, "…") {
		t.Fatal("the wide report fits 100 columns: it tests nothing")
	}
	if strings.Contains(whole, "…") {
		t.Errorf("Width 0 cut a line:\n%s", whole)
	}
}

func TestTableContent(t *testing.T) {
	r := handReport()
	out := string(render(t, Table, r, Options{Width: 200}))
	for _, want := range []string{
		"run 42",
		"hosts 8: 3 fail, 1 pending, 3 unknown, 1 pass, 0 not-applicable",
		"HIGH  max_user_port",
		"web01  pending  registry \"MaxUserPort\"",
		// Unknown shows as unknown with its reason; hosts not reached with
		// their status and error.
		"dc01   unknown  connections  < 2000 in TIME_WAIT  fact sockets missing (parse-error)",
		"Not reached, unknown for every policy (2 hosts)",
		"  timeout  1: db07",
		"  unreachable  1: lb02",
		"    dial tcp 10.10.0.9:5985: connect: connection refused",
		"Since run 41: 2 new, 1 fixed, 1 changed",
		"changed  web01  max_user_port",
		"fail -> pending",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	// Passing hosts show only in the counts.
	if strings.Count(out, "web02") != 1 || !strings.Contains(out, "fixed    web02") {
		t.Error("a passing host shows outside the changes")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "DRIFT: 4 of 8 hosts drift (3 fail, 1 pending), 3 unknown, 1 pass") {
		t.Errorf("last line = %q", last)
	}
	// No evidence unless verbose.
	if strings.Contains(out, "REG_DWORD") {
		t.Error("evidence without Verbose")
	}
	if !strings.Contains(string(render(t, Table, r, Options{Width: 200, Verbose: true})), "MaxUserPort    REG_DWORD    0xfffe") {
		t.Error("no evidence with Verbose")
	}
	byHost := string(render(t, Table, r, Options{Width: 200, GroupBy: "host"}))
	for _, want := range []string{"web01  10.10.0.11  Windows 2019  FAIL", "collection timeout: no answer within 30s", "8 policies unknown"} {
		if !strings.Contains(byHost, want) {
			t.Errorf("table by host lacks %q", want)
		}
	}
	if strings.Count(byHost, "web02") != 1 {
		t.Error("a passing host shows outside the changes")
	}

	// A compliant fleet.
	ok := handReport()
	ok.Hosts = ok.Hosts[6:7] // web02
	ok.Changes = nil
	finish(ok)
	out = string(render(t, Table, ok, Options{}))
	if !strings.Contains(out, "No findings.") || !strings.Contains(out, "\nOK: 0 of 1 hosts drift") {
		t.Errorf("compliant fleet:\n%s", out)
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 5, "hell…"},
		{"ABHÖREN", 4, "ABH…"},
		{"東京データ", 5, "東京…"},
		{"東京データ", 4, "東…"},
		{"x", 0, ""},
		{"xy", 1, "…"},
	} {
		if got := truncate(c.in, c.w); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
	if got := pad("東京", 6); got != "東京  " {
		t.Errorf("pad = %q", got)
	}
	if got := oneLine("a\tb\n\nc\x1b[31m\xff  "); got != "a b c?[31m?" {
		t.Errorf("oneLine = %q", got)
	}
}
