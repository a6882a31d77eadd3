package parsecmd

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

const corpus = "../../../testdata/corpus/windows/"

func TestArgs(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdParse(&cmdutil.Factory{IO: ios}, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"netstat", "x.txt", "--codepage", "850", "--lenient"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Kind != "netstat" || got.File != "x.txt" || got.CodePage != 850 || !got.Lenient {
		t.Errorf("%+v", got)
	}
	cmd.SetArgs([]string{"netstatt"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `unknown kind "netstatt"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestParseFileAndStdin(t *testing.T) {
	ios, in, out, _ := cmdutil.Test()
	if err := parseRun(&Options{IO: ios, Kind: "netstat", File: corpus + "netstat-ano-win10-jc.txt"}); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Summary struct {
			Listening int            `json:"listening"`
			States    map[string]int `json:"states"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.Summary.Listening != 39 || v.Summary.States["ESTABLISHED"] != 32 {
		t.Errorf("%+v", v.Summary)
	}

	src, err := os.ReadFile(corpus + "httpcfg-query-iplisten-empty-msdocs.txt")
	if err != nil {
		t.Fatal(err)
	}
	in.Write(src)
	out.Reset()
	if err := parseRun(&Options{IO: ios, Kind: "httpcfg"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"source": "httpcfg"`) {
		t.Errorf("%s", out)
	}
}

func TestUnknownShapeQuotesTheLine(t *testing.T) {
	ios, in, _, _ := cmdutil.Test()
	in.WriteString("HttpQueryServiceConfiguration completed with 1168.\r\n")
	err := parseRun(&Options{IO: ios, Kind: "iplisten"})
	if err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), `"HttpQueryServiceConfiguration completed with 1168."`) {
		t.Errorf("err %v", err)
	}
}

// TestConsoleCaptures: a capture with the console's prompts and the
// command echoed before the output reads as the output alone; the table
// Get-NetTCPConnection prints is a kind.
func TestConsoleCaptures(t *testing.T) {
	netstat, err := os.ReadFile(corpus + "netstat-ano-win10-jc.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	withPrompt := dir + "/netstat.txt"
	if err := os.WriteFile(withPrompt, append(append([]byte("C:\\>netstat -ano\r\n"), netstat...), "\r\nC:\\>\r\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	netsh := dir + "/netsh.txt"
	if err := os.WriteFile(netsh, []byte("netsh>http\r\nnetsh http>show iplisten\r\n\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n    10.0.0.5\r\n    127.0.0.1\r\n\r\nnetsh http>\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ kind, file, want string }{
		{"netstat", withPrompt, `"listening"`},
		{"iplisten", corpus + "netsh-http-show-iplisten-entries-blog.txt", `"192.168.33.1"`},
		{"iplisten", netsh, `"10.0.0.5"`},
		{"tcpconnection", corpus + "Get-NetTCPConnection-table-localport-askai.txt", `"local": "127.0.0.1:11434"`},
	} {
		ios, _, out, _ := cmdutil.Test()
		if err := parseRun(&Options{IO: ios, Kind: c.kind, File: c.file}); err != nil {
			t.Errorf("%s %s: %v", c.kind, c.file, err)
			continue
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%s %s: no %s in\n%s", c.kind, c.file, c.want, out)
		}
	}
}

// TestCodePageAndSizeChecked: an invalid --codepage is a flag error even
// on ASCII input; a file over the cap is refused from its size, before it
// is read.
func TestCodePageAndSizeChecked(t *testing.T) {
	for _, cp := range []int{1, -5, 99999} {
		ios, _, _, _ := cmdutil.Test()
		err := parseRun(&Options{IO: ios, Kind: "netstat", File: corpus + "netstat-ano-win10-jc.txt", CodePage: cp})
		if err == nil || !strings.Contains(err.Error(), "is not a code page") {
			t.Errorf("--codepage %d: %v", cp, err)
		}
	}
	big := t.TempDir() + "/big.txt"
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 65 MiB of size, and unreadable as netstat if it were read.
	if err := f.Truncate(65 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ios, _, _, _ := cmdutil.Test()
	err = parseRun(&Options{IO: ios, Kind: "netstat", File: big})
	if err == nil || !strings.Contains(err.Error(), "the file is 68157440 bytes") {
		t.Errorf("oversized file: %v", err)
	}
}
