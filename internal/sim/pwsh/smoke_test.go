package pwsh

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
)

type smokeHost struct{ ver int; tcp bool }

func (h smokeHost) ComputerName() string { return "WIN-SIM01" }
func (h smokeHost) PSVersion() int       { return h.ver }
func (h smokeHost) HasNetTCPIP() bool    { return h.tcp }
func (h smokeHost) TCPConnections() []Conn {
	return []Conn{
		{LocalAddress: netip.MustParseAddr("::"), RemoteAddress: netip.MustParseAddr("::"), LocalPort: 135, State: 2, OwningProcess: 900},
		{LocalAddress: netip.MustParseAddr("192.168.10.157"), RemoteAddress: netip.MustParseAddr("0.0.0.0"), LocalPort: 135, State: 2, OwningProcess: 900},
		{LocalAddress: netip.MustParseAddr("10.0.0.5"), RemoteAddress: netip.MustParseAddr("10.0.0.9"), LocalPort: 5985, RemotePort: 50123, State: 5, OwningProcess: 4},
	}
}
func (h smokeHost) RunNative(ctx context.Context, line string, stdout, stderr io.Writer) int {
	if line == "hostname" { io.WriteString(stdout, "WIN-SIM01\r\n"); return 0 }
	fmt.Fprintf(stdout, "[native %q]\r\n", line)
	return 0
}

func enc(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u { b[2*i] = byte(c); b[2*i+1] = byte(c >> 8) }
	return base64.StdEncoding.EncodeToString(b)
}

func TestSmoke(t *testing.T) {
	scripts := strings.Split(os.Getenv("SMOKE"), "\n---\n")
	for _, sc := range scripts {
		var o, e bytes.Buffer
		code := Main(context.Background(), smokeHost{5, true}, []string{"-NoProfile", "-NonInteractive", "-EncodedCommand", enc(sc)}, nil, &o, &e)
		fmt.Printf("=== %q\n--- exit %d\n--- stdout %q\n%s--- stderr %q\n", sc, code, o.String(), o.String(), e.String())
	}
}
