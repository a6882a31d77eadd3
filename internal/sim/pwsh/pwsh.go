package pwsh

import (
	"context"
	"fmt"
	"io"
	"net/netip"
)

// MSFT_NetTCPConnection State values. 1..12 are the MIB_TCP_STATE numbers
// (MS-RRASM 2.2.1.1.11, verified); Get-NetTCPConnection | ConvertTo-Json on
// Windows PowerShell 5.1 prints them as integers ("State":  2 for Listen,
// corpus Get-NetTCPConnection-listen-ConvertTo-Json-inspec.txt). Bound = 100
// is the NetTCPIP module's own addition and is not verified from a real source.
const (
	StateClosed      = 1
	StateListen      = 2
	StateSynSent     = 3
	StateSynReceived = 4
	StateEstablished = 5
	StateFinWait1    = 6
	StateFinWait2    = 7
	StateCloseWait   = 8
	StateClosing     = 9
	StateLastAck     = 10
	StateTimeWait    = 11
	StateDeleteTCB   = 12
	StateBound       = 100
)

// Conn is one TCP connection as Get-NetTCPConnection reports it (CIM class
// ROOT/StandardCimv2 MSFT_NetTCPConnection).
type Conn struct {
	LocalAddress  netip.Addr
	RemoteAddress netip.Addr
	LocalPort     uint16
	RemotePort    uint16
	// State uses the MSFT_NetTCPConnection numbering: the State constants.
	State         int
	OwningProcess uint32
}

// Host is what the emulated powershell.exe needs from the simulated machine.
// Main calls it from the goroutine that called Main only.
type Host interface {
	// ComputerName is $env:COMPUTERNAME.
	ComputerName() string
	// PSVersion is the major version of Windows PowerShell: 0 = not
	// installed, 2 on 2008 R2, 4 on 2012 R2, 5 on 2016 and later.
	PSVersion() int
	// HasNetTCPIP reports whether the NetTCPIP module (Get-NetTCPConnection)
	// exists; true from Server 2012 on.
	HasNetTCPIP() bool
	// TCPConnections is the current TCP table.
	TCPConnections() []Conn
	// RunNative runs a native command line (netstat, reg, hostname, ...)
	// the way the host's cmd interpreter would and returns its exit code.
	// A script's native commands reach it with their arguments re-quoted
	// the way Windows PowerShell 5.1 builds a command line.
	RunNative(ctx context.Context, line string, stdout, stderr io.Writer) int
}

// CommandLookup is an optional Host extension. A host that implements it
// decides which native programs exist: HasCommand gets the lower-case base
// name without directory or extension ("netstat" for
// C:\Windows\System32\NETSTAT.EXE). Without it a fixed list of programs of
// a default Windows Server install is used. A name that is neither a
// cmdlet nor a native program fails with CommandNotFoundException.
type CommandLookup interface {
	HasCommand(name string) bool
}

// Main emulates powershell.exe given its arguments after the program name.
// It writes UTF-8 text to stdout and stderr, error records as CLIXML on
// stderr when the command came from -EncodedCommand (as powershell.exe does
// when its stderr is redirected), and returns the process exit code.
// stdin is read only when the command needs it (-Command -, no command,
// Ansible module payloads, Read-Host); a read still blocked when ctx ends is
// abandoned, so the host should close stdin when the command goes away.
// See the package documentation for what is supported.
func Main(ctx context.Context, h Host, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	// A defect in the emulation must not take the simulator down: report it
	// the way a crashing powershell.exe would be seen, as a failed command.
	// (The fuzz tests call runProcess directly so that defects still fail them.)
	defer func() {
		if r := recover(); r != nil {
			_, _ = fmt.Fprintf(stderr, "fleetport simulator: internal error in the powershell.exe emulation: %v\r\n", r)
			code = 1
		}
	}()
	return runProcess(ctx, h, args, stdin, stdout, stderr, 0)
}

// NotInstalled writes what cmd.exe prints when a program does not exist
// ("'name' is not recognized as an internal or external command, ..."),
// for hosts whose PSVersion is 0, and returns cmd's exit code 9009.
// name is the program as the client spelled it (Ansible sends "PowerShell",
// masterzen "powershell.exe", pywinrm "powershell").
func NotInstalled(name string, stderr io.Writer) int {
	// cmd.exe text as quoted in ansible/ansible issue #16425 ("'PowerShell' is
	// not recognized as an internal or external command, operable program or
	// batch file."); cmd breaks it after the comma.
	_, _ = io.WriteString(stderr, "'"+name+"' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n")
	return 9009
}
