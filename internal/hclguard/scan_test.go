package hclguard

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestCheckFollowsTheLexer: brackets hidden where the scan would think
// they are in a string or a comment but HCL's lexer reads code (a string
// running past a line's end, a heredoc marker with trailing blanks, an
// unterminated /*, a } closing an interpolation with a ( still open) are
// refused, or else parse within a 64 MiB stack.
func TestCheckFollowsTheLexer(t *testing.T) {
	prev := debug.SetMaxStack(64 << 20)
	defer debug.SetMaxStack(prev)
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	for name, src := range map[string]string{
		"newline in a string":            "x = \"abc\ny = " + deep + "\"\n",
		"string closed on the next line": "x = \"abc\n\" + " + deep + "\n",
		"indented marker":                "x = <<EOT\nhello\n  EOT\ny = " + deep + "\n",
		"marker with trailing blanks":    "x = <<EOT\nhello\nEOT  \t\ny = " + deep + "\n",
		"dash heredoc":                   "x = <<-EOT\nhello\n  EOT\ny = " + deep + "\n",
		"crlf heredoc":                   "x = <<EOT\r\nhello\r\nEOT\r\ny = " + deep + "\r\n",
		"unterminated block comment":     "x = 1 /* " + deep + "\n",
		"block comment":                  "/* a \n */ x = " + deep + "\n",
		"escaped interpolation":          "x = \"$${\" \ny = " + deep + "\n",
		"object in interpolation":        "x = \"${ {a=1}.a }\" \ny = " + deep + "\n",
		"escaped quote":                  "x = \"\\\"\" \ny = " + deep + "\n",
		"backslash at line end":          "x = \"a\\\n\" + " + deep + "\n",
		"brace closes interpolation":     "x = \"${ ( }\" + " + deep + "\n",
		"hash in a string":               "x = \"#\" \ny = " + deep + "\n",
		"quote in a heredoc":             "x = <<EOT\n\"\nEOT\ny = " + deep + "\n",
		"nested interpolations":          "x = \"${\"${\"a\"}\"}\" \ny = " + deep + "\n",
		"template directive":             "x = \"%{ if true }a%{ endif }\" \ny = " + deep + "\n",
		"unary chain":                    "x = " + strings.Repeat("!", 200000) + "true\n",
		"minus chain":                    "x = " + strings.Repeat("-", 200000) + "1\n",
		"binary chain":                   "x = 1" + strings.Repeat("+1", 200000) + "\n",
		"binary chain across lines":      "x = [1" + strings.Repeat("+\n1", 200000) + "]\n",
		"conditional chain":              "x = " + strings.Repeat("true ? 1 : ", 100000) + "2\n",
		"interpolation chain":            "x = \"${1" + strings.Repeat("+\n1", 200000) + "}\"\n",
		"numbers without spaces":         "x = 1" + strings.Repeat("-1", 200000) + "\n",
	} {
		if Check([]byte(src), "a.hcl", DefaultLimits).HasErrors() {
			continue
		}
		t.Logf("%s: let through; parsing and evaluating", name)
		exercise(t, []byte(src))
	}
}

// TestCheckPassesRealFiles: every HCL file of the repository (examples,
// the built-in policies, test data) is within the limits.
func TestCheckPassesRealFiles(t *testing.T) {
	n := 0
	for _, root := range []string{"../../examples", "../../policies", "../../inventory", "../sim", "../../bench"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".hcl") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			n++
			if d := Check(src, p, DefaultLimits); d.HasErrors() {
				t.Errorf("%s: %v", p, d)
			}
			return nil
		})
	}
	if n < 20 {
		t.Errorf("found only %d HCL files", n)
	}
}

func TestCheckLocatesTheProblem(t *testing.T) {
	src := "a = 1\n\nb = " + strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150) + "\n"
	d := Check([]byte(src), "f.hcl", DefaultLimits)
	if !d.HasErrors() || d[0].Summary != "Nesting too deep" {
		t.Fatalf("got %v", d)
	}
	if r := d[0].Subject; r.Filename != "f.hcl" || r.Start.Line != 3 || r.Start.Column != 5+100 {
		t.Errorf("located at %v, want f.hcl:3,105", r)
	}
	many := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if d := Check([]byte("x = "+many+"\n"), "f.hcl", DefaultLimits); d.HasErrors() {
		t.Errorf("100 levels refused: %v", d)
	}
	f, diags := hclsyntax.ParseConfig([]byte("x = "+many+"\n"), "f.hcl", hcl.InitialPos)
	if diags.HasErrors() || f == nil {
		t.Fatal(diags)
	}
	tokens := Limits{MaxTokens: 10}
	if d := Check([]byte("x = [1,2,3,4,5,6]\n"), "f.hcl", tokens); !d.HasErrors() || d[0].Summary != "File too complex" {
		t.Errorf("token limit: %v", d)
	}
}
