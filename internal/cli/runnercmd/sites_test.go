package runnercmd_test

// The machinery of the site tests: network namespaces, one per site,
// each with its own loopback where a simulated fleet serves that site's
// hosts, and a veth pair to the test's own namespace, where the NATS
// server (in the test process) listens. A runner in a site's namespace
// reaches the NATS server and its own site's hosts, nothing else.
//
// The simulated fleets run in helper processes: this test binary started
// again with FLEETPORT_TEST_SIM set (see TestMain), so that a fleet's
// listeners live in its namespace, and the test still reads each host's
// audit (every command it ran) and counters through the helper's pipes.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/sim"
)

const envSimHelper = "FLEETPORT_TEST_SIM"

func TestMain(m *testing.M) {
	if path := os.Getenv(envSimHelper); path != "" {
		os.Exit(simHelper(path))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		// The in-process controllers, NATS server and clients are gone.
		if err := goleak.Find(goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// hostDump is what a helper reports of one host.
type hostDump struct {
	Audit    []string `json:"audit"`
	Accepted int64    `json:"accepted"`
	// Effects counts the host's reboots and restarts of HTTP and SMTP.
	Effects int `json:"effects"`
}

// simHelper serves the scenario in path until its stdin closes; each
// line "dump" on stdin is answered with one JSON line on stdout: every
// host's audit and accepted connections.
func simHelper(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var sc sim.Scenario
	if err := json.Unmarshal(b, &sc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := sim.New(sim.Options{Scenario: sc})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := f.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() != "dump" {
			continue
		}
		d := map[string]hostDump{}
		for _, h := range f.Hosts() {
			m := h.Model
			hd := hostDump{Accepted: h.Counters().ConnectionsAccepted, Audit: []string{},
				Effects: m.Reboots() + m.Restarts("HTTP") + m.Restarts("SMTPSVC")}
			for _, e := range h.Model.Audit() {
				line := e.Line
				if e.Task {
					line = "task: " + line
				}
				hd.Audit = append(hd.Audit, line)
			}
			d[h.Plan.Name] = hd
		}
		b, _ := json.Marshal(d)
		out.Write(b)
		out.WriteByte('\n')
		out.Flush()
	}
	return 0
}

// helper is a running simulated fleet in a helper process.
type helper struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	mu   sync.Mutex
	plan []sim.HostPlan
	sc   sim.Scenario
}

// startSim starts a helper serving sc, in the namespace ns ("" = this
// one), and waits for it to be ready.
func startSim(t *testing.T, ns string, sc sim.Scenario) *helper {
	t.Helper()
	plan, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sc)
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{self, "-test.run=^$"}
	if ns != "" {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), envSimHelper+"="+path)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, _ := cmd.StdinPipe()
	outp, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the simulated fleet: %v", err)
	}
	h := &helper{cmd: cmd, in: in, out: bufio.NewReaderSize(outp, 1<<20), plan: plan, sc: sc}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan error, 1)
	go func() {
		line, err := h.out.ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("helper said %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("the simulated fleet in %q did not start: %v", ns, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the simulated fleet in %q did not start within 60s", ns)
	}
	return h
}

// dump reads every host's audit and counters.
func (h *helper) dump(t *testing.T) map[string]hostDump {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := io.WriteString(h.in, "dump\n"); err != nil {
		t.Fatalf("dump: %v", err)
	}
	line, err := h.out.ReadString('\n')
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	var d map[string]hostDump
	if err := json.Unmarshal([]byte(line), &d); err != nil {
		t.Fatalf("dump: %v", err)
	}
	return d
}

// needRoot fails the test, with what is missing, when network namespaces
// cannot be made; -short skips it.
func needRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("network namespaces and a built binary: skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("this test makes network namespaces (ip netns) and must run as root: run scripts/test as root, or go test -short to skip it")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("this test needs the ip command (Debian package iproute2) to make network namespaces")
	}
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

var nsName = regexp.MustCompile(`^fpt(\d+)s\d+$`)

// sweepStale deletes the namespaces an earlier test process left behind
// (it was killed before its cleanup ran).
func sweepStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		m := nsName.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		_ = exec.Command("ip", "netns", "del", f[0]).Run()
	}
}

// netns is one site's namespace.
type netns struct {
	name string
	gw   string // the test namespace's end of the veth pair: where NATS is reached
}

var nsSeq int

// newNetns makes a namespace with its loopback up and a veth pair to this
// namespace; cleanup deletes both.
func newNetns(t *testing.T) netns {
	t.Helper()
	if nsSeq == 0 {
		sweepStale()
	}
	nsSeq++
	pid := os.Getpid()
	n := netns{name: fmt.Sprintf("fpt%ds%d", pid, nsSeq)}
	host, peer := fmt.Sprintf("fpv%ds%da", pid%100000, nsSeq), fmt.Sprintf("fpv%ds%db", pid%100000, nsSeq)
	// One /30 per namespace, in a block chosen by the process id, so that
	// test processes side by side do not collide.
	third := (pid%50)*5 + nsSeq%5
	n.gw = fmt.Sprintf("10.231.%d.1", third)
	ip(t, "netns", "add", n.name)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", host).Run()
		_ = exec.Command("ip", "netns", "del", n.name).Run()
	})
	ip(t, "-n", n.name, "link", "set", "lo", "up")
	ip(t, "link", "add", host, "type", "veth", "peer", "name", peer)
	ip(t, "link", "set", peer, "netns", n.name)
	ip(t, "addr", "add", n.gw+"/30", "dev", host)
	ip(t, "link", "set", host, "up")
	ip(t, "-n", n.name, "addr", "add", fmt.Sprintf("10.231.%d.2/30", third), "dev", peer)
	ip(t, "-n", n.name, "link", "set", peer, "up")
	return n
}

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// fleetportBin builds the fleetport binary once per test process.
func fleetportBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "fleetport-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "fleetport")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/fleetport/fleetport/cmd/fleetport").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a fleetport runner process.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRunner runs `fleetport runner` in ns; cleanup stops it.
func startRunner(t *testing.T, ns netns, natsPort int, site string, conc int) *proc {
	t.Helper()
	bin := fleetportBin(t)
	cmd := exec.Command("ip", "netns", "exec", ns.name, bin, "runner",
		"--nats", fmt.Sprintf("nats://%s:%d", ns.gw, natsPort), "--site", site,
		"--concurrency", strconv.Itoa(conc), "--drain-timeout", "5s")
	cmd.Env = append(os.Environ(), sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)
	p := &proc{cmd: cmd, done: make(chan struct{}), log: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the runner of %s: %v", site, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("runner %s (pid %d):\n%s", site, cmd.Process.Pid, tail(p.log.String(), 40))
		}
	})
	return p
}

// kill ends the runner with SIGKILL, as a crash would.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the runner with SIGTERM (it drains), SIGKILL after 15 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.kill()
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(ctx context.Context, every time.Duration, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return errors.New("gave up waiting")
		case <-time.After(every):
		}
	}
	return nil
}
