// Package drift turns facts into findings: it judges each host's facts
// document (package facts) against a policy set (package policies) and
// fleetport's own cross-fact checks, and builds the Report that every
// report format, the history and the TUI show.
//
// # Entry points
//
//   - Evaluate judges a run's hosts (HostInput: the inventory's view, the
//     facts, and the host's baseline for its current boot) into a Report.
//   - Compare sets Report.Changes: new, fixed and changed findings since an
//     earlier report.
//   - Report.ExitCode maps a report to the exit codes of PRODUCT.md.
//   - CrossFactChecks names the cross-fact checks.
//
// # Results
//
// Every check ends pass, fail, pending, unknown or not-applicable:
//
//   - A host that was not reached (unreachable, timeout, auth, tls, quota,
//     protocol, or no result in the run) is unknown for every policy that
//     could apply to it: "could not tell" is never compliant. A policy whose
//     applies_to is false without any collected value is still not
//     applicable.
//   - A host that answered but one of whose facts failed (command-failed,
//     parse-error) is judged on what was read; the checks that need the
//     missing fact are unknown, with the FactError as evidence.
//   - The semantics of each check are those its policies type documents
//     (RegistryCheck, ListenListCheck, ...); refcheck_test.go in policies is
//     the reference this package follows.
//   - A policy fails when one check fails, is unknown when none fails and
//     one is unknown, passes when every applicable check passes. A host
//     rolls up the worst of its verdicts (fail > pending > unknown > pass >
//     not applicable).
//
// # Evidence and fixes
//
// A finding carries the lines of host output it rests on, from the facts
// document's Outputs (numbered as the host printed them, in the host's
// language), or a summary line for a pile of thousands of rows or a fact
// that could not be read. Its Fix comes from the policy's remediation
// (policies.Resolved.Effects): none, a service restart (naming the
// service), a reboot, new processes, or manual when the policy declares
// no remediation.
//
// # Cross-fact checks
//
// What no single value shows; each is a pseudo-policy named "fleetport.*"
// (no policy name can contain a dot), on every host whose facts allow it:
//
//   - fleetport.site_unreachable: a URL registered with http.sys on an IP
//     address (netsh http show servicestate) that a non-empty listen list
//     does not cover: the site starts but is unreachable.
//   - fleetport.listen_list_lockout: a non-empty listen list without the
//     management address or 127.0.0.1: the next HTTP start locks fleetport
//     (WinRM) out.
//   - fleetport.port_exhaustion: TIME_WAIT toward one remote endpoint at
//     80% or more of the client port range in effect.
//   - fleetport.not_in_effect (pending): the configured listen list differs
//     from the addresses http.sys (PID 4) is bound to (it waits for an HTTP
//     restart); or a value Windows reads at boot (TcpTimedWaitDelay,
//     MaxUserPort, ...) differs from the host's baseline: the first value
//     a run read after the boot the host is in now (wmic's LastBootUpTime
//     identifies the boot). It stays pending until the host reboots.
//     Without a baseline (the change was made before the first run after
//     the boot), the change cannot be seen: Windows shows no value "in
//     effect".
//
// # What it deliberately does not do
//
// No I/O, no collection, no store: package history loads runs and calls
// Evaluate. It never decides what to change (the planner does), and it
// judges a run only with the facts that run collected.
//
// # Performance
//
// Evaluate judges hosts in parallel (GOMAXPROCS workers); the benchmark
// BenchmarkEvaluate10k measures 10,000 hosts against the built-in pack.
package drift
