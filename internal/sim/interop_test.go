package sim_test

// Interop tests: independent WinRM clients (Debian's python3-winrm and
// ansible-core) against the simulator, so that the simulator cannot pass
// only because it shares a misunderstanding with fleetport's own client.
// scripts/test installs both; when they are missing the tests fail rather
// than skip, unless -short is given.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

const python = "/usr/bin/python3"

// legacyOpenSSL returns the OpenSSL configuration that enables MD4, which
// NTLM needs and Debian 12's OpenSSL disables by default.
func legacyOpenSSL(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("testdata/interop/openssl-legacy.cnf")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func requireTool(t *testing.T, check func() error, what string) {
	t.Helper()
	if err := check(); err != nil {
		if testing.Short() {
			t.Skipf("%s not available (%v); -short skips interop tests", what, err)
		}
		t.Fatalf("%s not available: %v (scripts/test installs it)", what, err)
	}
}

// startInteropFleet serves a fleet whose CA lives in a file, as clients that
// verify certificates need.
func startInteropFleet(t *testing.T, mutate func(*sim.Scenario)) *sim.Fleet {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.Hosts = 2
	sc.Network = simtest.Network()
	sc.Drift = nil
	sc.ServiceStep = time.Millisecond
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	if mutate != nil {
		mutate(&sc)
	}
	return simtest.Serve(t, sc)
}

type pyResult struct {
	Command string `json:"command"`
	Stdout  string `json:"stdout"`
	Stderr  string `json:"stderr"`
	Status  int    `json:"status"`
}

func runPywinrm(t *testing.T, endpoint, transport, caFile string, cmds ...string) []pyResult {
	t.Helper()
	args := append([]string{"testdata/interop/pywinrm_run.py", endpoint, transport, caFile, sim.DemoUser}, cmds...)
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "FLEETPORT_SIM_PASSWORD="+sim.DemoPassword, "OPENSSL_CONF="+legacyOpenSSL(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pywinrm %s: %v\n%s", transport, err, stderr.String())
	}
	var res []pyResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("pywinrm output: %v\n%s", err, out)
	}
	for i := range res {
		for _, s := range []*string{&res[i].Stdout, &res[i].Stderr} {
			b, err := base64.StdEncoding.DecodeString(*s)
			if err != nil {
				t.Fatal(err)
			}
			*s = string(b)
		}
	}
	return res
}

func TestPywinrmInterop(t *testing.T) {
	requireTool(t, func() error { return exec.Command(python, "-c", "import winrm, requests_ntlm").Run() }, "python3-winrm")
	f := startInteropFleet(t, nil)
	h := f.Hosts()[0]
	sc := f.Scenario()
	cases := []struct {
		name, endpoint, transport string
	}{
		{"basic-https", fmt.Sprintf("https://%s:%d/wsman", h.Plan.Addr, sc.HTTPSPort), "ssl"},
		{"ntlm-encrypted-http", fmt.Sprintf("http://%s:%d/wsman", h.Plan.Addr, sc.HTTPPort), "ntlm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runPywinrm(t, c.endpoint, c.transport, f.CAFile(),
				"hostname", "netsh http show iplisten", "systeminfo", "netstat -ano")
			if len(res) != 4 {
				t.Fatalf("got %d results", len(res))
			}
			if res[0].Status != 0 || res[0].Stdout != strings.ToUpper(h.Plan.Name)+"\r\n" {
				t.Errorf("hostname: %+v", res[0])
			}
			if res[1].Status != 0 || !strings.Contains(res[1].Stdout, "IP addresses present in the IP listen list:\r\n-------------------------------------------\r\n") {
				t.Errorf("netsh: %+v", res[1])
			}
			if res[2].Status == 0 || !strings.Contains(res[2].Stderr, "'systeminfo' is not recognized as an internal or external command,\r\noperable program or batch file.") {
				t.Errorf("unknown command: %+v", res[2])
			}
			if res[3].Status != 0 || !strings.Contains(res[3].Stdout, "  TCP    "+h.Plan.Addr.String()+":5985") && !strings.Contains(res[3].Stdout, "0.0.0.0:5985") {
				t.Errorf("netstat: %+v", res[3])
			}
		})
	}
	if st := f.Stats(); st.Fleet.ShellsOpen != 0 {
		t.Errorf("pywinrm left %d shells open", st.Fleet.ShellsOpen)
	}
}

// ansibleResult is the part of Ansible's json callback output the test reads.
type ansibleResult struct {
	Plays []struct {
		Tasks []struct {
			Hosts map[string]map[string]any `json:"hosts"`
		} `json:"tasks"`
	} `json:"plays"`
}

func runAnsible(t *testing.T, f *sim.Fleet, h *sim.Host, module string, args ...string) map[string]any {
	t.Helper()
	dir := t.TempDir()
	inv := fmt.Sprintf(`[win]
%s ansible_host=%s

[win:vars]
ansible_connection=winrm
ansible_port=%d
ansible_winrm_scheme=http
ansible_winrm_transport=ntlm
ansible_winrm_message_encryption=always
ansible_winrm_operation_timeout_sec=10
ansible_winrm_read_timeout_sec=15
ansible_user=%s
ansible_password=%s
`, h.Plan.Name, h.Plan.Addr, f.Scenario().HTTPPort, sim.DemoUser, sim.DemoPassword)
	invFile := filepath.Join(dir, "hosts.ini")
	if err := os.WriteFile(invFile, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"win", "-i", invFile, "-m", module}, args...)
	cmd := exec.Command("ansible", argv...)
	cmd.Env = append(os.Environ(),
		"OPENSSL_CONF="+legacyOpenSSL(t),
		"HOME="+dir,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_LOAD_CALLBACK_PLUGINS=1",
		"ANSIBLE_STDOUT_CALLBACK=json",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_HOST_KEY_CHECKING=0",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res ansibleResult
	if jerr := json.Unmarshal(out, &res); jerr != nil || len(res.Plays) == 0 || len(res.Plays[0].Tasks) == 0 {
		t.Fatalf("ansible -m %s: %v / %v\nstdout:\n%s\nstderr:\n%s", module, err, jerr, out, stderr.String())
	}
	hr := res.Plays[0].Tasks[0].Hosts[h.Plan.Name]
	if hr == nil {
		t.Fatalf("ansible -m %s: no result for %s:\n%s", module, h.Plan.Name, out)
	}
	return hr
}

func TestAnsibleInterop(t *testing.T) {
	requireTool(t, func() error { return exec.Command("ansible", "--version").Run() }, "ansible-core")
	requireTool(t, func() error {
		_, err := os.Stat("/usr/lib/python3/dist-packages/ansible_collections/ansible/windows")
		return err
	}, "the ansible.windows collection")
	f := startInteropFleet(t, nil)
	h := f.Hosts()[0]

	raw := runAnsible(t, f, h, "raw", "-a", "hostname")
	if rc, _ := raw["rc"].(float64); rc != 0 || raw["stdout"] != strings.ToUpper(h.Plan.Name)+"\r\n" {
		t.Errorf("-m raw hostname: %v", raw)
	}
	raw = runAnsible(t, f, h, "raw", "-a", "netstat -an")
	if out, _ := raw["stdout"].(string); !strings.Contains(out, "Active Connections") {
		t.Errorf("-m raw netstat: %v", raw)
	}
	ping := runAnsible(t, f, h, "ansible.windows.win_ping")
	if ping["ping"] != "pong" || ping["failed"] == true {
		t.Errorf("win_ping: %v", ping)
	}
	audit := h.Model.Audit()
	if len(audit) < 3 {
		t.Errorf("the host's audit has %d commands, want the three Ansible ran", len(audit))
	}
}
