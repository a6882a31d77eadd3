package winhost

// powershell.exe: the arguments go to package pwsh, which emulates
// Windows PowerShell; this file is the host side of it.
//
// pwsh writes UTF-8; the bytes are transcoded to the shell's code page
// (Command.Codepage; 0 means the host's OEM code page), as powershell.exe
// encodes with the console output encoding the shell set. Native commands
// a script runs (netstat, reg, ...) run through this package's cmd
// interpreter; their OEM output is decoded to UTF-8 before pwsh sees it,
// as PowerShell decodes native output with the OEM code page.

import (
	"bytes"
	"context"
	"io"

	"github.com/fleetport/fleetport/internal/sim/pwsh"
)

// pwshHost adapts a Host to pwsh.Host for one command.
type pwshHost struct {
	e *execEnv
}

func (p pwshHost) ComputerName() string { return p.e.h.name }

func (p pwshHost) PSVersion() int { return p.e.h.info.psVersion }

func (p pwshHost) HasNetTCPIP() bool { return p.e.h.info.netTCPIP }

func (p pwshHost) TCPConnections() []pwsh.Conn {
	rows := p.e.h.tcpConns()
	out := make([]pwsh.Conn, 0, len(rows))
	for _, r := range rows {
		remote := r.remote.Addr()
		if !remote.IsValid() {
			remote = unspecifiedLike(r.local.Addr())
		}
		out = append(out, pwsh.Conn{
			LocalAddress:  r.local.Addr().WithZone(""),
			RemoteAddress: remote.WithZone(""),
			LocalPort:     r.local.Port(),
			RemotePort:    r.remote.Port(),
			State:         int(r.state),
			OwningProcess: r.pid,
		})
	}
	return out
}

func (p pwshHost) RunNative(ctx context.Context, line string, stdout, stderr io.Writer) int {
	var o, e bytes.Buffer
	child := *p.e
	child.ctx = ctx
	child.depth++
	child.exited = false
	child.setOut(&o, &e)
	code := child.runLine(line)
	if stdout != nil {
		_, _ = io.WriteString(stdout, decodeOEM(p.e.h.oemCP, o.Bytes()))
	}
	if stderr != nil {
		_, _ = io.WriteString(stderr, decodeOEM(p.e.h.oemCP, e.Bytes()))
	}
	return code
}

var _ pwsh.Host = pwshHost{}

func runPowerShell(e *execEnv, args []string, _ string) int {
	cp := e.shellCP
	if cp == 0 || !knownCodepage(cp) {
		cp = e.h.oemCP
	}
	out := &utf8Transcoder{w: e.rawOut, cp: cp}
	errw := &utf8Transcoder{w: e.rawErr, cp: cp}
	code := pwsh.Main(e.ctx, pwshHost{e: e}, args, e.stdin, out, errw)
	out.flush()
	errw.flush()
	return code
}
