package winhost

// Output encoding.
//
// The rule the model follows: the legacy console tools (cmd's own
// messages, netstat, ipconfig, reg, net, netsh, sc, schtasks, httpcfg,
// cscript, shutdown, ver, hostname) write in the host's OEM code page, whatever code page the
// WinRM shell asked for (WINRS_CODEPAGE): they format through the C
// runtime or FormatMessage and WriteFile to a pipe, which converts with
// CP_OEMCP. PowerShell's output follows the shell's code page (65001 is
// UTF-8), because powershell.exe encodes with [Console]::OutputEncoding,
// which the shell sets. So a German host answers `netstat -an` with 0x99
// for "Ö" even to a client that asked for 65001.
//
// Characters the code page lacks are written as their best-fit
// equivalent (’ as ') or '?', as WideCharToMultiByte does.

import (
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// charmaps are the single-byte code pages a host or shell may use.
var charmaps = map[int]*charmap.Charmap{
	437:  charmap.CodePage437,
	850:  charmap.CodePage850,
	852:  charmap.CodePage852,
	866:  charmap.CodePage866,
	1252: charmap.Windows1252,
	1250: charmap.Windows1250,
	1251: charmap.Windows1251,
}

// bestFit maps characters that the OEM code pages lack to what Windows'
// best-fit tables write for them.
var bestFit = map[rune]byte{
	'\u2018': '\'', '\u2019': '\'', '\u201c': '"', '\u201d': '"',
	'\u2013': '-', '\u2014': '-', '\u00a0': ' ', '\u2026': '.',
}

// knownCodepage reports whether the model can write in cp.
func knownCodepage(cp int) bool {
	_, ok := charmaps[cp]
	return ok || cp == 65001 || cp == 936
}

// appendEncoded appends s, UTF-8 text, to dst in code page cp.
func appendEncoded(dst []byte, cp int, s string) []byte {
	if isASCII(s) || cp == 65001 {
		return append(dst, s...)
	}
	if cp == 936 {
		enc := encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder())
		b, err := enc.String(s)
		if err != nil {
			return append(dst, s...)
		}
		return append(dst, b...)
	}
	cm := charmaps[cp]
	if cm == nil {
		cm = charmap.CodePage437
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			dst = append(dst, byte(r))
		default:
			if b, ok := cm.EncodeRune(r); ok {
				dst = append(dst, b)
			} else if b, ok := bestFit[r]; ok {
				dst = append(dst, b)
			} else {
				dst = append(dst, '?')
			}
		}
	}
	return dst
}

// decodeOEM turns bytes in code page cp back into UTF-8.
func decodeOEM(cp int, b []byte) string {
	if cp == 65001 || isASCII(string(b)) {
		return string(b)
	}
	var dec *encoding.Decoder
	if cp == 936 {
		dec = simplifiedchinese.GBK.NewDecoder()
	} else if cm := charmaps[cp]; cm != nil {
		dec = cm.NewDecoder()
	} else {
		return string(b)
	}
	out, err := dec.Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// console is an output stream of a console tool: text goes in as UTF-8
// and comes out in the stream's code page. Write errors are dropped, as a
// console program ignores a closed pipe.
type console struct {
	w   io.Writer
	cp  int
	buf []byte
}

func newConsole(w io.Writer, cp int) *console {
	if w == nil {
		w = io.Discard
	}
	return &console{w: w, cp: cp}
}

// print writes s at once.
func (c *console) print(s string) {
	c.buf = appendEncoded(c.buf[:0], c.cp, s)
	_, _ = c.w.Write(c.buf)
}

// printf-free helpers keep the hot netstat path allocation-light; the
// rest of the package formats with fmt and calls print.

// utf8Transcoder turns a UTF-8 byte stream (PowerShell's output) into
// code page cp, holding back a rune split across writes.
type utf8Transcoder struct {
	w       io.Writer
	cp      int
	pending []byte
	out     []byte
}

func (t *utf8Transcoder) Write(p []byte) (int, error) {
	if t.cp == 65001 {
		return t.w.Write(p)
	}
	data := append(t.pending, p...)
	cut := len(data)
	// Keep an incomplete trailing rune for the next write.
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	t.out = appendEncoded(t.out[:0], t.cp, string(data[:cut]))
	t.pending = append(t.pending[:0], data[cut:]...)
	if _, err := t.w.Write(t.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes a dangling partial rune as is.
func (t *utf8Transcoder) flush() {
	if len(t.pending) > 0 {
		t.out = appendEncoded(t.out[:0], t.cp, string(t.pending))
		_, _ = t.w.Write(t.out)
		t.pending = t.pending[:0]
	}
}
