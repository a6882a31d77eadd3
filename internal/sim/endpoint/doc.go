// Package endpoint is the HTTP face of one simulated Windows host: the
// listeners on 5985 (http) and 5986 (https), authentication as WinRM does it,
// NTLM message encryption, and the injected faults that make a host slow,
// silent or hostile.
//
// An [Endpoint] sits between the network and a [wsman.Service]. For every
// request it checks the path and size, authenticates (Basic, or Negotiate
// carrying NTLM with the security context bound to the TCP connection),
// unseals an encrypted body, hands the SOAP text to the service and seals the
// answer again. What it sends is what Windows sends: the same status codes,
// WWW-Authenticate headers, content types and Server header (see
// winrm-wire.md in the shared docs).
//
// # Reachability
//
// A host is reachable only while its listeners are open. [Endpoint.SetUp]
// opens them and [Endpoint.SetDown] closes them together with every open
// connection, so that clients see what they see when WinRM or the whole host
// goes away: refused connections and cut sessions, never a polite error.
//
// # What it does not do
//
// It does not know about commands, shells or Windows state (that is
// [wsman.Service] and the host model), and it implements no Kerberos, CredSSP
// or client certificates.
//
// # Concurrency
//
// An Endpoint is safe for concurrent use. Each TCP connection carries its own
// authentication state, which net/http serves one request at a time.
package endpoint
