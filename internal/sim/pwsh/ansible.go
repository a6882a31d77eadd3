package pwsh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Ansible PowerShell modules (ansible-core 2.14, ansible.windows 1.14).
//
// Ansible runs every PowerShell module as
//
//	PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand <bootstrap>
//
// nested inside the same command line (fixture
// clients/ansible-core-2.14.18/Command-win_ping-module-request.xml), and then
// sends on stdin exec_wrapper.ps1 + "\0\0\0\0" + a JSON manifest
// (ansible/executor/powershell/module_manifest.py, _create_powershell_wrapper).
// bootstrap_wrapper.ps1 splits stdin once at the first "\0\0\0\0" and runs
// the exec wrapper, which runs manifest.actions[0] (module_powershell_wrapper
// for plain modules) on the base64 module source in module_entry with
// module_args. The emulation does not execute those wrappers: it reads the
// manifest and answers for the modules below with the JSON they print.

// isAnsibleBootstrap recognises ansible-core's bootstrap_wrapper.ps1.
func isAnsibleBootstrap(script string) bool {
	return strings.Contains(script, "$exec_wrapper_str = $input | Out-String") &&
		strings.Contains(script, "`0`0`0`0")
}

type ansibleManifest struct {
	ModuleEntry  string          `json:"module_entry"`
	ModuleArgs   json.RawMessage `json:"module_args"`
	Actions      []string        `json:"actions"`
	MinPSVersion *string         `json:"min_ps_version"`
	MinOSVersion *string         `json:"min_os_version"`
}

// ansibleArg is one module argument, in manifest order.
type ansibleArg struct {
	key string
	val any // decoded JSON value
}

// orderedArgs decodes a JSON object keeping key order.
func orderedArgs(raw json.RawMessage) ([]ansibleArg, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("module_args is not an object")
	}
	var out []ansibleArg
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, ansibleArg{key: kt.(string), val: v})
	}
	return out, nil
}

// jsonArg turns a decoded manifest value into a PowerShell value.
func jsonArg(v any) value {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	case bool:
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]value, len(x))
		for i, e := range x {
			out[i] = jsonArg(e)
		}
		return out
	case map[string]any:
		h := &hashtable{}
		for k, e := range x {
			h.set(k, jsonArg(e))
		}
		return h
	}
	return toStr(v)
}

// ansibleJSON serialises a module result like ConvertTo-Json -Compress.
func ansibleJSON(o *jsonObj) string {
	var b strings.Builder
	writeJSON(&b, o)
	return b.String()
}

func (o *jsonObj) add(k string, v any) *jsonObj {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

// runAnsibleBootstrap answers an Ansible module run.
func (s *shell) runAnsibleBootstrap() int {
	if s.psVersion < 3 {
		// bootstrap_wrapper.ps1: the literal it outputs before "exit 1".
		s.writeOut(`{"failed":true,"msg":"Ansible requires PowerShell v3.0 or newer"}` + "\r\n")
		return 1
	}
	raw, err := readAll(s.ctx, s.stdin, maxStdin)
	if s.ctx.Err() != nil {
		return 1
	}
	if err != nil && len(raw) >= maxStdin {
		return s.ansibleFail("internal error: the module payload is larger than the fleetport simulator accepts")
	}
	// $input | Out-String; Split(@("`0`0`0`0"), 2, RemoveEmptyEntries).
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	parts := strings.SplitN(text, "\x00\x00\x00\x00", 2)
	jsonText := ""
	if len(parts) == 2 {
		jsonText = strings.TrimLeft(parts[1], "\x00")
	}
	if strings.TrimSpace(jsonText) == "" {
		// exec_wrapper.ps1, end block: Write-AnsibleError then exit 1.
		return s.ansibleFail("internal error: no input given to PowerShell exec wrapper")
	}
	var m ansibleManifest
	if err := json.Unmarshal([]byte(jsonText), &m); err != nil {
		return s.ansibleFail("internal error: failed to parse the module manifest: " + err.Error())
	}
	if m.MinPSVersion != nil && *m.MinPSVersion != "" {
		if want, err := strconv.ParseFloat(strings.SplitN(*m.MinPSVersion+".0", ".", 3)[0]+"."+strings.SplitN(*m.MinPSVersion+".0", ".", 3)[1], 64); err == nil && float64(s.psVersion) < want {
			actual := toStr(member(psVersionTable(s.psVersion), "PSVersion"))
			return s.ansibleFail(fmt.Sprintf("internal error: This module cannot run as it requires a minimum PowerShell version of %s, actual was %s", *m.MinPSVersion, actual))
		}
	}
	if len(m.Actions) == 0 || m.Actions[0] != "module_powershell_wrapper" {
		action := ""
		if len(m.Actions) > 0 {
			action = m.Actions[0]
		}
		return s.ansibleFail("The fleetport WinRM simulator does not emulate the Ansible exec wrapper action '" + action + "' (become, async and script are not emulated).")
	}
	args, err := orderedArgs(m.ModuleArgs)
	if err != nil {
		return s.ansibleFail("internal error: module_args: " + err.Error())
	}
	name := ""
	for _, a := range args {
		if a.key == "_ansible_module_name" {
			name, _ = a.val.(string)
		}
	}
	short := name
	if i := strings.LastIndexByte(short, '.'); i >= 0 {
		short = short[i+1:]
	}
	source := ""
	if b, ok := decodeBase64Std(m.ModuleEntry); ok {
		source = b
	}
	var user []ansibleArg
	for _, a := range args {
		if !strings.HasPrefix(a.key, "_ansible_") {
			user = append(user, a)
		}
	}
	switch short {
	case "win_ping":
		return s.ansibleWinPing(name, user, source)
	case "win_command":
		return s.ansibleWinCommand(name, user)
	case "win_shell":
		return s.ansibleWinShell(user)
	}
	return s.ansibleFail(fmt.Sprintf("The fleetport WinRM simulator does not emulate the Ansible module '%s'.", name))
}

func decodeBase64Std(s string) (string, bool) {
	out, err := base64StdDecode(s)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// ansibleFail is Write-AnsibleError of the exec wrapper: @{msg; failed}
// through ConvertTo-Json -Compress, then exit 1.
func (s *shell) ansibleFail(msg string) int {
	s.writeOut(ansibleJSON((&jsonObj{}).add("msg", msg).add("failed", true)) + "\r\n")
	return 1
}

// basicModuleOutput is what an Ansible.Basic module leaves on stdout:
// Console.WriteLine into the wrapper's StringWriter, then that string as
// one pipeline object, which the console host prints followed by a line
// break (so the JSON line is followed by an empty line).
func (s *shell) basicModuleOutput(o *jsonObj) {
	s.writeOut(ansibleJSON(o) + "\r\n\r\n")
}

func moduleArgs(user []ansibleArg, spec []string) *jsonObj {
	args := &jsonObj{}
	seen := map[string]bool{}
	for _, a := range user {
		args.add(a.key, jsonValue(a.val))
		seen[a.key] = true
	}
	for _, k := range spec {
		if !seen[k] {
			args.add(k, nil)
		}
	}
	return args
}

func jsonValue(v any) any {
	return processJSON(jsonArg(v), 0, 99)
}

// unsupportedArgs is Ansible.Basic's CheckUnsupportedArguments failure.
func (s *shell) unsupportedArgs(name string, user []ansibleArg, legal []string) (int, bool) {
	var bad []string
	for _, a := range user {
		ok := false
		for _, l := range legal {
			if strings.EqualFold(l, a.key) {
				ok = true
			}
		}
		if !ok {
			bad = append(bad, a.key)
		}
	}
	if len(bad) == 0 {
		return 0, false
	}
	params := &jsonObj{}
	for _, a := range user {
		params.add(a.key, jsonValue(a.val))
	}
	res := (&jsonObj{}).add("changed", false).
		add("failed", true).
		add("msg", fmt.Sprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s", name, strings.Join(bad, ", "), strings.Join(legal, ", "))).
		add("invocation", (&jsonObj{}).add("module_args", params))
	s.basicModuleOutput(res)
	return 1, true
}

// ansibleWinPing emulates ansible.windows.win_ping (win_ping.ps1 with
// Ansible.Basic): {"changed":false,"invocation":{"module_args":{"data":..}},"ping":..};
// data -eq "crash" throws "boom", which module_wrapper.ps1 reports through
// Write-AnsibleError.
func (s *shell) ansibleWinPing(name string, user []ansibleArg, source string) int {
	if code, done := s.unsupportedArgs(name, user, []string{"data"}); done {
		return code
	}
	data := "pong"
	for _, a := range user {
		if strings.EqualFold(a.key, "data") && a.val != nil {
			data = toStr(jsonArg(a.val))
		}
	}
	if strings.EqualFold(data, "crash") {
		line, col, text := 17, 5, `    throw "boom"`
		for i, l := range strings.Split(strings.ReplaceAll(source, "\r\n", "\n"), "\n") {
			if c := strings.Index(l, `throw "boom"`); c >= 0 {
				line, col, text = i+1, c+1, l
				break
			}
		}
		// Format-AnsibleException of exec_wrapper.ps1 (the .NET stack trace it
		// appends for exceptions that have one is not reproduced).
		exception := "boom\n" +
			fmt.Sprintf("At line:%d char:%d\r\n+ %s\r\n+ %s%s", line, col, strings.TrimRight(text, " "), strings.Repeat(" ", col-1), strings.Repeat("~", len(`throw "boom"`))) + "\n" +
			"    + CategoryInfo          : OperationStopped: (boom:String) [], RuntimeException\n" +
			"    + FullyQualifiedErrorId : boom\r\n\r\nScriptStackTrace:\r\n" +
			fmt.Sprintf("at <ScriptBlock>, <No file>: line %d\r\n", line)
		res := (&jsonObj{}).add("msg", "Unhandled exception while executing module: boom").
			add("failed", true).add("exception", exception)
		s.writeOut(ansibleJSON(res) + "\r\n")
		return 1
	}
	res := (&jsonObj{}).add("changed", false).
		add("invocation", (&jsonObj{}).add("module_args", (&jsonObj{}).add("data", data))).
		add("ping", data)
	s.basicModuleOutput(res)
	return 0
}

const ansibleTimeFormat = "2006-01-02 15:04:05.000000"

// ansibleDelta is TimeSpan.ToString("h\:mm\:ss\.ffffff").
func ansibleDelta(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	us := d.Microseconds()
	h := us / 3_600_000_000
	us -= h * 3_600_000_000
	m := us / 60_000_000
	us -= m * 60_000_000
	sec := us / 1_000_000
	us -= sec * 1_000_000
	return fmt.Sprintf("%d:%02d:%02d.%06d", h%24, m, sec, us)
}

var winCommandSpec = []string{"_raw_params", "cmd", "argv", "chdir", "creates", "removes", "stdin", "output_encoding_override"}

// ansibleWinCommand emulates ansible.windows.win_command (Ansible.Basic):
// the command line runs through Host.RunNative.
func (s *shell) ansibleWinCommand(name string, user []ansibleArg) int {
	if code, done := s.unsupportedArgs(name, user, winCommandSpec); done {
		return code
	}
	get := func(k string) string {
		for _, a := range user {
			if a.key == k && a.val != nil {
				return toStr(jsonArg(a.val))
			}
		}
		return ""
	}
	for _, k := range []string{"argv", "chdir", "creates", "removes", "stdin", "output_encoding_override"} {
		if get(k) != "" {
			return s.ansibleFail("The fleetport WinRM simulator does not emulate win_command's '" + k + "' option.")
		}
	}
	cmdLine := get("cmd")
	if cmdLine == "" {
		cmdLine = strings.TrimSpace(get("_raw_params"))
	}
	res := (&jsonObj{}).add("changed", true).
		add("invocation", (&jsonObj{}).add("module_args", moduleArgs(user, winCommandSpec)))
	if cmdLine == "" {
		res.keys[0], res.vals[0] = "changed", false
		res.add("failed", true).add("msg", "one of the following is required: _raw_params, argv, cmd")
		s.basicModuleOutput(res)
		return 1
	}
	var out, errb bytes.Buffer
	start := time.Now().UTC()
	rc := s.h.RunNative(s.ctx, cmdLine, &limitedWriter{w: &out, n: maxStringLen}, &limitedWriter{w: &errb, n: maxStringLen})
	end := time.Now().UTC()
	res.add("cmd", cmdLine).add("rc", int64(rc)).add("stdout", out.String()).add("stderr", errb.String()).
		add("start", start.Format(ansibleTimeFormat)).add("end", end.Format(ansibleTimeFormat)).
		add("delta", ansibleDelta(end.Sub(start)))
	if rc != 0 {
		res.add("failed", true).add("msg", "non-zero return code")
		s.basicModuleOutput(res)
		return 1
	}
	s.basicModuleOutput(res)
	return 0
}

// ansibleWinShell emulates ansible.windows.win_shell (a Legacy module):
// _raw_params runs as a PowerShell script in a child powershell.exe of the
// emulation (or through Host.RunNative with executable=cmd).
func (s *shell) ansibleWinShell(user []ansibleArg) int {
	get := func(k string) string {
		for _, a := range user {
			if a.key == k && a.val != nil {
				return toStr(jsonArg(a.val))
			}
		}
		return ""
	}
	for _, k := range []string{"chdir", "creates", "removes", "stdin", "output_encoding_override"} {
		if get(k) != "" {
			return s.ansibleFail("The fleetport WinRM simulator does not emulate win_shell's '" + k + "' option.")
		}
	}
	raw := strings.TrimSpace(get("_raw_params"))
	if raw == "" {
		// Get-AnsibleParam -failifempty of Ansible.ModuleUtils.Legacy.
		s.writeOut(ansibleJSON((&jsonObj{}).add("msg", "Get-AnsibleParam: Missing required argument: _raw_params").add("failed", true).add("changed", false)) + "\r\n")
		return 1
	}
	var out, errb bytes.Buffer
	start := time.Now().UTC()
	var rc int
	exe := strings.ToLower(get("executable"))
	lw, le := &limitedWriter{w: &out, n: maxStringLen}, &limitedWriter{w: &errb, n: maxStringLen}
	switch exe {
	case "", "powershell", "powershell.exe":
		args := []string{"-noninteractive", "-encodedcommand", encodeCommand(raw)}
		if s.depth+1 > maxProcessDepth {
			rc = 1
		} else {
			rc = runProcess(s.ctx, s.h, args, strings.NewReader(""), lw, le, s.depth+1)
		}
	case "cmd", "cmd.exe":
		rc = s.h.RunNative(s.ctx, raw, lw, le)
	default:
		return s.ansibleFail("The fleetport WinRM simulator does not emulate win_shell with executable '" + get("executable") + "'.")
	}
	end := time.Now().UTC()
	res := (&jsonObj{}).add("changed", true).add("cmd", raw).add("rc", int64(rc)).
		add("stdout", out.String()).add("stderr", formatStderr(errb.String())).
		add("start", start.Format(ansibleTimeFormat)).add("end", end.Format(ansibleTimeFormat)).
		add("delta", ansibleDelta(end.Sub(start)))
	if rc != 0 {
		res.add("msg", "non-zero return code").add("failed", true)
		s.writeOut(ansibleJSON(res) + "\r\n")
		return 1
	}
	s.writeOut(ansibleJSON(res) + "\r\n")
	return 0
}

var clixmlErrorRe = regexp.MustCompile(`(?s)<S S="Error">(.*?)</S>`)

// formatStderr is win_shell.ps1's Format-Stderr: the Error strings of a
// CLIXML stderr without their CRLF escapes, one per line, trimmed; other
// text around the CLIXML is kept.
func formatStderr(raw string) string {
	i := strings.Index(raw, "#< CLIXML")
	if i < 0 {
		return raw
	}
	j := strings.Index(raw[i:], "<Objs")
	k := strings.LastIndex(raw, "</Objs>")
	if j < 0 || k < i+j {
		return raw
	}
	pre1 := raw[:i]
	pre2 := raw[i+len("#< CLIXML") : i+j]
	doc := raw[i+j : k+len("</Objs>")]
	post := raw[k+len("</Objs>"):]
	var lines []string
	for _, m := range clixmlErrorRe.FindAllStringSubmatch(doc, -1) {
		lines = append(lines, strings.ReplaceAll(html.UnescapeString(m[1]), "_x000D__x000A_", ""))
	}
	filtered := ""
	if len(lines) > 0 {
		filtered = strings.Join(lines, "\r\n") + "\r\n"
	}
	return strings.TrimSpace(pre1 + pre2 + filtered + post)
}

// encodeCommand is the UTF-16LE base64 form -EncodedCommand takes.
func encodeCommand(s string) string {
	u := utf16Encode(s)
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i] = byte(c)
		b[2*i+1] = byte(c >> 8)
	}
	return base64StdEncode(b)
}

// limitedWriter stops storing after n bytes.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if len(q) > l.n {
		q = q[:l.n]
	}
	l.n -= len(q)
	_, err := l.w.Write(q)
	return len(p), err
}
