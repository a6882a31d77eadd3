package report

import (
	"strings"
	"testing"
)

// cells splits a Markdown table row on the pipes that are not escaped.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			cur.WriteByte(line[i])
			cur.WriteByte(line[i+1])
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

func TestMarkdownEscapes(t *testing.T) {
	r := handReport() // mail01's actual is "0.0.0.0:25 | [::]:25 (`SMTPSVC` pools every address)"
	for _, group := range []string{"policy", "host"} {
		out := string(render(t, Markdown, r, Options{GroupBy: group}))
		var row string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "| ") && strings.Contains(line, "0.0.0.0:25 ") && strings.Contains(line, "SMTPSVC") && !strings.Contains(line, "wildcard") {
				row = line
			}
		}
		if row == "" {
			t.Fatalf("by %s: no row for mail01's SMTP finding", group)
		}
		if !strings.Contains(row, `0.0.0.0:25 \| \[::\]:25 (\`+"`SMTPSVC\\`"+` pools every address)`) {
			t.Errorf("by %s: pipe or backticks not escaped: %s", group, row)
		}
		want := 6
		if group == "host" {
			want = 7
		}
		if n := len(cells(row)); n != want {
			t.Errorf("by %s: row has %d cells, want %d: %s", group, n, want, row)
		}
		// Every table row has as many cells as its header.
		lines := strings.Split(out, "\n")
		for i := 1; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], "|") && strings.HasPrefix(lines[i-1], "|") {
				if a, b := len(cells(lines[i])), len(cells(lines[i-1])); a != b {
					t.Errorf("by %s: line %d has %d cells, the line before %d", group, i+1, a, b)
				}
			}
		}
		// Evidence sits in fenced code blocks in details sections.
		if !strings.Contains(out, "<details><summary>Evidence") || !strings.Contains(out, "```text\nnetstat -ano:7:   TCP    0.0.0.0:25") {
			t.Errorf("by %s: no evidence block", group)
		}
	}
	// A backtick fence in evidence gets a longer fence.
	r.Hosts[0].Findings[0].Evidence[0].Text = "```` not the end"
	out := string(render(t, Markdown, r, Options{}))
	if !strings.Contains(out, "`````text\n") {
		t.Error("evidence with a fence is not fenced by a longer one")
	}
	if got := mdCell("a|b`c*d_e<f>\\"); got != "a\\|b\\`c\\*d\\_e\\<f\\>\\\\" {
		t.Errorf("mdCell = %q", got)
	}
	if got := mdCell("line\nbreak"); got != "line break" {
		t.Errorf("mdCell = %q", got)
	}
	if got := mdCode("a`b"); got != "``a`b``" {
		t.Errorf("mdCode = %q", got)
	}
}
