package pwsh

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestScripts(t *testing.T) {
	cases := []struct {
		script string
		want   result
	}{
		{"echo hi", result{0, "hi\r\n", ""}},
		{"'hi'; \"two\"", result{0, "hi\r\ntwo\r\n", ""}},
		{"Write-Host -NoNewline a; Write-Host b c", result{0, "ab c\r\n", ""}},
		{"$x = 'World'; \"Hello $x and $($x.Length) ${x}\"", result{0, "Hello World and 5 World\r\n", ""}},
		{"$env:COMPUTERNAME", result{0, "WIN-SIM01\r\n", ""}},
		{"# comment\n<# block\ncomment #>\necho `\n  continued", result{0, "continued\r\n", ""}},
		{"exit 7", result{7, "", ""}},
		{"echo a; exit", result{0, "a\r\n", ""}},
		{"1 + 2 * 3; 7 / 2; 10 % 4; 'a' + 1", result{0, "7\r\n3.5\r\n2\r\na1\r\n", ""}},
		{"1, 2, 3 -contains 2; 5 -gt 3 -and 'a' -like 'A*'; 'abc' -match 'b(c)'; $Matches[1]", result{0, "True\r\nTrue\r\nTrue\r\nc\r\n", ""}},
		{"(1,2,3).Count; @().Count; (Get-NetTCPConnection).Count", result{0, "3\r\n0\r\n3\r\n", ""}},
		{"(Get-NetTCPConnection -State Listen).State", result{0, "Listen\r\nListen\r\n", ""}},
		{"Get-NetTCPConnection | Where-Object { $_.State -eq 'Established' } | ForEach-Object { $_.RemoteAddress }", result{0, "192.168.10.20\r\n", ""}},
		{"Get-NetTCPConnection | ? State -eq Listen | % LocalAddress", result{0, "::\r\n192.168.10.157\r\n", ""}},
		{"Get-NetTCPConnection | Sort-Object LocalPort -Descending | Select-Object -First 1 -ExpandProperty OwningProcess", result{0, "4\r\n", ""}},
		{"Get-NetTCPConnection | select -Last 1 | % { \"$($_.LocalAddress):$($_.LocalPort)\" }", result{0, "192.168.10.157:5985\r\n", ""}},
		{"if ((Get-NetTCPConnection -State Listen).Count -gt 1) { 'many' } elseif ($true) { 'one' } else { 'none' }", result{0, "many\r\n", ""}},
		{"foreach ($c in Get-NetTCPConnection -State Listen) { $c.OwningProcess }", result{0, "964\r\n964\r\n", ""}},
		{"$ProgressPreference = 'SilentlyContinue'; $ProgressPreference", result{0, "SilentlyContinue\r\n", ""}},
		{"@\"\nline $(1+1)\n\"@", result{0, "line 2\r\n", ""}},
		{"'a,b' -split ','; 'x','y' -join '+'; 'aXb' -replace 'x','-'", result{0, "a\r\nb\r\nx+y\r\na-b\r\n", ""}},
		{"'{0}:{1}' -f 'a', 5", result{0, "a:5\r\n", ""}},
		{"$null | ForEach-Object { 'ran' }", result{0, "ran\r\n", ""}},
		{"hostname | ForEach-Object { \"<$_>\" }", result{0, "<WIN-SIM01>\r\n", ""}},
		{"Get-Foo 2>$null; 'next'", result{0, "next\r\n", ""}},
		{"Write-Output 'x' > $null; 'y' | Out-Null; 'z'", result{0, "z\r\n", ""}},
		{"[int]'42' + 1; [string]5 + 5", result{0, "43\r\n55\r\n", ""}},
		{"'a' | Out-String", result{0, "a\r\n\r\n", ""}},
		{"Write-Warning 'careful'", result{0, "", "#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="warning">careful</S></Objs>`}},
		{"Start-Sleep -Milliseconds 1; 'slept'", result{0, "slept\r\n", ""}},
		{"@{PSVersion='5.1'}", result{0, "\r\nName                           Value\r\n----                           -----\r\nPSVersion                      5.1\r\n\r\n\r\n", ""}},
	}
	for _, c := range cases {
		got := runEncoded(t, server2016(), c.script)
		if got != c.want {
			t.Errorf("%q\n got %+v\nwant %+v", c.script, got, c.want)
		}
	}
}

// Exit codes follow -Command: the last statement's success decides, a
// native command's non-zero code counts as failure, exit N wins.
func TestExitCodes(t *testing.T) {
	h := server2016()
	h.native["cmd /c exit 5"] = nativeResult{code: 5}
	cases := []struct {
		script string
		code   int
	}{
		{"Get-Foo; echo ok", 0},
		{"echo ok; Get-Foo", 1},
		{"cmd /c exit 5", 1},
		{"cmd /c exit 5; exit $LASTEXITCODE", 5},
		{"exit -1", -1},
		{"exit 'x'", 1},
		{"$false", 0},
	}
	for _, c := range cases {
		if got := runEncoded(t, h, c.script); got.code != c.code {
			t.Errorf("%q: code %d, want %d (%+v)", c.script, got.code, c.code, got)
		}
	}
}

func TestNativeArguments(t *testing.T) {
	h := server2016()
	runEncoded(t, h, `netstat -ano; reg query "HKLM\SOFTWARE\My Key" /v x; cmd /c 'echo a b'; C:\Windows\System32\whoami.exe /all; $p = 80; netsh http show iplisten $p ''`)
	want := []string{"netstat -ano", `reg query "HKLM\SOFTWARE\My Key" /v x`, `cmd /c "echo a b"`, `C:\Windows\System32\whoami.exe /all`, "netsh http show iplisten 80"}
	if strings.Join(h.natives, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", h.natives, want)
	}
}

// A native program's stdout passes through untouched when it is not piped.
func TestNativePassthrough(t *testing.T) {
	h := server2016()
	h.native["netstat -an"] = nativeResult{stdout: "\r\nActive Connections\r\n", stderr: "warn\r\n", code: 0}
	got := runEncoded(t, h, "echo first; netstat -an")
	if got != (result{0, "first\r\n\r\nActive Connections\r\n", "warn\r\n"}) {
		t.Fatalf("got %+v", got)
	}
}

// Nested powershell.exe: the child runs in the emulation with the same stdin.
func TestNestedPowerShell(t *testing.T) {
	inner := encode("echo inner; exit 3")
	got := runEncoded(t, server2016(), "powershell.exe -NoProfile -EncodedCommand "+inner+"; exit $LASTEXITCODE")
	if got != (result{3, "inner\r\n", ""}) {
		t.Fatalf("got %+v", got)
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var o, e strings.Builder
	start := time.Now()
	code := Main(ctx, server2016(), []string{"-EncodedCommand", encode("Start-Sleep -Seconds 30; 'late'")}, nil, &o, &e)
	if time.Since(start) > 5*time.Second || o.String() != "" || code != 1 {
		t.Fatalf("code %d after %v, stdout %q", code, time.Since(start), o.String())
	}
	// A reader that never returns does not block Main past the context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	pr, pw := ioPipe()
	defer pw.Close()
	start = time.Now()
	Main(ctx2, server2016(), []string{"-Command", "-"}, pr, &o, &e)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("blocked on stdin for %v", time.Since(start))
	}
}

func TestWorkLimits(t *testing.T) {
	got := runEncoded(t, server2016(), "foreach ($i in 1..100000) { foreach ($j in 1..100000) { } }")
	if got.code != 1 {
		t.Fatalf("got %+v", got)
	}
	got = runEncoded(t, server2016(), "1..1000000000")
	if got.code != 1 {
		t.Fatalf("got %+v", got)
	}
	deep := strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000)
	got = runEncoded(t, server2016(), deep)
	if got.code != 1 || !strings.Contains(got.stderr, "ParserError") {
		t.Fatalf("deep nesting: %+v", got)
	}
}

type lookupHost struct{ *fakeHost }

func (lookupHost) HasCommand(name string) bool { return name == "myapp" }

func TestCommandLookup(t *testing.T) {
	h := lookupHost{server2016()}
	if got := runEncoded(t, h, `C:\Tools\MyApp.exe --x`); got.code != 0 || got.stdout != "[native C:\\Tools\\MyApp.exe --x]\r\n" {
		t.Fatalf("got %+v", got)
	}
	if got := runEncoded(t, h, "netstat -ano"); got.code != 1 || !strings.Contains(got.stderr, "CommandNotFoundException") {
		t.Fatalf("got %+v", got)
	}
}
