package policies

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// markerRE finds the expected-diagnostic markers of the test files:
// "# ERROR: <summary>" or "# WARNING: <summary>" on the line the
// diagnostic's subject starts on.
var markerRE = regexp.MustCompile(`(ERROR|WARNING): ([^#\n]*)`)

// expectedDiags returns "file:line: SEVERITY: summary" for every marker.
func expectedDiags(filename string, src []byte) []string {
	var out []string
	for i, line := range strings.Split(string(src), "\n") {
		_, comment, ok := strings.Cut(line, "#")
		if !ok {
			continue
		}
		for _, m := range markerRE.FindAllStringSubmatch("#"+comment, -1) {
			out = append(out, fmt.Sprintf("%s:%d: %s: %s", filename, i+1, m[1], strings.TrimSpace(m[2])))
		}
	}
	return out
}

func actualDiags(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		sev := "ERROR"
		if d.Severity == hcl.DiagWarning {
			sev = "WARNING"
		}
		if d.Subject == nil {
			out = append(out, fmt.Sprintf("<no subject>: %s: %s", sev, d.Summary))
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, sev, d.Summary))
	}
	return out
}

func compareDiags(t *testing.T, want, got []string, diags hcl.Diagnostics) {
	t.Helper()
	sort.Strings(want)
	sort.Strings(got)
	if slices.Equal(want, got) {
		return
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing: %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected: %s", g)
		}
	}
	for _, d := range diags {
		t.Logf("  %s", d)
	}
}

// TestParseFiles parses every file of testdata/valid and testdata/invalid
// and compares the diagnostics with the files' markers, line by line.
// Files in valid/ must carry no error; files in invalid/ at least one.
func TestParseFiles(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		entries, err := os.ReadDir(path.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := path.Join("testdata", dir, e.Name())
			t.Run(path.Join(dir, e.Name()), func(t *testing.T) {
				src, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				_, diags := Parse(src, name)
				want := expectedDiags(name, src)
				compareDiags(t, want, actualDiags(diags), diags)
				if dir == "valid" && diags.HasErrors() {
					t.Error("a valid file has errors")
				}
				if dir == "invalid" && !diags.HasErrors() {
					t.Error("an invalid file has no error")
				}
			})
		}
	}
}

// TestLoadDirs loads every folder of testdata/invalid-dirs with LoadDir
// and compares the diagnostics with the markers of all its files.
func TestLoadDirs(t *testing.T) {
	fsys := os.DirFS("testdata/invalid-dirs")
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			_, diags := LoadDir(fsys, e.Name())
			var want []string
			err := fs.WalkDir(fsys, e.Name(), func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				src, err := fs.ReadFile(fsys, p)
				want = append(want, expectedDiags(p, src)...)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			compareDiags(t, want, actualDiags(diags), diags)
		})
	}
}

func TestRolloutBlock(t *testing.T) {
	f, diags := Parse([]byte(`rollout {
  stages       = ["group:canary", "10%", "50%", "100%"]
  max_failures = "5%"
  wait         = "10m"
}
`), "r.hcl")
	if diags.HasErrors() || f.Rollout == nil {
		t.Fatalf("%v %+v", diags, f.Rollout)
	}
	if len(f.Rollout.Stages) != 4 || f.Rollout.MaxFailures != "5%" || f.Rollout.WaitDuration.Minutes() != 10 {
		t.Errorf("%+v", f.Rollout)
	}
	set, diags := NewSet(f)
	if diags.HasErrors() || set.Rollout != f.Rollout {
		t.Errorf("set: %v", diags)
	}
	if _, diags := NewSet(f, f); !diags.HasErrors() {
		t.Error("two rollout blocks in a set: no error")
	}
	for _, bad := range []string{
		`rollout { stages = ["0"] }`, `rollout { stages = ["half"] }`, `rollout { max_failures = "many" }`,
		`rollout { wait = "soon" }`, `rollout { stages = ["1"] }` + "\n" + `rollout { stages = ["2"] }`, `rollout { colour = "red" }`,
	} {
		if _, diags := Parse([]byte(bad), "bad.hcl"); !diags.HasErrors() {
			t.Errorf("%s: no error", bad)
		}
	}
}
