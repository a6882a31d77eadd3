package wsman

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

const (
	// maxCommandLine is the CreateProcess limit (32767 UTF-16 units); a
	// longer line fails at Command with "The filename or extension is too
	// long." (masterzen fixture_test executeCommandResponseWithError).
	maxCommandLine = 32767
	// coalesceWindow is how long a Receive that has output waits for more
	// output or the exit of the command, so that a quick command is answered
	// in one response as Windows does (pypsrp/test_winrs_standard).
	coalesceWindow = 15 * time.Millisecond
	// minIdle is the smallest idle timeout Windows accepts (learn.microsoft.com
	// winrm quotas: "The minimum time is 1000 milliseconds").
	minIdle = time.Second
	// defaultCodepage is the OEM codepage a shell gets without WINRS_CODEPAGE.
	defaultCodepage = 437

	signalTerminate = nsShell + "/signal/terminate"
	signalCtrlC     = nsShell + "/signal/ctrl_c"
	signalCtrlBreak = nsShell + "/signal/ctrl_break"
)

// create handles transfer/Create on the cmd resource.
func (s *Service) create(rq *request, user, clientIP string, limited bool) Response {
	el := rq.body
	if el == nil || el.Space != nsShell || el.Local != "Shell" {
		return s.fault(faultSchema(), rq.messageID)
	}
	sh := &shell{
		user:          user,
		userKey:       userKey(user),
		clientIP:      clientIP,
		limited:       limited,
		inputStreams:  "stdin",
		outputStreams: "stdout stderr",
		codepage:      defaultCodepage,
		noProfile:     rq.optionBool("WINRS_NOPROFILE"),
		idle:          s.cfg.IdleTimeout,
		commands:      map[string]*command{},
	}
	if k := el.child(nsShell, "InputStreams"); k != nil {
		sh.inputStreams = strings.Join(strings.Fields(k.Text), " ")
	}
	if k := el.child(nsShell, "OutputStreams"); k != nil {
		sh.outputStreams = strings.Join(strings.Fields(k.Text), " ")
	}
	if k := el.child(nsShell, "WorkingDirectory"); k != nil {
		sh.workDir = k.Text
	}
	if k := el.child(nsShell, "Environment"); k != nil {
		for _, v := range k.children(nsShell, "Variable") {
			name, _ := v.attr("Name")
			sh.env = append(sh.env, option{name: name, value: v.Text})
		}
	}
	if k := el.child(nsShell, "IdleTimeOut"); k != nil {
		d, ok := parseDuration(k.Text)
		if !ok {
			return s.fault(faultBadParameter(), rq.messageID)
		}
		sh.idle = min(max(d, minIdle), s.cfg.IdleTimeout)
	}
	if v, ok := rq.option("WINRS_CODEPAGE"); ok {
		cp, err := strconv.Atoi(v)
		if err != nil || cp <= 0 || cp > 65535 {
			return s.fault(faultBadParameter(), rq.messageID)
		}
		sh.codepage = cp
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.fault(faultUnavailable(), rq.messageID)
	}
	users := map[string]bool{}
	mine := 0
	for _, o := range s.shells {
		users[o.userKey] = true
		if o.userKey == sh.userKey {
			mine++
		}
	}
	if mine == 0 && len(users) >= s.cfg.MaxConcurrentUsers {
		s.mu.Unlock()
		return s.fault(quotaFault(s.cfg.LegacyFaults, textQuotaUsers, textQuotaUsers, codeQuotaUsers), rq.messageID)
	}
	if mine >= s.cfg.MaxShellsPerUser {
		s.mu.Unlock()
		msg := formatInt(textQuotaShellsN, s.cfg.MaxShellsPerUser)
		return s.fault(quotaFault(s.cfg.LegacyFaults, textQuotaShells, msg, codeQuotaShells), rq.messageID)
	}
	sh.id = strings.ToUpper(s.newID())
	sh.ctx, sh.cancel = context.WithCancel(s.root)
	sh.last = s.now()
	s.shells[sh.id] = sh
	s.mu.Unlock()
	s.created.Add(1)

	id := esc(sh.id)
	var b strings.Builder
	b.WriteString(`<x:ResourceCreated><a:Address>`)
	b.WriteString(esc(s.cfg.Address))
	b.WriteString(`</a:Address><a:ReferenceParameters><w:ResourceURI>` + resourceCmd + `</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">`)
	b.WriteString(id)
	b.WriteString(`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`)
	b.WriteString(`<rsp:Shell xmlns:rsp="` + nsShell + `"><rsp:ShellId>`)
	b.WriteString(id)
	b.WriteString(`</rsp:ShellId><rsp:ResourceUri>` + resourceCmd + `</rsp:ResourceUri><rsp:Owner>`)
	b.WriteString(esc(user))
	b.WriteString(`</rsp:Owner><rsp:ClientIP>`)
	b.WriteString(esc(clientIP))
	b.WriteString(`</rsp:ClientIP>`)
	if len(sh.env) > 0 {
		b.WriteString(`<rsp:Environment>`)
		for _, v := range sh.env {
			// Windows drops backslashes from the names it echoes (the
			// process still sees them): pypsrp/test_winrs_environment.
			b.WriteString(`<rsp:Variable Name="`)
			b.WriteString(esc(strings.ReplaceAll(v.name, `\`, "")))
			b.WriteString(`">`)
			b.WriteString(esc(v.value))
			b.WriteString(`</rsp:Variable>`)
		}
		b.WriteString(`</rsp:Environment>`)
	}
	if sh.workDir != "" {
		b.WriteString(`<rsp:WorkingDirectory>`)
		b.WriteString(esc(sh.workDir))
		b.WriteString(`</rsp:WorkingDirectory>`)
	}
	b.WriteString(`<rsp:IdleTimeOut>`)
	b.WriteString(formatSeconds(sh.idle))
	b.WriteString(`</rsp:IdleTimeOut><rsp:InputStreams>`)
	b.WriteString(esc(sh.inputStreams))
	b.WriteString(`</rsp:InputStreams><rsp:OutputStreams>`)
	b.WriteString(esc(sh.outputStreams))
	b.WriteString(`</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`)
	return s.ok(nsSetTransfer, nsTransfer+"/CreateResponse", rq, b.String())
}

func formatInt(format string, n int) string {
	return strings.Replace(format, "%d", strconv.Itoa(n), 1)
}

// command handles shell/Command.
func (s *Service) command(rq *request, sh *shell) Response {
	el := rq.body
	if el == nil || el.Space != nsShell || el.Local != "CommandLine" {
		return s.fault(faultSchema(), rq.messageID)
	}
	cmdEl := el.child(nsShell, "Command")
	if cmdEl == nil || strings.TrimSpace(cmdEl.Text) == "" {
		// masterzen/winrm issue #80: a Command without a command line gets
		// w:InvalidParameter "The parameter is incorrect."
		return s.fault(faultBadParameter(), rq.messageID)
	}
	line := cmdEl.Text
	for _, a := range el.children(nsShell, "Arguments") {
		line += " " + a.Text
	}
	if len(line) > maxCommandLine && len(utf16.Encode([]rune(line))) > maxCommandLine {
		return s.fault(faultTooLong(), rq.messageID)
	}

	s.mu.Lock()
	if s.closed || s.shellGoneLocked(sh) {
		s.mu.Unlock()
		return s.fault(faultShellNotFound(sh.id), rq.messageID)
	}
	used := 0
	for _, o := range s.shells {
		if o.userKey == sh.userKey {
			used += o.started
		}
	}
	if used >= s.cfg.MaxConcurrentOperationsPerUser {
		s.mu.Unlock()
		msg := formatInt(textQuotaOperationsN, s.cfg.MaxConcurrentOperationsPerUser)
		return s.fault(quotaFault(s.cfg.LegacyFaults, textQuotaOperations, msg, codeQuotaOperations), rq.messageID)
	}
	sh.started++
	c := newCommand(sh.ctx, strings.ToUpper(s.newID()))
	sh.commands[c.id] = c
	var env map[string]string
	if len(sh.env) > 0 {
		env = make(map[string]string, len(sh.env))
		for _, v := range sh.env {
			env[v.name] = v.value
		}
	}
	req := ExecRequest{
		ShellID:          sh.id,
		CommandID:        c.id,
		CommandLine:      line,
		SkipCmdShell:     rq.optionBool("WINRS_SKIP_CMD_SHELL"),
		ConsoleModeStdin: rq.optionBool("WINRS_CONSOLEMODE_STDIN"),
		Codepage:         sh.codepage,
		NoProfile:        sh.noProfile,
		WorkingDirectory: sh.workDir,
		Env:              env,
		User:             sh.user,
		Limited:          sh.limited,
		Stdin:            stdinReader{c},
		Stdout:           streamWriter{c, "stdout"},
		Stderr:           streamWriter{c, "stderr"},
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.finish(s.backend.Exec(c.ctx, req))
	}()

	body := `<rsp:CommandResponse><rsp:CommandId>` + esc(c.id) + `</rsp:CommandId></rsp:CommandResponse>`
	return s.ok(nsSetTransfer, nsShell+"/CommandResponse", rq, body)
}

// lookupCommand finds a command of sh by the id a client sent.
func (s *Service) lookupCommand(sh *shell, id string) (*command, *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shellGoneLocked(sh) {
		return nil, faultShellNotFound(sh.id)
	}
	c := sh.commands[strings.ToUpper(strings.TrimSpace(id))]
	if c == nil {
		return nil, faultBadCommandID()
	}
	return c, nil
}

// goneFault is the fault for a command that disappeared while a request
// waited on it.
func (s *Service) goneFault(sh *shell) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shellGoneLocked(sh) {
		return faultShellNotFound(sh.id)
	}
	return faultBadCommandID()
}

// send handles shell/Send: base64 stdin for one or more commands.
func (s *Service) send(ctx context.Context, rq *request, sh *shell, timeout time.Duration) Response {
	el := rq.body
	if el == nil || el.Space != nsShell || el.Local != "Send" {
		return s.fault(faultSchema(), rq.messageID)
	}
	streams := el.children(nsShell, "Stream")
	if len(streams) == 0 {
		return s.fault(faultSchema(), rq.messageID)
	}
	type input struct {
		c    *command
		data []byte
		end  bool
	}
	inputs := make([]input, 0, len(streams))
	for _, st := range streams {
		if name, _ := st.attr("Name"); !strings.EqualFold(name, "stdin") {
			return s.fault(faultBadParameter(), rq.messageID)
		}
		cid, ok := st.attr("CommandId")
		if !ok {
			return s.fault(faultBadParameter(), rq.messageID)
		}
		c, f := s.lookupCommand(sh, cid)
		if f != nil {
			return s.fault(f, rq.messageID)
		}
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(st.Text), ""))
		if err != nil {
			return s.fault(faultBadParameter(), rq.messageID)
		}
		end, _ := st.attr("End")
		inputs = append(inputs, input{c, data, parseBool(end)})
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for _, in := range inputs {
		if f := s.pushStdin(ctx, timer.C, sh, in.c, in.data, in.end); f != nil {
			return s.fault(f, rq.messageID)
		}
	}
	return s.ok(nsSetTransfer, nsShell+"/SendResponse", rq, `<rsp:SendResponse/>`)
}

// pushStdin queues data for the process, waiting for room while the
// process has not read what was sent before.
func (s *Service) pushStdin(ctx context.Context, deadline <-chan time.Time, sh *shell, c *command, data []byte, end bool) *fault {
	c.mu.Lock()
	for {
		if c.removed {
			c.mu.Unlock()
			return s.goneFault(sh)
		}
		if c.stdinEOF || c.exited || c.ctx.Err() != nil {
			// Nobody will read it: Windows accepts and drops it.
			c.mu.Unlock()
			return nil
		}
		if len(c.stdin) == 0 || len(c.stdin)+len(data) <= stdinLimit {
			c.stdin = append(c.stdin, data...)
			if end {
				c.stdinEOF = true
			}
			c.notifyLocked()
			c.mu.Unlock()
			return nil
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return faultTimedOut()
		case <-ctx.Done():
			return faultTimedOut()
		}
		c.mu.Lock()
	}
}

// receive handles shell/Receive: a long poll for output.
func (s *Service) receive(ctx context.Context, rq *request, sh *shell, timeout time.Duration, maxEnv int) Response {
	el := rq.body
	if el == nil || el.Space != nsShell || el.Local != "Receive" {
		return s.fault(faultSchema(), rq.messageID)
	}
	ds := el.child(nsShell, "DesiredStream")
	if ds == nil {
		return s.fault(faultBadParameter(), rq.messageID)
	}
	cid, ok := ds.attr("CommandId")
	if !ok {
		// pypsrp/test_winrs_fail_poll_process: no CommandId -> 87.
		return s.fault(faultBadParameter(), rq.messageID)
	}
	var want streamSet
	for _, f := range strings.Fields(ds.Text) {
		switch {
		case strings.EqualFold(f, "stdout"):
			want.stdout = true
		case strings.EqualFold(f, "stderr"):
			want.stderr = true
		}
	}
	if !want.stdout && !want.stderr {
		want = streamSet{stdout: true, stderr: true}
	}
	c, f := s.lookupCommand(sh, cid)
	if f != nil {
		return s.fault(f, rq.messageID)
	}

	// The response must fit the client's MaxEnvelopeSize.
	messageID := s.newID()
	head := receiveHead(messageID, rq.messageID)
	budget := maxEnv - len(head) - len(receiveTail) - maxStateLen(c.id)

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var (
		coalesceTimer *time.Timer
		coalesce      <-chan time.Time
		coalesced     bool
	)
	defer func() {
		if coalesceTimer != nil {
			coalesceTimer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.removed {
			c.mu.Unlock()
			return s.fault(s.goneFault(sh), rq.messageID)
		}
		has := c.hasOutputLocked(want)
		if c.exited || has && (coalesced || c.outBytes >= budget) {
			body := buildReceive(c, want, head, budget)
			c.notifyLocked()
			c.mu.Unlock()
			return Response{Status: 200, Body: body}
		}
		ch := c.changed
		c.mu.Unlock()
		if has && coalesceTimer == nil {
			coalesceTimer = time.NewTimer(coalesceWindow)
			coalesce = coalesceTimer.C
		}
		select {
		case <-ch:
		case <-coalesce:
			coalesced = true
		case <-deadline.C:
			return s.fault(faultTimedOut(), rq.messageID)
		case <-ctx.Done():
			return s.fault(faultTimedOut(), rq.messageID)
		}
	}
}

const receiveTail = `</rsp:ReceiveResponse>` + tail

func receiveHead(messageID, relatesTo string) string {
	var b strings.Builder
	writeHead(&b, nsSetReceive, nsShell+"/ReceiveResponse", messageID, relatesTo, true)
	b.WriteString(`<rsp:ReceiveResponse>`)
	return b.String()
}

func streamOpen(name, cid string) string {
	return `<rsp:Stream Name="` + name + `" CommandId="` + cid + `">`
}

const streamClose = `</rsp:Stream>`

func runningState(cid string) string {
	return `<rsp:CommandState CommandId="` + cid + `" State="` + stateRunning + `"></rsp:CommandState>`
}

func doneState(cid string, want streamSet, exitCode int) string {
	var b strings.Builder
	for _, name := range []string{"stdout", "stderr"} {
		if want.has(name) {
			b.WriteString(`<rsp:Stream Name="` + name + `" CommandId="` + cid + `" End="true"></rsp:Stream>`)
		}
	}
	b.WriteString(`<rsp:CommandState CommandId="` + cid + `" State="` + stateDone + `"><rsp:ExitCode>`)
	// Windows exit codes are DWORDs (0xC000013A is 3221225786).
	b.WriteString(strconv.FormatUint(uint64(uint32(exitCode)), 10))
	b.WriteString(`</rsp:ExitCode></rsp:CommandState>`)
	return b.String()
}

// maxStateLen is the largest state part a response for this command can
// end with.
func maxStateLen(id string) int {
	cid := esc(id)
	return max(len(runningState(cid)), len(doneState(cid, streamSet{true, true}, -1)))
}

// buildReceive takes as much buffered output as fits in budget bytes and
// renders the ReceiveResponse. c.mu must be held.
func buildReceive(c *command, want streamSet, head string, budget int) []byte {
	cid := esc(c.id)
	overhead := len(streamOpen("stdout", cid)) + len(streamClose)
	var b strings.Builder
	b.Grow(len(head) + min(c.outBytes*4/3+256, budget+1024))
	b.WriteString(head)
	left := budget
	kept := c.out[:0]
	full := false
	taken := 0
	for i, ch := range c.out {
		if full || !want.has(ch.stream) {
			kept = append(kept, ch)
			continue
		}
		room := (left - overhead) / 4 * 3
		if room <= 0 {
			full = true
			kept = append(kept, c.out[i:]...)
			break
		}
		part := ch.data
		if len(part) > room {
			part = part[:room]
			full = true
		}
		b.WriteString(streamOpen(ch.stream, cid))
		b.WriteString(base64.StdEncoding.EncodeToString(part))
		b.WriteString(streamClose)
		left -= overhead + base64.StdEncoding.EncodedLen(len(part))
		taken += len(part)
		if rest := ch.data[len(part):]; len(rest) > 0 {
			kept = append(kept, chunk{stream: ch.stream, data: rest})
		}
	}
	// Clear the tail so dropped chunks can be collected.
	for i := len(kept); i < len(c.out); i++ {
		c.out[i] = chunk{}
	}
	c.out = kept
	c.outBytes -= taken
	if c.exited && !c.hasOutputLocked(want) {
		b.WriteString(doneState(cid, want, c.exitCode))
	} else {
		b.WriteString(runningState(cid))
	}
	b.WriteString(receiveTail)
	return []byte(b.String())
}

// signal handles shell/Signal. terminate (and any Signal to a command that
// has exited) cancels the command and forgets its id; ctrl_c and ctrl_break
// cancel a running command but keep it, so that a Receive still gets its
// last output and exit code.
func (s *Service) signal(rq *request, sh *shell) Response {
	el := rq.body
	if el == nil || el.Space != nsShell || el.Local != "Signal" {
		return s.fault(faultSchema(), rq.messageID)
	}
	cid, ok := el.attr("CommandId")
	if !ok {
		return s.fault(faultBadParameter(), rq.messageID)
	}
	code := ""
	if k := el.child(nsShell, "Code"); k != nil {
		code = strings.TrimSpace(k.Text)
	}
	switch code {
	case signalTerminate, signalCtrlC, signalCtrlBreak:
	default:
		return s.fault(faultBadParameter(), rq.messageID)
	}
	s.mu.Lock()
	if s.shellGoneLocked(sh) {
		s.mu.Unlock()
		return s.fault(faultShellNotFound(sh.id), rq.messageID)
	}
	key := strings.ToUpper(strings.TrimSpace(cid))
	c := sh.commands[key]
	if c == nil {
		s.mu.Unlock()
		return s.fault(faultBadCommandID(), rq.messageID)
	}
	c.mu.Lock()
	exited := c.exited
	c.mu.Unlock()
	if code == signalTerminate || exited {
		delete(sh.commands, key)
		c.remove()
	} else {
		c.cancel()
	}
	s.mu.Unlock()
	return s.ok(nsSetTransfer, nsShell+"/SignalResponse", rq, `<rsp:SignalResponse/>`)
}

// deleteShell handles transfer/Delete: the shell, its commands and its
// quota go away.
func (s *Service) deleteShell(rq *request, sh *shell) Response {
	s.mu.Lock()
	if s.shellGoneLocked(sh) {
		s.mu.Unlock()
		return s.fault(faultShellNotFound(sh.id), rq.messageID)
	}
	s.removeShellLocked(sh)
	s.mu.Unlock()
	return s.ok(nsSetDelete, nsTransfer+"/DeleteResponse", rq, "")
}
