package pwsh

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Input bounds.
const (
	maxStdin     = 8 << 20 // bytes of stdin read as script or Ansible payload
	maxBase64Len = 4 << 20 // characters of an -EncodedCommand value
)

// decodeBase64 is StringToBase64Converter.Base64ToString: Convert.FromBase64String
// (white space ignored, padding required) then UTF-16LE decoding.
func decodeBase64(s string) (string, bool) {
	if len(s) > maxBase64Len {
		return "", false
	}
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if len(clean)%4 != 0 {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return "", false
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	out := string(utf16.Decode(u))
	if len(raw)%2 == 1 {
		out += string(utf8.RuneError)
	}
	return out, true
}

// readAll reads r up to limit bytes, giving up when ctx ends.
func readAll(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		ch <- result{b, err}
	}()
	select {
	case res := <-ch:
		if int64(len(res.b)) > limit {
			return res.b[:limit], errors.New("input too large")
		}
		return res.b, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// runProcess is one powershell.exe process.
func runProcess(ctx context.Context, h Host, args []string, stdin io.Reader, stdout, stderr io.Writer, depth int) int {
	if h.PSVersion() <= 0 {
		return NotInstalled("powershell.exe", stderr)
	}
	if ctx.Err() != nil {
		return 1
	}
	inv := parseCommandLine(args)
	for _, l := range inv.errLines {
		_, _ = io.WriteString(stderr, l+"\r\n")
	}
	if inv.showHelp {
		// ShowHelp: WriteLine(""), WriteLine(DefaultHelp), WriteLine("").
		_, _ = io.WriteString(stdout, "\r\n"+helpText+"\r\n\r\n")
	}
	if inv.abort {
		return inv.exitCode
	}
	if inv.serverMode {
		_, _ = io.WriteString(stderr, "The fleetport WinRM simulator does not emulate the PowerShell remoting server modes (-ServerMode, -SocketServerMode, -NamedPipeServerMode).\r\n")
		return 1
	}
	if inv.hasFile {
		// The simulated host has no script files.
		_, _ = io.WriteString(stderr, strings.Replace(msgFileDoesNotExist, "%s", inv.file, 1)+"\r\n")
		return exitBadCommandLine
	}
	script := inv.command
	if inv.fromStdin || !inv.hasCommand {
		b, err := readAll(ctx, stdin, maxStdin)
		if ctx.Err() != nil {
			return 1
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 1
		}
		script = string(b)
		stdin = strings.NewReader("")
	}
	sh := newShell(ctx, h, stdin, stdout, stderr, depth)
	sh.clixml = inv.encoded || inv.outputXML
	sh.outXML = inv.outputXML
	sh.nonInteractive = inv.nonInteract
	if isAnsibleBootstrap(script) {
		return sh.runAnsibleBootstrap()
	}
	src := []rune(script)
	sh.src = src
	sh.script = script
	if len(src) > maxScriptRunes {
		sh.writeError(notEmulated("scripts longer than 1 Mi characters", ""))
		sh.finishCLIXML()
		return 1
	}
	stmts, perr := parseScript(src)
	if perr != nil {
		sh.writeError(sh.parseErrorRecord(perr))
		sh.finishCLIXML()
		return 1
	}
	code := sh.runScript(stmts)
	sh.finishOutXML()
	sh.finishCLIXML()
	return code
}

func base64StdDecode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func base64StdEncode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func utf16Encode(s string) []uint16 { return utf16.Encode([]rune(s)) }
