package pwsh

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWinRM is a minimal WinRS endpoint for real clients: it answers with
// the real pypsrp fixture responses and runs powershell.exe command lines
// through Main. It is only as complete as Ansible's use of WinRS needs.
type fakeWinRM struct {
	t    *testing.T
	host Host
	tmpl map[string]string

	mu     sync.Mutex
	cmds   map[string]*fakeCmd
	nextID int
	sends  [][]byte // every stdin payload, for inspection
}

type fakeCmd struct {
	prog   string
	args   []string
	stdin  bytes.Buffer
	ran    bool
	result result
}

var (
	reAction    = regexp.MustCompile(`<a:Action[^>]*>[^<]*/([A-Za-z]+)</a:Action>`)
	reMessageID = regexp.MustCompile(`<a:MessageID>([^<]+)</a:MessageID>`)
	reCommand   = regexp.MustCompile(`(?s)<rsp:Command>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</rsp:Command>`)
	reArguments = regexp.MustCompile(`(?s)<rsp:Arguments>(.*?)</rsp:Arguments>`)
	reCommandID = regexp.MustCompile(`CommandId="([^"]+)"`)
	reStream    = regexp.MustCompile(`(?s)<rsp:Stream[^>]*>([^<]*)</rsp:Stream>`)
)

func newFakeWinRM(t *testing.T, h Host) *fakeWinRM {
	dir := filepath.Join(fixtureDir, "pypsrp/test_winrs_send")
	tmpl := map[string]string{}
	for act, f := range map[string]string{"Create": "01-Create-response.xml", "Command": "02-Command-response.xml",
		"Send": "03-Send-response.xml", "Receive": "05-Receive-response.xml", "Signal": "06-Signal-response.xml",
		"Delete": "07-Delete-response.xml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Skipf("fixture: %v", err)
		}
		tmpl[act] = string(b)
	}
	return &fakeWinRM{t: t, host: h, tmpl: tmpl, cmds: map[string]*fakeCmd{}}
}

func (f *fakeWinRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := string(body)
	act := reAction.FindStringSubmatch(req)
	msgID := reMessageID.FindStringSubmatch(req)
	if act == nil || msgID == nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	resp := f.tmpl[act[1]]
	f.mu.Lock()
	defer f.mu.Unlock()
	switch act[1] {
	case "Command":
		f.nextID++
		id := fmt.Sprintf("B0973E54-434E-4D99-B4BE-%012d", f.nextID)
		c := &fakeCmd{}
		if m := reCommand.FindStringSubmatch(req); m != nil {
			fields := strings.Fields(html.UnescapeString(m[1]))
			if len(fields) > 0 {
				c.prog, c.args = fields[0], fields[1:]
			}
		}
		for _, m := range reArguments.FindAllStringSubmatch(req, -1) {
			c.args = append(c.args, strings.Fields(html.UnescapeString(m[1]))...)
		}
		f.cmds[id] = c
		resp = strings.Replace(resp, "B0973E54-434E-4D99-B4BE-ADE584CE3BFB", id, 1)
	case "Send":
		id := reCommandID.FindStringSubmatch(req)
		if id != nil && f.cmds[id[1]] != nil {
			for _, m := range reStream.FindAllStringSubmatch(req, -1) {
				b, _ := base64.StdEncoding.DecodeString(m[1])
				f.cmds[id[1]].stdin.Write(b)
			}
			f.sends = append(f.sends, append([]byte(nil), f.cmds[id[1]].stdin.Bytes()...))
		}
	case "Receive":
		id := reCommandID.FindStringSubmatch(req)
		if id == nil || f.cmds[id[1]] == nil {
			http.Error(w, "unknown command", http.StatusInternalServerError)
			return
		}
		c := f.cmds[id[1]]
		if !c.ran {
			c.ran = true
			var o, e bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if strings.EqualFold(strings.TrimSuffix(strings.ToLower(c.prog), ".exe"), "powershell") {
				c.result.code = Main(ctx, f.host, c.args, bytes.NewReader(c.stdin.Bytes()), &o, &e)
			} else {
				c.result.code = f.host.RunNative(ctx, strings.Join(append([]string{c.prog}, c.args...), " "), &o, &e)
			}
			cancel()
			c.result.stdout, c.result.stderr = o.String(), e.String()
		}
		head, _, _ := strings.Cut(resp, "<s:Body>")
		var b strings.Builder
		b.WriteString(head + "<s:Body><rsp:ReceiveResponse>")
		for _, s := range []struct{ name, data string }{{"stdout", c.result.stdout}, {"stderr", c.result.stderr}} {
			if s.data != "" {
				fmt.Fprintf(&b, `<rsp:Stream Name="%s" CommandId="%s">%s</rsp:Stream>`, s.name, id[1], base64.StdEncoding.EncodeToString([]byte(s.data)))
			}
			fmt.Fprintf(&b, `<rsp:Stream Name="%s" CommandId="%s" End="true"></rsp:Stream>`, s.name, id[1])
		}
		fmt.Fprintf(&b, `<rsp:CommandState CommandId="%s" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>%d</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse></s:Body></s:Envelope>`, id[1], c.result.code)
		resp = b.String()
	}
	resp = regexp.MustCompile(`<a:RelatesTo>[^<]*</a:RelatesTo>`).ReplaceAllString(resp, "<a:RelatesTo>"+msgID[1]+"</a:RelatesTo>")
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	_, _ = io.WriteString(w, resp)
}

// ansibleResult is the part of the json callback's output the tests read.
type ansibleResult struct {
	Failed      bool   `json:"failed"`
	Changed     bool   `json:"changed"`
	Msg         string `json:"msg"`
	Ping        string `json:"ping"`
	RC          *int   `json:"rc"`
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	Cmd         string `json:"cmd"`
	Unreachable bool   `json:"unreachable"`
}

func runAnsible(t *testing.T, h Host, module, moduleArgs string) (ansibleResult, *fakeWinRM) {
	t.Helper()
	bin := "/usr/bin/ansible"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("ansible is not installed")
	}
	if testing.Short() {
		t.Skip("runs the real Ansible")
	}
	fw := newFakeWinRM(t, h)
	srv := httptest.NewServer(fw)
	defer srv.Close()
	port := srv.Listener.Addr().String()[strings.LastIndexByte(srv.Listener.Addr().String(), ':')+1:]
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.ini")
	err := os.WriteFile(inv, []byte("[win]\nsim ansible_host=127.0.0.1\n[win:vars]\n"+
		"ansible_connection=winrm\nansible_port="+port+"\nansible_winrm_scheme=http\n"+
		"ansible_winrm_transport=basic\nansible_winrm_message_encryption=never\n"+
		"ansible_user=vagrant\nansible_password=vagrant\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-i", inv, "sim", "-m", module}
	if moduleArgs != "" {
		args = append(args, "-a", moduleArgs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "ANSIBLE_LOCAL_TEMP="+dir, "ANSIBLE_CONFIG="+filepath.Join(dir, "none.cfg"),
		"ANSIBLE_LOAD_CALLBACK_PLUGINS=1", "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1")
	out, _ := cmd.CombinedOutput()
	i := bytes.IndexByte(out, '{')
	var doc struct {
		Plays []struct {
			Tasks []struct {
				Hosts map[string]ansibleResult `json:"hosts"`
			} `json:"tasks"`
		} `json:"plays"`
	}
	if i < 0 || json.Unmarshal(out[i:], &doc) != nil || len(doc.Plays) == 0 || len(doc.Plays[0].Tasks) == 0 {
		t.Fatalf("ansible output:\n%s", out)
	}
	res, ok := doc.Plays[0].Tasks[0].Hosts["sim"]
	if !ok {
		t.Fatalf("ansible output:\n%s", out)
	}
	return res, fw
}

// TestAnsibleEndToEnd drives the installed Ansible against Main.
func TestAnsibleEndToEnd(t *testing.T) {
	t.Run("win_ping", func(t *testing.T) {
		t.Parallel()
		res, fw := runAnsible(t, server2016(), "ansible.windows.win_ping", "")
		if res.Failed || res.Ping != "pong" || res.Changed {
			t.Fatalf("%+v", res)
		}
		// The real stdin framing: exec wrapper, \0\0\0\0, JSON manifest.
		if len(fw.sends) == 0 {
			t.Fatal("no Send")
		}
		wrapper, manifest, ok := bytes.Cut(fw.sends[len(fw.sends)-1], []byte("\x00\x00\x00\x00"))
		var m map[string]any
		if !ok || !bytes.HasPrefix(wrapper, []byte("begin {")) || json.Unmarshal(manifest, &m) != nil || m["module_entry"] == "" {
			t.Fatalf("stdin framing: ok=%v wrapper=%.40q", ok, wrapper)
		}
	})
	t.Run("win_ping data", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "ansible.windows.win_ping", "data=hello")
		if res.Failed || res.Ping != "hello" {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("win_ping crash", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "ansible.windows.win_ping", "data=crash")
		if !res.Failed || res.Msg != "Unhandled exception while executing module: boom" {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("win_ping on PowerShell 2.0", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2008R2(), "ansible.windows.win_ping", "")
		if !res.Failed || res.Msg != "Ansible requires PowerShell v3.0 or newer" {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("raw hostname", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "raw", "hostname")
		if res.Failed || res.Stdout != "WIN-SIM01\r\n" || res.RC == nil || *res.RC != 0 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("raw json", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "raw", "Get-NetTCPConnection -State Listen | Select-Object LocalPort, State | ConvertTo-Json -Compress")
		if res.Failed || res.Stdout != `[{"LocalPort":135,"State":2},{"LocalPort":135,"State":2}]`+"\r\n" {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("raw on PowerShell 2.0", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2008R2(), "raw", "Get-NetTCPConnection | ConvertTo-Json")
		// Ansible's winrm plugin turns the CLIXML stderr into text.
		if !res.Failed || res.RC == nil || *res.RC != 1 || !strings.Contains(res.Stderr, "The term 'Get-NetTCPConnection' is not recognized") {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("win_command", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "ansible.windows.win_command", "hostname")
		if res.Failed || !res.Changed || res.Stdout != "WIN-SIM01\r\n" || res.Cmd != "hostname" || res.RC == nil || *res.RC != 0 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("win_shell", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "ansible.windows.win_shell", "Get-NetTCPConnection -State Listen | Measure-Object; echo hi")
		// Measure-Object is not emulated: the shell reports its error and
		// win_shell still succeeds because the last statement did.
		if res.Failed || res.Stdout != "hi\r\n" || !strings.Contains(res.Stderr, "does not emulate") {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("unknown module", func(t *testing.T) {
		t.Parallel()
		res, _ := runAnsible(t, server2016(), "ansible.windows.win_service_info", "")
		if !res.Failed || !strings.Contains(res.Msg, "does not emulate the Ansible module 'ansible.windows.win_service_info'") {
			t.Fatalf("%+v", res)
		}
	})
}
