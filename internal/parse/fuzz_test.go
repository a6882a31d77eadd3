package parse_test

// Fuzz targets, one per parser, seeded with the corpus and the testdata
// variants. Each checks the package's contract on any input: no panic; an
// error is a *parse.Error of the parser's kind whose line (if any) is in
// range and whose quote is bounded; a result satisfies its invariants.
// New inputs the fuzzer finds worth keeping live in testdata/fuzz/<Target>.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

// fuzzOpts keep the fuzzer's inputs cheap.
var fuzzOpts = parse.Options{MaxBytes: 1 << 20, MaxLineBytes: 4096}

// maxSeed bounds a seed: the fuzzer minimizes every new input it finds,
// and minimizing a 30 KB capture takes minutes, so a long capture is
// seeded with its first lines (its structure, header and -b lines are all
// there) and with its last lines (the hand-edited row of netstat -an).
const maxSeed = 2 << 10

func seed(f *testing.F, corpus []string, testdata []string) {
	for _, name := range corpus {
		b, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= maxSeed {
			f.Add(b)
			continue
		}
		head := b[:bytes.LastIndexByte(b[:maxSeed], '\n')+1]
		tail := b[len(b)-maxSeed:]
		tail = tail[bytes.IndexByte(tail, '\n')+1:]
		f.Add(head)
		f.Add(append(append([]byte(nil), head[:bytes.Index(head, []byte("  TCP"))]...), tail...))
	}
	for _, name := range testdata {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkErr enforces the error contract.
func checkErr(t *testing.T, err error, kind string, in []byte) {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *parse.Error", err, err)
	}
	if pe.Kind != kind {
		t.Fatalf("error kind %q, want %q", pe.Kind, kind)
	}
	if pe.Line < 0 || pe.Line > bytes.Count(in, []byte("\n"))+1 {
		t.Fatalf("line %d out of range", pe.Line)
	}
	if len(pe.Text) > parse.MaxQuoteBytes+len("…") {
		t.Fatalf("quote of %d bytes", len(pe.Text))
	}
	if pe.Err == nil || pe.Error() == "" {
		t.Fatalf("error without a cause: %#v", pe)
	}
}

func checkSockets(t *testing.T, s *facts.Sockets) {
	sum := &s.Summary
	if sum.States.Total() != sum.TCP || sum.Listening != sum.States.Get(facts.StateListen) {
		t.Fatalf("summary inconsistent: %+v", sum)
	}
	if s.Kept == facts.KeepAll && len(s.Listeners)+len(s.Connections) != sum.TCP+sum.UDP {
		t.Fatalf("%d rows kept of %d", len(s.Listeners)+len(s.Connections), sum.TCP+sum.UDP)
	}
	tw := 0
	for _, r := range sum.TimeWaitTop {
		tw += r.Count
	}
	if tw > sum.States.Get(facts.StateTimeWait) || sum.ClientSockets > sum.TCP {
		t.Fatalf("aggregates out of bounds: %+v", sum)
	}
	for _, r := range append(s.Listeners, s.Connections...) {
		if !r.Local.IsValid() || (r.Proto == facts.ProtoTCP && !r.State.Valid()) || (r.Proto == facts.ProtoUDP && r.State != facts.StateNone) {
			t.Fatalf("bad row %+v", r)
		}
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("JSON: %v", err)
	}
}

var netstatSeeds = []string{"netstat-an-win10-jc.txt", "netstat-ano-win10-jc.txt", "netstat-anob-win10-jc.txt",
	"netstat-anbv-winxp-parse-netstat.txt", "netstat-ano-findstr-pid4-httpsys-iotbay.txt", "netstat-plain-win10-jc.txt"}

func FuzzNetstat(f *testing.F) {
	seed(f, netstatSeeds, []string{"netstat/de-DE-cp850-anob.txt", "netstat/zh-CN-cp936-ano.txt",
		"netstat/ru-RU-cp866-ano.txt", "netstat/nl-NL-an.txt", "netstat/en-US-utf16le-ano.txt"})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, lenient := range []bool{false, true} {
			s, err := parse.ParseNetstat(bytes.NewReader(in), parse.Options{MaxBytes: fuzzOpts.MaxBytes, MaxLineBytes: fuzzOpts.MaxLineBytes, Lenient: lenient})
			if err != nil {
				checkErr(t, err, parse.KindNetstat, in)
				continue
			}
			checkSockets(t, &s)
			if !lenient && s.SkippedRows != 0 {
				t.Fatalf("strict parse skipped rows")
			}
		}
	})
}

func FuzzRegQuery(f *testing.F) {
	seed(f, []string{"reg-query-error-missing-value-message-only.txt"}, nil)
	f.Add([]byte("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n    ListenOnlyList    REG_MULTI_SZ    10.0.0.5\\0fe80::1\r\n    B    REG_BINARY    00FF\r\n\r\nEnd of search: 1 match(es) found.\r\n"))
	f.Add([]byte("\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Command Processor\r\n    Autorun    REG_SZ    doskey /macrofile=\"c:\\bat\\macros.doskey\"\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		q, err := parse.ParseRegQuery(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindReg, in)
			return
		}
		for _, k := range q.Keys {
			for _, v := range k.Values {
				set := 0
				if v.Number != nil {
					set++
				}
				if v.String != nil {
					set++
				}
				if v.Type == facts.RegMultiSZ {
					set++
				}
				if v.Bytes != nil || v.Type == facts.RegNone || v.Type == facts.RegBinary {
					set++
				}
				if !v.Type.Known() || v.Absent || v.Path != k.Path || set > 1 {
					t.Fatalf("bad value %+v", v)
				}
			}
		}
		if _, err := json.Marshal(q); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzIPListen(f *testing.F) {
	seed(f, nil, nil)
	f.Add([]byte("\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n    192.168.33.1\r\n    127.0.0.0\r\n    ::\r\n\r\n\r\n"))
	f.Add([]byte("\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := parse.ParseIPListen(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindIPListen, in)
			return
		}
		checkListen(t, l)
	})
}

func checkListen(t *testing.T, l facts.ListenList) {
	if l.Entries == nil {
		t.Fatal("nil entries")
	}
	for _, e := range l.Entries {
		if !e.Addr.IsValid() {
			t.Fatalf("invalid entry %+v", e)
		}
		back, err := facts.ParseListenEntry(e.String())
		if err != nil || back != e {
			t.Fatalf("entry %v does not round-trip: %v %v", e, back, err)
		}
	}
	if _, err := json.Marshal(l); err != nil {
		t.Fatal(err)
	}
}

func FuzzHttpcfg(f *testing.F) {
	seed(f, []string{"httpcfg-query-iplisten-empty-msdocs.txt"}, nil)
	f.Add([]byte("    IP                      : 10.0.0.5\r\n------------------------------------------------------------------------------\r\n"))
	f.Add([]byte("IP         :fe80::1.\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := parse.ParseHttpcfg(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindHttpcfg, in)
			return
		}
		checkListen(t, l)
	})
}

func FuzzDynamicPort(f *testing.F) {
	seed(f, []string{"netsh-int-ipv4-show-dynamicport-tcp-default-dotnet45544.txt"}, []string{"dynamicport/fr-FR-cp850.txt", "dynamicport/de-DE-cp850.txt"})
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := parse.ParseDynamicPort(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindDynamicPort, in)
			return
		}
		if !d.Valid() || (d.Protocol != "" && d.Protocol != "tcp" && d.Protocol != "udp") {
			t.Fatalf("bad range %+v", d)
		}
	})
}

func FuzzTCPConnectionJSON(f *testing.F) {
	seed(f, []string{"Get-NetTCPConnection-listen-ConvertTo-Json-inspec.txt"}, nil)
	f.Add([]byte(`{"LocalAddress":"0.0.0.0","LocalPort":25,"RemoteAddress":"0.0.0.0","RemotePort":0,"State":2,"OwningProcess":1880}`))
	f.Add([]byte(`[{"LocalAddress":"::1","LocalPort":1,"RemoteAddress":"::1","RemotePort":2,"State":"TimeWait"}]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := parse.ParseTCPConnectionJSON(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindTCPConnectionJSON, in)
			return
		}
		checkSockets(t, &s)
	})
}

func FuzzVer(f *testing.F) {
	seed(f, nil, []string{"ver/fr-FR.txt", "ver/zh-CN-cp936.txt", "ver/2003.txt"})
	f.Add([]byte("\r\nMicrosoft Windows [Version 10.0.17763.1879]\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := parse.ParseVer(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindVer, in)
			return
		}
		if v.Version == "" {
			t.Fatalf("empty version %+v", v)
		}
	})
}

func FuzzSC(f *testing.F) {
	f.Add([]byte("\r\nSERVICE_NAME: W3SVC \r\n        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n        STATE              : 4  RUNNING \r\n                                (STOPPABLE, PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n\r\n"))
	f.Add([]byte("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		q, err := parse.ParseSC(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindSC, in)
			return
		}
		for _, s := range q.Services {
			if s.Name == "" || s.State < facts.ServiceStopped || s.State > facts.ServicePaused {
				t.Fatalf("bad service %+v", s)
			}
		}
	})
}

func FuzzBootTime(f *testing.F) {
	seed(f, nil, []string{"boottime/en-US-table-win10.txt", "boottime/value-2003.txt",
		"boottime/value-utf16le-redirected.txt", "boottime/table-three-columns.txt"})
	f.Add([]byte("Node - WEB01\r\r\nERROR:\r\r\nDescription = Invalid query\r\r\n\r\r\n"))
	f.Add([]byte("CSName  LastBootUpTime             Version     \r\r\nWEB01   20200102030405.500000+000  10.0.17763  \r\r\n\r\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tm, err := parse.ParseBootTime(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindBootTime, in)
			return
		}
		_, off := tm.Zone()
		if tm.IsZero() || tm.Year() < 1600 || off < -720*60 || off > 840*60 || off%60 != 0 {
			t.Fatalf("bad boot time %v", tm)
		}
	})
}

func FuzzServiceState(f *testing.F) {
	// The capture is longer than maxSeed: its first lines (title and the
	// first session) and, under its title, its last lines (the second
	// session's annotated URL and the request queues).
	b, err := os.ReadFile(filepath.Join(corpusDir, "netsh-http-show-servicestate-win10-iotbay.txt"))
	if err != nil {
		f.Fatal(err)
	}
	b = dropPrompts(b, "netsh http>")
	head := b[:bytes.LastIndexByte(b[:maxSeed], '\n')+1]
	tail := b[len(b)-maxSeed:]
	tail = tail[bytes.IndexByte(tail, '\n')+1:]
	f.Add(head)
	f.Add(append(append([]byte(nil), head[:bytes.Index(head, []byte("Server session"))]...), tail...))
	f.Add([]byte("\r\nSnapshot of HTTP service state (Server Session View): \r\n----------------------------------------------------- \r\n\r\n" +
		"Server session ID: FD00000120000001\r\n    URL groups:\r\n    URL group ID: FF00000040000001\r\n            Registered URLs:\r\n" +
		"                HTTP://10.0.0.5:80:10.0.0.5/\r\n                HTTPS://[FE80::1]:443:[FE80::1]/X/\r\n                HTTP://+:47001/wsman/\r\n" +
		"\r\nRequest queues:\r\n    Request queue name: DefaultAppPool\r\n        Registered URLs:\r\n            HTTP://+:47001/WSMAN/\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		urls, err := parse.ParseServiceState(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindServiceState, in)
			return
		}
		if urls == nil {
			t.Fatal("nil list without an error")
		}
		seen := map[string]bool{}
		for _, u := range urls {
			k := strings.ToUpper(u.URL)
			if seen[k] || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port == 0 || !strings.HasPrefix(u.Path, "/") {
				t.Fatalf("bad or repeated URL %+v", u)
			}
			seen[k] = true
		}
		if _, err := json.Marshal(urls); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzIPConfig(f *testing.F) {
	var files []string
	for _, c := range ipconfigFiles {
		files = append(files, c.file)
	}
	seed(f, nil, files)
	f.Fuzz(func(t *testing.T, in []byte) {
		addrs, err := parse.ParseIPConfig(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindIPConfig, in)
			return
		}
		if addrs == nil {
			t.Fatal("nil list without an error")
		}
		seen := map[netip.Addr]bool{}
		for _, a := range addrs {
			if !a.IsValid() || a.IsUnspecified() || seen[a] {
				t.Fatalf("bad or repeated address %v in %v", a, addrs)
			}
			seen[a] = true
		}
		if _, err := json.Marshal(addrs); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzAdsutil(f *testing.F) {
	seed(f, nil, []string{"adsutil/set-true.txt", "adsutil/get-not-set.txt", "adsutil/get-banner-false.txt",
		"adsutil/get-path-not-found.txt", "adsutil/get-list.txt", "adsutil/get-string.txt"})
	f.Add([]byte("ServerBindings                  : (LIST) \":80:\" \"10.0.0.5:81:\" \r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := parse.ParseAdsutil(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindAdsutil, in)
			return
		}
		if v.Name == "" || (!v.Set && (v.Type != "" || v.Value != "" || v.Values != nil)) || (v.Set && v.Type == "") {
			t.Fatalf("bad value %+v", v)
		}
		if b, err := v.Bool(); err == nil && b && !v.Set {
			t.Fatalf("an unset property is true: %+v", v)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzSCEnumDepend(f *testing.F) {
	seed(f, nil, []string{"enumdepend/http-2019.txt", "enumdepend/none.txt", "enumdepend/more-data.txt", "enumdepend/fixture-five-listed-two.txt"})
	f.Add([]byte("[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		svcs, err := parse.ParseSCEnumDepend(bytes.NewReader(in), fuzzOpts)
		if err != nil {
			checkErr(t, err, parse.KindSCEnumDepend, in)
			return
		}
		if svcs == nil {
			t.Fatal("nil list without an error")
		}
		for _, s := range svcs {
			if s.Name == "" || s.State < facts.ServiceStopped || s.State > facts.ServicePaused {
				t.Fatalf("bad service %+v", s)
			}
		}
	})
}
