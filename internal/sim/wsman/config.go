package wsman

import (
	"context"
	"io"
	"time"
)

// Backend runs command lines for one simulated host.
//
// Exec runs one command to completion: it may read req.Stdin (which reaches
// EOF after the client's End="true" Send, or never if the client sends
// none), writes req.Stdout and req.Stderr as it goes, and returns the exit
// code. Exec must return promptly once ctx is done; ctx ends on a Signal
// (terminate or ctrl_c), on Delete of the shell, on the shell's idle
// timeout, on Reset and on Close. After ctx is done, writes to Stdout and
// Stderr never block (they may fail) and Stdin reports EOF.
type Backend interface {
	Exec(ctx context.Context, req ExecRequest) int
}

// ExecRequest describes one command for [Backend.Exec].
type ExecRequest struct {
	// ShellID and CommandID are the uppercase ids the service handed out.
	ShellID, CommandID string
	// CommandLine is rsp:Command followed by a space and each rsp:Arguments,
	// space-joined: what cmd.exe /c receives.
	CommandLine string
	// SkipCmdShell is WINRS_SKIP_CMD_SHELL and ConsoleModeStdin is
	// WINRS_CONSOLEMODE_STDIN from the Command request.
	SkipCmdShell, ConsoleModeStdin bool
	// Codepage is the shell's WINRS_CODEPAGE, 437 when the client sent none.
	Codepage int
	// NoProfile is the shell's WINRS_NOPROFILE.
	NoProfile bool
	// WorkingDirectory is the shell's rsp:WorkingDirectory ("" if none).
	WorkingDirectory string
	// Env holds the shell's rsp:Environment variables (nil if none).
	Env map[string]string
	// User is the authenticated user that owns the shell.
	User string
	// Limited: the user is no administrator of the host (AccessLimited);
	// the command runs without administrator rights.
	Limited bool
	// Stdin carries the client's Send data.
	Stdin io.Reader
	// Stdout and Stderr are safe to write from the Exec goroutine; each
	// Write may wake a waiting Receive. A Write blocks while too much output
	// is waiting for the client (as a full console pipe does) until a
	// Receive drains it or ctx is done.
	Stdout, Stderr io.Writer
}

// Config holds the WinRM settings of one simulated host. A zero numeric
// field takes the value of [DefaultConfig], a negative quota
// (MaxShellsPerUser, MaxConcurrentOperationsPerUser, MaxConcurrentUsers)
// allows nothing; Now and NewID may be nil.
type Config struct {
	// MachineName is the Machine="" attribute of f:WSManFault details.
	MachineName string
	// Address is the a:Address in a CreateResponse, for example
	// http://127.0.1.2:5985/wsman.
	Address string
	// MaxShellsPerUser is winrs/MaxShellsPerUser (open shells per user).
	MaxShellsPerUser int
	// MaxConcurrentOperationsPerUser is service/MaxConcurrentOperationsPerUser.
	// For cmd shells every Command counts until its shell is deleted.
	MaxConcurrentOperationsPerUser int
	// MaxConcurrentUsers is winrs/MaxConcurrentUsers (distinct users with
	// open shells).
	MaxConcurrentUsers int
	// IdleTimeout is winrs/IdleTimeout: a shell without traffic for this
	// long is deleted. It is also the ceiling for a client's rsp:IdleTimeOut.
	IdleTimeout time.Duration
	// MaxTimeout is MaxTimeoutms: a larger w:OperationTimeout is clamped.
	MaxTimeout time.Duration
	// MaxEnvelopeSize is MaxEnvelopeSizekb*1024 in bytes. A larger request
	// gets HTTP 413 with no body.
	MaxEnvelopeSize int
	// LegacyFaults makes quota faults look like Server 2008 R2's
	// (f:WSManFault) instead of p:MSFT_WmiError.
	LegacyFaults bool
	// Now is the clock (nil: time.Now). It decides idle timeouts.
	Now func() time.Time
	// NewID returns a fresh uppercase UUID without "uuid:" (nil: random).
	// It is used for shell ids, command ids and response MessageIDs.
	NewID func() string
}

// DefaultConfig returns the WinRM defaults of Windows Server 2012 R2 through
// 2022: 30 shells and 1500 operations per user, 10 concurrent users, a
// 7200 s idle timeout, MaxTimeoutms 60000 and MaxEnvelopeSizekb 500 (values
// of a real winrm/config Get, see winrm-wire.md section 7).
func DefaultConfig() Config {
	return Config{
		MachineName:                    "localhost",
		Address:                        "http://localhost:5985/wsman",
		MaxShellsPerUser:               30,
		MaxConcurrentOperationsPerUser: 1500,
		MaxConcurrentUsers:             10,
		IdleTimeout:                    7200 * time.Second,
		MaxTimeout:                     60 * time.Second,
		MaxEnvelopeSize:                500 * 1024,
	}
}

// Config2008R2 returns the defaults of Windows Server 2008 R2 (WinRM 2.0):
// 5 shells and 15 operations per user, MaxEnvelopeSizekb 150 and quota
// faults in the f:WSManFault form. The other values are those of
// [DefaultConfig].
func Config2008R2() Config {
	c := DefaultConfig()
	c.MaxShellsPerUser = 5
	c.MaxConcurrentOperationsPerUser = 15
	c.MaxEnvelopeSize = 150 * 1024
	c.LegacyFaults = true
	return c
}

// Response is the answer to one request: Status is 200 (Body is a SOAP
// response), 500 (Body is a SOAP fault), 413 (request larger than
// MaxEnvelopeSize, Body nil) or 400 (empty request body, Body nil).
type Response struct {
	Status int
	Body   []byte
}

// Stats counts what a [Service] did since it was created.
type Stats struct {
	// ShellsCreated counts successful Creates; ShellsOpen is the number of
	// shells that exist now.
	ShellsCreated, ShellsOpen int64
	// Operations counts calls of [Service.Handle].
	Operations int64
	// Faults counts SOAP faults by WSManFault Code (or MSFT_WmiError
	// error_Code) as a decimal string, for example "2150858793".
	Faults map[string]int64
}
