// Package remote is fleetport's WinRM session layer: given an endpoint,
// credentials and a command line, it returns the command's output bytes,
// its exit code and a classified error. It knows nothing of inventories,
// policies, facts or parsers (internal/archtest enforces that); the
// collection engine decides what to run and what the bytes mean.
//
// # Session model
//
// One [Session] per host per run: [Open] dials one keep-alive connection,
// authenticates it and creates one cmd shell; every [Session.Run] sends
// Command and Receive (until the command is done) on that shell;
// [Session.Close] deletes the shell and closes the connection. In the
// normal case a run costs a host one TCP connection, one shell and two
// requests per command, which is what the simulator's counters check. No
// Signal follows a command that is done: Windows has dropped the command
// id by then (a Signal would be answered and do nothing), and the command
// stays counted against the quota until the shell is deleted either way.
// A command that fails or is abandoned while it may run is stopped with
// Signal terminate. A
// second connection appears only when the first one is lost: the host or
// the network dropped it, it sat idle longer than Options.IdleTimeout, or
// a request was abandoned in flight (a deadline, a cancel, Close during a
// Run), which HTTP/1.1 can only do by closing the connection.
//
// Every command counts against the host's MaxConcurrentOperationsPerUser
// (1500; 15 on Server 2008 R2) until its shell is deleted, Signal or not.
// When the host refuses a Command with that quota fault and the shell holds
// commands of this session, the session deletes the shell, creates a new
// one and sends the Command again (the host did not start it).
// Options.MaxCommandsPerShell replaces the shell earlier, before the fault.
//
// # Orphaned shells
//
// A process that dies with a session open leaves its shell on the host,
// holding one of the user's MaxShellsPerUser (5 on Server 2008 R2) and its
// commands' operations until the host's idle timeout (2 hours by default):
// a few such shells lock the user out of the host. A [ShellTrace] in the
// context given to Open ([WithShellTrace]) reports every shell a session
// creates, before a command goes to it, and every shell it deletes, so a
// caller can record them; after a crash, [DeleteShells] deletes the
// recorded ids, and only those, over a connection that creates no shell.
// Shells are created with Options.ShellIdleTimeout (10 minutes), so that
// those nobody recorded clear within that time too.
//
// # Entry points
//
//   - [Open] with an [Endpoint], [Credentials] and [Options] returns a
//     [*Session], or an [*Error] and nothing to close.
//   - [Session.Run] takes a [Command] and returns a [Result].
//   - [PowerShell] builds the Command for a script:
//     powershell -NoProfile -NonInteractive -EncodedCommand <base64>.
//   - [Session.Close] ends the session; [Session.Stats] counts its work.
//   - [WithShellTrace] observes the shells of the sessions opened with a
//     context; [DeleteShells] deletes shells by id without creating one.
//   - [ClassOf] and [errors.As] with [*Error], [*Fault], [*HTTPError] and
//     [*ExitError] take errors apart.
//
// Commands are typed values built by the caller. Run refuses, before
// sending anything, a line longer than cmd.exe's 8191 characters
// ([ErrCommandTooLong]; Windows would answer "The command line is too
// long." with exit 1) and lines holding control characters or "]]>"
// ([ErrBadCommand]). [PowerShell] refuses scripts whose encoding would not
// fit ([MaxPowerShellScript], about 3000 characters).
//
// # Transports
//
// The SOAP messages are built by masterzen/winrm's builders
// (NewExecuteCommandRequest, NewGetOutputRequest, NewSignalRequest,
// NewDeleteShellRequest) with masterzen's Parameters (codepage 65001,
// en-US, MaxEnvelopeSize 153600, OperationTimeout from Options); the
// Create is NewOpenShellRequest's message plus rsp:IdleTimeOut, built with
// masterzen's soap package (its builder sets no idle timeout). They travel over fleetport's own transport, a winrm.Transporter
// that Open hands to masterzen's Client through
// Parameters.TransportDecorator and that also serves masterzen's Client API
// (its Post returns every SOAP fault as an error). Each session has its own
// http.Transport: MaxConnsPerHost 1, keep-alive, no proxy, no HTTP/2,
// ConnectTimeout for TCP, TLS and the NTLM handshake together,
// RequestTimeout as the response header deadline, capped bodies
// (Options.MaxResponseBytes per answer, Options.MaxOutputBytes per
// command).
//
//   - [AuthNTLM] over http (the Windows default): NTLMv2 with message
//     encryption. The connection is authenticated once, in the dial (an
//     empty POST with NEGOTIATE, 401 with CHALLENGE, an empty POST with
//     AUTHENTICATE, 200), and every body is sealed and every answer
//     unsealed with that connection's github.com/bodgit/ntlmssp security
//     session. A body is sealed only once the pool has chosen its
//     connection, so a message can never go out sealed for another one.
//     Answers in clear text are refused ([ErrNotEncrypted]).
//   - [AuthNTLM] over https, or over http with [Endpoint.AllowUnencrypted]
//     (the host needs AllowUnencrypted=true): the same handshake, no
//     sealing; over https the AUTHENTICATE carries the channel binding of
//     the host's certificate.
//   - [AuthBasic]: the credentials with every request; https only unless
//     AllowUnencrypted.
//   - [AuthKerberos]: each connection is authenticated once by a SPNEGO
//     AP-REQ (gokrb5) for HTTP/<the host's DNS name> ([Kerberos]:
//     krb5.conf, realm, credential cache, keytab or password, the name of
//     a host addressed by IP, SPN); the host's AP-REP is checked (mutual
//     authentication) before anything is sent; over http every message is
//     sealed with the context key (RFC 4121 wrap tokens in the DCE layout
//     Windows uses, internal/gsswrap), AES only. A [KerberosCache] in
//     [Options] shares the TGT and the service tickets between a run's
//     sessions. Tested against a Samba AD domain controller and MIT's GSS
//     library; gokrb5's KDC calls take no context, krb5.conf's timeouts
//     bound them.
//   - [AuthNegotiate]: what Windows' Negotiate does. Before its first
//     message the session tries to get a service ticket for the host; with
//     one it is [AuthKerberos], without one (no krb5.conf or realm, a host
//     addressed by IP without a name, an SPN the KDC does not know, a KDC
//     out of reach, no ticket and nothing to get one with) it is
//     [AuthNTLM] with the session's password, and an NTLM failure then
//     says why Kerberos was not used. [Session.Auth] tells which.
//
// A host whose policy refuses NTLM answers the NEGOTIATE with a 401 that
// carries no CHALLENGE: that is reported as "NTLM refused", with the
// advice to use Kerberos or Negotiate, never as a wrong password.
//
// TLS verifies the host's certificate against Endpoint.CAFile and
// Endpoint.CAPEM, or the system pool, for Endpoint.TLSServerName (default:
// the host); Endpoint.InsecureSkipVerify is the explicit opt-out.
//
// # What is retried, and what never is
//
// With backoff and jitter (Options.Retry, only while the caller's deadline
// leaves room for the wait; otherwise the cause is returned at once):
//
//   - connection setup that failed before any SOAP message went out:
//     refused, reset or cut during the dial, TLS or NTLM handshake. Refused
//     credentials, certificates, DNS failures and timeouts are not retried;
//   - quota faults on Create (shells, users per host) and on Command
//     (operations): the host refused the request, so nothing ran;
//   - a Receive that the host ends with the TimedOut fault: that is the
//     normal end of a long poll with no output, and it is polled again at
//     once, as long as the caller's context allows.
//
// Also sent again once, on a new connection: a request that could not be
// written because the host had closed the kept connection (a host acts
// only on a whole request), and a request the host answered with 401 on an
// NTLM connection it had authenticated (it dropped the security context
// and did not read the request). Never sent twice: a request that was
// written and whose answer was lost, such as a Command that may have run
// or a Receive whose connection broke.
//
// # Errors
//
// Every error is an [*Error]: Class, Op (open, create, command, receive,
// signal, delete, run), Host ("host:port"), Code (the WS-Man fault code,
// the HTTP status or the exit code) and the cause in Err, which
// [errors.Is] and [errors.As] see through. No error and no log line ever
// contains a credential. The classes are the host statuses of a run:
//
//   - unreachable: refused, reset, no route, unknown name, connection cut;
//   - timeout: a deadline passed or the caller cancelled (Err then wraps
//     context.DeadlineExceeded or context.Canceled);
//   - auth: 401, or no usable authentication scheme;
//   - tls: certificate or handshake failure;
//   - quota: quota faults that outlived the retries;
//   - protocol: malformed, oversized or clear-text answers, unexpected
//     faults ([*Fault]), 400 and 413, an empty shell id
//     ([ErrEmptyShellID]), a lost shell or command ([ErrShellLost],
//     [ErrCommandLost]), output over the cap ([ErrOutputLimit]);
//   - command-failed: a non-zero exit with [Command.CheckExit];
//   - config: the caller's input (endpoint, options, CA or Kerberos files,
//     command lines) or a closed session; nothing was sent. Inventory
//     validation should catch these before a run.
//
// A lost shell (WinRM restarted, the host rebooted, the shell idled out)
// is never a busy loop. When the host refuses a Command for it, nothing
// ran: the session creates a new shell and sends the Command again, once.
// When a Receive finds it, the command may have run: that Run fails at
// once, and the next one creates a new shell.
//
// # Deadlines and cancellation
//
// Every request runs under context.WithTimeout(ctx, RequestTimeout), and
// RequestTimeout must exceed OperationTimeout, the w:OperationTimeout the
// host may hold a Receive. When a Run ends with its command possibly still
// running (deadline, cancel, a cut connection, a malformed answer), the
// session sends Signal terminate and Delete within CloseTimeout, detached
// from the caller's context, and the next Run creates a new shell. Close
// deletes the shell within CloseTimeout too, whatever happened before. A
// shell whose Delete fails stays on the host until its idle timeout
// (Options.ShellIdleTimeout) and counts against MaxShellsPerUser
// meanwhile; the ShellTrace reports the failure. DeleteShells bounds every
// request by RequestTimeout and the whole by its context.
//
// # Concurrency, and who closes what
//
// A Session belongs to the one goroutine that works on its host: its Run
// calls are serialised (a second Run waits for the first). Close and Stats
// are safe from any goroutine; Close interrupts a Run in progress, waits
// for it, deletes the shell, closes the connections and waits for dials in
// progress, so no goroutine the session started outlives Close. The caller
// of Open closes the Session; Open closes everything itself when it fails.
// Sessions share nothing, so any number may run in parallel; per-host
// concurrency and the host's shell quota (MaxShellsPerUser: 30, 5 on
// 2008 R2) are the engine's to respect.
//
// # Traps of masterzen/winrm 3fad6e1, measured against the simulator
//
//   - It hides HTTP 500 SOAP faults (a defer assigns to a local): a quota
//     fault on Create gives a shell with an empty id and no error, a Command
//     fault becomes "unsupported action", and a lost shell makes Receive
//     busy-loop until the context ends (thousands of requests a second).
//     Here every 500 is parsed into a [*Fault], an empty id is an error and
//     Receive stops on a lost shell.
//   - Its encrypted NTLM transport builds a plain &http.Client{}: no timeout
//     of its own (a hung host blocks CreateShell forever), and
//     http.DefaultTransport shared by every host, whose idle pool holds 100
//     connections; with more hosts in flight the authenticated connection
//     is evicted between the handshake and the sealed request, the host
//     answers 400 and masterzen panics on the empty body in a goroutine of
//     its own. It also makes a new NTLM context and handshake per message.
//     Here each host has its own transport, deadline and connection, and
//     authenticates once.
//   - Sending stdin over its encrypted transport swaps NTLM contexts
//     between goroutines; this package sends no stdin and serialises the
//     requests of a session.
//   - Its Run* helpers create and delete a shell per command; its
//     Endpoint.url() breaks IPv6 literals (no brackets); it honours
//     HTTP_PROXY, which breaks connection-bound NTLM. None of these paths
//     is used here.
//   - Its command builder wraps the line in CDATA, so "]]>" in a command
//     would end the section; such lines are refused.
//   - net/http dials detached from the request's context, so a dial (here
//     with the NTLM handshake inside it) to a hung host would outlive the
//     request; every dial is bounded by ConnectTimeout and aborted by
//     Close.
//   - net/http keeps a connection after an answer only if its writer
//     goroutine reports the request written within 50 ms of the body's end
//     (maxWriteWaitBeforeConnReuse). On a loaded machine with an answer
//     that comes back at once (loopback, the simulator) that goroutine may
//     not have run yet, and a healthy connection is dropped: about one host
//     in a thousand got a second connection and NTLM handshake at 100
//     sessions in flight. The body is read only after the write is
//     reported (httptrace WroteRequest), which closes the window.
package remote
