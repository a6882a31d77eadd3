package winhost

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"
)

func encodeCommand(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestPowerShell(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	o, e, code := run(t, h, `powershell -NoProfile -NonInteractive -Command "Get-NetTCPConnection -State Listen -LocalPort 5985 | Select-Object -Property State, LocalAddress, LocalPort, OwningProcess | ConvertTo-Json"`)
	if code != 0 || e != "" {
		t.Fatalf("exit %d stderr %q", code, e)
	}
	for _, want := range []string{`"State":  2`, `"LocalAddress":  "0.0.0.0"`, `"LocalPort":  5985`, `"OwningProcess":  4`, `"LocalAddress":  "::"`} {
		if !strings.Contains(o, want) {
			t.Errorf("Get-NetTCPConnection JSON lacks %s:\n%s", want, o)
		}
	}
	// A native command inside a script runs through the host's cmd.
	o, _, code = run(t, h, "powershell.exe -EncodedCommand "+encodeCommand("hostname; exit 3"))
	if code != 3 || !strings.Contains(o, "WEB01") {
		t.Errorf("encoded command: exit %d %q", code, o)
	}
	// PowerShell's output follows the shell's code page.
	line := `powershell -Command "Write-Output 'Größe'"`
	if o, _, _ := runIn(t, h, Command{Line: line, Codepage: 65001}); !strings.Contains(o, "Größe") {
		t.Errorf("UTF-8 shell: %q", o)
	}
	if o, _, _ := runIn(t, h, Command{Line: line, Codepage: 437}); !strings.Contains(o, "Gr\x94\xe1e") {
		t.Errorf("CP437 shell: %q", o)
	}
	// 2012 R2 has NetTCPIP; 2008 R2 has PowerShell 2.0 without it.
	old := newHost(t, baseSpec(Server2008R2), Options{})
	if _, e, code := run(t, old, `powershell -Command "Get-NetTCPConnection"`); code == 0 || !strings.Contains(e, "Get-NetTCPConnection") {
		t.Errorf("2008 R2 Get-NetTCPConnection: exit %d %q", code, e)
	}
}
