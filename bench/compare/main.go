// Command compare is the comparison harness of bench/compare.sh: it serves a
// simulated fleet (`fleetport sim`) and collects the same facts from every
// host with fleetport, a pywinrm thread pool (bench/pywinrm_collect.py) and
// Ansible (bench/ansible/collect.yml), one simulator per tool, and reports
// for each the wall time, throughput, CPU, memory, connections, shells,
// TIME_WAIT sockets and failed hosts, with the protocol's lower bound. The
// sweep mode runs fleetport alone at several fleet sizes. See
// bench/README.md.
//
// It runs from the repository root (bench/compare.sh changes there).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Tools the harness knows, in the order it runs them.
var knownTools = []string{"fleetport", "pywinrm", "ansible"}

type config struct {
	Hosts       int           `json:"hosts"`
	Latency     time.Duration `json:"-"`
	CommandTime time.Duration `json:"-"`
	LatencyS    string        `json:"latency"`
	CommandS    string        `json:"command_time"`
	Auth        string        `json:"auth"`
	Tools       []string      `json:"tools"`
	Concurrency int           `json:"fleetport_concurrency"`
	Pool        int           `json:"pywinrm_pool"`
	Forks       int           `json:"ansible_forks"`
	Timeout     time.Duration `json:"-"`
	ToolTimeout time.Duration `json:"-"`
	Sweep       []int         `json:"sweep,omitempty"`
	CI          bool          `json:"ci"`
	Strict      bool          `json:"strict"`
	Out         string        `json:"out"`
	Faults      []string      `json:"faults,omitempty"`
	Fleetport   string        `json:"fleetport_binary,omitempty"`

	tempOut bool // Out was made by the harness
}

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := runBench(ctx, cfg)
	if rep != nil {
		if werr := writeReport(cfg, rep); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare: error:", err)
		return 1
	}
	if problems := rep.problems(cfg); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "compare: FAIL:", p)
		}
		if cfg.Strict {
			return 3
		}
		return 0
	}
	if cfg.CI && cfg.tempOut {
		// A passing CI run leaves nothing behind (the table is printed).
		_ = os.RemoveAll(cfg.Out)
		fmt.Println("CI run passed; its folder is removed")
	}
	return 0
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: bench/compare.sh [flags]

Serves a simulated fleet and collects the same facts from every host with
fleetport, a pywinrm thread pool and Ansible (one simulator per tool); prints
a table and writes OUT/results.json. --sweep runs fleetport alone at several
fleet sizes. --ci is the small run for the test suite (50 hosts, all tools,
NTLM; exit 3 when a tool failed a host).

`)
		fs.PrintDefaults()
	}
	c := &config{}
	var tools, sweep string
	fs.IntVar(&c.Hosts, "hosts", 50, "simulated hosts")
	fs.DurationVar(&c.Latency, "latency", 20*time.Millisecond, "latency the simulator adds to every HTTP exchange")
	fs.DurationVar(&c.CommandTime, "command-time", 100*time.Millisecond, "time every command takes on a simulated host")
	fs.StringVar(&c.Auth, "auth", "ntlm", "ntlm (NTLM with message encryption over http) or basic-https (Basic over https)")
	fs.StringVar(&tools, "tools", strings.Join(knownTools, ","), "tools to run, comma-separated")
	fs.IntVar(&c.Concurrency, "concurrency", 200, "fleetport collect --concurrency")
	fs.IntVar(&c.Pool, "pool", 32, "pywinrm ThreadPoolExecutor max_workers")
	fs.IntVar(&c.Forks, "forks", 50, "Ansible forks (-f), capped at the number of hosts")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Minute, "fleetport collect --timeout (per host)")
	fs.DurationVar(&c.ToolTimeout, "tool-timeout", 30*time.Minute, "kill a tool that runs longer than this (the harness then fails)")
	fs.StringVar(&sweep, "sweep", "", "fleetport alone at these fleet sizes (comma-separated, e.g. 100,1000,10000); ignores --tools and --hosts")
	fs.BoolVar(&c.CI, "ci", false, "CI run: 50 hosts, all tools, NTLM, 20ms/100ms, strict")
	fs.BoolVar(&c.Strict, "strict", false, "exit 3 when a tool failed a host, ran other than the bench commands or left a shell open")
	fs.Func("fault", "pass --fault kind=percent to the simulator (repeatable; see fleetport sim --help)", func(v string) error {
		c.Faults = append(c.Faults, v)
		return nil
	})
	fs.StringVar(&c.Fleetport, "fleetport", "", "use this fleetport binary instead of building ./cmd/fleetport")
	fs.StringVar(&c.Out, "out", "", "output folder (default: a new folder under the system temp dir)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.CI {
		for _, f := range []string{"hosts", "auth", "tools", "sweep", "latency", "command-time", "fault"} {
			if set[f] {
				return nil, fmt.Errorf("--ci fixes --%s", f)
			}
		}
		c.Hosts, c.Auth, tools, sweep, c.Strict = 50, "ntlm", strings.Join(knownTools, ","), "", true
		c.Latency, c.CommandTime = 20*time.Millisecond, 100*time.Millisecond
		if !set["tool-timeout"] {
			c.ToolTimeout = 3 * time.Minute
		}
	}
	if c.Auth != "ntlm" && c.Auth != "basic-https" {
		return nil, fmt.Errorf("--auth must be ntlm or basic-https, not %q", c.Auth)
	}
	if sweep != "" {
		for _, s := range strings.Split(sweep, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("--sweep: %q is not a number of hosts", s)
			}
			c.Sweep = append(c.Sweep, n)
		}
		tools = "fleetport"
		if c.Auth != "ntlm" {
			return nil, errors.New("--sweep serves http only (a 10,000-host fleet with both listeners does not fit the open-file limit): use --auth ntlm")
		}
	}
	for _, t := range strings.Split(tools, ",") {
		t = strings.TrimSpace(t)
		if !contains(knownTools, t) {
			return nil, fmt.Errorf("--tools: unknown tool %q (known: %s)", t, strings.Join(knownTools, ", "))
		}
		if !contains(c.Tools, t) {
			c.Tools = append(c.Tools, t)
		}
	}
	if c.Hosts < 1 || c.Concurrency < 1 || c.Pool < 1 || c.Forks < 1 {
		return nil, errors.New("--hosts, --concurrency, --pool and --forks must be at least 1")
	}
	c.LatencyS, c.CommandS = c.Latency.String(), c.CommandTime.String()
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// report is what results.json holds.
type report struct {
	Machine  machine   `json:"machine"`
	Config   *config   `json:"config"`
	Commands []string  `json:"commands"`
	Bound    boundInfo `json:"lower_bound_model"`
	Results  []*result `json:"results"`
	Speedups speedups  `json:"fleetport_throughput_ratio,omitempty"`
}

type speedups struct {
	OverPywinrm float64 `json:"over_pywinrm,omitempty"`
	OverAnsible float64 `json:"over_ansible,omitempty"`
}

type machine struct {
	Date        string  `json:"date"`
	CommandLine string  `json:"command_line"`
	Nproc       int     `json:"nproc"`
	MemTotalMB  int     `json:"mem_total_mb"`
	Kernel      string  `json:"kernel"`
	GoVersion   string  `json:"go_version"`
	FleetportV  string  `json:"fleetport_version"`
	Pywinrm     string  `json:"python3_winrm"`
	Ansible     string  `json:"ansible_core"`
	OpenFiles   uint64  `json:"open_file_limit"`
	LoadAvg     float64 `json:"loadavg_1m_at_start"`
}

// boundInfo states the lower-bound model (see bench/README.md).
type boundInfo struct {
	Formula             string  `json:"formula"`
	HandshakeRoundTrips int     `json:"handshake_round_trips"`
	RoundTripsPerHost   int     `json:"round_trips_per_host"`
	OverlappedReceives  int     `json:"receives_overlapped_with_command_time"`
	HostSeconds         float64 `json:"host_seconds"`
}

// result is one tool run (or one sweep point).
type result struct {
	Tool        string `json:"tool"`
	Hosts       int    `json:"hosts"`
	Concurrency int    `json:"concurrency"`
	Setting     string `json:"setting"`
	Network     string `json:"network"`

	WallS       float64  `json:"wall_s"`
	HostsPerS   float64  `json:"hosts_per_s"`
	UserS       float64  `json:"cpu_user_s"`
	SysS        float64  `json:"cpu_sys_s"`
	CPUS        float64  `json:"cpu_s"`
	PeakRSSMB   float64  `json:"peak_rss_mb"`
	PeakPSSMB   float64  `json:"peak_tree_pss_mb"`
	PeakProcs   int      `json:"peak_processes"`
	ExitCode    int      `json:"exit_code"`
	OKHosts     int      `json:"ok_hosts"`
	FailedHosts int      `json:"failed_hosts"`
	Failures    []string `json:"failures,omitempty"`

	Connections     int64   `json:"connections_accepted"`
	ConnsPerHost    float64 `json:"connections_per_host"`
	Requests        int64   `json:"requests"`
	RequestsPerHost float64 `json:"requests_per_host"`
	Unauthorized    int64   `json:"unauthorized"`
	ShellsCreated   int64   `json:"shells_created"`
	ShellsPerHost   float64 `json:"shells_per_host"`
	ShellsOpen      int64   `json:"shells_open_after"`
	Commands        int64   `json:"commands"`
	CommandsPerHost float64 `json:"commands_per_host"`

	TimeWaitController int `json:"time_wait_controller"`
	TimeWaitHosts      int `json:"time_wait_sim_side"`

	SimCPUS      float64 `json:"sim_cpu_s"`
	SimPeakRSSMB float64 `json:"sim_peak_rss_mb"`
	LoadAvg      float64 `json:"loadavg_1m_before"`

	BoundS      float64 `json:"lower_bound_s"`
	BoundWavesS float64 `json:"lower_bound_whole_waves_s"`
	Ratio       float64 `json:"ratio_to_bound"`

	Dir string `json:"dir"`
}

func runBench(ctx context.Context, cfg *config) (*report, error) {
	if _, err := os.Stat("go.mod"); err != nil {
		return nil, errors.New("run from the repository root (bench/compare.sh does)")
	}
	raiseFileLimit()
	if cfg.Out == "" {
		cfg.tempOut = true
		d, err := os.MkdirTemp("", "fleetport-compare-")
		if err != nil {
			return nil, err
		}
		cfg.Out = d
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, err
	}
	cfg.Out = out
	if err := os.MkdirAll(filepath.Join(out, "bin"), 0o755); err != nil {
		return nil, err
	}
	if err := checkTools(cfg); err != nil {
		return nil, err
	}
	fp := filepath.Join(out, "bin", "fleetport")
	if cfg.Fleetport != "" {
		if fp, err = filepath.Abs(cfg.Fleetport); err != nil {
			return nil, err
		}
		cfg.Fleetport = fp
	} else {
		logf("building fleetport")
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", fp, "./cmd/fleetport").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %v\n%s", err, b)
		}
	}
	rep := &report{Config: cfg, Machine: machineFacts(fp)}
	h := &harness{cfg: cfg, fp: fp, repo: mustGetwd()}
	logf("probing the commands fleetport runs on a bench host")
	cmds, err := h.probeCommands(ctx, filepath.Join(out, "probe"))
	if err != nil {
		return nil, err
	}
	h.commands, rep.Commands = cmds, cmds
	logf("%d commands per host: %s", len(cmds), strings.Join(cmds, " | "))
	rep.Bound = boundModel(cfg, len(cmds))
	if len(cfg.Sweep) > 0 {
		for i, n := range cfg.Sweep {
			r, err := h.runTool(ctx, "fleetport", n, 20+i)
			if r != nil {
				rep.Results = append(rep.Results, r)
			}
			if err != nil {
				return rep, err
			}
		}
		return rep, nil
	}
	for i, t := range knownTools {
		if !contains(cfg.Tools, t) {
			continue
		}
		r, err := h.runTool(ctx, t, cfg.Hosts, 10+i)
		if r != nil {
			rep.Results = append(rep.Results, r)
		}
		if err != nil {
			return rep, err
		}
	}
	byTool := map[string]*result{}
	for _, r := range rep.Results {
		byTool[r.Tool] = r
	}
	if f := byTool["fleetport"]; f != nil && f.HostsPerS > 0 {
		if p := byTool["pywinrm"]; p != nil && p.HostsPerS > 0 {
			rep.Speedups.OverPywinrm = round(f.HostsPerS/p.HostsPerS, 2)
		}
		if a := byTool["ansible"]; a != nil && a.HostsPerS > 0 {
			rep.Speedups.OverAnsible = round(f.HostsPerS/a.HostsPerS, 2)
		}
	}
	return rep, nil
}

func mustGetwd() string {
	d, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return d
}

func checkTools(cfg *config) error {
	var missing []string
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		missing = append(missing, "/usr/bin/time (Debian package time)")
	}
	if _, err := exec.LookPath("ss"); err != nil {
		missing = append(missing, "ss (Debian package iproute2)")
	}
	if contains(cfg.Tools, "pywinrm") {
		if err := exec.Command("/usr/bin/python3", "-c", "import winrm, requests_ntlm").Run(); err != nil {
			missing = append(missing, "python3-winrm and python3-requests-ntlm")
		}
	}
	if contains(cfg.Tools, "ansible") {
		if _, err := exec.LookPath("ansible-playbook"); err != nil {
			missing = append(missing, "ansible-playbook (Debian package ansible-core)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// raiseFileLimit lifts the soft open-file limit to the hard one; the
// simulator and the tools inherit it.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// boundModel is the protocol's lower bound for one host (bench/README.md):
// the round trips that cannot overlap the command's own time, plus each
// command's time (its Receive long-polls while the command runs, so it
// costs max(latency, command time)).
func boundModel(cfg *config, k int) boundInfo {
	hs := 0
	if cfg.Auth == "ntlm" {
		hs = 2 // NEGOTIATE/CHALLENGE, AUTHENTICATE/200: the connection's security context
	}
	rt := hs + 1 + k + 1 // handshake, Create, one Command per command, Delete
	per := float64(rt)*cfg.Latency.Seconds() + float64(k)*math.Max(cfg.CommandTime.Seconds(), cfg.Latency.Seconds())
	return boundInfo{
		Formula: fmt.Sprintf("hosts / min(concurrency, hosts) x ((%d handshake + Create + %d Command + Delete) x latency + %d x max(command time, latency))",
			hs, k, k),
		HandshakeRoundTrips: hs,
		RoundTripsPerHost:   rt + k,
		OverlappedReceives:  k,
		HostSeconds:         round(per, 4),
	}
}

type harness struct {
	cfg      *config
	fp       string
	repo     string
	used     map[netip.Prefix]bool
	commands []string // what fleetport runs on a bench host (probeCommands)
}

// freeNetwork picks a /16 for the next simulator among 127.200.0.0 to
// 127.254.0.0 (clear of the tests' 127.100-195 networks), starting at
// 127.(200+start): one this run has not used and where no TCP socket is
// left, so that the TIME_WAIT count after a tool is that tool's alone (a
// socket stays in TIME_WAIT for 60 s on Linux, longer than a run's gap).
func (h *harness) freeNetwork(start int) (netip.Prefix, error) {
	if h.used == nil {
		h.used = map[netip.Prefix]bool{}
	}
	out, err := exec.Command("ss", "-Htan").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("ss: %v", err)
	}
	busy := map[byte]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if ap, err := netip.ParseAddrPort(f); err == nil && ap.Addr().Is4() {
				if a := ap.Addr().As4(); a[0] == 127 {
					busy[a[1]] = true
				}
			}
		}
	}
	for i := 0; i < 55; i++ {
		o := byte(200 + (start+i)%55)
		nw := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, o, 0, 0}), 16)
		if !busy[o] && !h.used[nw] {
			h.used[nw] = true
			return nw, nil
		}
	}
	return netip.Prefix{}, errors.New("no free network in 127.200.0.0 to 127.254.0.0: wait a minute for TIME_WAIT sockets to expire")
}

// simProc is a running `fleetport sim`.
type simProc struct {
	cmd     *exec.Cmd
	dir     string
	network netip.Prefix
	ca      string
	inv     string
	stats   string
	done    chan struct{}
	waitErr error
}

func (h *harness) startSim(ctx context.Context, dir string, hosts, netIndex int) (*simProc, error) {
	var lastOut []byte
	for attempt := 0; attempt < 8; attempt++ {
		nw, err := h.freeNetwork(netIndex)
		if err != nil {
			return nil, err
		}
		s := &simProc{dir: dir, network: nw, inv: filepath.Join(dir, "inventory.hcl"), stats: filepath.Join(dir, "sim-stats.json"), done: make(chan struct{})}
		httpPort, httpsPort, invT, invA := "5985", "0", "http", "ntlm"
		if h.cfg.Auth == "basic-https" {
			httpPort, httpsPort, invT, invA = "0", "5986", "https", "basic"
		}
		args := []string{"sim",
			"--scenario", filepath.Join(h.repo, "bench/compare/fleet.hcl"), "--no-drift",
			"--hosts", strconv.Itoa(hosts), "--network", nw.String(),
			"--http-port", httpPort, "--https-port", httpsPort,
			"--dir", filepath.Join(dir, "sim-state"),
			"--latency", h.cfg.Latency.String(), "--command-time", h.cfg.CommandTime.String(),
			"--inventory-out", s.inv, "--inventory-transport", invT, "--inventory-auth", invA,
			"--stats", s.stats,
		}
		for _, f := range h.cfg.Faults {
			args = append(args, "--fault", f)
		}
		outFile := filepath.Join(dir, "sim.out")
		f, err := os.Create(outFile)
		if err != nil {
			return nil, err
		}
		s.cmd = exec.Command(h.fp, args...)
		s.cmd.Stdout, s.cmd.Stderr = f, f
		s.cmd.Env = simEnv()
		if err := s.cmd.Start(); err != nil {
			f.Close()
			return nil, err
		}
		go func() {
			s.waitErr = s.cmd.Wait()
			f.Close()
			close(s.done)
		}()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			select {
			case <-s.done:
				lastOut, _ = os.ReadFile(outFile)
			case <-ctx.Done():
				s.stop()
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
				b, _ := os.ReadFile(outFile)
				if m := reReady.FindSubmatch(b); m != nil {
					s.ca = string(m[1])
					return s, nil
				}
				if time.Now().After(deadline) {
					s.stop()
					return nil, fmt.Errorf("the simulator did not get ready in 3 minutes:\n%s", b)
				}
				continue
			}
			break
		}
		if !bytes.Contains(lastOut, []byte("address already in use")) {
			break
		}
		logf("network %s is taken; trying another", nw)
	}
	return nil, fmt.Errorf("the simulator did not start:\n%s", lastOut)
}

// stop interrupts the simulator, which writes its stats as it exits.
func (s *simProc) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// procStats reads the simulator's CPU seconds and peak RSS before it exits.
func (s *simProc) procStats() (cpu, hwmMB float64) {
	pid := s.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			f := strings.Fields(string(b[i+2:]))
			if len(f) > 13 {
				u, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				cpu = (u + st) / 100 // USER_HZ is 100 on Linux
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		hwmMB = float64(statusKB(b, "VmHWM")) / 1024
	}
	return cpu, hwmMB
}

func statusKB(b []byte, key string) int64 {
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func simEnv() []string {
	env := os.Environ()
	if os.Getenv("FLEETPORT_SIM_USER") == "" && os.Getenv("FLEETPORT_SIM_PASSWORD") == "" {
		// The simulator's demo pair, as its documentation gives it.
		env = append(env, "FLEETPORT_SIM_USER=fleetadmin", "FLEETPORT_SIM_PASSWORD=Sim-Passw0rd!")
	}
	return env
}

// simStats is the part of `fleetport sim --stats` the harness reads.
type simStats struct {
	Fleet struct {
		ConnectionsAccepted int64 `json:"connections_accepted"`
		Requests            int64 `json:"requests"`
		Unauthorized        int64 `json:"unauthorized"`
		ShellsCreated       int64 `json:"shells_created"`
		ShellsOpen          int64 `json:"shells_open"`
		Commands            int64 `json:"commands"`
	} `json:"fleet"`
}

func (h *harness) runTool(ctx context.Context, tool string, hosts, netIndex int) (*result, error) {
	dir := filepath.Join(h.cfg.Out, tool)
	if len(h.cfg.Sweep) > 0 {
		dir = filepath.Join(h.cfg.Out, fmt.Sprintf("sweep-%d", hosts))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf("%s: starting the simulator (%d hosts, %s, latency %s, command time %s)", tool, hosts, h.cfg.Auth, h.cfg.Latency, h.cfg.CommandTime)
	s, err := h.startSim(ctx, dir, hosts, netIndex)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tool, err)
	}
	defer s.stop()

	r := &result{Tool: tool, Hosts: hosts, Network: s.network.String(), Dir: dir}
	hostsJSON := filepath.Join(dir, "hosts.json")
	if b, err := exec.Command(h.fp, "inventory", "list", "-i", s.inv, "--json").Output(); err != nil {
		return nil, fmt.Errorf("%s: fleetport inventory list: %v", tool, err)
	} else if err := os.WriteFile(hostsJSON, b, 0o644); err != nil {
		return nil, err
	}
	cmdsJSON := filepath.Join(dir, "commands.json")
	if err := writeJSON(cmdsJSON, h.commands); err != nil {
		return nil, err
	}

	var argv, env []string
	env = simEnv()
	if h.cfg.Auth == "ntlm" {
		// NTLM needs MD4, which Debian 12's OpenSSL keeps in the legacy provider.
		env = append(env, "OPENSSL_CONF="+filepath.Join(h.repo, "testdata/openssl-legacy.cnf"))
	}
	switch tool {
	case "fleetport":
		r.Concurrency = min(h.cfg.Concurrency, hosts)
		r.Setting = fmt.Sprintf("--concurrency %d", h.cfg.Concurrency)
		argv = []string{h.fp, "collect", "-i", s.inv, "-p", filepath.Join(h.repo, "bench/compare/policy.hcl"), "--no-builtin",
			"--store", filepath.Join(dir, "fleetport.db"), "--concurrency", strconv.Itoa(h.cfg.Concurrency),
			"--timeout", h.cfg.Timeout.String(), "--json"}
	case "pywinrm":
		r.Concurrency = min(h.cfg.Pool, hosts)
		r.Setting = fmt.Sprintf("ThreadPoolExecutor(max_workers=%d)", h.cfg.Pool)
		argv = []string{"/usr/bin/python3", filepath.Join(h.repo, "bench/pywinrm_collect.py"),
			"--hosts", hostsJSON, "--commands", cmdsJSON, "--pool", strconv.Itoa(h.cfg.Pool), "--auth", h.cfg.Auth}
		if h.cfg.Auth == "basic-https" {
			argv = append(argv, "--ca", s.ca)
		}
	case "ansible":
		forks := min(h.cfg.Forks, hosts)
		r.Concurrency = forks
		r.Setting = fmt.Sprintf("-f %d, linear, raw in a loop", forks)
		invFile := filepath.Join(dir, "hosts.ini")
		if err := writeAnsibleInventory(invFile, hostsJSON, h.cfg.Auth, s.ca); err != nil {
			return nil, err
		}
		ac := make([]string, len(h.commands))
		for i, c := range h.commands {
			ac[i] = ansibleCommand(c)
		}
		varsFile := filepath.Join(dir, "vars.json")
		if err := writeJSON(varsFile, map[string]any{"bench_commands": ac}); err != nil {
			return nil, err
		}
		home := filepath.Join(dir, "home")
		if err := os.MkdirAll(home, 0o755); err != nil {
			return nil, err
		}
		env = append(env, "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
			"ANSIBLE_CONFIG="+filepath.Join(h.repo, "bench/ansible/ansible.cfg"), "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0")
		argv = []string{"ansible-playbook", "-i", invFile, "-e", "@" + varsFile, "-f", strconv.Itoa(forks),
			filepath.Join(h.repo, "bench/ansible/collect.yml")}
	}
	r.LoadAvg = loadAvg()

	logf("%s: collecting from %d hosts (%s)", tool, hosts, r.Setting)
	timeFile := filepath.Join(dir, "time.txt")
	stdout := filepath.Join(dir, "stdout.txt")
	stderr := filepath.Join(dir, "stderr.txt")
	exitCode, peakPSS, peakProcs, err := runMeasured(ctx, argv, env, timeFile, stdout, stderr, h.cfg.ToolTimeout)
	if err != nil {
		return r, fmt.Errorf("%s: %w", tool, err)
	}
	// Right after the tool: its TIME_WAIT sockets, and the simulator's
	// own figures before it exits.
	r.TimeWaitController, r.TimeWaitHosts = countTimeWait(s.network)
	r.SimCPUS, r.SimPeakRSSMB = s.procStats()
	r.SimCPUS, r.SimPeakRSSMB = round(r.SimCPUS, 2), round(r.SimPeakRSSMB, 1)
	s.stop()
	r.ExitCode = exitCode
	r.PeakPSSMB, r.PeakProcs = round(peakPSS, 1), peakProcs

	if err := readTime(timeFile, r); err != nil {
		return r, fmt.Errorf("%s: %w", tool, err)
	}
	var st simStats
	if b, err := os.ReadFile(s.stats); err != nil {
		return r, fmt.Errorf("%s: the simulator's stats: %w", tool, err)
	} else if err := json.Unmarshal(b, &st); err != nil {
		return r, fmt.Errorf("%s: the simulator's stats: %w", tool, err)
	}
	n := float64(hosts)
	r.Connections, r.ConnsPerHost = st.Fleet.ConnectionsAccepted, round(float64(st.Fleet.ConnectionsAccepted)/n, 2)
	r.Requests, r.RequestsPerHost = st.Fleet.Requests, round(float64(st.Fleet.Requests)/n, 2)
	r.Unauthorized = st.Fleet.Unauthorized
	r.ShellsCreated, r.ShellsPerHost = st.Fleet.ShellsCreated, round(float64(st.Fleet.ShellsCreated)/n, 2)
	r.ShellsOpen = st.Fleet.ShellsOpen
	r.Commands, r.CommandsPerHost = st.Fleet.Commands, round(float64(st.Fleet.Commands)/n, 2)

	switch tool {
	case "fleetport":
		err = readFleetport(stdout, r)
	case "pywinrm":
		err = readPywinrm(stdout, r)
	case "ansible":
		err = readAnsible(stdout, hostsJSON, r)
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w (exit %d; see %s)", tool, err, exitCode, dir)
	}
	if r.WallS > 0 {
		r.HostsPerS = round(n/r.WallS, 1)
	}
	per := boundModel(h.cfg, len(h.commands)).HostSeconds
	r.BoundS = round(n/float64(r.Concurrency)*per, 3)
	r.BoundWavesS = round(math.Ceil(n/float64(r.Concurrency))*per, 3)
	if r.BoundS > 0 {
		r.Ratio = round(r.WallS/r.BoundS, 2)
	}
	logf("%s: %d hosts in %.1fs (%.1f hosts/s), %d failed", tool, hosts, r.WallS, r.HostsPerS, r.FailedHosts)
	return r, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// inventoryHost is the part of `fleetport inventory list --json` the
// harness reads.
type inventoryHost struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    int    `json:"port"`
}

func readHosts(path string) ([]inventoryHost, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var hs []inventoryHost
	return hs, json.Unmarshal(b, &hs)
}

// writeAnsibleInventory writes an INI inventory of the simulated hosts. The
// credentials stay in the environment (lookup('env')), never in the file.
func writeAnsibleInventory(path, hostsJSON, auth, ca string) error {
	hs, err := readHosts(hostsJSON)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("[win]\n")
	for _, h := range hs {
		fmt.Fprintf(&b, "%s ansible_host=%s ansible_port=%d\n", h.Name, h.Address, h.Port)
	}
	b.WriteString("\n[win:vars]\nansible_connection=winrm\n")
	if auth == "ntlm" {
		b.WriteString("ansible_winrm_scheme=http\nansible_winrm_transport=ntlm\nansible_winrm_message_encryption=always\n")
	} else {
		fmt.Fprintf(&b, "ansible_winrm_scheme=https\nansible_winrm_transport=basic\nansible_winrm_server_cert_validation=validate\nansible_winrm_ca_trust_path=%s\n", ca)
	}
	b.WriteString("ansible_user=\"{{ lookup('env', 'FLEETPORT_SIM_USER') }}\"\n")
	b.WriteString("ansible_password=\"{{ lookup('env', 'FLEETPORT_SIM_PASSWORD') }}\"\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// runMeasured runs argv under /usr/bin/time -v in a process group of its
// own, sampling the group's summed PSS, and returns the tool's exit code.
func runMeasured(ctx context.Context, argv, env []string, timeFile, stdoutFile, stderrFile string, limit time.Duration) (int, float64, int, error) {
	so, err := os.Create(stdoutFile)
	if err != nil {
		return 0, 0, 0, err
	}
	defer so.Close()
	se, err := os.Create(stderrFile)
	if err != nil {
		return 0, 0, 0, err
	}
	defer se.Close()
	cmd := exec.Command("/usr/bin/time", append([]string{"-v", "-o", timeFile}, argv...)...)
	cmd.Stdout, cmd.Stderr, cmd.Env = so, se, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peakPSS float64
	peakProcs := 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	for {
		select {
		case err := <-done:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				return 0, peakPSS, peakProcs, err
			}
			return cmd.ProcessState.ExitCode(), peakPSS, peakProcs, nil
		case <-tick.C:
			pss, n := groupPSS(pgid)
			peakPSS = math.Max(peakPSS, pss)
			peakProcs = max(peakProcs, n)
		case <-timeout.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
			return -1, peakPSS, peakProcs, fmt.Errorf("still running after %s: killed", limit)
		case <-ctx.Done():
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
			return -1, peakPSS, peakProcs, ctx.Err()
		}
	}
}

// groupPSS sums the proportional set size (MB) of the processes of a
// process group, /usr/bin/time itself included (a few hundred KB), and
// counts them.
func groupPSS(pgid int) (float64, int) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	var kb int64
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+2:]))
		if len(f) < 3 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		n++
		if sm, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
			kb += statusKB(sm, "Pss")
		}
	}
	return float64(kb) / 1024, n
}

// countTimeWait counts TCP sockets in TIME_WAIT between the controller and
// the simulated hosts: on the controller's side (the peer is a host's WinRM
// port) and on the simulator's side.
func countTimeWait(nw netip.Prefix) (controller, hosts int) {
	out, err := exec.Command("ss", "-Htan", "state", "time-wait").Output()
	if err != nil {
		return -1, -1
	}
	isHost := func(s string) bool {
		ap, err := netip.ParseAddrPort(s)
		return err == nil && nw.Contains(ap.Addr()) && (ap.Port() == 5985 || ap.Port() == 5986)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		local, peer := f[len(f)-2], f[len(f)-1]
		switch {
		case isHost(peer):
			controller++
		case isHost(local):
			hosts++
		}
	}
	return controller, hosts
}

var (
	reReady = regexp.MustCompile(`(?m)^ready: .* ca=(\S+)$`)
	reWall  = regexp.MustCompile(`Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)`)
	reUser  = regexp.MustCompile(`User time \(seconds\): (\S+)`)
	reSys   = regexp.MustCompile(`System time \(seconds\): (\S+)`)
	reRSS   = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
)

func readTime(path string, r *result) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m := reWall.FindSubmatch(b)
	if m == nil {
		return fmt.Errorf("no wall time in %s:\n%s", path, b)
	}
	secs := 0.0
	for _, p := range strings.Split(string(m[1]), ":") {
		v, _ := strconv.ParseFloat(p, 64)
		secs = secs*60 + v
	}
	r.WallS = round(secs, 2)
	num := func(re *regexp.Regexp) float64 {
		if m := re.FindSubmatch(b); m != nil {
			v, _ := strconv.ParseFloat(string(m[1]), 64)
			return v
		}
		return 0
	}
	r.UserS, r.SysS = num(reUser), num(reSys)
	r.CPUS = round(r.UserS+r.SysS, 2)
	r.PeakRSSMB = round(num(reRSS)/1024, 1)
	return nil
}

func readFleetport(path string, r *result) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var sum struct {
		Hosts    int            `json:"hosts"`
		ByStatus map[string]int `json:"by_status"`
		Failed   []struct {
			Name, Status, Error string
		} `json:"failed"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return fmt.Errorf("collect --json: %v", err)
	}
	if sum.Hosts != r.Hosts {
		return fmt.Errorf("collect reported %d hosts, not %d", sum.Hosts, r.Hosts)
	}
	r.OKHosts = sum.ByStatus["ok"]
	r.FailedHosts = r.Hosts - r.OKHosts
	for i, f := range sum.Failed {
		if i == 5 {
			break
		}
		r.Failures = append(r.Failures, f.Name+": "+f.Status+": "+f.Error)
	}
	return nil
}

func readPywinrm(path string, r *result) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var sum struct {
		Hosts, OK, Failed int
		Failures          []struct{ Name, Error string }
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return fmt.Errorf("pywinrm_collect.py output: %v", err)
	}
	if sum.Hosts != r.Hosts {
		return fmt.Errorf("pywinrm_collect.py reported %d hosts, not %d", sum.Hosts, r.Hosts)
	}
	r.OKHosts, r.FailedHosts = sum.OK, sum.Failed
	for i, f := range sum.Failures {
		if i == 5 {
			break
		}
		r.Failures = append(r.Failures, f.Name+": "+f.Error)
	}
	return nil
}

var reRecap = regexp.MustCompile(`(?m)^(\S+)\s*:\s*ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)`)

// readAnsible counts from the PLAY RECAP the hosts that ended unreachable
// or failed; a host missing from the recap counts as failed.
func readAnsible(path, hostsJSON string, r *result) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.LastIndex(b, []byte("PLAY RECAP"))
	if i < 0 {
		return errors.New("no PLAY RECAP in ansible-playbook's output")
	}
	hs, err := readHosts(hostsJSON)
	if err != nil {
		return err
	}
	ok := map[string]bool{}
	for _, m := range reRecap.FindAllSubmatch(b[i:], -1) {
		ok[string(m[1])] = string(m[3]) == "0" && string(m[4]) == "0"
	}
	for _, h := range hs {
		if ok[h.Name] {
			r.OKHosts++
			continue
		}
		r.FailedHosts++
		if len(r.Failures) < 5 {
			why := "missing from the recap"
			if _, seen := ok[h.Name]; seen {
				why = "unreachable or failed (see stdout.txt)"
			}
			r.Failures = append(r.Failures, h.Name+": "+why)
		}
	}
	return nil
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func machineFacts(fp string) machine {
	m := machine{
		Date:        time.Now().UTC().Format(time.RFC3339),
		CommandLine: "bench/compare.sh " + strings.Join(os.Args[1:], " "),
		Nproc:       runtime.NumCPU(),
		GoVersion:   runtime.Version(),
		LoadAvg:     loadAvg(),
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotalMB = int(statusKB(b, "MemTotal") / 1024)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command(fp, "version").Output(); err == nil {
		m.FleetportV = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	for _, p := range []struct {
		dst *string
		pkg string
	}{{&m.Pywinrm, "python3-winrm"}, {&m.Ansible, "ansible-core"}} {
		if b, err := exec.Command("dpkg-query", "-W", "-f=${Version}", p.pkg).Output(); err == nil {
			*p.dst = string(b)
		}
	}
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		m.OpenFiles = l.Cur
	}
	return m
}

// problems lists what makes a strict run fail.
func (rep *report) problems(cfg *config) []string {
	var ps []string
	want := float64(len(rep.Commands))
	for _, r := range rep.Results {
		if r.FailedHosts > 0 {
			ps = append(ps, fmt.Sprintf("%s: %d of %d hosts failed: %s", r.Tool, r.FailedHosts, r.Hosts, strings.Join(r.Failures, "; ")))
		}
		if r.FailedHosts == 0 && r.CommandsPerHost != want {
			ps = append(ps, fmt.Sprintf("%s: ran %.2f commands per host, not the %v bench commands", r.Tool, r.CommandsPerHost, want))
		}
		if r.ShellsOpen > 0 {
			ps = append(ps, fmt.Sprintf("%s: left %d shells open", r.Tool, r.ShellsOpen))
		}
	}
	if len(rep.Results) == 0 {
		ps = append(ps, "no results")
	}
	return ps
}

func writeReport(cfg *config, rep *report) error {
	printTable(os.Stdout, cfg, rep)
	path := filepath.Join(cfg.Out, "results.json")
	if err := writeJSON(path, rep); err != nil {
		return err
	}
	fmt.Printf("\nresults: %s\n", path)
	return nil
}

func printTable(w *os.File, cfg *config, rep *report) {
	m := rep.Machine
	fmt.Fprintf(w, "\n%s\n%s, %d cores, %d MB, load %.2f at start; auth %s, latency %s, command time %s, %d commands per host\n",
		m.CommandLine, m.Date, m.Nproc, m.MemTotalMB, m.LoadAvg, cfg.Auth, cfg.Latency, cfg.CommandTime, len(rep.Commands))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\thosts\tconc\twall s\thosts/s\tCPU s\tpeak RSS MB\ttree PSS MB\tconns/host\tshells/host\treqs/host\tcmds/host\tTIME_WAIT\tfailed\tbound s\tratio\tsim CPU s\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.1f\t%.2f\t%.0f\t%.0f\t%.2f\t%.2f\t%.1f\t%.2f\t%d\t%d\t%.2f\t%.2f\t%.1f\t\n",
			r.Tool, r.Hosts, r.Concurrency, r.WallS, r.HostsPerS, r.CPUS, r.PeakRSSMB, r.PeakPSSMB, r.ConnsPerHost,
			r.ShellsPerHost, r.RequestsPerHost, r.CommandsPerHost, r.TimeWaitController, r.FailedHosts, r.BoundS, r.Ratio, r.SimCPUS)
	}
	_ = tw.Flush()
	b := rep.Bound
	fmt.Fprintf(w, "lower bound per host: %.3f s = %s\n", b.HostSeconds, b.Formula)
	for _, r := range rep.Results {
		if r.Tool == "fleetport" {
			fmt.Fprintf(w, "fleetport at %d hosts: %.2f s against a bound of %.2f s (whole waves %.2f s): ratio %.2f\n",
				r.Hosts, r.WallS, r.BoundS, r.BoundWavesS, r.Ratio)
		}
	}
	if s := rep.Speedups; s.OverPywinrm > 0 || s.OverAnsible > 0 {
		fmt.Fprintf(w, "fleetport's throughput: %.1fx pywinrm's, %.1fx Ansible's\n", s.OverPywinrm, s.OverAnsible)
	}
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

var started = time.Now()

// logf prints a progress line with the time since the harness started.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "== %5.1fs "+format+"\n", append([]any{time.Since(started).Seconds()}, args...)...)
}
