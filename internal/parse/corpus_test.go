package parse_test

// Every file of testdata/corpus/windows, parsed with asserted facts. The
// files are real outputs (see the corpus README): the exact byte copies
// are fed as they are; the transcriptions that carry a command echo or a
// prompt are cut to the output, and the Select-String capture has its
// "> " decoration removed (both test-only transformations).

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

type corpusCase struct {
	file  string
	prep  func(t testing.TB, b []byte) []byte // nil: as is
	kind  string                              // "" : no parser reads it
	check func(t *testing.T, v any)
	// wantErr: the kind's parser must fail (check then gets the error).
	wantErr bool
}

var corpusCases = []corpusCase{
	{file: "netstat-an-win10-jc.txt", kind: parse.KindNetstat, wantErr: true, check: func(t *testing.T, v any) {
		// The fixture author hand-edited one link-local address to the
		// non-hex "fe80::asda:…": strict parsing fails quoting that line.
		pe := asParseError(t, v.(error), parse.KindNetstat)
		if pe.Line != 264 || !strings.Contains(pe.Text, "[fe80::asda:4124:2096:62b2%9]:1900") {
			t.Errorf("error at line %d %q, want line 264 quoting the fe80::asda address", pe.Line, pe.Text)
		}
		if !errors.Is(pe, parse.ErrInvalidValue) {
			t.Errorf("error %v is not ErrInvalidValue", pe)
		}
	}},
	{file: "netstat-ano-win10-jc.txt", kind: parse.KindNetstat, check: func(t *testing.T, v any) {
		s := v.(facts.Sockets)
		checkSummary(t, &s, 71, 137, map[facts.State]int{facts.StateListen: 39, facts.StateEstablished: 32})
		if !s.PIDs || s.Owners || s.Encoding != "ascii" {
			t.Errorf("pids=%v owners=%v encoding=%q", s.PIDs, s.Owners, s.Encoding)
		}
		checkRow(t, &s, "0.0.0.0:445", "0.0.0.0:0", facts.StateListen, 4, "<nil>")
		checkRow(t, &s, "127.0.0.1:1031", "127.0.0.1:1032", facts.StateEstablished, 10644, "<nil>")
		// UDP rows carry the PID in the fourth field.
		checkRow(t, &s, "0.0.0.0:500", "", facts.StateNone, 0, "")
		if r, _ := findSocket(&s, "0.0.0.0:500", ""); r.PID == 0 || r.Proto != facts.ProtoUDP {
			t.Errorf("UDP 0.0.0.0:500 = %+v, want a PID", r)
		}
	}},
	{file: "netstat-anob-win10-jc.txt", kind: parse.KindNetstat, check: func(t *testing.T, v any) {
		s := v.(facts.Sockets)
		checkSummary(t, &s, 114, 204, map[facts.State]int{facts.StateListen: 51, facts.StateEstablished: 54,
			facts.StateCloseWait: 6, facts.StateTimeWait: 3})
		if !s.PIDs || !s.Owners {
			t.Errorf("pids=%v owners=%v", s.PIDs, s.Owners)
		}
		checkRow(t, &s, "0.0.0.0:135", "0.0.0.0:0", facts.StateListen, 1712, "svc=RpcSs,img=svchost.exe")
		checkRow(t, &s, "0.0.0.0:445", "0.0.0.0:0", facts.StateListen, 4, "unavailable")
		checkRow(t, &s, "0.0.0.0:443", "0.0.0.0:0", facts.StateListen, 9396, "img=vmware-hostd.exe")
		checkRow(t, &s, "192.168.31.221:4718", "192.168.31.99:53", facts.StateTimeWait, 0, "<nil>")
		checkRow(t, &s, "192.168.31.221:4604", "82.102.152.152:443", facts.StateCloseWait, 27568, "img=SearchApp.exe")
		checkRow(t, &s, "192.168.31.221:49472", "20.199.120.151:443", facts.StateEstablished, 7920, "svc=WpnService,img=svchost.exe")
		if s.Summary.TimeWaitRemotes != 2 || len(s.Summary.TimeWaitTop) != 2 ||
			s.Summary.TimeWaitTop[0] != (facts.RemoteCount{Remote: mustAddrPort("192.168.31.99:53"), Count: 2}) {
			t.Errorf("time wait: %d remotes, top %+v", s.Summary.TimeWaitRemotes, s.Summary.TimeWaitTop)
		}
		// Rows with the same owner share one *Owner.
		a, _ := findSocket(&s, "0.0.0.0:902", "")
		b, _ := findSocket(&s, "0.0.0.0:912", "")
		if a.Owner == nil || a.Owner != b.Owner {
			t.Errorf("owners of 902 and 912 not shared: %p %p", a.Owner, b.Owner)
		}
	}},
	{file: "netstat-plain-win10-jc.txt", kind: parse.KindNetstat, wantErr: true, check: func(t *testing.T, v any) {
		pe := asParseError(t, v.(error), parse.KindNetstat)
		if pe.Line != 5 || !strings.Contains(pe.Msg, "-n") || !errors.Is(pe, parse.ErrInvalidValue) {
			t.Errorf("error %v, want line 5 naming -n", pe)
		}
	}},
	{file: "netstat-anbv-winxp-parse-netstat.txt", kind: parse.KindNetstat, check: func(t *testing.T, v any) {
		s := v.(facts.Sockets)
		checkSummary(t, &s, 4, 2, map[facts.State]int{facts.StateListen: 4})
		checkRow(t, &s, "0.0.0.0:135", "0.0.0.0:0", facts.StateListen, 988, "img=svchost.exe")
		checkRow(t, &s, "0.0.0.0:445", "0.0.0.0:0", facts.StateListen, 4, "img=System")
		checkRow(t, &s, "127.0.0.1:1027", "0.0.0.0:0", facts.StateListen, 1244, "img=alg.exe")
		checkRow(t, &s, "0.0.0.0:1025", "", facts.StateNone, 1120, "img=svchost.exe")
		checkRow(t, &s, "0.0.0.0:500", "", facts.StateNone, 696, "img=lsass.exe")
		if len(s.Summary.WildcardBinds) != 4 {
			t.Errorf("wildcard binds = %d, want 4 (135, 445, UDP 1025, 500)", len(s.Summary.WildcardBinds))
		}
	}},
	{file: "netstat-anbo-select-string-winserver-inspec.txt", prep: func(_ testing.TB, b []byte) []byte { return stripSelectString(b) },
		kind: parse.KindNetstat, check: func(t *testing.T, v any) {
			s := v.(facts.Sockets)
			checkSummary(t, &s, 34, 15, map[facts.State]int{facts.StateListen: 34})
			// http.sys: PID 4 without ownership on 80, 443, 5985, 47001.
			for _, ep := range []string{"0.0.0.0:80", "0.0.0.0:443", "0.0.0.0:5985", "0.0.0.0:47001", "[::]:80"} {
				checkRow(t, &s, ep, "", facts.StateListen, 4, "unavailable")
			}
			checkRow(t, &s, "[::]:135", "[::]:0", facts.StateListen, 564, "svc=RpcSs")
			checkRow(t, &s, "0.0.0.0:22", "0.0.0.0:0", facts.StateListen, 1264, "img=sshd.exe")
			checkRow(t, &s, "0.0.0.0:42", "", facts.StateNone, 3576, "img=wins.exe")
			checkRow(t, &s, "[::]:5355", "", facts.StateNone, 908, "svc=Dnscache")
			n := 0
			for _, r := range s.Listeners {
				if r.Owner != nil && r.Owner.Unavailable {
					n++
				}
			}
			if n != 18 {
				t.Errorf("%d rows without ownership, want 18", n)
			}
		}},
	{file: "netstat-ano-findstr-pid4-httpsys-iotbay.txt", kind: parse.KindNetstat, check: func(t *testing.T, v any) {
		s := v.(facts.Sockets)
		checkSummary(t, &s, 1, 0, map[facts.State]int{facts.StateListen: 1})
		checkRow(t, &s, "[::]:8080", "[::]:0", facts.StateListen, 4, "<nil>")
		if !s.PIDs || len(s.Summary.WildcardBinds) != 1 {
			t.Errorf("pids=%v wildcard=%v", s.PIDs, s.Summary.WildcardBinds)
		}
	}},
	{file: "netsh-http-show-iplisten-entries-blog.txt", prep: func(_ testing.TB, b []byte) []byte { return dropLines(b, 1) },
		kind: parse.KindIPListen, check: func(t *testing.T, v any) {
			l := v.(facts.ListenList)
			checkEntries(t, l, facts.ListenNetsh, "192.168.33.1", "127.0.0.0", "127.0.0.1")
			if l.Covers(netip.MustParseAddr("192.168.33.2"), 80) || !l.Covers(netip.MustParseAddr("127.0.0.1"), 5985) {
				t.Errorf("Covers is wrong for %v", l.Entries)
			}
		}},
	{file: "httpcfg-query-iplisten-empty-msdocs.txt", kind: parse.KindHttpcfg, check: func(t *testing.T, v any) {
		l := v.(facts.ListenList)
		checkEntries(t, l, facts.ListenHttpcfg)
		if !l.Empty() || !l.Covers(netip.MustParseAddr("10.1.2.3"), 80) {
			t.Errorf("empty list must cover every address")
		}
	}},
	{file: "netsh-int-ipv4-show-dynamicport-tcp-default-dotnet45544.txt", prep: func(_ testing.TB, b []byte) []byte { return dropLines(b, 1) },
		kind: parse.KindDynamicPort, check: func(t *testing.T, v any) {
			d := v.(facts.DynamicPortRange)
			if d.Protocol != "tcp" || d.Start != 49152 || d.Count != 16384 || d.Source != "netsh" || d.End() != 65535 {
				t.Errorf("range = %+v, want tcp 49152/16384", d)
			}
		}},
	{file: "Get-NetTCPConnection-listen-ConvertTo-Json-inspec.txt", kind: parse.KindTCPConnectionJSON, check: func(t *testing.T, v any) {
		s := v.(facts.Sockets)
		checkSummary(t, &s, 2, 0, map[facts.State]int{facts.StateListen: 2})
		checkRow(t, &s, "[::]:135", "[::]:0", facts.StateListen, 0, "<nil>")
		checkRow(t, &s, "192.168.10.157:135", "0.0.0.0:0", facts.StateListen, 0, "<nil>")
		if s.PIDs || s.Source != "Get-NetTCPConnection" {
			t.Errorf("pids=%v source=%q: the capture selected no OwningProcess", s.PIDs, s.Source)
		}
	}},
	{file: "reg-add-success-and-reg-query-v-single-hkcu-autorun.txt",
		prep: func(t testing.TB, b []byte) []byte { return afterLine(t, b, "==> reg query") },
		kind: parse.KindReg, check: func(t *testing.T, v any) {
			q := v.(parse.RegQuery)
			if len(q.Keys) != 1 || q.Keys[0].Path != `HKEY_CURRENT_USER\Software\Microsoft\Command Processor` {
				t.Fatalf("keys = %+v", q.Keys)
			}
			val := q.Value(`HKCU\Software\Microsoft\Command Processor`, "autorun")
			if val.Absent || val.Type != facts.RegSZ || val.String == nil ||
				*val.String != `doskey /macrofile="c:\bat\macros.doskey"` || val.Raw != *val.String {
				t.Errorf("Autorun = %+v", val)
			}
		}},
	{file: "reg-query-error-missing-value-message-only.txt", kind: parse.KindReg, check: func(t *testing.T, v any) {
		q := v.(parse.RegQuery)
		if !q.NotFound || len(q.Keys) != 0 {
			t.Errorf("query = %+v, want NotFound", q)
		}
		if val := q.Value(`HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`, "MaxUserPort"); !val.Absent ||
			val.Path != facts.TcpipParameters {
			t.Errorf("value = %+v, want absent", val)
		}
	}},
	// An interactive netsh session: the "netsh http>" prompt lines are
	// cut. The author's notes after one URL and one PID stay: the parser
	// takes a URL line's first field and reads no PID.
	{file: "netsh-http-show-servicestate-win10-iotbay.txt", prep: func(_ testing.TB, b []byte) []byte { return dropPrompts(b, "netsh http>") },
		kind: parse.KindServiceState, check: func(t *testing.T, v any) {
			urls := v.([]facts.HTTPURL)
			if len(urls) != 2 {
				t.Fatalf("urls = %+v", urls)
			}
			if u := urls[0]; u.URL != "HTTP://*:5357/4C2CDC17-BEFE-4441-899A-CC530F03F2DF/" || u.Scheme != "http" || u.Host != "*" ||
				u.Port != 5357 || u.Path != "/4C2CDC17-BEFE-4441-899A-CC530F03F2DF/" || u.Addr.IsValid() {
				t.Errorf("first URL %+v", u)
			}
			if u := urls[1]; u.URL != "HTTP://LOCALHOST:8080/" || u.Host != "LOCALHOST" || u.Port != 8080 || u.Path != "/" || u.Addr.IsValid() {
				t.Errorf("second URL %+v (the note after it must not be read)", u)
			}
		}},
	// Outputs of commands fleetport parses no facts from: every parser
	// must refuse them.
	{file: "Get-NetTCPConnection-table-localport-askai.txt"},
	{file: "net-stop-start-w3svc-success-msdocs-kb969864.txt"},
	{file: "netsh-http-add-iplisten-success-blog.txt"},
	{file: "netsh-http-delete-iplisten-success-blog.txt"},
	{file: "netsh-int-ipv4-set-dynamicport-tcp-ok-dotnet45544.txt"},
}

func TestCorpusEveryFileCovered(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(corpusDir, "*.txt"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	have := map[string]bool{}
	for _, c := range corpusCases {
		have[c.file] = true
	}
	for _, n := range names {
		if !have[filepath.Base(n)] {
			t.Errorf("corpus file %s has no case", filepath.Base(n))
		}
	}
}

// TestCorpus parses each file with its parser and asserts the facts; then
// runs every other parser on it (prepared and raw) and requires an error,
// so that no parser turns another command's output into a fact.
func TestCorpus(t *testing.T) {
	for _, c := range corpusCases {
		t.Run(c.file, func(t *testing.T) {
			raw := readCorpus(t, c.file)
			in := raw
			if c.prep != nil {
				in = c.prep(t, raw)
			}
			for _, k := range parse.Kinds() {
				inputs := [][]byte{in}
				if c.prep != nil {
					inputs = append(inputs, raw)
				}
				for i, b := range inputs {
					v, err := parse.Parse(k.Name, bytes.NewReader(b), parse.Options{})
					own := k.Name == c.kind && i == 0
					switch {
					case own && c.wantErr:
						if err == nil {
							t.Fatalf("%s: parsed, want an error", k.Name)
						}
						c.check(t, err)
					case own:
						if err != nil {
							t.Fatalf("%s: %v", k.Name, err)
						}
						c.check(t, v)
					case err == nil:
						t.Errorf("%s parsed %s (raw=%v) into %+v; want an error", k.Name, c.file, i == 1, v)
					default:
						asParseError(t, err, k.Name)
					}
				}
			}
		})
	}
}

// TestCorpusLenientNetstat: with Options.Lenient the hand-edited row is
// skipped and recorded, and the other 263 rows are read.
func TestCorpusLenientNetstat(t *testing.T) {
	s, err := parse.ParseNetstat(bytes.NewReader(readCorpus(t, "netstat-an-win10-jc.txt")), parse.Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, &s, 80, 179, map[facts.State]int{facts.StateListen: 48, facts.StateEstablished: 32})
	if s.SkippedRows != 1 || len(s.RowErrors) != 1 || s.RowErrors[0].Line != 264 ||
		!strings.Contains(s.RowErrors[0].Text, "fe80::asda") {
		t.Errorf("row errors = %d %+v", s.SkippedRows, s.RowErrors)
	}
	if s.PIDs || s.Owners {
		t.Errorf("pids=%v owners=%v for netstat -an", s.PIDs, s.Owners)
	}
	checkRow(t, &s, "[::]:135", "[::]:0", facts.StateListen, 0, "<nil>")
	checkRow(t, &s, "[::1]:1900", "", facts.StateNone, 0, "<nil>")
}

// TestCorpusRegQueryOutput applies reg.exe's exit-code rule to the
// missing-value message, which reg writes on stderr.
func TestCorpusRegQueryOutput(t *testing.T) {
	msg := readCorpus(t, "reg-query-error-missing-value-message-only.txt")
	q, err := parse.ParseRegQueryOutput(nil, msg, 1, parse.Options{})
	if err != nil || !q.NotFound {
		t.Fatalf("exit 1 + message: %+v, %v; want NotFound", q, err)
	}
	_, err = parse.ParseRegQueryOutput(nil, []byte("ERROR: Access is denied.\r\n"), 1, parse.Options{})
	if pe := asParseError(t, err, parse.KindReg); !errors.Is(pe, parse.ErrFailed) || pe.Line != 1 {
		t.Errorf("access denied: %v, want ErrFailed quoting line 1", err)
	}
	_, err = parse.ParseRegQueryOutput(nil, []byte("ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"), 1, parse.Options{})
	if !errors.Is(err, parse.ErrFailed) {
		t.Errorf("invalid syntax: %v, want ErrFailed", err)
	}
	ok := afterLine(t, readCorpus(t, "reg-add-success-and-reg-query-v-single-hkcu-autorun.txt"), "==> reg query")
	q, err = parse.ParseRegQueryOutput(ok, nil, 0, parse.Options{})
	if err != nil || len(q.Keys) != 1 {
		t.Errorf("exit 0: %+v, %v", q, err)
	}
}

func checkSummary(t *testing.T, s *facts.Sockets, tcp, udp int, states map[facts.State]int) {
	t.Helper()
	if s.Summary.TCP != tcp || s.Summary.UDP != udp {
		t.Errorf("tcp=%d udp=%d, want %d %d", s.Summary.TCP, s.Summary.UDP, tcp, udp)
	}
	total := 0
	for st, n := range states {
		total += n
		if got := s.Summary.States.Get(st); got != n {
			t.Errorf("%v = %d, want %d", st, got, n)
		}
	}
	if got := s.Summary.States.Total(); got != total {
		t.Errorf("states total %d, want %d (%s)", got, total, mustJSON(t, s.Summary.States))
	}
	if got := len(s.Listeners) + len(s.Connections); got != tcp+udp && s.Kept == facts.KeepAll {
		t.Errorf("%d rows kept, want %d", got, tcp+udp)
	}
	if s.Summary.Listening != s.Summary.States.Get(facts.StateListen) {
		t.Errorf("listening %d != LISTENING count", s.Summary.Listening)
	}
}

// checkRow finds a row and checks it; owner "" skips the owner check.
func checkRow(t *testing.T, s *facts.Sockets, local, remote string, st facts.State, pid uint32, owner string) {
	t.Helper()
	proto := facts.ProtoTCP
	if st == facts.StateNone {
		proto = facts.ProtoUDP
	}
	r, ok := findProtoSocket(s, proto, local, remote)
	if !ok {
		t.Errorf("no row %s -> %s", local, remote)
		return
	}
	if r.State != st || (pid != 0 && r.PID != pid) || (owner != "" && ownerString(r.Owner) != owner) {
		t.Errorf("row %s -> %s = %v pid %d owner %s; want %v pid %d owner %s",
			local, remote, r.State, r.PID, ownerString(r.Owner), st, pid, owner)
	}
}

func checkEntries(t *testing.T, l facts.ListenList, src facts.ListenSource, want ...string) {
	t.Helper()
	var got []string
	for _, e := range l.Entries {
		got = append(got, e.String())
	}
	if l.Source != src || strings.Join(got, ",") != strings.Join(want, ",") || l.Entries == nil {
		t.Errorf("list = %s %v, want %s %v", l.Source, got, src, want)
	}
}

// TestCorpusFilesUnchanged guards the assumption that the corpus files
// keep their CRLF bytes (the exact copies) so the parsers see real line
// endings.
func TestCorpusFilesUnchanged(t *testing.T) {
	for _, f := range []string{"netstat-an-win10-jc.txt", "netstat-ano-win10-jc.txt", "netstat-anob-win10-jc.txt"} {
		b, err := os.ReadFile(filepath.Join(corpusDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("\r\n")) {
			t.Errorf("%s lost its CRLF line endings", f)
		}
	}
}
