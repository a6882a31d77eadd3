package winhost

// The command line as cmd.exe /c reads it.
//
// What is modelled: the 8191-character limit; %VAR% expansion (once, before
// anything else, as cmd does); quotes, which protect the special
// characters; ^ as the escape character outside quotes; the operators &,
// &&, || and |; redirections (>nul, 2>nul, 2>&1, 1>&2, > and >> to a
// file, < from a file); cmd /c "..." nesting with cmd's quote rule (a
// leading quote and the last quote are removed). What is not: parentheses
// blocks, if/for/set/call, delayed expansion, files (a redirection to a
// file swallows the output and a redirection from a file reads nothing).

import (
	"strings"
	"unicode"
)

// maxCmdLine is cmd.exe's limit on a command line (8191 characters).
const maxCmdLine = 8191

type chainOp uint8

const (
	opAlways chainOp = iota // &
	opAnd                   // &&
	opOr                    // ||
)

// redir is one redirection of a simple command.
type redir struct {
	fd     int    // 0 stdin, 1 stdout, 2 stderr
	dupTo  int    // >=0: 2>&1 style; -1: a file
	target string // the file, "nul" included
	append bool
}

// simpleCmd is one program invocation with its redirections.
type simpleCmd struct {
	text   string
	redirs []redir
}

// chainItem is a pipeline and the operator that joins it to the previous
// item.
type chainItem struct {
	op   chainOp
	pipe []simpleCmd
}

// errUnexpected carries cmd's "X was unexpected at this time." token.
type errUnexpected struct{ tok string }

func (e errUnexpected) Error() string { return e.tok + " was unexpected at this time." }

// cmdMessage is an error whose text is cmd's own message.
type cmdMessage string

func (m cmdMessage) Error() string { return string(m) }

const errSyntax = cmdMessage("The syntax of the command is incorrect.")

// parseLine splits an expanded command line into its chain.
func parseLine(line string) ([]chainItem, error) {
	var (
		items   []chainItem
		pipe    []simpleCmd
		cur     strings.Builder
		redirs  []redir
		inQuote bool
		op      = opAlways
	)
	flushCmd := func(tok string) error {
		text := strings.TrimSpace(cur.String())
		if text == "" && len(redirs) == 0 {
			return errUnexpected{tok}
		}
		pipe = append(pipe, simpleCmd{text: text, redirs: redirs})
		cur.Reset()
		redirs = nil
		return nil
	}
	flushItem := func(tok string, next chainOp) error {
		if err := flushCmd(tok); err != nil {
			return err
		}
		items = append(items, chainItem{op: op, pipe: pipe})
		pipe = nil
		op = next
		return nil
	}
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		c := r[i]
		if inQuote {
			cur.WriteRune(c)
			if c == '"' {
				inQuote = false
			}
			continue
		}
		switch c {
		case '"':
			inQuote = true
			cur.WriteRune(c)
		case '^':
			if i+1 < len(r) {
				i++
				cur.WriteRune(r[i])
			}
		case '&':
			tok, next := "&", opAlways
			if i+1 < len(r) && r[i+1] == '&' {
				tok, next = "&&", opAnd
				i++
			}
			if err := flushItem(tok, next); err != nil {
				return nil, err
			}
		case '|':
			if i+1 < len(r) && r[i+1] == '|' {
				i++
				if err := flushItem("||", opOr); err != nil {
					return nil, err
				}
				continue
			}
			if err := flushCmd("|"); err != nil {
				return nil, err
			}
		case '>', '<':
			rd := redir{fd: 1, dupTo: -1}
			if c == '<' {
				rd.fd = 0
			}
			// A single digit right before the operator, after a blank or
			// at the start, is the handle number.
			s := cur.String()
			if n := len(s); n > 0 && s[n-1] >= '0' && s[n-1] <= '9' && (n == 1 || s[n-2] == ' ' || s[n-2] == '\t') {
				rd.fd = int(s[n-1] - '0')
				cur.Reset()
				cur.WriteString(s[:n-1])
			}
			if c == '>' && i+1 < len(r) && r[i+1] == '>' {
				rd.append = true
				i++
			}
			if i+1 < len(r) && r[i+1] == '&' {
				i++
				if i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9' {
					i++
					rd.dupTo = int(r[i] - '0')
					redirs = append(redirs, rd)
					continue
				}
				return nil, errUnexpected{"&"}
			}
			for i+1 < len(r) && (r[i+1] == ' ' || r[i+1] == '\t') {
				i++
			}
			var target strings.Builder
			q := false
			for i+1 < len(r) {
				n := r[i+1]
				if !q && (n == ' ' || n == '\t' || n == '&' || n == '|' || n == '<' || n == '>') {
					break
				}
				i++
				if n == '"' {
					q = !q
					continue
				}
				target.WriteRune(n)
			}
			if target.Len() == 0 {
				return nil, errSyntax
			}
			rd.target = target.String()
			redirs = append(redirs, rd)
		default:
			cur.WriteRune(c)
		}
	}
	text := strings.TrimSpace(cur.String())
	if text != "" || len(redirs) > 0 {
		pipe = append(pipe, simpleCmd{text: text, redirs: redirs})
	} else if len(pipe) > 0 {
		// "a |" with nothing after the pipe.
		return nil, errSyntax
	}
	if len(pipe) > 0 {
		items = append(items, chainItem{op: op, pipe: pipe})
	}
	return items, nil
}

// splitProgram separates the program name (quotes removed) from the rest
// of a simple command.
func splitProgram(text string) (name, rest string) {
	text = strings.TrimLeft(text, " \t@")
	if strings.HasPrefix(text, `"`) {
		if end := strings.IndexByte(text[1:], '"'); end >= 0 {
			return text[1 : end+1], text[end+2:]
		}
		return text[1:], ""
	}
	i := strings.IndexFunc(text, func(r rune) bool { return r == ' ' || r == '\t' })
	if i < 0 {
		return text, ""
	}
	return text[:i], text[i:]
}

// splitArgs splits an argument string the way the C runtime (and
// CommandLineToArgvW) do: blanks separate, quotes group, 2n backslashes
// before a quote are n backslashes and the quote counts, 2n+1 are n
// backslashes and a literal quote, "" inside quotes is a literal quote.
func splitArgs(s string) []string {
	var (
		args    []string
		cur     strings.Builder
		inQuote bool
		have    bool
	)
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(r) && r[i] == '\\' {
				n++
				i++
			}
			if i < len(r) && r[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteRune('"')
				} else {
					inQuote = !inQuote
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			have = true
		case c == '"':
			if inQuote && i+1 < len(r) && r[i+1] == '"' {
				cur.WriteRune('"')
				i++
			} else {
				inQuote = !inQuote
			}
			have = true
		case !inQuote && unicode.IsSpace(c):
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(c)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return args
}

// cmdSlashC returns the command string of `cmd [switches] /c string`,
// applying cmd's quote rule; ok is false without /c or /k.
func cmdSlashC(rest string) (string, bool) {
	s := strings.TrimLeft(rest, " \t")
	for s != "" {
		if s[0] != '/' || len(s) < 2 {
			return "", false
		}
		sw := unicode.ToLower(rune(s[1]))
		if sw == 'c' || sw == 'k' {
			cmd := strings.TrimLeft(s[2:], " \t")
			if strings.HasPrefix(cmd, `"`) {
				if last := strings.LastIndexByte(cmd, '"'); last > 0 {
					cmd = cmd[1:last] + cmd[last+1:]
				} else {
					cmd = cmd[1:]
				}
			}
			return cmd, true
		}
		// Another switch (/s, /q, /d, /a, /u, /e:on, /v:off ...): skip it.
		end := strings.IndexAny(s[1:], " \t/")
		if end < 0 {
			return "", false
		}
		s = strings.TrimLeft(s[end+1:], " \t")
	}
	return "", false
}

// expandVars replaces %NAME% for the variables the model defines; unknown
// ones stay as they are (cmd /c leaves them in place).
func (e *execEnv) expandVars(line string) string {
	if !strings.Contains(line, "%") {
		return line
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '%')
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		j := strings.IndexByte(line[i+1:], '%')
		if j < 0 {
			b.WriteString(line)
			return b.String()
		}
		name := line[i+1 : i+1+j]
		if v, ok := e.envVar(name); ok {
			b.WriteString(line[:i])
			b.WriteString(v)
			line = line[i+j+2:]
			continue
		}
		b.WriteString(line[:i+1+j])
		line = line[i+1+j:]
	}
}

func (e *execEnv) envVar(name string) (string, bool) {
	h := e.h
	user := e.user
	if i := strings.LastIndexAny(user, `\@`); i >= 0 && strings.Contains(user, `\`) {
		user = user[i+1:]
	}
	if user == "" {
		user = "Administrator"
	}
	root := `C:\Windows`
	if h.os == Server2003 {
		root = `C:\WINDOWS`
	}
	switch strings.ToUpper(name) {
	case "COMPUTERNAME":
		return strings.ToUpper(h.name), true
	case "USERNAME":
		return user, true
	case "USERDOMAIN":
		return strings.ToUpper(h.name), true
	case "SYSTEMROOT", "WINDIR":
		return root, true
	case "SYSTEMDRIVE":
		return "C:", true
	case "CD":
		return e.dir(), true
	case "OS":
		return "Windows_NT", true
	case "PROCESSOR_ARCHITECTURE":
		return "AMD64", true
	case "ERRORLEVEL":
		return "0", true
	case "TEMP", "TMP":
		if h.os == Server2003 {
			return `C:\DOCUME~1\` + user + `\LOCALS~1\Temp`, true
		}
		return `C:\Users\` + user + `\AppData\Local\Temp`, true
	case "USERPROFILE":
		if h.os == Server2003 {
			return `C:\Documents and Settings\` + user, true
		}
		return `C:\Users\` + user, true
	}
	return "", false
}
