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
