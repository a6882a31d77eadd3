package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/policies"
)

// Format names an output format of a drift report.
type Format string

// The formats, in the order [Formats] lists them.
const (
	// Table is the terminal view: findings grouped by policy or host.
	Table Format = "table"
	// JSON is the report's versioned JSON form
	// (docs/schema/drift-report.schema.json).
	JSON Format = "json"
	// Markdown is GitHub-flavoured Markdown, for pull requests and wikis.
	Markdown Format = "markdown"
	// HTML is one self-contained page with charts, readable offline.
	HTML Format = "html"
	// JUnit is JUnit XML: one test suite per policy, one test case per
	// host, for CI dashboards.
	JUnit Format = "junit"
)

var allFormats = []Format{Table, JSON, Markdown, HTML, JUnit}

// Formats returns every format: table, json, markdown, html, junit.
func Formats() []Format { return append([]Format(nil), allFormats...) }

func formatNames() string {
	names := make([]string, len(allFormats))
	for i, f := range allFormats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func (f Format) valid() bool {
	for _, g := range allFormats {
		if f == g {
			return true
		}
	}
	return false
}

// ParseFormats parses a comma-separated list of format names ("table,json"),
// ignoring case, blanks around names, empty items and repeated names. An
// unknown name, or a list with no name at all, is an error that names the
// valid formats.
func ParseFormats(list string) ([]Format, error) {
	var out []Format
	seen := map[Format]bool{}
	for _, item := range strings.Split(list, ",") {
		name := strings.ToLower(strings.TrimSpace(item))
		if name == "" {
			continue
		}
		f := Format(name)
		if !f.valid() {
			return nil, fmt.Errorf("report: unknown format %q (valid: %s)", strings.TrimSpace(item), formatNames())
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("report: no format given (valid: %s)", formatNames())
	}
	return out, nil
}

// Ext returns the file name extension of the format, with its dot: ".txt",
// ".json", ".md", ".html" or ".xml"; "" for an unknown format.
func (f Format) Ext() string {
	switch f {
	case Table:
		return ".txt"
	case JSON:
		return ".json"
	case Markdown:
		return ".md"
	case HTML:
		return ".html"
	case JUnit:
		return ".xml"
	}
	return ""
}

// Options tune the rendering. The zero value is a table without colour
// or width limit, grouped by policy, unfiltered.
type Options struct {
	// Color turns on ANSI colour in the table. The caller decides (a
	// terminal, no NO_COLOR, no --no-color); without it the table holds
	// no escape byte at all.
	Color bool
	// Width is the terminal width the table fits in; 0 means no limit
	// (a pipe or a file gets every character).
	Width int
	// GroupBy is "policy" (the default when empty) or "host", for the
	// table and Markdown.
	GroupBy string
	// Verbose shows the evidence lines under each finding in the table.
	Verbose bool
	// MinSeverity, when set, shows only findings of this severity or
	// worse (table and Markdown).
	MinSeverity policies.Severity
	// Only, when set, shows only findings with these results: "fail"
	// (fail and pending), "unknown" or "waived" (table and Markdown).
	Only string
	// Summary leaves the findings and the changes' items out of the table
	// and Markdown: the counts, the hosts not reached and the verdict.
	Summary bool
}

// keep reports whether a row passes the filters.
func (o Options) keep(rw row) bool {
	if o.MinSeverity != 0 && rw.Severity < o.MinSeverity {
		return false
	}
	switch o.Only {
	case "fail":
		return rw.Result.IsDrift()
	case "unknown":
		return rw.Result == drift.Unknown
	case "waived":
		return rw.Result == drift.Waived
	}
	return true
}

// OnlyValues are the values Options.Only takes.
var OnlyValues = []string{"fail", "unknown", "waived"}

// unlimited is the width of a table that is not fitted to a terminal.
const unlimited = 1 << 30

func (o Options) width() int {
	if o.Width <= 0 {
		return unlimited
	}
	return o.Width
}

func (o Options) byHost() (bool, error) {
	switch strings.ToLower(o.GroupBy) {
	case "", "policy":
		return false, nil
	case "host":
		return true, nil
	}
	return false, fmt.Errorf("report: unknown grouping %q (valid: policy, host)", o.GroupBy)
}

// Write renders r in format f to w.
func Write(w io.Writer, f Format, r *drift.Report, opts Options) error {
	if r == nil {
		return errors.New("report: no report")
	}
	if _, err := opts.byHost(); err != nil {
		return err
	}
	var err error
	switch f {
	case Table:
		err = writeTable(w, r, opts)
	case JSON:
		err = writeJSON(w, r)
	case Markdown:
		err = writeMarkdown(w, r, opts)
	case HTML:
		err = writeHTML(w, r)
	case JUnit:
		err = writeJUnit(w, r)
	default:
		return fmt.Errorf("report: unknown format %q (valid: %s)", string(f), formatNames())
	}
	if err != nil {
		return fmt.Errorf("report: %s: %w", f, err)
	}
	return nil
}

// WriteFiles writes r in each format to dir/<base><ext>, creating dir
// (0o755) when it is missing. It renders every format before it writes any
// file, and writes each file atomically (a temporary file in dir, then a
// rename), so a reader never sees a half-written report. It returns the
// paths written, in the order of formats (repeated formats are written
// once); on an error, the paths written before it.
func WriteFiles(dir, base string, formats []Format, r *drift.Report, opts Options) ([]string, error) {
	if base == "" || base == "." || base == ".." || strings.ContainsAny(base, `/\`) {
		return nil, fmt.Errorf("report: invalid file base name %q", base)
	}
	type rendered struct {
		path string
		data []byte
	}
	var todo []rendered
	seen := map[Format]bool{}
	for _, f := range formats {
		if seen[f] {
			continue
		}
		seen[f] = true
		var buf bytes.Buffer
		if err := Write(&buf, f, r, opts); err != nil {
			return nil, err
		}
		todo = append(todo, rendered{filepath.Join(dir, base+f.Ext()), buf.Bytes()})
	}
	if len(todo) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	for _, t := range todo {
		if err := writeAtomic(t.path, t.data); err != nil {
			return paths, err
		}
		paths = append(paths, t.path)
	}
	return paths, nil
}

func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("report: sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("report: close %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
