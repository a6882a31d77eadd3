package winhost

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The fuzz targets feed arbitrary command lines and arguments to the cmd
// parser, reg and netsh: nothing may panic, and every command must return
// (a short ctx ends the ones that wait for input). Found crashers live in
// testdata/fuzz and run with go test.

func fuzzHost(f *testing.F) *Host {
	spec := baseSpec(Server2019)
	// The IIS metabase (and adsutil.vbs) through SMTP.
	spec.Services = smtpSpec(Server2019).Services
	h, err := New(spec, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(h.Close)
	return h
}

func execQuick(t *testing.T, h *Host, line string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- h.Exec(ctx, Command{Line: line}) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("command did not return: %q", line)
	}
}

func FuzzCmdLine(f *testing.F) {
	for _, s := range []string{
		"hostname & ver", `cmd /c "echo a && echo b" || echo c`, "echo a ^& b >nul 2>&1", `"C:\x y\z.exe" a`,
		"netstat -ano | findstr :80", "& x", "a |", "exit /b 3", `echo "unterminated`, "echo %COMPUTERNAME%%",
		"2>&", "> ", `cmd /c cmd /c cmd /c "hostname"`, "echo.x", "@hostname",
		"wmic os get LastBootUpTime /value", "wmic os get LocalDateTime,, csname /format:list", "wmic os get",
		`cd /d %SystemDrive%\Inetpub\AdminScripts && cscript //nologo adsutil.vbs get smtpsvc/disablesocketpooling`,
		`cscript //B C:\Inetpub\AdminScripts\adsutil.vbs set w3svc/1/disablesocketpooling true`, "cd.. & cd\\ & cd",
		"ipconfig", "ipconfig /all", "sc enumdepend http 10", "sc enumdepend",
	} {
		f.Add(s)
	}
	h := fuzzHost(f)
	f.Fuzz(func(t *testing.T, line string) {
		// Keep the host up: power commands are tested elsewhere.
		if strings.Contains(strings.ToLower(line), "shutdown") {
			return
		}
		if _, err := parseLine(line); err == nil {
			_ = splitArgs(line)
		}
		execQuick(t, h, line)
	})
}

func FuzzRegArgs(f *testing.F) {
	for _, s := range []string{
		`query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v Hostname`,
		`add HKLM\SOFTWARE\X /v a /t REG_MULTI_SZ /s , /d a,b,,c /f`,
		`add HKCU\Software\Y /ve /d x /f`, `delete HKLM\SOFTWARE\X /va /f`, `query HKLM /s /v nothing`,
		`add HKLM\SOFTWARE\X /v b /t REG_BINARY /d abc /f`, `delete HKLM\SOFTWARE\X /f`, `query \\host\HKLM\x`,
	} {
		f.Add(s)
	}
	h := fuzzHost(f)
	f.Fuzz(func(t *testing.T, args string) {
		if len(args) > 2000 {
			return
		}
		e := &execEnv{h: h, ctx: context.Background(), stdin: strings.NewReader("")}
		e.setOut(nil, nil)
		runReg(e, splitArgs(args), args)
	})
}

func FuzzNetshArgs(f *testing.F) {
	for _, s := range []string{
		"http add iplisten ipaddress=10.1.2.3", "http delete iplisten [fe80::1%3]:80", "http show iplisten",
		"int ipv4 set dynamicport tcp start=10000 num=1000", "interface ipv6 show dynamicport udp",
		"int ip set dyn tcp st=2000 nu=300 store=active", "http add iplisten ip=", "i",
		"http show servicestate", "http sh servicestate view=requestq verbose=yes", "http show servicestate session",
	} {
		f.Add(s)
	}
	h := fuzzHost(f)
	f.Fuzz(func(t *testing.T, args string) {
		e := &execEnv{h: h, ctx: context.Background(), stdin: strings.NewReader("")}
		e.setOut(nil, nil)
		runNetsh(e, splitArgs(args), args)
		runHttpcfg(e, splitArgs(args), args)
		if s, n := h.DynamicPortRangeInEffect(); s < 1025 || n < 255 || s+n-1 > 65535 {
			t.Fatalf("netsh %q left the range at %d/%d", args, s, n)
		}
	})
}
