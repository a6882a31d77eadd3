package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// simReportPath is the report of a real simulator run, written by the
// drift engine's tests; until it exists only the hand-built report runs.
const simReportPath = "testdata/report.json"

type input struct {
	name string
	r    *drift.Report
}

// inputs returns handReport as "hand" and, when testdata/report.json
// exists, the simulator run as "sim".
func inputs(t *testing.T) []input {
	t.Helper()
	in := []input{{"hand", handReport()}, {"hand-waived", waivedReport()}}
	data, err := os.ReadFile(simReportPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("%s does not exist yet: only the hand-built report runs", simReportPath)
		return in
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeReport(data)
	if err != nil {
		t.Fatalf("%s: %v", simReportPath, err)
	}
	return append(in, input{"sim", r})
}

// decodeReport decodes a report's JSON form. policies.Severity has no
// UnmarshalText yet, so when the plain decode fails the severity names are
// turned into their numbers first.
func decodeReport(data []byte) (*drift.Report, error) {
	var r drift.Report
	err := json.Unmarshal(data, &r)
	if err == nil {
		return &r, nil
	}
	var doc any
	if err2 := json.Unmarshal(data, &doc); err2 != nil {
		return nil, err2
	}
	var fixSeverity func(v any) error
	fixSeverity = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "severity" {
					sev, err := policies.ParseSeverity(s)
					if err != nil {
						return err
					}
					v[k] = int(sev)
					continue
				}
				if err := fixSeverity(x); err != nil {
					return err
				}
			}
		case []any:
			for _, x := range v {
				if err := fixSeverity(x); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := fixSeverity(doc); err != nil {
		return nil, err
	}
	fixed, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	r = drift.Report{}
	if err := json.Unmarshal(fixed, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func render(t *testing.T, f Format, r *drift.Report, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, r, opts); err != nil {
		t.Fatalf("Write %s: %v", f, err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/golden/<file>, or rewrites it with
// -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d (run go test ./internal/report -update and review the diff):\n got: %q\nwant: %q", path, i+1, g, w)
			}
		}
	}
}

// TestGolden renders every format of each input and compares it with its
// golden file: testdata/golden/<input><variant><ext>.
func TestGolden(t *testing.T) {
	variants := []struct {
		suffix string
		f      Format
		opts   Options
	}{
		{"", Table, Options{}},
		{"-by-host-verbose", Table, Options{GroupBy: "host", Verbose: true}},
		{"", JSON, Options{}},
		{"", Markdown, Options{}},
		{"-by-host", Markdown, Options{GroupBy: "host"}},
		{"", HTML, Options{}},
		{"", JUnit, Options{}},
	}
	for _, in := range inputs(t) {
		t.Run(in.name, func(t *testing.T) {
			for _, v := range variants {
				golden(t, in.name+v.suffix+v.f.Ext(), render(t, v.f, in.r, v.opts))
			}
		})
	}
}

func TestFormats(t *testing.T) {
	want := []Format{Table, JSON, Markdown, HTML, JUnit}
	if got := Formats(); !slices.Equal(got, want) {
		t.Fatalf("Formats() = %v", got)
	}
	Formats()[0] = "changed"
	if Formats()[0] != Table {
		t.Fatal("Formats returns its own slice")
	}
	exts := map[Format]string{Table: ".txt", JSON: ".json", Markdown: ".md", HTML: ".html", JUnit: ".xml", "pdf": ""}
	for f, ext := range exts {
		if f.Ext() != ext {
			t.Errorf("%s.Ext() = %q, want %q", f, f.Ext(), ext)
		}
	}
}

func TestParseFormats(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Format
	}{
		{"table", []Format{Table}},
		{"table,json", []Format{Table, JSON}},
		{" HTML , junit,html,,markdown ", []Format{HTML, JUnit, Markdown}},
		{"json,table,json", []Format{JSON, Table}},
	} {
		got, err := ParseFormats(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseFormats(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"table,pdf", "", " , ", "csv"} {
		_, err := ParseFormats(in)
		if err == nil {
			t.Errorf("ParseFormats(%q): no error", in)
			continue
		}
		if !strings.Contains(err.Error(), "table, json, markdown, html, junit") {
			t.Errorf("ParseFormats(%q): error %q does not name the valid formats", in, err)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Table, nil, Options{}); err == nil {
		t.Error("nil report: no error")
	}
	if err := Write(&buf, "pdf", handReport(), Options{}); err == nil || !strings.Contains(err.Error(), "table, json") {
		t.Errorf("unknown format: %v", err)
	}
	if err := Write(&buf, Table, handReport(), Options{GroupBy: "site"}); err == nil {
		t.Error("unknown grouping: no error")
	}
	if err := Write(failWriter{}, HTML, handReport(), Options{}); err == nil || !strings.HasPrefix(err.Error(), "report: html: ") {
		t.Errorf("failing writer: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteFiles(t *testing.T) {
	r := handReport()
	dir := filepath.Join(t.TempDir(), "out", "reports")
	paths, err := WriteFiles(dir, "drift-42", []Format{Table, JSON, Markdown, HTML, JUnit, JSON}, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range Formats() {
		want = append(want, filepath.Join(dir, "drift-42"+f.Ext()))
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("dir: %v %v", st, err)
	}
	for i, p := range paths {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, render(t, Formats()[i], r, Options{})) {
			t.Errorf("%s differs from Write's output", p)
		}
		st, _ := os.Stat(p)
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", p, st.Mode())
		}
	}
	// Writing again replaces the files and leaves no temporary file.
	if _, err := WriteFiles(dir, "drift-42", []Format{JSON}, r, Options{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("dir holds %d entries, want %d", len(entries), len(want))
	}
	for _, base := range []string{"", "a/b", "..", `a\b`} {
		if _, err := WriteFiles(dir, base, []Format{JSON}, r, Options{}); err == nil {
			t.Errorf("base %q: no error", base)
		}
	}
	if paths, err := WriteFiles(dir, "x", []Format{"pdf"}, r, Options{}); err == nil || paths != nil {
		t.Errorf("unknown format: %v %v", paths, err)
	}
	// A directory that cannot be created.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := WriteFiles(filepath.Join(file, "sub"), "x", []Format{JSON}, r, Options{}); err == nil {
		t.Error("dir under a file: no error")
	}
}

// oddReports are reports the engine should not make but the renderers
// must survive.
func oddReports() map[string]*drift.Report {
	huge := strings.Repeat("TCP 0.0.0.0:49152 0.0.0.0:0 LISTENING 4 ", 5000)
	odd := map[string]*drift.Report{
		"empty":       {},
		"zero hosts":  {Schema: drift.SchemaID, Version: drift.SchemaVersion, Generated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Policies: handReport().Policies},
		"no policies": {Hosts: []drift.HostReport{{Name: "web01", Status: facts.StatusOK, Result: drift.NotApplicable}}},
		"unknown host without verdicts": {Hosts: []drift.HostReport{{Name: "db07", Address: "10.0.0.7", Status: facts.StatusUnknown, Result: drift.Unknown}},
			Summary: drift.Summary{Hosts: 1, Results: drift.Counts{Unknown: 1}}},
		"huge evidence": func() *drift.Report {
			r := handReport()
			r.Hosts[0].Findings[0].Evidence = append(r.Hosts[0].Findings[0].Evidence, drift.Evidence{Command: "netstat -ano", Line: 9, Text: huge})
			return r
		}(),
		"control characters": func() *drift.Report {
			r := handReport()
			f := &r.Hosts[0].Findings[0]
			f.Actual = "bell\a esc\x1b[31m nul\x00 tab\t nl\n bad\xff"
			f.Evidence[0].Text = "line\r\nbreak \x1b]0;title\x07"
			r.Hosts[0].Name = "app01\x1b[2J"
			return r
		}(),
		"finding of an unlisted policy and odd values": func() *drift.Report {
			r := handReport()
			r.Hosts[0].Findings = append(r.Hosts[0].Findings, drift.Finding{Host: "app01", Policy: "gone", Rule: "x", Result: drift.Fail, Severity: policies.SeverityLow})
			r.Hosts[1].Verdicts = r.Hosts[1].Verdicts[:2]
			r.Hosts[2].Verdicts = append(r.Hosts[2].Verdicts, drift.Verdict{Policy: "nowhere", Result: drift.Unknown})
			r.Summary.BySeverity["Severity(0)"] = 1
			r.Summary.ByStatus["weird"] = 1
			r.Changes = &drift.Changes{}
			return r
		}(),
	}
	return odd
}

func TestOddReports(t *testing.T) {
	for name, r := range oddReports() {
		t.Run(name, func(t *testing.T) {
			for _, f := range Formats() {
				for _, opts := range []Options{{}, {GroupBy: "host", Verbose: true, Color: true, Width: 30}} {
					var buf bytes.Buffer
					err := Write(&buf, f, r, opts)
					if err != nil {
						t.Errorf("%s %+v: %v", f, opts, err)
					}
					if (f != Table || !opts.Color) && bytes.Contains(buf.Bytes(), []byte{0x1b}) {
						t.Errorf("%s %+v: escape byte in output", f, opts)
					}
					if f != JSON && bytes.Contains(buf.Bytes(), []byte{0}) {
						t.Errorf("%s: NUL byte in output", f)
					}
				}
			}
		})
	}
}
