// Package remote is fleetport's WinRM transport: one keep-alive connection
// and one shell per host per run, deadlines on every call, classified
// errors (unreachable, auth, tls, timeout, quota, protocol, command) and
// guards for the traps of the masterzen/winrm client.
//
// Contract, for the code that will fill it (issue "Parallel collection over
// WinRM"): given an endpoint, credentials and a command it returns bytes,
// an exit status and a classified error. It knows nothing of inventories,
// policies, facts or parsers (enforced by internal/archtest).
//
// Traps measured against the simulator, to guard here:
//
//   - masterzen hides HTTP 500 SOAP faults: a quota fault on Create gives a
//     shell with an empty id, a lost shell makes Receive spin.
//   - Its encrypted NTLM transport builds a plain &http.Client{}, so it has
//     no timeout of its own (a hung host blocks CreateShell forever) and it
//     shares http.DefaultTransport, whose idle pool holds 100 connections:
//     with more hosts in flight the authenticated connection is dropped
//     between the handshake and the sealed request, the host answers 400,
//     and masterzen panics parsing the empty body in a goroutine of its own.
//     Give every host its own transport and deadline.
//   - Sending stdin over the encrypted transport breaks its NTLM state.
package remote
