package pwsh

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixtureDir is the repository's copy of the shared WinRM fixtures.
const fixtureDir = "../../../testdata/winrm"

func readFixture(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, rel))
	if err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return string(b)
}

// commandLine returns the program and arguments of a captured WinRS
// Command request (rsp:Command, plus rsp:Arguments when present).
func commandLine(t *testing.T, rel string) (string, []string) {
	t.Helper()
	x := readFixture(t, rel)
	cmd := regexp.MustCompile(`(?s)<rsp:Command>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</rsp:Command>`).FindStringSubmatch(x)
	if cmd == nil {
		t.Fatalf("%s: no rsp:Command", rel)
	}
	fields := strings.Fields(cmd[1])
	prog, args := fields[0], fields[1:]
	for _, a := range regexp.MustCompile(`(?s)<rsp:Arguments>(.*?)</rsp:Arguments>`).FindAllStringSubmatch(x, -1) {
		args = append(args, strings.Fields(a[1])...)
	}
	return prog, args
}

func TestAnsibleRawFixture(t *testing.T) {
	prog, args := commandLine(t, "clients/ansible-core-2.14.18/Command-ps-request.xml")
	if prog != "PowerShell" {
		t.Fatalf("program %q", prog)
	}
	h := server2016()
	got := run(t, h, args, "")
	want := result{0, "WIN-SIM01\r\n", ""}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if len(h.natives) != 1 || h.natives[0] != "hostname" {
		t.Fatalf("native commands %q", h.natives)
	}
}

func TestMasterzenFixture(t *testing.T) {
	prog, args := commandLine(t, "clients/masterzen-3fad6e1/Command-ps-request.xml")
	if prog != "powershell.exe" {
		t.Fatalf("program %q", prog)
	}
	script, _ := decodeBase64(args[len(args)-1])
	if script != "$ProgressPreference = 'SilentlyContinue';Write-Output hi" {
		t.Fatalf("decoded %q", script)
	}
	if got, want := run(t, server2016(), args, ""), (result{0, "hi\r\n", ""}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestPywinrmFixture(t *testing.T) {
	prog, args := commandLine(t, "clients/pywinrm-0.3.0-debian/Command-ps-request.xml")
	if prog != "powershell" || args[0] != "-encodedcommand" {
		t.Fatalf("command %q %q", prog, args)
	}
	if got, want := run(t, server2016(), args, ""), (result{0, "hi\r\n", ""}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// TestCLIXMLMatchesPywinrmFixture runs Write-Error "Error" and compares the
// stderr bytes with the real response in pywinrm's conftest
// (get_ps_output_response.xml): same lines, same wrapping at 79 columns and
// 74-character CategoryInfo chunks, exit code 1.
func TestCLIXMLMatchesPywinrmFixture(t *testing.T) {
	x := readFixture(t, "pywinrm/conftest/get_ps_output_response.xml")
	var want strings.Builder
	for _, m := range regexp.MustCompile(`<rsp:Stream[^>]*Name="stderr"[^>]*>([^<]+)</rsp:Stream>`).FindAllStringSubmatch(x, -1) {
		b, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		want.Write(b)
	}
	if !strings.Contains(x, "<rsp:ExitCode>1</rsp:ExitCode>") {
		t.Fatal("fixture exit code changed")
	}
	got := run(t, server2016(), []string{"powershell", "-encodedcommand", encode(`Write-Error "Error"`)}[1:], "")
	if got.stderr != want.String() {
		t.Fatalf("stderr\n got %q\nwant %q", got.stderr, want.String())
	}
	if got.code != 1 || got.stdout != "" {
		t.Fatalf("code %d stdout %q", got.code, got.stdout)
	}
}

// TestAnsibleWinPingFixture feeds the captured module command line and the
// (trimmed) captured stdin through Main.
func TestAnsibleWinPingFixture(t *testing.T) {
	prog, args := commandLine(t, "clients/ansible-core-2.14.18/Command-win_ping-module-request.xml")
	if prog != "PowerShell" {
		t.Fatalf("program %q", prog)
	}
	inner, _ := decodeBase64(args[len(args)-1])
	if !strings.HasPrefix(inner, "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand ") {
		t.Fatalf("outer script %q", inner)
	}
	stdin, err := os.ReadFile("testdata/ansible/win_ping-stdin-trimmed.bin")
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, server2016(), args, string(stdin))
	want := result{0, `{"changed":false,"invocation":{"module_args":{"data":"pong"}},"ping":"pong"}` + "\r\n\r\n", ""}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// PowerShell 2.0: bootstrap_wrapper.ps1's own refusal.
	got = run(t, server2008R2(), args, string(stdin))
	want = result{1, `{"failed":true,"msg":"Ansible requires PowerShell v3.0 or newer"}` + "\r\n", ""}
	if got != want {
		t.Fatalf("PS 2.0: got %+v\nwant %+v", got, want)
	}
}
