package pwsh

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// corpusDir is the repository's copy of the shared corpus.
const corpusDir = "../../../testdata/corpus/windows"

func readCorpus(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(corpusDir + "/" + name)
	if err != nil {
		t.Fatalf("corpus %s: %v", name, err)
	}
	return string(b)
}

// crlf restores the CRLF line ends a corpus file lost (its README says
// which files were transcribed with LF).
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestConvertToJSONMatchesCorpus runs the command of the inspec capture
// against the same two listeners: the bytes must match (modulo the CRLF the
// corpus file lost), including "State":  2 and the 4-space layout.
func TestConvertToJSONMatchesCorpus(t *testing.T) {
	want := crlf(readCorpus(t, "Get-NetTCPConnection-listen-ConvertTo-Json-inspec.txt"))
	h := server2016()
	h.conns = inspecConns()[:2]
	got := runEncoded(t, h, "Get-NetTCPConnection -state Listen | Select-Object -Property State, Caption, Description, LocalAddress, LocalPort, RemoteAddress, RemotePort, DisplayName, Status | ConvertTo-Json")
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("code %d stderr %q", got.code, got.stderr)
	}
	if got.stdout != want {
		t.Fatalf("stdout\n got %q\nwant %q", got.stdout, want)
	}
}

func TestConvertToJSONShapes(t *testing.T) {
	h := server2016()
	cases := []struct{ script, want string }{
		// One object is not wrapped in an array.
		{"Get-NetTCPConnection -LocalPort 5985 | Select-Object LocalPort, State | ConvertTo-Json",
			"{\r\n    \"LocalPort\":  5985,\r\n    \"State\":  5\r\n}\r\n"},
		{"Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,State | ConvertTo-Json -Compress",
			`[{"LocalAddress":"::","LocalPort":135,"State":2},{"LocalAddress":"192.168.10.157","LocalPort":135,"State":2}]` + "\r\n"},
		// The calculated property of windows-semantics.md section 6 gives the state name.
		{`Get-NetTCPConnection -State Listen | Select-Object -Property LocalPort,@{n='State';e={"$($_.State)"}} | ConvertTo-Json -Compress`,
			`[{"LocalPort":135,"State":"Listen"},{"LocalPort":135,"State":"Listen"}]` + "\r\n"},
		// Nested objects are aligned under their key by ConvertToPrettyJsonString.
		{"@{a=@{b=1}} | ConvertTo-Json", "{\r\n    \"a\":  {\r\n              \"b\":  1\r\n          }\r\n}\r\n"},
		{"ConvertTo-Json @(1,'x',$null,$true)", "[\r\n    1,\r\n    \"x\",\r\n    null,\r\n    true\r\n]\r\n"},
		// JavaScriptSerializer escapes.
		{`'<a&b> "q" \ ''' | ConvertTo-Json`, `"\u003ca\u0026b\u003e \"q\" \\ \u0027"` + "\r\n"},
		// Beyond -Depth objects become strings.
		{"@{a=@{b=@{c=1}}} | ConvertTo-Json -Depth 1 -Compress", `{"a":{"b":"System.Collections.Hashtable"}}` + "\r\n"},
		{"1.5, 1e20 | ConvertTo-Json -Compress", "[1.5,1E+20]\r\n"},
	}
	for _, c := range cases {
		got := runEncoded(t, h, c.script)
		if got.stdout != c.want || got.code != 0 || got.stderr != "" {
			t.Errorf("%s\n got %+v\nwant stdout %q", c.script, got, c.want)
		}
	}
}

// runWidth runs a script with a console of the given width.
func runWidth(t *testing.T, h Host, script string, width int) result {
	t.Helper()
	var o, e strings.Builder
	sh := newShell(context.Background(), h, strings.NewReader(""), &o, &e, 0)
	sh.width = width
	sh.src = []rune(script)
	stmts, perr := parseScript(sh.src)
	if perr != nil {
		t.Fatalf("parse: %+v", perr)
	}
	code := sh.runScript(stmts)
	return result{code, o.String(), e.String()}
}

// TestTableMatchesCorpus: the NetTCPIP table view with 5.1's column widths,
// on a console wide enough for all columns (the corpus capture).
func TestTableMatchesCorpus(t *testing.T) {
	corpus := readCorpus(t, "Get-NetTCPConnection-table-localport-askai.txt")
	_, want, _ := strings.Cut(corpus, "\n") // drop the prompt line
	h := server2016()
	h.conns = []Conn{{LocalAddress: netip.MustParseAddr("127.0.0.1"), RemoteAddress: netip.MustParseAddr("0.0.0.0"), LocalPort: 11434, State: StateListen, OwningProcess: 10276}}
	got := runWidth(t, h, "Get-NetTCPConnection -LocalPort 11434", 134)
	if got.stdout != crlf(want) {
		t.Fatalf("stdout\n got %q\nwant %q", got.stdout, crlf(want))
	}
}

// TestTableFitsWinRSConsole: in the 80-column WinRS console the columns that
// do not fit are dropped from the right and the last one shrinks
// (ColumnWidthManager.TrimToFit).
func TestTableFitsWinRSConsole(t *testing.T) {
	got := runEncoded(t, server2016(), "Get-NetTCPConnection")
	want := "\r\n" +
		"LocalAddress                        LocalPort RemoteAddress\r\n" +
		"------------                        --------- -------------\r\n" +
		"::                                  135       ::\r\n" +
		"192.168.10.157                      135       0.0.0.0\r\n" +
		"192.168.10.157                      5985      192.168.10.20\r\n" +
		"\r\n\r\n"
	if got.stdout != want || got.code != 0 {
		t.Fatalf("got %+v\nwant %q", got, want)
	}
}

func TestFitColumns(t *testing.T) {
	w := []int{35, 9, 35, 10, 11, 14, 13}
	fitColumns(w, 79)
	if want := []int{35, 9, 33, -1, -1, -1, -1}; !equalInts(w, want) {
		t.Fatalf("got %v want %v", w, want)
	}
	w = []int{35, 9, 35, 10, 11, 14, 13}
	fitColumns(w, 133)
	if want := []int{35, 9, 35, 10, 11, 14, 13}; !equalInts(w, want) {
		t.Fatalf("got %v want %v", w, want)
	}
	w = []int{0, 0}
	fitColumns(w, 79)
	if want := []int{39, 39}; !equalInts(w, want) {
		t.Fatalf("got %v want %v", w, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWrapWords(t *testing.T) {
	// The pywinrm fixture's CategoryInfo line: 78 characters, a word boundary,
	// then the chunk that continues after four spaces.
	got := wrapWords("    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep    tion", 79)
	want := []string{"    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep ", "   tion"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	// A 120-column console (farag2/Sophia-Script-for-Windows issue #130).
	got = wrapWords("HiddenItems : The term 'HiddenItems' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.", 119)
	if len(got) != 2 || got[0] != "HiddenItems : The term 'HiddenItems' is not recognized as the name of a cmdlet, function, script file, or operable " {
		t.Fatalf("got %q", got)
	}
	if got := wrapWords(strings.Repeat("x", 200), 79); len(got) != 3 || len(got[0]) != 79 {
		t.Fatalf("long word: %q", got)
	}
}

func TestSelectObjectDefaultFormatting(t *testing.T) {
	got := runEncoded(t, server2016(), "Get-NetTCPConnection -State Listen | Select-Object LocalAddress, LocalPort, State")
	want := "\r\n" +
		"LocalAddress   LocalPort State\r\n" +
		"------------   --------- -----\r\n" +
		"::                   135 Listen\r\n" +
		"192.168.10.157       135 Listen\r\n" +
		"\r\n\r\n"
	if got.stdout != want {
		t.Fatalf("got %q\nwant %q", got.stdout, want)
	}
	got = runEncoded(t, server2016(), "Get-NetTCPConnection -LocalPort 5985 | Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort, State")
	want = "\r\nLocalAddress  : 192.168.10.157\r\nLocalPort     : 5985\r\nRemoteAddress : 192.168.10.20\r\nRemotePort    : 50123\r\nState         : Established\r\n\r\n\r\n"
	if got.stdout != want {
		t.Fatalf("list: got %q\nwant %q", got.stdout, want)
	}
}
