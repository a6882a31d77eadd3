package policies

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// FuzzParse feeds arbitrary bytes through the whole package: parse, merge,
// and evaluate every policy for hosts of every kind. Nothing may panic,
// and every diagnostic must be located in the file.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata", "builtin"} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".hcl" {
				if src, err := os.ReadFile(p); err == nil {
					f.Add(src)
				}
			}
			return nil
		})
	}
	hosts := []Host{
		webHost("2003"), webHost("2019"), webHost(""),
		{Name: "odd", Address: "odd.example", OS: "2008", OSBuild: 6001,
			Vars: map[string]cty.Value{"service_address": cty.UnknownVal(cty.String), "n": cty.NumberIntVal(7)}},
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, diags := Parse(src, "fuzz.hcl")
		checkLocated(t, diags)
		s, diags := NewSet(file)
		checkLocated(t, diags)
		for _, p := range s.Policies {
			for _, h := range hosts {
				_, d := p.AppliesTo(h)
				checkLocated(t, d)
				r, d := p.Resolve(h)
				checkLocated(t, d)
				if r == nil {
					t.Fatal("Resolve returned nil")
				}
				_ = r.Effects()
				_ = p.Needs(h)
			}
		}
		checkLocated(t, CheckCoverage(s, hosts))
		// Waivers: checked against the set and a clock, every answer
		// located; a waiver that decoded has its dates in order.
		checkLocated(t, s.CheckWaivers())
		checkLocated(t, s.WaiverWarnings(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)))
		for _, w := range s.Waivers {
			if !w.Until.IsZero() && !w.Expires().After(w.Until) {
				t.Fatalf("waiver %q expires at %v, before its until %v", w.Name, w.Expires(), w.Until)
			}
			_ = w.CoversName("web01")
			_ = w.Source()
		}
	})
}

func checkLocated(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Subject == nil {
			t.Fatalf("diagnostic without a subject: %v", d)
		}
		if d.Subject.Filename != "fuzz.hcl" {
			t.Fatalf("diagnostic located in %q: %v", d.Subject.Filename, d)
		}
	}
}
