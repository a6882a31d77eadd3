package inventory

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

// FuzzParse feeds Parse, Merge and LoadDir arbitrary bytes. They must
// return diagnostics, never panic; every diagnostic has a summary and a
// severity; a loaded inventory lists, marshals and selects; and a host
// accepted without errors has valid settings.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid", "testdata/warning", "testdata/sim", "../examples/inventory"} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".hcl") {
				if src, err := os.ReadFile(p); err == nil {
					f.Add(src)
				}
			}
			return nil
		})
	}
	f.Add([]byte(limitInventory))
	f.Add([]byte(`host "a" { address = format("%5s", "x") }`))
	f.Add([]byte("defaults {\n  password = \"${host.name}\"\n  allow_password_literal = true\n}\nhost \"a\" {\n  address = \"::1\"\n}\n"))

	f.Fuzz(func(t *testing.T, src []byte) {
		file, diags := Parse(src, "fuzz.hcl")
		if file == nil || file.HCL() == nil {
			t.Fatal("Parse returned no file")
		}
		inv, md := Merge(file)
		diags = append(diags, md...)
		checkDiags(t, diags)

		// The same bytes split over two files through LoadDir.
		half := len(src) / 2
		inv2, ld := LoadDir(fstest.MapFS{
			"inv/a.hcl": &fstest.MapFile{Data: src[:half]},
			"inv/b.hcl": &fstest.MapFile{Data: src[half:]},
		}, "inv")
		checkDiags(t, ld)
		if inv2 == nil {
			t.Fatal("LoadDir returned no inventory")
		}

		for _, h := range inv.Hosts() {
			if _, err := json.Marshal(h); err != nil {
				t.Fatalf("marshal %s: %v", h.Name, err)
			}
		}
		for _, limit := range []string{"", "all", "web*", "!web", "group:web", "tag:os=2019,&all"} {
			_, _ = inv.Select(limit, nil)
		}
		if diags.HasErrors() {
			return
		}
		for _, h := range inv.Hosts() {
			if h.Port < 1 || h.Port > 65535 || (h.Transport != TransportHTTP && h.Transport != TransportHTTPS) ||
				h.Address == "" || h.Timeout <= 0 || h.ConnectTimeout <= 0 || h.OperationTimeout <= 0 {
				t.Fatalf("accepted an invalid host: %+v", h.ListJSON())
			}
			if h.Auth != AuthKerberos && (!h.User.IsSet() || !h.Password.IsSet()) {
				t.Fatalf("accepted %s authentication without credentials: %s", h.Auth, h.Name)
			}
		}
	})
}

func checkDiags(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == "" || (d.Severity != hcl.DiagError && d.Severity != hcl.DiagWarning) {
			t.Fatalf("malformed diagnostic: %#v", d)
		}
	}
}
