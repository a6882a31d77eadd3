package parse_test

// The hand-written outputs of other Windows languages and code pages in
// testdata/ (see testdata/README.md for where each word comes from).

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

func TestNetstatVariants(t *testing.T) {
	cases := []struct {
		file     string
		hint     int // 0: detect
		encoding string
		tcp, udp int
		states   map[facts.State]int
		pids     bool
		rows     [][4]string // local, remote, state, owner ("" skips)
	}{
		{file: "de-DE-cp850-ano.txt", encoding: "cp850", tcp: 12, udp: 2, pids: true,
			states: map[facts.State]int{facts.StateListen: 6, facts.StateEstablished: 1, facts.StateTimeWait: 2,
				facts.StateCloseWait: 1, facts.StateFinWait2: 1, facts.StateSynSent: 1},
			rows: [][4]string{{"0.0.0.0:445", "0.0.0.0:0", "LISTENING"}, {"10.0.0.5:49703", "10.0.0.21:80", "CLOSE_WAIT"},
				{"[fe80::5c1e:29ff:fe3a:11%12]:1900", "", ""}}},
		{file: "de-DE-cp850-ano.txt", hint: 850, encoding: "cp850", tcp: 12, udp: 2, pids: true,
			states: map[facts.State]int{facts.StateListen: 6, facts.StateEstablished: 1, facts.StateTimeWait: 2,
				facts.StateCloseWait: 1, facts.StateFinWait2: 1, facts.StateSynSent: 1}},
		{file: "de-DE-cp850-anob.txt", encoding: "cp850", tcp: 3, udp: 1, pids: true,
			states: map[facts.State]int{facts.StateListen: 2, facts.StateTimeWait: 1},
			rows: [][4]string{{"0.0.0.0:135", "0.0.0.0:0", "LISTENING", "svc=RpcSs,img=svchost.exe"},
				{"0.0.0.0:445", "0.0.0.0:0", "LISTENING", "unavailable"}, {"0.0.0.0:123", "", "", "svc=W32Time,img=svchost.exe"}}},
		{file: "fr-FR-cp850-ano.txt", encoding: "cp850", tcp: 5, udp: 2, pids: true,
			states: map[facts.State]int{facts.StateListen: 2, facts.StateEstablished: 1, facts.StateTimeWait: 1, facts.StateCloseWait: 1}},
		{file: "fr-FR-cp850-anob.txt", encoding: "cp850", tcp: 2, pids: true,
			states: map[facts.State]int{facts.StateListen: 2},
			rows:   [][4]string{{"0.0.0.0:80", "0.0.0.0:0", "LISTENING", "unavailable"}}},
		{file: "ru-RU-cp866-ano.txt", encoding: "cp866", tcp: 7, udp: 1, pids: true,
			states: map[facts.State]int{facts.StateListen: 3, facts.StateEstablished: 1, facts.StateTimeWait: 3}},
		{file: "ru-RU-cp866-ano.txt", hint: 866, encoding: "cp866", tcp: 7, udp: 1, pids: true,
			states: map[facts.State]int{facts.StateListen: 3, facts.StateEstablished: 1, facts.StateTimeWait: 3}},
		{file: "zh-CN-cp936-ano.txt", encoding: "cp936", tcp: 5, udp: 1, pids: true,
			states: map[facts.State]int{facts.StateListen: 3, facts.StateEstablished: 1, facts.StateTimeWait: 1}},
		{file: "pl-PL-cp852-an.txt", encoding: "cp852", tcp: 3, udp: 1,
			states: map[facts.State]int{facts.StateListen: 1, facts.StateEstablished: 1, facts.StateTimeWait: 1}},
		{file: "nl-NL-an.txt", encoding: "ascii", tcp: 3,
			states: map[facts.State]int{facts.StateListen: 1, facts.StateEstablished: 1, facts.StateTimeWait: 1},
			rows:   [][4]string{{"10.3.0.4:50000", "10.3.0.9:445", "ESTABLISHED"}}},
		{file: "en-US-utf16le-ano.txt", encoding: "utf-16le", tcp: 2, udp: 1, pids: true,
			states: map[facts.State]int{facts.StateListen: 1, facts.StateEstablished: 1}},
		{file: "unknown-listen-word-an.txt", encoding: "ascii", tcp: 3,
			states: map[facts.State]int{facts.StateListen: 2, facts.StateEstablished: 1}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			s, err := parse.ParseNetstat(bytes.NewReader(readTestdata(t, "netstat/"+c.file)), parse.Options{CodePage: c.hint})
			if err != nil {
				t.Fatal(err)
			}
			if s.Encoding != c.encoding || s.PIDs != c.pids {
				t.Errorf("encoding %q pids %v, want %q %v", s.Encoding, s.PIDs, c.encoding, c.pids)
			}
			checkSummary(t, &s, c.tcp, c.udp, c.states)
			for _, r := range c.rows {
				st, err := facts.ParseState(r[2])
				if err != nil {
					t.Fatal(err)
				}
				checkRow(t, &s, r[0], r[1], st, 0, r[3])
			}
		})
	}
}

// TestNetstatWrongCodePage: decoded with the wrong code page, the German
// state word is not known, yet the listeners are still listeners (by
// structure) and the connections' states are errors, never guesses.
func TestNetstatWrongCodePage(t *testing.T) {
	b := readTestdata(t, "netstat/de-DE-cp850-ano.txt")
	_, err := parse.ParseNetstat(bytes.NewReader(b), parse.Options{CodePage: 1252})
	if err != nil {
		t.Fatalf("cp1252: %v (HERGESTELLT and WARTEND are ASCII; ABH™REN is read by structure)", err)
	}
	// Replace a connection's state word by a mangled one.
	bad := bytes.Replace(b, []byte("HERGESTELLT"), []byte("HERGESTELL\x99"), 1)
	_, err = parse.ParseNetstat(bytes.NewReader(bad), parse.Options{CodePage: 850})
	pe := asParseError(t, err, parse.KindNetstat)
	if !errors.Is(pe, parse.ErrInvalidValue) || !strings.Contains(pe.Text, "10.0.0.20:1433") {
		t.Errorf("error %v", pe)
	}
}

func TestNetstatUnknownConnectionWord(t *testing.T) {
	_, err := parse.ParseNetstat(bytes.NewReader(readTestdata(t, "netstat/unknown-connection-word-an.txt")), parse.Options{})
	pe := asParseError(t, err, parse.KindNetstat)
	if pe.Line != 8 || !strings.Contains(pe.Msg, "ATTESA_SCONOSCIUTA") || !errors.Is(pe, parse.ErrInvalidValue) {
		t.Errorf("error %v (line %d)", pe, pe.Line)
	}
	s, err := parse.ParseNetstat(bytes.NewReader(readTestdata(t, "netstat/unknown-connection-word-an.txt")), parse.Options{Lenient: true})
	if err != nil || s.SkippedRows != 1 || s.Summary.TCP != 3 {
		t.Errorf("lenient: %v skipped %d tcp %d", err, s.SkippedRows, s.Summary.TCP)
	}
}

func TestDynamicPortVariants(t *testing.T) {
	for _, c := range []struct {
		file, enc   string
		start, size int
	}{
		{"de-DE-cp850.txt", "ascii", 49152, 16384},
		{"fr-FR-cp850.txt", "cp850", 10000, 55535},
	} {
		d, err := parse.ParseDynamicPort(bytes.NewReader(readTestdata(t, "dynamicport/"+c.file)), parse.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if d.Protocol != "tcp" || int(d.Start) != c.start || d.Count != c.size || d.Encoding != c.enc {
			t.Errorf("%s: %+v", c.file, d)
		}
	}
}

func TestVerVariants(t *testing.T) {
	for _, c := range []struct{ file, version, release string }{
		{"fr-FR.txt", "10.0.17763.1879", "2019"},
		{"zh-CN-cp936.txt", "10.0.20348.887", "2022"},
		{"2003.txt", "5.2.3790", "2003"},
	} {
		v, err := parse.ParseVer(bytes.NewReader(readTestdata(t, "ver/"+c.file)), parse.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if v.Version != c.version || v.Release != c.release {
			t.Errorf("%s: %+v", c.file, v)
		}
	}
}
