package parse

import (
	"bytes"
	"io"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// Options configure every parser. The zero value is ready to use.
type Options struct {
	// CodePage is the code page the output was written in: 0 detects it
	// (see the package doc), 65001 is UTF-8, 437/850/852/866/936/... an
	// OEM or ANSI code page, 1200/1201 UTF-16 LE/BE. Console tools write
	// in the host's OEM code page; PowerShell in the shell's.
	CodePage int
	// MaxBytes caps the input; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxLineBytes caps one decoded line; 0 means DefaultMaxLineBytes.
	// It does not apply to tcpconnection-json (JSON is not line-based).
	MaxLineBytes int
	// Lenient makes the netstat parser skip a row it cannot read,
	// recording it in Sockets.RowErrors, instead of failing. The other
	// parsers ignore it: a listen list or registry value with a line
	// dropped would be a wrong fact.
	Lenient bool
	// Sockets configures the socket table of netstat and
	// tcpconnection-json: which rows to keep, how many TIME_WAIT remotes
	// to list.
	Sockets facts.SocketOptions
	// Row, when set, is called by ParseNetstat once for every row it adds
	// to the table, whether the table keeps the row or only counts it
	// (Sockets.Keep), after the row's -b owner lines are read: line is
	// the 1-based number of the row's first line in the decoded input
	// (the numbering of [Lines] and of [Error]), text that line decoded to
	// UTF-8 without its line ending (a copy, safe to keep), and s the
	// socket as added (a copy; Owner is shared with the table). A row a
	// lenient parse skips is not reported. It lets a caller keep the rows
	// a finding can cite as evidence, such as the German "ABHÖREN" row of
	// a CP850 netstat, without decoding the output twice. The other
	// parsers never call it. Nil means no call.
	Row func(line int, text string, s *facts.Socket)
}

// The default caps.
const (
	DefaultMaxBytes     = 64 << 20
	DefaultMaxLineBytes = 1 << 20
)

// input is decoded output, read line by line.
type input struct {
	kind    string
	text    string // rest of the text
	enc     string
	n       int // number of the line last returned
	maxLine int
}

// kindLines is the kind of the errors [Lines] returns.
const kindLines = "lines"

// Lines decodes host output the way the parsers do (a byte-order mark, the
// code page hint in opts.CodePage or detection, the caps opts.MaxBytes and
// opts.MaxLineBytes) and returns its lines without their line endings (CR
// LF, LF, or wmic's CR CR LF), numbered as the parsers number them: lines[0]
// is line 1 of a parse error or of an Options.Row call. A final line ending
// adds no empty line. enc names the encoding the bytes were decoded from
// ("ascii", "utf-8", "cp850", "utf-16le", ...). It is meant for keeping
// output as evidence (facts.NewOutput). Errors are *[Error] of kind
// "lines": ErrTooLarge, ErrLineTooLong, ErrCodePage. An empty input is no
// lines and no error.
func Lines(b []byte, opts Options) (lines []string, enc string, err error) {
	in, err := readInput(kindLines, bytes.NewReader(b), opts)
	if err != nil {
		return nil, "", err
	}
	lines, err = in.lines()
	if err != nil {
		return nil, "", err
	}
	return lines, in.enc, nil
}

// readInput reads r up to the cap and decodes it.
func readInput(kind string, r io.Reader, opts Options) (*input, error) {
	max := opts.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	var buf []byte
	if l, ok := r.(interface{ Len() int }); ok {
		buf = make([]byte, 0, min(int64(l.Len()), max)+1)
	}
	b, err := readAll(r, buf, max+1)
	if err != nil {
		return nil, inputErr(kind, err, "reading input: %v", err)
	}
	if int64(len(b)) > max {
		return nil, inputErr(kind, ErrTooLarge, "input is larger than %d bytes", max)
	}
	text, enc, err := decode(kind, b, opts.CodePage)
	if err != nil {
		return nil, err
	}
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	return &input{kind: kind, text: text, enc: enc, maxLine: maxLine}, nil
}

// readAll is io.ReadAll into buf, reading at most limit bytes.
func readAll(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// next returns the next line without its line ending (CR LF, LF, or a
// run of CRs before LF). ok is false at the end of the input.
func (in *input) next() (line string, ok bool, err error) {
	if in.text == "" {
		return "", false, nil
	}
	i := strings.IndexByte(in.text, '\n')
	if i < 0 {
		line, in.text = in.text, ""
	} else {
		line, in.text = in.text[:i], in.text[i+1:]
	}
	in.n++
	line = strings.TrimRight(line, "\r")
	if len(line) > in.maxLine {
		return "", false, lineErr(in.kind, in.n, line, ErrLineTooLong, "line is longer than %d bytes", in.maxLine)
	}
	return line, true, nil
}

// lines reads every line (for the small outputs).
func (in *input) lines() ([]string, error) {
	var out []string
	for {
		l, ok, err := in.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, l)
	}
}

// isBlank reports whether a line holds only blanks.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// isDashes reports whether a line is a row of at least 3 dashes (netsh's
// and httpcfg's underlines and separators).
func isDashes(s string) bool {
	t := strings.TrimSpace(s)
	return len(t) >= 3 && strings.Trim(t, "-") == ""
}
