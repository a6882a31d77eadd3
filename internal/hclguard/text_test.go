package hclguard

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const secretFile = `host "a" {
  address  = "10.0.0.1"
  pasword  = "Hunter2-Secret"
  PASSWORD = bare-Secret!
  vars = {
    api_key = <<EOT
heredoc-secret-line
EOT
    note = "visible"
  }
  password = tonumber("tonumber-Secret")
}
`

func parseFile(t testing.TB, src string) map[string]*hcl.File {
	f, _ := hclsyntax.ParseConfig([]byte(src), "s.hcl", hcl.InitialPos)
	if f == nil {
		f = &hcl.File{Bytes: []byte(src)}
	}
	return map[string]*hcl.File{"s.hcl": f}
}

// TestWriterHidesSecrets: the lines that set a secret (a misspelt
// password in any case, an unquoted value, a heredoc under a key named
// like a secret) are never shown, and the values written there are
// scrubbed from summaries and details; other lines show as usual.
func TestWriterHidesSecrets(t *testing.T) {
	files := parseFile(t, secretFile)
	src := files["s.hcl"].Bytes
	at := func(text string) *hcl.Range {
		i := bytes.Index(src, []byte(text))
		line := bytes.Count(src[:i], []byte("\n")) + 1
		col := i - bytes.LastIndexByte(src[:i], '\n')
		return &hcl.Range{Filename: "s.hcl", Start: hcl.Pos{Line: line, Column: col, Byte: i}, End: hcl.Pos{Line: line, Column: col + len(text), Byte: i + len(text)}}
	}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: `An argument named "pasword" is not expected here.`, Subject: at("pasword")},
		{Severity: hcl.DiagError, Summary: "Missing newline after argument", Subject: at("!")},
		{Severity: hcl.DiagError, Summary: "Unknown variable", Detail: `There is no variable named "bare-Secret".`, Subject: at("bare-Secret")},
		{Severity: hcl.DiagError, Summary: "Invalid function argument", Detail: `cannot convert "tonumber-Secret" to number`, Subject: at("tonumber(")},
		{Severity: hcl.DiagError, Summary: "Heredoc", Subject: at("heredoc-secret-line"), Context: at("api_key")},
		{Severity: hcl.DiagWarning, Summary: "Visible", Detail: "about note", Subject: at("note")},
	}
	var out bytes.Buffer
	w := &Writer{Out: &out, Files: files, Width: 78}
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, secret := range []string{"Hunter2", "bare-Secret", "tonumber-Secret", "heredoc-secret"} {
		if strings.Contains(text, secret) {
			t.Errorf("the output shows %q:\n%s", secret, text)
		}
	}
	if !strings.Contains(text, `note = "visible"`) {
		t.Errorf("an ordinary line is hidden:\n%s", text)
	}
	if n := strings.Count(text, "(line not shown: it sets a secret)"); n < 5 {
		t.Errorf("%d secret lines marked, want 5 or more:\n%s", n, text)
	}
	red := NewRedactor(files).Diagnostics(diags)
	for _, d := range red {
		if strings.Contains(d.Detail, "Secret") {
			t.Errorf("JSON detail keeps a secret: %s", d.Detail)
		}
	}
	if diags[3].Detail != `cannot convert "tonumber-Secret" to number` {
		t.Error("Diagnostics changed its input")
	}
}

func TestIsSecretName(t *testing.T) {
	for _, n := range []string{"password", "Password", "PASSWORD", "pasword", "passwd", "passwort", "pass_word", "pwd",
		"secret", "client_secret", "token", "api_key", "apikey", "key", "credential", "db-password", "Passw0rd"} {
		if !IsSecretName(n) {
			t.Errorf("%s is not taken for a secret", n)
		}
	}
	for _, n := range []string{"address", "port", "user", "tags", "vars", "site", "ca_file", "groups", "description", "severity", "timeout"} {
		if IsSecretName(n) {
			t.Errorf("%s is taken for a secret", n)
		}
	}
	for _, n := range []string{"pasword", "PASSWORD", "Pass_Word", "passwd", "pwd", "passwrod"} {
		if !LooksLikePassword(n) {
			t.Errorf("%s does not look like password", n)
		}
	}
	if LooksLikePassword("api_key") || LooksLikePassword("address") {
		t.Error("api_key or address looks like password")
	}
}

// TestWriterLimitsDiagnostics: at most Max diagnostics, then a count of
// the others; long lines are cut around what they highlight.
func TestWriterLimitsDiagnostics(t *testing.T) {
	long := "x = \"" + strings.Repeat("a", 10000) + "\" + b\n"
	files := parseFile(t, long)
	var diags hcl.Diagnostics
	for i := range 120 {
		sev := hcl.DiagError
		if i%4 == 0 {
			sev = hcl.DiagWarning
		}
		diags = append(diags, &hcl.Diagnostic{Severity: sev, Summary: fmt.Sprintf("Problem %d", i),
			Subject: &hcl.Range{Filename: "s.hcl", Start: hcl.Pos{Line: 1, Column: 10005, Byte: 10004}, End: hcl.Pos{Line: 1, Column: 10006, Byte: 10005}}})
	}
	var out bytes.Buffer
	if err := (&Writer{Out: &out, Files: files, Max: 10}).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Count(text, "Problem ") != 10 || !strings.Contains(text, "... and 83 errors and 27 warnings more, not shown") {
		t.Errorf("not limited to 10:\n%s", text)
	}
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 2*maxSnippetWidth {
			t.Fatalf("a snippet line of %d bytes", len(l))
		}
	}
}

// BenchmarkWriterManyDiagnostics prints a diagnostic for every line of a
// file of n lines: the time per diagnostic stays flat as n grows (the
// file is indexed once), where hcl.NewDiagnosticTextWriter rescans the
// file for each.
func BenchmarkWriterManyDiagnostics(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		src := strings.Repeat("x = 1 1\n", n)
		files := parseFile(b, src)
		var diags hcl.Diagnostics
		for i := range n {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Problem",
				Subject: &hcl.Range{Filename: "s.hcl", Start: hcl.Pos{Line: i + 1, Column: 7, Byte: 8*i + 6}, End: hcl.Pos{Line: i + 1, Column: 8, Byte: 8*i + 7}}})
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				w := &Writer{Out: &bytes.Buffer{}, Files: files, Max: n}
				_ = w.WriteDiagnostics(diags)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/diagnostic")
		})
	}
}
