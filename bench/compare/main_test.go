package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The harness's readers, on outputs captured from the tools it drives, so
// that a change in a tool's output shows here rather than in a benchmark.

func TestReadTime(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "time.txt")
	txt := "\tCommand being timed: \"x\"\n\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.50\n" +
		"\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50\n\tMaximum resident set size (kbytes): 40960\n"
	if err := os.WriteFile(p, []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	var r result
	if err := readTime(p, &r); err != nil {
		t.Fatal(err)
	}
	if r.WallS != 62.5 || r.CPUS != 1.75 || r.PeakRSSMB != 40 {
		t.Errorf("wall %v cpu %v rss %v", r.WallS, r.CPUS, r.PeakRSSMB)
	}
}

func TestReadAnsible(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts.json")
	if err := writeJSON(hosts, []inventoryHost{{"app0001", "127.1.0.1", 5985}, {"app0002", "127.1.0.2", 5985},
		{"app0003", "127.1.0.3", 5985}, {"app0004", "127.1.0.4", 5985}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "stdout.txt")
	recap := `ok: [app0001] => (item=sc.exe query HTTP)

PLAY RECAP *********************************************************************
app0001                    : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   
app0002                    : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   
app0003                    : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0   
`
	if err := os.WriteFile(out, []byte(recap), 0o644); err != nil {
		t.Fatal(err)
	}
	r := result{Hosts: 4}
	if err := readAnsible(out, hosts, &r); err != nil {
		t.Fatal(err)
	}
	if r.OKHosts != 1 || r.FailedHosts != 3 || !strings.Contains(strings.Join(r.Failures, ";"), "app0004: missing") {
		t.Errorf("ok %d failed %d %q", r.OKHosts, r.FailedHosts, r.Failures)
	}
}

func TestBoundModel(t *testing.T) {
	// NTLM: (2 + 1 + 8 + 1) x 20ms + 8 x 100ms = 1.04 s; Basic: 10 x 20ms + 800ms.
	for _, c := range []struct {
		auth string
		want float64
	}{{"ntlm", 1.04}, {"basic-https", 1.0}} {
		b := boundModel(&config{Auth: c.auth, Latency: 20 * time.Millisecond, CommandTime: 100 * time.Millisecond}, 8)
		if b.HostSeconds != c.want {
			t.Errorf("%s: %v s per host, want %v", c.auth, b.HostSeconds, c.want)
		}
	}
	// A command quicker than a round trip: its Receive costs the round trip.
	b := boundModel(&config{Auth: "ntlm", Latency: 20 * time.Millisecond}, 8)
	if b.HostSeconds != 0.4 {
		t.Errorf("no command time: %v s per host, want 0.4", b.HostSeconds)
	}
}

func TestAnsibleCommand(t *testing.T) {
	for in, want := range map[string]string{"ver": "cmd /c ver", "sc query HTTP": "sc.exe query HTTP", "netstat -ano": "netstat -ano",
		"echo x": "cmd /c echo x", `reg query "HKLM\X"`: `reg query "HKLM\X"`} {
		if got := ansibleCommand(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestFlags(t *testing.T) {
	c, err := parseFlags([]string{"--ci"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Hosts != 50 || c.Auth != "ntlm" || len(c.Tools) != 3 || !c.Strict {
		t.Errorf("--ci: %+v", c)
	}
	if _, err := parseFlags([]string{"--ci", "--hosts", "10"}); err == nil {
		t.Error("--ci --hosts: no error")
	}
	if _, err := parseFlags([]string{"--tools", "fleetport,salt"}); err == nil {
		t.Error("unknown tool: no error")
	}
	c, err = parseFlags([]string{"--sweep", "100,1000"})
	if err != nil || len(c.Sweep) != 2 || len(c.Tools) != 1 || c.Tools[0] != "fleetport" {
		t.Errorf("--sweep: %+v %v", c, err)
	}
}

func TestPrefixContains(t *testing.T) {
	// countTimeWait relies on netip's parsing of ss's address:port columns.
	ap, err := netip.ParseAddrPort("127.210.0.7:5985")
	if err != nil || !netip.MustParsePrefix("127.210.0.0/16").Contains(ap.Addr()) {
		t.Fatal(ap, err)
	}
}
