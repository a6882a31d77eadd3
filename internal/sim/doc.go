// Package sim is fleetport's simulated fleet: many fake Windows hosts, each
// on its own loopback address, speaking the real WinRM protocol and printing
// what real Windows prints. The demo, the end-to-end tests and the
// benchmarks run against it; operators rehearse policies and rollouts on it.
//
// A [Scenario] (an HCL file, see examples/sim/, or [DefaultScenario]) says
// how many hosts there are, how OS versions, locales and roles are mixed,
// which drift a known share of them carries and which faults are injected.
// [Scenario.Plan] lays the fleet out deterministically from its seed; the
// plan is the ground truth tests compare collections with: per host its
// drift, faults, uptime (the boot time is the fleet's start less it) and,
// for site_binding_unlisted, the unlisted site's address. [New] builds the
// hosts and [Fleet.Start] opens their listeners.
//
// Each [Host] is three layers, each its own package: the Windows model
// (winhost: state, cmd.exe and the commands), the WS-Man shell service
// (wsman) and the HTTP endpoint (endpoint: listeners, TLS, Basic and NTLM,
// message encryption, wire faults). This package wires them: it keeps the
// listeners in step with the model's reachability (a stopped WinRM or a
// reboot closes them and cuts every connection), counts what happens
// ([Fleet.Stats]) and writes an inventory of the fleet.
//
// The simulator never imports fleetport's client side (remote, parse,
// collect), so that one misunderstanding cannot pass both sides' tests; both
// are checked against captured real output and real clients.
package sim
