package pwsh

import (
	"strings"
	"testing"
)

func TestCommandLineSwitches(t *testing.T) {
	e := encode("echo hi")
	for _, args := range [][]string{
		{"-EncodedCommand", e},
		{"-encodedcommand", e},
		{"-e", e}, {"-ec", e}, {"-enc", e}, {"/enc", e}, {"--EncodedCommand", e}, {"\u2013enc", e},
		{"-nop", "-noni", "-ep", "Bypass", "-enc", e},
		{"-NoProfile", "-NonInteractive", "-NoLogo", "-ExecutionPolicy", "Unrestricted", "-InputFormat", "Text", "-OutputFormat", "Text", "-EncodedCommand", e},
		{"-ex", "RemoteSigned", "-e", e},
		{"-Command", "echo", "hi"},
		{"-c", "echo hi"},
		{"echo", "hi"},
		{"-Version", "5.1", "-NoProfile", "-c", "echo hi"},
		{"-sta", "-nol", "-c", "echo hi"},
	} {
		got := run(t, server2016(), args, "")
		if got.code != 0 || got.stdout != "hi\r\n" {
			t.Errorf("%q: %+v", args, got)
		}
	}
	// -Command - reads the script from stdin.
	if got := run(t, server2016(), []string{"-NoProfile", "-Command", "-"}, "echo a\r\necho b\r\n"); got != (result{0, "a\r\nb\r\n", ""}) {
		t.Errorf("-Command -: %+v", got)
	}
	// No command at all: the script comes from stdin too.
	if got := run(t, server2016(), []string{"-NoProfile"}, "echo c\n"); got != (result{0, "c\r\n", ""}) {
		t.Errorf("no command: %+v", got)
	}
}

func TestCommandLineErrors(t *testing.T) {
	help := "\r\n" + helpText + "\r\n\r\n"
	cases := []struct {
		args   []string
		stderr string
		help   bool
	}{
		{[]string{"-EncodedCommand", "not base64!"}, msgBadCommandValue, true},
		{[]string{"-EncodedCommand", "YQ"}, msgBadCommandValue, true},
		{[]string{"-EncodedCommand"}, msgMissingCommandParameter, true},
		{[]string{"-Command"}, msgMissingCommandParameter, true},
		{[]string{"-Command", "-", "x"}, msgTooManyParametersCommand, true},
		{[]string{"-EncodedCommand", encode("1"), "-Command", "2"}, msgCommandAlreadySpecified, true},
		{[]string{"-ExecutionPolicy"}, msgMissingExecutionPolicy, true},
		{[]string{"-OutputFormat", "json", "-c", "1"}, "Cannot process the command because of an incorrect parameter value. \"json\" is not a valid format.  Valid formats are:\r\nText\r\nXML\r\n", true},
		{[]string{"-sta", "-mta"}, msgMtaStaExclusive, false},
		{[]string{"-File", "C:\\x.ps1"}, "The argument 'C:\\x.ps1' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter.", false},
	}
	for _, c := range cases {
		got := run(t, server2016(), c.args, "")
		wantOut := ""
		if c.help {
			wantOut = help
		}
		if got.code != exitBadCommandLine || got.stderr != c.stderr+"\r\n" || got.stdout != wantOut {
			t.Errorf("%q: code %d stderr %q stdout %.60q", c.args, got.code, got.stderr, got.stdout)
		}
	}
	got := run(t, server2016(), []string{"-?"}, "")
	if got.code != 0 || got.stdout != help || !strings.Contains(got.stdout, "PowerShell[.exe] -Help | -? | /?") {
		t.Errorf("-?: %+v", got)
	}
}

func TestDecodeBase64(t *testing.T) {
	s, ok := decodeBase64("aABvAHMAdABuAGEAbQBlAA==")
	if !ok || s != "hostname" {
		t.Fatalf("%q %v", s, ok)
	}
	// White space is ignored, as by Convert.FromBase64String.
	if s, ok := decodeBase64("aABv AHMA\r\ndABuAGEAbQBlAA=="); !ok || s != "hostname" {
		t.Fatalf("%q %v", s, ok)
	}
	// An odd byte count still decodes; the last byte becomes U+FFFD.
	if s, ok := decodeBase64("YQBi"); !ok || s != "a\ufffd" {
		t.Fatalf("%q %v", s, ok)
	}
}

func TestNoPowerShell(t *testing.T) {
	h := server2016()
	h.ver = 0
	got := run(t, h, []string{"-c", "echo hi"}, "")
	if got != (result{9009, "", "'powershell.exe' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"}) {
		t.Fatalf("got %+v", got)
	}
}

func TestOutputFormatXML(t *testing.T) {
	got := run(t, server2016(), []string{"-OutputFormat", "XML", "-c", "'a<b'; 5; $true"}, "")
	want := "#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S>a&lt;b</S><I32>5</I32><B>true</B></Objs>`
	if got.code != 0 || got.stdout != want {
		t.Fatalf("got %+v", got)
	}
}
