// Package wsman is the WS-Management / WinRS shell service of a simulated
// Windows host: it takes one authenticated, decrypted SOAP request and
// returns the SOAP response Windows would send, byte for byte in Windows'
// shape (namespaces, prefixes, xml:lang, fault texts with their trailing
// spaces; see winrm-wire.md sections 3 to 5 and 7 and the captured XML in
// fixtures/winrm).
//
// # What it does
//
// On the resource URI http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd
// it implements the actions clients use to run commands: Create (rsp:Shell
// with streams, working directory, environment, idle timeout and the
// WINRS_NOPROFILE and WINRS_CODEPAGE options), Command (WINRS_CONSOLEMODE_STDIN,
// WINRS_SKIP_CMD_SHELL), Send, Receive (a long poll that answers as soon as
// output is buffered, the command ends or OperationTimeout runs out, and
// splits output so that every answer fits the client's MaxEnvelopeSize),
// Signal and Delete. Commands run in a [Backend]. It enforces the quotas
// Windows enforces (MaxShellsPerUser, MaxConcurrentOperationsPerUser, where
// every Command counts until its shell is deleted, MaxConcurrentUsers,
// IdleTimeout, MaxTimeoutms, MaxEnvelopeSizekb) with the faults Windows
// sends, in the Server 2012+ (p:MSFT_WmiError) or 2008 R2 (f:WSManFault)
// form.
//
// # What it does not do
//
// Authentication, HTTP, listeners and NTLM message encryption belong to the
// caller: [Service.Handle] gets the plain SOAP text and the user name. PSRP
// (the Microsoft.PowerShell resource), plugins other than the cmd shell,
// Get, Enumerate, Put and disconnected shells are not supported; their
// requests get the fault Windows sends for an unknown resource URI or
// action. Running the command line (cmd.exe semantics, its 8191-character
// limit, PowerShell) is the [Backend]'s job.
//
// # Entry points
//
// [NewService] creates the service for one host from a [Config]
// ([DefaultConfig] for Server 2012 R2 to 2022, [Config2008R2] for 2008 R2)
// and a [Backend]. [Service.Handle] answers a request with a [Response]:
// status 200 or 500 (SOAP fault) with a body, or 413 (request larger than
// MaxEnvelopeSize) and 400 (empty body) without one. [Service.Reset]
// simulates a restart of the WinRM service, [Service.Close] shuts the
// service down, and [Service.Stats] reports counters.
//
// # Concurrency
//
// A Service is safe for concurrent use: Handle is meant to be called from
// many connections at once, and the same shell may see a Receive long poll
// in one goroutine and a Send or Signal in another. Each command runs
// [Backend.Exec] in its own goroutine; Exec must return promptly once its
// context is done, because Close waits for it. Close waits for every
// goroutine the service started; it does not wait for Handle calls in
// progress, which return promptly (a waiting Receive returns as soon as its
// shell is gone).
package wsman
