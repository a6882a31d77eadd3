package pwsh

import (
	"strings"
	"testing"
)

// Windows PowerShell 5.1 without the NetTCPIP module (e.g. Windows 7 with
// WMF 5.1): CommandNotFoundException, nothing else in the pipeline runs.
func TestGetNetTCPConnectionMissingPS5(t *testing.T) {
	h := server2016()
	h.netTCP = false
	got := runEncoded(t, h, "Get-NetTCPConnection -State Listen | ConvertTo-Json")
	want := clixmlErrors(
		"Get-NetTCPConnection : The term 'Get-NetTCPConnection' is not recognized as ",
		"the name of a cmdlet, function, script file, or operable program. Check the ",
		"spelling of the name, or if a path was included, verify that the path is ",
		"correct and try again.",
		"At line:1 char:1",
		"+ Get-NetTCPConnection -State Listen | ConvertTo-Json",
		"+ ~~~~~~~~~~~~~~~~~~~~",
		"    + CategoryInfo          : ObjectNotFound: (Get-NetTCPConnection:String) [] ",
		"   , CommandNotFoundException",
		"    + FullyQualifiedErrorId : CommandNotFoundException",
		" ",
	)
	if got.code != 1 || got.stdout != "" || got.stderr != want {
		t.Fatalf("got %+v\nwant stderr %q", got, want)
	}
}

// Server 2008 R2, PowerShell 2.0: no "X : " prefix and the 2.0 "<<<<"
// position form (2.0 transcript in Icinga/icinga2-powershell-module #56).
func TestGetNetTCPConnectionMissingPS2(t *testing.T) {
	got := runEncoded(t, server2008R2(), "Get-NetTCPConnection -State Listen | ConvertTo-Json")
	want := clixmlErrors(
		"The term 'Get-NetTCPConnection' is not recognized as the name of a cmdlet, ",
		"function, script file, or operable program. Check the spelling of the name, or ",
		"if a path was included, verify that the path is correct and try again.",
		"At line:1 char:21",
		"+ Get-NetTCPConnection <<<<  -State Listen | ConvertTo-Json",
		"    + CategoryInfo          : ObjectNotFound: (Get-NetTCPConnection:String) [] ",
		"   , CommandNotFoundException",
		"    + FullyQualifiedErrorId : CommandNotFoundException",
		" ",
	)
	if got.code != 1 || got.stdout != "" || got.stderr != want {
		t.Fatalf("got %+v\nwant stderr %q", got, want)
	}
	// ConvertTo-Json came with PowerShell 3.0.
	got = runEncoded(t, server2008R2(), "'x' | ConvertTo-Json")
	if got.code != 1 || !strings.Contains(got.stderr, "The term &apos;ConvertTo-Json&apos;") && !strings.Contains(got.stderr, "The term 'ConvertTo-Json' is not recognized") {
		t.Fatalf("got %+v", got)
	}
	// Native commands and plain output still work.
	if got := runEncoded(t, server2008R2(), "hostname"); got != (result{0, "WIN-OLD01\r\n", ""}) {
		t.Fatalf("hostname: %+v", got)
	}
}

// -Command (not encoded) writes the same view as text, not CLIXML.
func TestErrorsAsTextWithCommand(t *testing.T) {
	got := run(t, server2016(), []string{"-NoProfile", "-Command", "Get-Foo"}, "")
	want := "Get-Foo : The term 'Get-Foo' is not recognized as the name of a cmdlet, \r\n" +
		"function, script file, or operable program. Check the spelling of the name, or \r\n" +
		"if a path was included, verify that the path is correct and try again.\r\n" +
		"At line:1 char:1\r\n" +
		"+ Get-Foo\r\n" +
		"+ ~~~~~~~\r\n" +
		"    + CategoryInfo          : ObjectNotFound: (Get-Foo:String) [], CommandNotF \r\n" +
		"   oundException\r\n" +
		"    + FullyQualifiedErrorId : CommandNotFoundException\r\n" +
		" \r\n"
	if got.code != 1 || got.stderr != want {
		t.Fatalf("got %+v\nwant %q", got, want)
	}
}

func TestGetNetTCPConnectionNotFound(t *testing.T) {
	got := runEncoded(t, server2016(), "Get-NetTCPConnection -LocalPort 3000")
	want := clixmlErrors(
		"Get-NetTCPConnection : No MSFT_NetTCPConnection objects found with property ",
		"'LocalPort' equal to '3000'.  Verify the value of the property and retry.",
		"At line:1 char:1",
		"+ Get-NetTCPConnection -LocalPort 3000",
		"+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
		"    + CategoryInfo          : ObjectNotFound: (3000:UInt16) [Get-NetTCPConnect ",
		"   ion], CimJobException",
		"    + FullyQualifiedErrorId : CmdletizationQuery_NotFound_LocalPort,Get-NetTCP ",
		"   Connection",
		" ",
	)
	if got.code != 1 || got.stdout != "" || got.stderr != want {
		t.Fatalf("got %+v\nwant %q", got, want)
	}
	// Several filters: one error with the WQL query (text quoted from a 5.1 run).
	got = runEncoded(t, server2016(), "Get-NetTCPConnection -LocalPort 3000 -State Listen")
	if !strings.Contains(unCLIXML(got.stderr), "No matching MSFT_NetTCPConnection objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetTCPConnection class on the  CIM server: SELECT * FROM MSFT_NetTCPConnection  WHERE ((LocalPort = 3000)) AND ((State = 2)). Verify query parameters and retry.") {
		t.Fatalf("got %q", unCLIXML(got.stderr))
	}
	// One value of several matched: output plus an error for the other.
	got = runEncoded(t, server2016(), "Get-NetTCPConnection -LocalPort 5985,3000 | Select-Object -ExpandProperty LocalPort")
	if got.stdout != "5985\r\n" || !strings.Contains(unCLIXML(got.stderr), "equal to '3000'") || got.code != 1 {
		t.Fatalf("got %+v", got)
	}
	// -ErrorAction SilentlyContinue: no error record; $? is still false.
	got = runEncoded(t, server2016(), "Get-NetTCPConnection -LocalPort 3000 -ea SilentlyContinue; $?")
	if got.stdout != "False\r\n" || got.stderr != "" || got.code != 0 {
		t.Fatalf("got %+v", got)
	}
}

// unCLIXML joins the Error lines of a CLIXML stderr as plain text.
func unCLIXML(s string) string {
	s = strings.TrimPrefix(s, "#< CLIXML\r\n")
	var b strings.Builder
	for _, part := range strings.Split(s, `<S S="Error">`)[1:] {
		text, _, _ := strings.Cut(part, "</S>")
		text = strings.ReplaceAll(text, "_x000D__x000A_", "")
		text = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(text)
		b.WriteString(text)
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	got := runEncoded(t, server2016(), "echo 'hi")
	want := clixmlErrors(
		"At line:1 char:6",
		"+ echo 'hi",
		"+      ~~~",
		"The string is missing the terminator: '.",
		"    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordEx ",
		"   ception",
		"    + FullyQualifiedErrorId : TerminatorExpectedAtEndOfString",
		" ",
	)
	if got.code != 1 || got.stderr != want {
		t.Fatalf("got %+v\nwant %q", got, want)
	}
	for _, script := range []string{"Get-NetTCPConnection |", "(1", "@{a=1", "{", "$x = ", "'a' | 'b'", "if (1) {"} {
		got := runEncoded(t, server2016(), script)
		if got.code != 1 || !strings.Contains(got.stderr, "ParserError") {
			t.Errorf("%q: %+v", script, got)
		}
	}
}

func TestThrowAndTerminatingErrors(t *testing.T) {
	got := runEncoded(t, server2016(), "echo before; throw 'boom'; echo after")
	want := clixmlErrors(
		"boom",
		"At line:1 char:14",
		"+ echo before; throw 'boom'; echo after",
		"+              ~~~~~~~~~~~~",
		"    + CategoryInfo          : OperationStopped: (boom:String) [], RuntimeExcep ",
		"   tion",
		"    + FullyQualifiedErrorId : boom",
		" ",
	)
	if got.code != 1 || got.stdout != "before\r\n" || got.stderr != want {
		t.Fatalf("got %+v\nwant %q", got, want)
	}
	// -ErrorAction Stop makes a cmdlet error script-terminating.
	got = runEncoded(t, server2016(), "Get-NetTCPConnection -LocalPort 1 -ErrorAction Stop; echo after")
	if got.code != 1 || got.stdout != "" || !strings.Contains(unCLIXML(got.stderr), "equal to '1'") {
		t.Fatalf("got %+v", got)
	}
}

func TestNonInteractivePromptsFail(t *testing.T) {
	got := runEncoded(t, server2016(), "Read-Host 'Name'")
	if got.code != 1 || !strings.Contains(unCLIXML(got.stderr), "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.") {
		t.Fatalf("got %+v", got)
	}
	got = runEncoded(t, server2016(), "ConvertTo-Json")
	if got.code != 1 || !strings.Contains(unCLIXML(got.stderr), "Cannot process command because of one or more missing mandatory parameters: InputObject.") {
		t.Fatalf("got %+v", got)
	}
}

func TestNotEmulatedIsExplicit(t *testing.T) {
	for _, script := range []string{"Get-Process", "try { 1 } catch { 2 }", "function f { 1 }", "[Console]::WriteLine(1)", "dir C:\\", "'x' > C:\\out.txt"} {
		got := runEncoded(t, server2016(), script)
		if got.code != 1 || !strings.Contains(unCLIXML(got.stderr), "The fleetport WinRM simulator does not emulate") {
			t.Errorf("%q: %+v", script, got)
		}
	}
}

func TestBindingErrors(t *testing.T) {
	got := runEncoded(t, server2016(), "Get-NetTCPConnection -Foo 1")
	if !strings.Contains(unCLIXML(got.stderr), "Get-NetTCPConnection : A parameter cannot be found that matches parameter name 'Foo'.") ||
		!strings.Contains(unCLIXML(got.stderr), "NamedParameterNotFound,Get-NetTCPConnection") || got.code != 1 {
		t.Fatalf("got %+v", got)
	}
	got = runEncoded(t, server2016(), "Get-NetTCPConnection -State Foo")
	if !strings.Contains(unCLIXML(got.stderr), "Cannot process argument transformation on parameter 'State'.") || got.code != 1 {
		t.Fatalf("got %+v", got)
	}
	got = runEncoded(t, server2016(), "Write-Output -Inp")
	if !strings.Contains(unCLIXML(got.stderr), "Missing an argument for parameter 'InputObject'.") {
		t.Fatalf("got %+v", got)
	}
}
