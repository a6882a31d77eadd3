package winhost

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// wmicCapture is `wmic os get LastBootUpTime` on Windows 10 19045, byte for
// byte (code index id 60535344319, where it is kept as base64; the parser's
// testdata/boottime/en-US-table-win10.txt holds the same bytes).
const wmicCapture = "LastBootUpTime             \r\r\n20260621145108.500000-300  \r\r\n\r\r\n"

// est is the capture's zone: UTC-5 (offset -300).
var est = time.FixedZone("EST", -300*60)

func TestWmicMatchesCapture(t *testing.T) {
	for _, os := range []OS{Server2012R2, Server2016, Server2019, Server2022} {
		spec := baseSpec(os)
		spec.BootTime = time.Date(2026, 6, 21, 19, 51, 8, 734512000, time.UTC)
		spec.TimeZone = est
		h := newHost(t, spec, Options{})
		if got := mustRun(t, h, "wmic os get LastBootUpTime"); got != wmicCapture {
			t.Errorf("%s table:\n got %q\nwant %q", os, got, wmicCapture)
		}
		// The /value layout of the captured `wmic csproduct get UUID
		// /value`: two empty lines, the value, three empty lines.
		want := "\r\r\n\r\r\nLastBootUpTime=20260621145108.500000-300\r\r\n\r\r\n\r\r\n\r\r\n"
		for _, line := range []string{"wmic os get LastBootUpTime /value", "WMIC.exe OS GET lastbootuptime /VALUE", "wmic os get LastBootUpTime /format:list"} {
			if got := mustRun(t, h, line); got != want {
				t.Errorf("%s %s:\n got %q\nwant %q", os, line, got, want)
			}
		}
	}
	// 2003 and 2008 R2 print the microseconds (the 2003 R2 capture's
	// "20171019094424.510250+000").
	for _, os := range []OS{Server2003, Server2008R2} {
		spec := baseSpec(os)
		spec.BootTime = time.Date(2017, 10, 19, 9, 44, 24, 510250999, time.UTC)
		h := newHost(t, spec, Options{})
		if got := mustRun(t, h, "wmic os get LastBootUpTime /value"); got != "\r\r\n\r\r\nLastBootUpTime=20171019094424.510250+000\r\r\n\r\r\n\r\r\n\r\r\n" {
			t.Errorf("%s: %q", os, got)
		}
	}
}

func TestWmicColumnsAndErrors(t *testing.T) {
	spec := baseSpec(Server2019)
	spec.BootTime = time.Date(2024, 2, 29, 18, 29, 59, 0, time.UTC)
	spec.TimeZone = time.FixedZone("IST", 330*60)
	now := time.Date(2024, 3, 1, 4, 40, 10, 250999999, time.UTC)
	h := newHost(t, spec, Options{Now: func() time.Time { return now }})
	// Columns in alphabetical order whatever the command's order; each as
	// wide as its longer text plus two blanks.
	got := mustRun(t, h, "wmic os get LocalDateTime,LastBootUpTime, csname")
	want := "CSName  LastBootUpTime             LocalDateTime              \r\r\n" +
		"WEB01   20240229235959.500000+330  20240301101010.250000+330  \r\r\n\r\r\n"
	if got != want {
		t.Errorf("three columns:\n got %q\nwant %q", got, want)
	}
	if got := mustRun(t, h, "wmic os get CurrentTimeZone,LastBootUpTime /value"); got != "\r\r\n\r\r\nCurrentTimeZone=330\r\r\nLastBootUpTime=20240229235959.500000+330\r\r\n\r\r\n\r\r\n\r\r\n" {
		t.Errorf("two values: %q", got)
	}
	for _, tc := range []struct{ line, stderr string }{
		{"wmic os get NoSuchProperty", "Node - WEB01\r\r\nERROR:\r\r\nDescription = Invalid query\r\r\n\r\r\n"},
		{"wmic os get LastBootUpTime,Bogus /value", "Node - WEB01\r\r\nERROR:\r\r\nDescription = Invalid query\r\r\n\r\r\n"},
		{"wmic bios get serialnumber", "bios - Alias not found.\r\r\n"},
		{"wmic os list brief", "Invalid Verb.\r\r\n"},
		{"wmic os get LastBootUpTime /every:5", "Invalid GET Expression.\r\r\n"},
		{"wmic /node:other os get LastBootUpTime", "Invalid Global Switch.\r\r\n"},
	} {
		o, e, code := run(t, h, tc.line)
		if code != wmicError || o != "" || e != tc.stderr {
			t.Errorf("%s: exit %d stdout %q stderr %q", tc.line, code, o, e)
		}
	}
	// Every release has wmic.
	for os := Server2003; os <= Server2022; os++ {
		if _, _, code := run(t, newHost(t, baseSpec(os), Options{}), "wmic os get LastBootUpTime"); code != 0 {
			t.Errorf("%s: wmic exit %d", os, code)
		}
	}
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func TestBootTimeFollowsReboots(t *testing.T) {
	clk := &clock{t: time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC)}
	rec := newRecorder()
	h := newHost(t, baseSpec(Server2016), Options{Now: clk.now, OnReachability: rec.fn, RebootDuration: 10 * time.Millisecond})
	// No Spec.BootTime: the host booted when it was made.
	if got := h.BootTime(); !got.Equal(clk.now()) {
		t.Fatalf("boot time %v, want the moment of New %v", got, clk.now())
	}
	if got := mustRun(t, h, "wmic os get LastBootUpTime /value"); !strings.Contains(got, "LastBootUpTime=20250110120000.500000+000\r\r\n") {
		t.Errorf("wmic: %q", got)
	}
	// shutdown /r: the boot time is the moment the host comes back.
	clk.set(time.Date(2025, 1, 12, 3, 4, 5, 0, time.UTC))
	mustRun(t, h, "shutdown /r /t 0 /f")
	if rec.next(t) || !rec.next(t) {
		t.Fatal("no down-up cycle")
	}
	if got := h.BootTime(); !got.Equal(clk.now()) {
		t.Errorf("after shutdown /r: boot time %v, want %v", got, clk.now())
	}
	if got := mustRun(t, h, "wmic os get LastBootUpTime"); !strings.Contains(got, "\r\r\n20250112030405.500000+000  \r\r\n") {
		t.Errorf("wmic after the reboot: %q", got)
	}
	// Reboot from outside does the same.
	clk.set(time.Date(2025, 2, 1, 0, 0, 1, 0, time.UTC))
	h.Reboot()
	if rec.next(t) || !rec.next(t) {
		t.Fatal("no down-up cycle")
	}
	if got := h.BootTime(); !got.Equal(clk.now()) {
		t.Errorf("after Reboot: boot time %v, want %v", got, clk.now())
	}
}
