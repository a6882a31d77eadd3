package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/fleetport/fleetport/internal/sim"
)

// probeCommands finds the command lines fleetport runs on a host of the
// bench fleet: it serves one such host in this process, runs the fleetport
// binary's collect against it with bench/compare/policy.hcl alone
// (--no-builtin), and reads the host's audit; the other tools are given
// exactly these lines.
func (h *harness) probeCommands(ctx context.Context, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	src, err := os.ReadFile(filepath.Join(h.repo, "bench/compare/fleet.hcl"))
	if err != nil {
		return nil, err
	}
	sc, diags := sim.ParseScenario(src, "bench/compare/fleet.hcl")
	if diags.HasErrors() {
		return nil, fmt.Errorf("bench/compare/fleet.hcl: %s", diags.Error())
	}
	nw, err := h.freeNetwork(0)
	if err != nil {
		return nil, err
	}
	sc.Hosts, sc.Network, sc.HTTPPort, sc.HTTPSPort, sc.Drift, sc.Faults = 1, nw, 5985, 0, nil, nil
	user, pass := os.Getenv(sim.EnvUser), os.Getenv(sim.EnvPassword)
	if user == "" || pass == "" {
		user, pass = sim.DemoUser, sim.DemoPassword
	}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: filepath.Join(dir, "sim-state"), Accounts: map[string]string{user: pass}})
	if err != nil {
		return nil, err
	}
	if err := f.Start(); err != nil {
		return nil, err
	}
	defer f.Close()
	var inv bytes.Buffer
	if err := f.WriteInventory(&inv, sim.InventoryOptions{Transport: "http", Auth: "ntlm"}); err != nil {
		return nil, err
	}
	invFile := filepath.Join(dir, "inventory.hcl")
	if err := os.WriteFile(invFile, inv.Bytes(), 0o644); err != nil {
		return nil, err
	}
	// What the host ran at boot (the simulator configures the baseline
	// with Windows commands) is not fleetport's.
	before := len(f.Hosts()[0].Model.Audit())
	cmd := exec.CommandContext(ctx, h.fp, "collect", "-i", invFile, "-p", filepath.Join(h.repo, "bench/compare/policy.hcl"),
		"--no-builtin", "--store", filepath.Join(dir, "fleetport.db"), "--timeout", "1m", "--json")
	cmd.Env = append(simEnv(), sim.EnvUser+"="+user, sim.EnvPassword+"="+pass)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("probe: fleetport collect on one host: %v\n%s", err, out)
	}
	var lines []string
	for _, e := range f.Hosts()[0].Model.Audit()[before:] {
		if !e.Task {
			lines = append(lines, e.Line)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("probe: fleetport ran no command")
	}
	return lines, nil
}

// cmdBuiltins are cmd.exe's internal commands: PowerShell (where Ansible's
// raw runs a line) has no such programs.
var cmdBuiltins = []string{"ver", "echo", "set", "type", "dir", "vol", "path", "date", "time"}

// ansibleCommand is the same line for Ansible's raw, which runs it through
// PowerShell: cmd.exe built-ins go through cmd /c, and sc is sc.exe (in
// PowerShell, sc is Set-Content).
func ansibleCommand(line string) string {
	first, rest, _ := strings.Cut(line, " ")
	switch {
	case contains(cmdBuiltins, strings.ToLower(first)):
		return "cmd /c " + line
	case strings.EqualFold(first, "sc"):
		return "sc.exe " + rest
	}
	return line
}
