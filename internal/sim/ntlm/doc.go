// Package ntlm is the server side of NTLMv2 authentication and NTLM session
// security for the WinRM simulator, so that fake Windows hosts can accept the
// unmodified clients fleetport and its users run (masterzen/winrm with
// Azure/go-ntlmssp or bodgit/ntlmssp, pywinrm with ntlm-auth).
//
// No Go library offers the acceptor side, so this package implements the part
// of MS-NLMP those clients exercise, and the HTTP-SPNEGO-session-encrypted body
// framing of MS-WSMV 2.2.9.1.1 on top of it.
//
// # Entry points
//
// A host has one [Server], which says how the host names itself in CHALLENGE
// messages and looks up passwords. Each TCP connection that starts NTLM gets a
// [Handshake] from [Server.NewHandshake]:
//
//  1. [Handshake.Challenge] turns the client's NEGOTIATE into a CHALLENGE.
//  2. [Handshake.Authenticate] verifies the client's AUTHENTICATE and returns
//     the connection's [Session].
//
// When the session can seal ([Session.CanSeal]), [Session.OpenMessage] decrypts
// a request body sent with [EncryptedContentType] and [Session.SealMessage]
// encrypts a reply body; [Session.Unseal] and [Session.Seal] are the same
// operations without the multipart framing.
//
// Tokens are raw NTLMSSP messages as carried in "Authorization: Negotiate
// <base64>" by all supported clients; base64 and the HTTP exchange belong to
// the caller.
//
// # Errors
//
// Malformed input of any kind wraps [ErrBadMessage] and says which field or
// offset was wrong; rejected credentials wrap [ErrAuthFailed]. No error ever
// contains a password or a hash.
//
// # What it deliberately does not do
//
//   - NTLMv1 and LM responses are rejected, as a Windows host with
//     LmCompatibilityLevel 5 does; NTLMv1 session keys (LM_KEY) are never
//     offered.
//   - No Kerberos and no SPNEGO wrapping: the simulator has no KDC, and the
//     supported clients send raw NTLMSSP inside Negotiate.
//   - No connectionless (datagram) mode: WinRM binds NTLM to one TCP
//     connection, so RC4 state runs on across messages.
//   - Signing without sealing, and session security without extended session
//     security, are not implemented because no WinRM client uses them.
//   - The MIC and channel bindings are not checked: a simulator gains nothing
//     from rejecting them, and Windows' default CbtHardeningLevel is Relaxed.
package ntlm
