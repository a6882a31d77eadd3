package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
)

//go:generate go run golang.org/x/tools/cmd/stringer -type=Class -linecomment

// Class is what kind of failure an [Error] is. The names are the host
// statuses of a run.
type Class int

const (
	// ClassUnreachable: the host could not be reached or went away: the
	// connection was refused or reset, there is no route, the name does
	// not resolve, or the connection was cut during a request.
	ClassUnreachable Class = iota + 1 // unreachable
	// ClassTimeout: a deadline passed (the caller's, RequestTimeout,
	// ConnectTimeout) or the caller cancelled: the host is hung or slow.
	ClassTimeout // timeout
	// ClassAuth: the host refused the credentials (HTTP 401), or offers no
	// scheme the session can use.
	ClassAuth // auth
	// ClassTLS: the TLS handshake failed: an untrusted or mismatched
	// certificate, or no TLS on the port.
	ClassTLS // tls
	// ClassQuota: the host's WinRM quotas (shells, operations or users
	// per user) stayed exhausted, or it answered HTTP 503 (its request
	// queue full), through every retry.
	ClassQuota // quota
	// ClassProtocol: the host answered something the session cannot use:
	// malformed or oversized answers, unexpected SOAP faults, HTTP 400 or
	// 413, an empty shell id, a lost shell or command.
	ClassProtocol // protocol
	// ClassCommand: the command ran and exited non-zero, and the caller
	// asked for that to be a failure ([Command.CheckExit]).
	ClassCommand // command-failed
	// ClassConfig: the caller's input is unusable: invalid endpoint or
	// options, unreadable CA or Kerberos files, a command line too long
	// for cmd.exe, a closed session. No request was sent for it.
	ClassConfig // config
)

// Error is every error a [Session] returns. Match it with [errors.As] and
// look at Class; Err is the cause ([*Fault], [*HTTPError], a net or TLS
// error, a context error or one of the Err variables), so errors.Is and
// errors.As see through it. No Error ever contains a credential.
type Error struct {
	Class Class
	// Op is the step that failed: "open", "create", "command",
	// "receive", "signal", "delete", "run".
	Op string
	// Host is the endpoint address, "host:port".
	Host string
	// Code is the WS-Man fault code (for example 2150859173) when a
	// fault caused the error, the HTTP status for an HTTP-level refusal,
	// the exit code for ClassCommand, else 0.
	Code int
	Err  error
}

func (e *Error) Error() string {
	return "winrm " + e.Op + " on " + e.Host + ": " + e.Class.String() + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the Class of the first [*Error] in err's chain, or 0 when
// there is none.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return 0
}

// Errors a [Session] wraps in an [*Error].
var (
	// ErrClosed: the session was closed.
	ErrClosed = errors.New("session closed")
	// ErrEmptyShellID: Create answered without a shell id (masterzen
	// returns such a shell when it hides a fault).
	ErrEmptyShellID = errors.New("host created a shell without an id")
	// ErrShellLost: the host no longer knows the session's shell (WinRM
	// restarted, the shell idled out, the host rebooted). With Op
	// "receive" the command may have run. With Op "command" the host
	// refused the Command, so it did not run: Run already sent it again
	// on a new shell, and that one was lost too. The next Run opens a new
	// shell.
	ErrShellLost = errors.New("shell lost on the host")
	// ErrCommandLost: the host no longer knows the running command.
	ErrCommandLost = errors.New("command lost on the host")
	// ErrOutputLimit: a command wrote more than Options.MaxOutputBytes;
	// it was stopped and the output cut.
	ErrOutputLimit = errors.New("command output over the limit")
	// ErrResponseTooLarge: one HTTP answer exceeded
	// Options.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("answer over the size limit")
	// ErrCommandTooLong: the command line exceeds cmd.exe's 8191
	// characters; it was not sent.
	ErrCommandTooLong = errors.New("command line too long for cmd.exe")
	// ErrBadCommand: the command line is empty or holds characters that
	// cannot be sent (control characters, invalid UTF-8, "]]>").
	ErrBadCommand = errors.New("command line cannot be sent")
	// ErrNotEncrypted: the host did not agree to NTLM message encryption
	// or answered an encrypted session in clear text.
	ErrNotEncrypted = errors.New("host does not encrypt the session")
)

// HTTPError is an HTTP answer without a usable SOAP body: 401, 400, 413,
// or any other status but 200 and 500.
type HTTPError struct {
	Status int
	// Detail says what the status means here.
	Detail string
}

func (e *HTTPError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Status)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// ExitError is the cause of a [ClassCommand] error.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return "exit code " + strconv.Itoa(e.Code) }

// setupError is a failure while opening a connection (TCP, TLS, NTLM
// handshake): no SOAP message was sent on it.
type setupError struct {
	step string // "dial", "tls", "ntlm"
	err  error
}

func (e *setupError) Error() string { return e.step + ": " + e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

// authError is a refusal of the credentials.
type authError struct{ detail string }

func (e *authError) Error() string { return "credentials refused: " + e.detail }

// protoError is an answer the session cannot use.
type protoError struct{ msg string }

func (e *protoError) Error() string { return e.msg }

func protof(format string, args ...any) error { return &protoError{fmt.Sprintf(format, args...)} }

// classify maps a cause to its Class.
func classify(err error) Class {
	var (
		f     *Fault
		he    *HTTPError
		ae    *authError
		se    *setupError
		ne    net.Error
		dns   *net.DNSError
		cve   *tls.CertificateVerificationError
		uae   x509.UnknownAuthorityError
		hne   x509.HostnameError
		cie   x509.CertificateInvalidError
		rhe   tls.RecordHeaderError
		alert tls.AlertError
		ee    *ExitError
	)
	switch {
	case errors.As(err, &ee):
		return ClassCommand
	case errors.As(err, &f):
		if f.Quota() {
			return ClassQuota
		}
		if f.AccessDenied() {
			return ClassAuth
		}
		return ClassProtocol
	case errors.As(err, &ae):
		return ClassAuth
	case errors.As(err, &he):
		switch he.Status {
		case 401:
			return ClassAuth
		case 503:
			return ClassQuota
		}
		return ClassProtocol
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return ClassTimeout
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie),
		errors.As(err, &rhe), errors.As(err, &alert):
		return ClassTLS
	case errors.As(err, &se) && se.step == "tls" && !isConnLoss(err):
		return ClassTLS
	case errors.As(err, &dns), isConnLoss(err):
		return ClassUnreachable
	case errors.As(err, &se) && se.step == "dial":
		return ClassUnreachable
	case errors.Is(err, ErrCommandTooLong), errors.Is(err, ErrBadCommand), errors.Is(err, ErrClosed):
		return ClassConfig
	}
	return ClassProtocol
}

// isConnLoss reports a refused, reset or cut connection.
func isConnLoss(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// retryableSetup reports a failure to open a connection that may pass on
// another try: refused or reset before any SOAP message went out. Refused
// credentials, certificates, DNS failures and timeouts are not retried.
func retryableSetup(err error) bool {
	var se *setupError
	if !errors.As(err, &se) {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// errorCode is the Error.Code for a cause.
func errorCode(err error) int {
	var (
		f  *Fault
		he *HTTPError
		ee *ExitError
	)
	switch {
	case errors.As(err, &f):
		return int(f.Code)
	case errors.As(err, &he):
		return he.Status
	case errors.As(err, &ee):
		return ee.Code
	}
	return 0
}
