package fmtcmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

const messy = "host \"web01\" {\naddress=\"10.0.0.1\"\n    port = 5985\n}\n"
const tidy = "host \"web01\" {\n  address = \"10.0.0.1\"\n  port    = 5985\n}\n"

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFormatWritesCanonicalLayout(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "inv/a.hcl", messy)
	b := write(t, dir, "inv/sub/b.hcl", tidy)
	other := write(t, dir, "inv/notes.txt", messy)
	ios, _, out, _ := cmdutil.Test()
	if err := fmtRun(&Options{IO: ios, Paths: []string{filepath.Join(dir, "inv")}}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, a); got != tidy {
		t.Errorf("a.hcl:\n%s", got)
	}
	if read(t, b) != tidy || read(t, other) != messy {
		t.Errorf("formatting touched a file it should not")
	}
	if out.String() != a+"\n" {
		t.Errorf("listed %q, want only %s", out, a)
	}
}

func TestCheckWritesNothingAndFails(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.hcl", messy)
	write(t, dir, "b.hcl", tidy)
	ios, _, out, errOut := cmdutil.Test()
	err := fmtRun(&Options{IO: ios, Paths: []string{dir}, Check: true, Diff: true})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != 1 {
		t.Fatalf("err %v, want exit 1", err)
	}
	if read(t, a) != messy {
		t.Error("--check wrote the file")
	}
	if !strings.Contains(out.String(), a+"\n") || !strings.Contains(out.String(), "-2: address=\"10.0.0.1\"\n+2:   address = \"10.0.0.1\"") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errOut.String(), "1 of 2 files need formatting") {
		t.Errorf("stderr %q", errOut)
	}
	ios, _, _, _ = cmdutil.Test()
	if err := fmtRun(&Options{IO: ios, Paths: []string{filepath.Join(dir, "b.hcl")}, Check: true}); err != nil {
		t.Errorf("a tidy file fails --check: %v", err)
	}
}

func TestSyntaxErrorIsLocatedAndFileUntouched(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.hcl", "host \"x\" {\n  address = \n}\n")
	ios, _, _, errOut := cmdutil.Test()
	err := fmtRun(&Options{IO: ios, Paths: []string{bad}})
	if !errors.Is(err, cmdutil.ErrSilent) {
		t.Fatalf("err %v", err)
	}
	if read(t, bad) != "host \"x\" {\n  address = \n}\n" {
		t.Error("a file with a syntax error was rewritten")
	}
	if !strings.Contains(errOut.String(), "bad.hcl line 2") && !strings.Contains(errOut.String(), "bad.hcl line 3") {
		t.Errorf("diagnostic not located:\n%s", errOut)
	}
	if !strings.Contains(errOut.String(), "Error: ") {
		t.Errorf("no error text:\n%s", errOut)
	}
}

// TestExamplesAreFormatted keeps every HCL file under examples/ in the
// canonical layout.
func TestExamplesAreFormatted(t *testing.T) {
	ios, _, out, errOut := cmdutil.Test()
	if err := fmtRun(&Options{IO: ios, Paths: []string{"../../../examples"}, Check: true}); err != nil {
		t.Errorf("%v: %s%s", err, out, errOut)
	}
}
