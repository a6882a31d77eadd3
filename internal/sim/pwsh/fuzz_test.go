package pwsh

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// fuzzRun runs Main with a deadline and fails if it does not come back
// promptly after it. A panic fails the fuzz target by itself.
func fuzzRun(t *testing.T, args []string, stdin []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	start := time.Now()
	runProcess(ctx, server2016(), args, bytes.NewReader(stdin), &o, &e, 0)
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("Main took %v for %q", d, args)
	}
}

// FuzzMainArgs fuzzes powershell.exe's command line (arguments separated
// by NUL in the fuzz input) and stdin.
func FuzzMainArgs(f *testing.F) {
	for _, seed := range []string{
		"-NoProfile\x00-NonInteractive\x00-ExecutionPolicy\x00Unrestricted\x00-EncodedCommand\x00aABvAHMAdABuAGEAbQBlAA==",
		"-EncodedCommand\x00JABQAHIAbwBnAHIAZQBzAHMAUAByAGUAZgBlAHIAZQBuAGMAZQAgAD0AIAAnAFMAaQBsAGUAbgB0AGwAeQBDAG8AbgB0AGkAbgB1AGUAJwA7AFcAcgBpAHQAZQAtAE8AdQB0AHAAdQB0ACAAaABpAA==",
		"-encodedcommand\x00VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIABoAGkA",
		"-Command\x00-", "-c\x00echo hi", "-e", "-ep", "/?", "-File\x00x.ps1", "-sta\x00-mta", "-OutputFormat\x00xml\x00-c\x001",
		"-Version\x00", "--\x00-", "\u2013enc\x00YQ==", "-InputFormat", "-nop\x00-noni\x00Get-NetTCPConnection",
	} {
		f.Add(seed, []byte("echo stdin\r\n"))
	}
	f.Fuzz(func(t *testing.T, argv string, stdin []byte) {
		if len(argv) > 1<<16 || len(stdin) > 1<<16 {
			return
		}
		fuzzRun(t, strings.Split(argv, "\x00"), stdin)
	})
}

// FuzzScript fuzzes the script parser and interpreter through -Command.
func FuzzScript(f *testing.F) {
	for _, seed := range []string{
		"hostname", "echo hi", "$ProgressPreference = 'SilentlyContinue';Write-Output hi",
		"Get-NetTCPConnection -State Listen | Select-Object -Property State, LocalAddress, LocalPort | ConvertTo-Json",
		`Get-NetTCPConnection | Select-Object LocalPort,@{n='State';e={"$($_.State)"}} | ConvertTo-Json -Compress`,
		"Get-NetTCPConnection | ? { $_.LocalPort -gt 100 } | sort LocalPort | % { $_.OwningProcess }",
		"if ($true) { 'a' } elseif (1) { 'b' } else { 'c' }", "foreach ($i in 1..3) { $i * 2 }",
		"@\"\n$(1)\n\"@", "'a' -replace 'a','b'", "throw 'x'", "exit 3", "Write-Error e", "[int]'5'",
		"$a = @{x=@(1,2,@{y=3})}; $a | ConvertTo-Json -Depth 5", "Read-Host", "1..5 -join ','",
		"powershell -enc " + encode("echo nested"), "cmd /c 'a b' 2>&1 > $null", "<# x #> # y\n`\n1",
		"$x = $(1; 2; 3); $x[1]; $x.Count", "-not $false; !1", "'{0,5}|{1,-3}|' -f 1, 2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		if len(script) > 1<<16 {
			return
		}
		fuzzRun(t, []string{"-NoProfile", "-NonInteractive", "-Command", script}, nil)
		fuzzRun(t, []string{"-EncodedCommand", encode(script)}, nil)
	})
}
