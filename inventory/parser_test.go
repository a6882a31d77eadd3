package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// The tests in this file are driven by testdata, as OpenTofu's
// configs tests are:
//
//   - testdata/valid: each file or folder must load with no diagnostics at all.
//   - testdata/invalid and testdata/warning: each file or folder must load
//     with exactly the diagnostics its "# ERROR: <summary>" and
//     "# WARNING: <summary>" comments announce, on the lines they are on.
//     A line may carry several markers. Files in warning/ must have no
//     errors.

// loadCase loads one entry of a testdata folder: a file or a folder.
func loadCase(t *testing.T, dir, name string) (*Inventory, hcl.Diagnostics) {
	t.Helper()
	return LoadDir(os.DirFS(dir), name)
}

func caseNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".hcl") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatalf("no cases in %s", dir)
	}
	return names
}

func TestValidFiles(t *testing.T) {
	for _, name := range caseNames(t, "testdata/valid") {
		t.Run(name, func(t *testing.T) {
			inv, diags := loadCase(t, "testdata/valid", name)
			for _, d := range diags {
				t.Errorf("unexpected diagnostic: %s", d)
			}
			if inv == nil {
				t.Fatal("nil inventory")
			}
		})
	}
}

func TestInvalidFiles(t *testing.T) {
	testMarkedFiles(t, "testdata/invalid", true)
}

func TestWarningFiles(t *testing.T) {
	testMarkedFiles(t, "testdata/warning", false)
}

func testMarkedFiles(t *testing.T, dir string, wantErrors bool) {
	for _, name := range caseNames(t, dir) {
		t.Run(name, func(t *testing.T) {
			want := markers(t, os.DirFS(dir), name)
			if len(want) == 0 {
				t.Fatal("the case has no # ERROR or # WARNING markers")
			}
			_, diags := loadCase(t, dir, name)
			if diags.HasErrors() != wantErrors {
				t.Errorf("HasErrors() = %v, want %v", diags.HasErrors(), wantErrors)
			}
			got := map[string]int{}
			for _, d := range diags {
				got[diagKey(d)]++
			}
			var problems []string
			for k, n := range want {
				if got[k] < n {
					problems = append(problems, fmt.Sprintf("missing   %s", k))
				}
			}
			for k, n := range got {
				if want[k] < n {
					problems = append(problems, fmt.Sprintf("unexpected %s", k))
				}
			}
			sort.Strings(problems)
			for _, p := range problems {
				t.Error(p)
			}
			if len(problems) > 0 {
				for _, d := range diags {
					t.Logf("got: %s", d)
				}
			}
		})
	}
}

// diagKey identifies a diagnostic as a marker does.
func diagKey(d *hcl.Diagnostic) string {
	sev := "ERROR"
	if d.Severity == hcl.DiagWarning {
		sev = "WARNING"
	}
	file, line := "(none)", 0
	if d.Subject != nil {
		file, line = d.Subject.Filename, d.Subject.Start.Line
	}
	return fmt.Sprintf("%s:%d: %s: %s", file, line, sev, d.Summary)
}

var markerRE = regexp.MustCompile(`(ERROR|WARNING): ([^#]*[^#\s])`)

// markers reads the expected diagnostics of a case: a file, or every .hcl
// file under a folder.
func markers(t *testing.T, fsys fs.FS, root string) map[string]int {
	t.Helper()
	want := map[string]int{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".hcl" {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(src))
		for line := 1; sc.Scan(); line++ {
			text := sc.Text()
			i := strings.Index(text, "#")
			if i < 0 {
				continue
			}
			for _, m := range markerRE.FindAllStringSubmatch(text[i:], -1) {
				want[fmt.Sprintf("%s:%d: %s: %s", p, line, m[1], m[2])]++
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// TestPasswordValueNotInDiagnostics: a function error on a literal
// password, or an unquoted password taken for a variable, does not quote
// the password, whoever renders the diagnostics.
func TestPasswordValueNotInDiagnostics(t *testing.T) {
	for _, src := range []string{
		"host \"a\" {\n  address = \"10.0.0.1\"\n  password = tonumber(\"Hunter2-Secret\")\n}\n",
		"host \"a\" {\n  address = \"10.0.0.1\"\n  password = Hunter2Secret\n}\n",
		"host \"a\" {\n  address = \"10.0.0.1\"\n  password = upper(Hunter2Secret)\n}\n",
	} {
		_, diags := Parse([]byte(src), "a.hcl")
		if !diags.HasErrors() {
			t.Fatalf("no error for %q", src)
		}
		for _, d := range diags {
			if strings.Contains(d.Summary+d.Detail, "Hunter2") {
				t.Errorf("%s: %s", d.Summary, d.Detail)
			}
		}
	}
}

// TestFunctionBombRefused: five nested replace() calls would return
// 20 GB; the first call past 1 MiB is refused, at its place.
func TestFunctionBombRefused(t *testing.T) {
	expr := `"` + strings.Repeat("a", 200) + `"`
	for range 5 {
		expr = `replace(` + expr + `, "a", "` + strings.Repeat("a", 100) + `")`
	}
	_, diags := Parse([]byte("host \"a\" {\n  address = \"10.0.0.1\"\n  site = "+expr+"\n}\n"), "bomb.hcl")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "larger than 1 MiB") {
		t.Fatalf("got %v", diags)
	}
	if s := diags[0].Subject; s == nil || s.Filename != "bomb.hcl" || s.Start.Line != 3 {
		t.Errorf("located at %v", diags[0].Subject)
	}
}

// TestDeepNestingRefused: 100,000 nested brackets are refused before the
// parser recurses into them.
func TestDeepNestingRefused(t *testing.T) {
	src := "host \"a\" {\n  vars = { x = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + " }\n}\n"
	_, diags := Parse([]byte(src), "deep.hcl")
	if !diags.HasErrors() || diags[0].Summary != "Nesting too deep" || diags[0].Subject.Start.Line != 2 {
		t.Fatalf("got %v", diags)
	}
}
