package sim

import (
	"bytes"
	"context"
	"time"

	"github.com/fleetport/fleetport/internal/sim/winhost"
	"github.com/fleetport/fleetport/internal/sim/wsman"
)

// backend runs a shell's commands on the host model, with the host's
// injected command faults.
type backend struct{ h *Host }

func (b *backend) Exec(ctx context.Context, req wsman.ExecRequest) int {
	h := b.h
	h.commands.Add(1)
	if d := h.fleet.opts.Scenario.CommandTime + h.slowBy; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 1
		}
	}
	cmd := winhost.Command{
		Line:     req.CommandLine,
		Codepage: req.Codepage,
		User:     req.User,
		Limited:  req.Limited,
		Stdin:    req.Stdin,
		Stdout:   req.Stdout,
		Stderr:   req.Stderr,
	}
	if !h.garble {
		return h.Model.Exec(ctx, cmd)
	}
	var buf bytes.Buffer
	cmd.Stdout = &buf
	code := h.Model.Exec(ctx, cmd)
	_, _ = req.Stdout.Write(garble(buf.Bytes()))
	return code
}

// garble corrupts output the way a broken pipe, a console in the wrong mode
// or a dying process does: the first part arrives intact, then a line of
// binary junk, then the rest is cut in the middle of a line. The result is
// the same for the same input, so tests can rely on it.
func garble(b []byte) []byte {
	if len(b) == 0 {
		return []byte("\x00\xff\xfe\x1b[?1049h")
	}
	keep := len(b) / 3
	if i := bytes.IndexByte(b[keep:], '\n'); i >= 0 {
		keep += i + 1
	}
	out := append([]byte{}, b[:keep]...)
	out = append(out, "  TCP    \x00\x13\xff\xfe:\x8f\x9d  <\x07>  \xe2\x80 ?:?  \r\n"...)
	rest := b[keep:]
	cut := len(rest) / 2
	for cut > 0 && rest[cut-1] == '\n' {
		cut--
	}
	return append(out, rest[:cut]...)
}
