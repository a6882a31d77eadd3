package winhost

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Command is one command line for [Host.Exec], as a WinRM shell hands it
// to cmd.exe /c.
type Command struct {
	Line string
	// Codepage is the shell's code page (WINRS_CODEPAGE), used for
	// PowerShell's output; 0 means the host's OEM code page. The console
	// tools ignore it (see the package doc).
	Codepage int
	User     string
	// Limited runs the command without administrator rights: the user is
	// not in the host's Administrators group (see rights.go).
	Limited bool
	// Stdin is the command's input. nil means an input pipe that stays
	// open with nothing ever written to it, which is what a WinRM command
	// without Send has: a prompt then waits until ctx is done. A prompt
	// reads a non-nil Stdin in a goroutine, which ends when the reader
	// returns (close it when the command is over).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Exit codes with a meaning of their own.
const (
	// ExitNotRecognized is what cmd /c returns for an unknown program.
	// (winrm-wire.md says 1; cmd really sets ERRORLEVEL 9009, as
	// npackd/npackd#115 and #527 and microsoft/terminal#11073 show.)
	ExitNotRecognized = 9009
	// ExitTerminated is returned when ctx ends a command that was still
	// running (a prompt waiting for input, netstat with an interval):
	// STATUS_CONTROL_C_EXIT, what a console process ended by its job
	// returns.
	ExitTerminated = -1073741510
	// ExitHostDown is returned at once, without running anything, while
	// the host is rebooting or shut down.
	ExitHostDown = -1
)

// AuditEntry is one command the host ran.
type AuditEntry struct {
	Time     time.Time
	User     string
	Line     string
	ExitCode int
	// Task is set for a line run by the Task Scheduler, not a session.
	Task bool
}

// auditCap bounds the audit ring.
const auditCap = 256

type auditRing struct {
	buf  []AuditEntry
	next int
}

func (r *auditRing) add(e AuditEntry) {
	if len(r.buf) < auditCap {
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.next] = e
	r.next = (r.next + 1) % auditCap
}

func (r *auditRing) list() []AuditEntry {
	out := make([]AuditEntry, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// Audit returns the commands run on the host, oldest first (the last
// 256).
func (h *Host) Audit() []AuditEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.audit.list()
}

// Exec runs one command line the way cmd.exe /c would and returns its
// exit code. It honours ctx: a command waiting for input returns
// [ExitTerminated] when ctx is done. Service starts and stops, once
// begun, run to their end like the Service Control Manager's operations
// (so `net stop http /y` stops HTTP even though stopping WinRM on the way
// cuts the session that ran it).
func (h *Host) Exec(ctx context.Context, c Command) int {
	if ctx == nil {
		ctx = context.Background()
	}
	start := h.now()
	if !h.Up() {
		return ExitHostDown
	}
	e := &execEnv{h: h, ctx: ctx, stdin: c.Stdin, user: c.User, limitedUser: c.Limited, shellCP: c.Codepage}
	e.setOut(c.Stdout, c.Stderr)
	code := e.runLine(c.Line)
	h.record(AuditEntry{Time: start, User: c.User, Line: c.Line, ExitCode: code})
	return code
}

func (h *Host) record(a AuditEntry) {
	h.mu.Lock()
	h.audit.add(a)
	h.mu.Unlock()
}

// execEnv is one cmd.exe's context: its streams, user and ctx.
type execEnv struct {
	h              *Host
	ctx            context.Context
	stdin          io.Reader
	rawOut, rawErr io.Writer
	out, err       *console // the streams in the OEM code page
	user           string
	limitedUser    bool // the user is no administrator of the host
	shellCP        int
	task           bool
	depth          int
	exited         bool // exit was run: stop the line
	// cwd is cmd's current directory, "" for the shell's starting one
	// (see dir). cd changes it for the rest of the command line.
	cwd string
}

func (e *execEnv) setOut(stdout, stderr io.Writer) {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	e.rawOut, e.rawErr = stdout, stderr
	e.out = newConsole(stdout, e.h.oemCP)
	e.err = newConsole(stderr, e.h.oemCP)
}

// with returns a copy of e writing to other streams.
func (e *execEnv) with(stdin io.Reader, stdout, stderr io.Writer) *execEnv {
	c := *e
	c.stdin = stdin
	c.setOut(stdout, stderr)
	return &c
}

// readAnswer waits for one line of input, as a console prompt does. With
// no input pipe it waits until ctx is done (ok false); at the end of the
// input it returns "" and ok true.
func (e *execEnv) readAnswer() (string, bool) {
	if e.stdin == nil {
		<-e.ctx.Done()
		return "", false
	}
	ch := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(e.stdin).ReadString('\n')
		ch <- strings.TrimRight(line, "\r\n")
	}()
	select {
	case s := <-ch:
		return s, true
	case <-e.ctx.Done():
		return "", false
	}
}

// maxDepth bounds cmd /c nesting (each level is a new cmd.exe).
const maxDepth = 64

// runLine runs a whole command line.
func (e *execEnv) runLine(line string) int {
	if len([]rune(line)) > maxCmdLine {
		e.err.print("The command line is too long.\r\n")
		return 1
	}
	items, err := parseLine(e.expandVars(line))
	if err != nil {
		e.err.print(err.Error() + "\r\n")
		if _, ok := err.(errUnexpected); ok {
			return 255
		}
		return 1
	}
	code := 0
	for i, it := range items {
		if i > 0 && ((it.op == opAnd && code != 0) || (it.op == opOr && code == 0)) {
			continue
		}
		code = e.runPipeline(it.pipe)
		if e.exited {
			break
		}
	}
	return code
}

func (e *execEnv) runPipeline(p []simpleCmd) int {
	in := e.stdin
	code := 0
	if len(p) > 1 {
		// Each side of a pipe is a cmd of its own: a cd there is lost.
		defer func(cwd string) { e.cwd = cwd }(e.cwd)
	}
	for i, c := range p {
		if i == len(p)-1 {
			code = e.with(in, e.rawOut, e.rawErr).runSimple(c, e)
			break
		}
		var buf bytes.Buffer
		code = e.with(in, &buf, e.rawErr).runSimple(c, e)
		in = bytes.NewReader(buf.Bytes())
	}
	return code
}

// runSimple applies the redirections and runs one program. parent gets
// the exit request of `exit`.
func (e *execEnv) runSimple(c simpleCmd, parent *execEnv) int {
	stdin, stdout, stderr := e.stdin, e.rawOut, e.rawErr
	for _, r := range c.redirs {
		var w io.Writer = io.Discard // files are not modelled: output to them is dropped
		switch {
		case r.fd == 0:
			stdin = strings.NewReader("")
			continue
		case r.dupTo == 1:
			w = stdout
		case r.dupTo == 2:
			w = stderr
		}
		switch r.fd {
		case 1:
			stdout = w
		case 2:
			stderr = w
		}
	}
	env := e.with(stdin, stdout, stderr)
	code := env.dispatch(c.text)
	if env.exited {
		parent.exited = true
	}
	parent.cwd = env.cwd
	return code
}

// program is an external command or a cmd built-in.
type program struct {
	run func(e *execEnv, args []string, rest string) int
	// avail: nil = on every release.
	avail func(h *Host) bool
}

// programs are the executables the model has, by lower-case name without
// .exe; builtins are cmd's internal commands (no .exe form).
var programs, builtins map[string]program

func init() {
	vista := func(h *Host) bool { return h.info.vistaStack }
	programs = map[string]program{
		"netstat":    {run: runNetstat},
		"reg":        {run: runReg},
		"netsh":      {run: runNetsh},
		"httpcfg":    {run: runHttpcfg, avail: func(h *Host) bool { return h.os == Server2003 }},
		"net":        {run: runNet},
		"net1":       {run: runNet},
		"sc":         {run: runSc},
		"schtasks":   {run: runSchtasks},
		"shutdown":   {run: runShutdown},
		"hostname":   {run: runHostname},
		"whoami":     {run: runWhoami},
		"powershell": {run: runPowerShell, avail: vista},
		"cmd":        {run: runCmd},
		"findstr":    {run: runFindstr},
		"find":       {run: runFind},
		"wmic":       {run: runWmic},
		"cscript":    {run: runCscript},
		"ipconfig":   {run: runIpconfig},
	}
	builtins = map[string]program{
		"ver":   {run: runVer},
		"echo":  {run: runEcho},
		"exit":  {run: runExit},
		"rem":   {run: func(*execEnv, []string, string) int { return 0 }},
		"cd":    {run: runCd},
		"chdir": {run: runCd},
		"cls":   {run: func(*execEnv, []string, string) int { return 0 }},
	}
}

// dispatch finds the program of a simple command and runs it.
func (e *execEnv) dispatch(text string) int {
	name, rest := splitProgram(text)
	if name == "" {
		return 0
	}
	lower := strings.ToLower(name)
	// echo. / echo: print an empty line or the text after the mark.
	if strings.HasPrefix(lower, "echo") && len(lower) > 4 && strings.ContainsRune(".:/(", rune(lower[4])) {
		e.out.print(name[5:] + rest + "\r\n")
		return 0
	}
	// cd.. and cd\: cmd takes the mark as the start of the path.
	if strings.HasPrefix(lower, "cd") && len(lower) > 2 && strings.ContainsRune(`.\/`, rune(lower[2])) {
		return runCd(e, nil, " "+name[2:]+rest)
	}
	if b, ok := builtins[lower]; ok {
		return b.run(e, splitArgs(rest), rest)
	}
	base := lower
	if i := strings.LastIndexAny(base, `\/`); i >= 0 && strings.Contains(base, `\`) {
		base = base[i+1:]
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".exe"), ".com")
	if p, ok := programs[base]; ok && (p.avail == nil || p.avail(e.h)) {
		if e.ctx.Err() != nil {
			return ExitTerminated
		}
		return p.run(e, splitArgs(rest), rest)
	}
	e.err.print(fmt.Sprintf(e.h.text.notRecognized, name) + "\r\n")
	return ExitNotRecognized
}

func runVer(e *execEnv, _ []string, _ string) int {
	e.out.print("\r\n" + fmt.Sprintf(e.h.text.ver, e.h.build) + "\r\n")
	return 0
}

func runHostname(e *execEnv, _ []string, _ string) int {
	e.out.print(e.h.name + "\r\n")
	return 0
}

func runWhoami(e *execEnv, _ []string, _ string) int {
	u := e.user
	if u == "" {
		u = "Administrator"
	}
	if !strings.Contains(u, `\`) {
		u = e.h.name + `\` + u
	}
	e.out.print(strings.ToLower(u) + "\r\n")
	return 0
}

func runEcho(e *execEnv, _ []string, rest string) int {
	text := rest
	if len(text) > 0 {
		text = text[1:] // the one delimiter after "echo"
	}
	if strings.TrimSpace(text) == "" {
		e.out.print("ECHO is on.\r\n")
		return 0
	}
	e.out.print(text + "\r\n")
	return 0
}

func runExit(e *execEnv, args []string, _ string) int {
	e.exited = true
	for _, a := range args {
		if strings.EqualFold(a, "/b") {
			continue
		}
		n, err := strconv.Atoi(a)
		if err == nil {
			return n
		}
		break
	}
	return 0
}

// runCmd is cmd.exe started from the command line: cmd /c "..." runs the
// string as a new command line.
func runCmd(e *execEnv, _ []string, rest string) int {
	line, ok := cmdSlashC(rest)
	if !ok {
		// An interactive cmd with no input: it prints its banner and
		// ends when the input does.
		return 0
	}
	if e.depth >= maxDepth {
		e.err.print("The command line is too long.\r\n")
		return 1
	}
	child := *e
	child.depth++
	child.exited = false
	return child.runLine(line)
}
