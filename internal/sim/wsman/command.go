package wsman

import (
	"context"
	"io"
	"sync"
)

// Buffer limits. Output waiting for a Receive blocks the writer beyond
// outLimit (a console process blocks on a full pipe); Send blocks beyond
// stdinLimit bytes the process has not read yet.
const (
	outLimit   = 1 << 20
	stdinLimit = 4 << 20
)

type chunk struct {
	stream string // "stdout" or "stderr"
	data   []byte
}

// command is one rsp:Command of a shell.
//
// The fields below mu are guarded by mu. changed is closed and replaced on
// every state change, waking everyone who waits (Receive, blocked writers,
// the stdin reader, Send waiting for room).
type command struct {
	id     string
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	changed  chan struct{}
	out      []chunk
	outBytes int
	exited   bool
	exitCode int
	removed  bool // gone from its shell: Signal terminate, Delete, idle, Reset
	stdin    []byte
	stdinEOF bool
}

func newCommand(parent context.Context, id string) *command {
	ctx, cancel := context.WithCancel(parent)
	return &command{id: id, ctx: ctx, cancel: cancel, changed: make(chan struct{})}
}

// notifyLocked wakes every waiter. c.mu must be held.
func (c *command) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// finish records the exit code returned by the Backend.
func (c *command) finish(code int) {
	c.mu.Lock()
	c.exited, c.exitCode = true, code
	c.notifyLocked()
	c.mu.Unlock()
}

// remove marks the command gone and cancels it. It marks first: a Receive
// waiting on the command must see it gone (the shell-not-found fault), not
// the exit that cancelling it makes the Backend report.
func (c *command) remove() {
	c.mu.Lock()
	if !c.removed {
		c.removed = true
		c.out, c.outBytes, c.stdin = nil, 0, nil
		c.notifyLocked()
	}
	c.mu.Unlock()
	c.cancel()
}

// hasOutputLocked reports whether output for one of the wanted streams is
// buffered.
func (c *command) hasOutputLocked(want streamSet) bool {
	for _, ch := range c.out {
		if want.has(ch.stream) {
			return true
		}
	}
	return false
}

// write appends process output; see [ExecRequest].
func (c *command) write(stream string, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.mu.Lock()
	for {
		if c.removed {
			c.mu.Unlock()
			return 0, io.ErrClosedPipe
		}
		if c.outBytes == 0 || c.outBytes+len(p) <= outLimit {
			c.out = append(c.out, chunk{stream: stream, data: append([]byte(nil), p...)})
			c.outBytes += len(p)
			c.notifyLocked()
			c.mu.Unlock()
			return len(p), nil
		}
		if err := c.ctx.Err(); err != nil {
			c.mu.Unlock()
			return 0, err
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
		}
		c.mu.Lock()
	}
}

// read hands Send data to the process.
func (c *command) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.mu.Lock()
	for {
		if len(c.stdin) > 0 {
			n := copy(p, c.stdin)
			c.stdin = c.stdin[n:]
			if len(c.stdin) == 0 {
				c.stdin = nil
			}
			c.notifyLocked()
			c.mu.Unlock()
			return n, nil
		}
		if c.stdinEOF || c.removed || c.ctx.Err() != nil {
			c.mu.Unlock()
			return 0, io.EOF
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
		}
		c.mu.Lock()
	}
}

type streamWriter struct {
	c      *command
	stream string
}

func (w streamWriter) Write(p []byte) (int, error) { return w.c.write(w.stream, p) }

type stdinReader struct{ c *command }

func (r stdinReader) Read(p []byte) (int, error) { return r.c.read(p) }

// streamSet is the set of streams a Receive asked for.
type streamSet struct{ stdout, stderr bool }

func (s streamSet) has(name string) bool {
	return name == "stdout" && s.stdout || name == "stderr" && s.stderr
}
