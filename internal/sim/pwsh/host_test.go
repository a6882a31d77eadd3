package pwsh

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
)

// fakeHost is a simulated Windows host for the tests.
type fakeHost struct {
	name   string
	ver    int
	netTCP bool
	conns  []Conn

	mu      sync.Mutex
	natives []string
	// native answers RunNative by command line; absent lines print a marker.
	native map[string]nativeResult
}

type nativeResult struct {
	stdout, stderr string
	code           int
}

func (h *fakeHost) ComputerName() string   { return h.name }
func (h *fakeHost) PSVersion() int         { return h.ver }
func (h *fakeHost) HasNetTCPIP() bool      { return h.netTCP }
func (h *fakeHost) TCPConnections() []Conn { return h.conns }

func (h *fakeHost) RunNative(ctx context.Context, line string, stdout, stderr io.Writer) int {
	h.mu.Lock()
	h.natives = append(h.natives, line)
	h.mu.Unlock()
	if r, ok := h.native[line]; ok {
		_, _ = io.WriteString(stdout, r.stdout)
		_, _ = io.WriteString(stderr, r.stderr)
		return r.code
	}
	fmt.Fprintf(stdout, "[native %s]\r\n", line)
	return 0
}

// inspecConns are the two listeners of corpus
// Get-NetTCPConnection-listen-ConvertTo-Json-inspec.txt, plus one
// established connection.
func inspecConns() []Conn {
	return []Conn{
		{LocalAddress: netip.MustParseAddr("::"), RemoteAddress: netip.MustParseAddr("::"), LocalPort: 135, State: StateListen, OwningProcess: 964},
		{LocalAddress: netip.MustParseAddr("192.168.10.157"), RemoteAddress: netip.MustParseAddr("0.0.0.0"), LocalPort: 135, State: StateListen, OwningProcess: 964},
		{LocalAddress: netip.MustParseAddr("192.168.10.157"), RemoteAddress: netip.MustParseAddr("192.168.10.20"), LocalPort: 5985, RemotePort: 50123, State: StateEstablished, OwningProcess: 4},
	}
}

func server2016() *fakeHost {
	return &fakeHost{name: "WIN-SIM01", ver: 5, netTCP: true, conns: inspecConns(), native: map[string]nativeResult{
		"hostname": {stdout: "WIN-SIM01\r\n"},
	}}
}

func server2008R2() *fakeHost {
	return &fakeHost{name: "WIN-OLD01", ver: 2, netTCP: false, conns: inspecConns(), native: map[string]nativeResult{
		"hostname": {stdout: "WIN-OLD01\r\n"},
	}}
}

// encode is what clients put after -EncodedCommand: base64 of UTF-16LE.
func encode(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i] = byte(c)
		b[2*i+1] = byte(c >> 8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t testing.TB, h Host, args []string, stdin string) result {
	t.Helper()
	var o, e bytes.Buffer
	code := Main(context.Background(), h, args, strings.NewReader(stdin), &o, &e)
	return result{code, o.String(), e.String()}
}

// runEncoded runs a script the way Ansible raw sends it.
func runEncoded(t testing.TB, h Host, script string) result {
	t.Helper()
	return run(t, h, []string{"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-EncodedCommand", encode(script)}, "")
}

// clixmlErrors builds the CLIXML stderr of error-view lines.
func clixmlErrors(lines ...string) string {
	var b strings.Builder
	b.WriteString("#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`)
	for _, l := range lines {
		b.WriteString(`<S S="Error">` + clixmlString(l+"\r\n") + `</S>`)
	}
	b.WriteString(`</Objs>`)
	return b.String()
}

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
