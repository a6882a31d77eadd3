package hclguard

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	wordwrap "github.com/mitchellh/go-wordwrap"
)

// DefaultMaxDiagnostics is how many diagnostics a [Writer] prints before
// it says how many more there are.
const DefaultMaxDiagnostics = 50

// Snippet bounds: a snippet shows at most this many lines, each cut to
// this many bytes around what it highlights.
const (
	maxSnippetLines = 10
	maxSnippetWidth = 240
)

// Writer prints diagnostics as text, as hcl.NewDiagnosticTextWriter does
// (severity, summary, file and line, a source snippet with the subject
// highlighted, the detail word-wrapped), with three differences: it
// indexes each file's lines once, so that printing takes time linear in
// the files' size however many diagnostics there are; it prints at most
// Max diagnostics and then how many more there are; and it never shows a
// line that sets a secret, nor a secret in a summary or detail
// ([Redactor]).
type Writer struct {
	Out   io.Writer
	Files map[string]*hcl.File
	Width uint // word-wrap width of details; 0 for none
	Color bool
	Max   int // diagnostics printed; 0 means DefaultMaxDiagnostics

	red   *Redactor
	index map[string][]int
}

// WriteDiagnostics prints diags, the first Max of them, and a line
// counting the rest.
func (w *Writer) WriteDiagnostics(diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	if w.red == nil {
		w.red = NewRedactor(w.Files)
		w.index = map[string][]int{}
	}
	limit := w.Max
	if limit <= 0 {
		limit = DefaultMaxDiagnostics
	}
	bw := bufio.NewWriter(w.Out)
	shown := diags
	if len(shown) > limit {
		shown = shown[:limit]
	}
	for _, d := range w.red.Diagnostics(shown) {
		w.write(bw, d)
	}
	if rest := diags[len(shown):]; len(rest) > 0 {
		errs, warns := 0, 0
		for _, d := range rest {
			if d.Severity == hcl.DiagError {
				errs++
			} else {
				warns++
			}
		}
		var parts []string
		if errs > 0 {
			parts = append(parts, plural(errs, "error"))
		}
		if warns > 0 {
			parts = append(parts, plural(warns, "warning"))
		}
		fmt.Fprintf(bw, "... and %s more, not shown: fix the ones above first.\n\n", strings.Join(parts, " and "))
	}
	return bw.Flush()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (w *Writer) lines(name string, src []byte) []int {
	if idx, ok := w.index[name]; ok {
		return idx
	}
	idx := []int{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	w.index[name] = idx
	return idx
}

func (w *Writer) write(out *bufio.Writer, d *hcl.Diagnostic) {
	var color, highlight, reset string
	if w.Color {
		color = "\x1b[33m"
		if d.Severity == hcl.DiagError {
			color = "\x1b[31m"
		}
		reset, highlight = "\x1b[0m", "\x1b[1;4m"
	}
	sev := "Warning"
	if d.Severity == hcl.DiagError {
		sev = "Error"
	}
	fmt.Fprintf(out, "%s%s%s: %s\n\n", color, sev, reset, d.Summary)

	if s := d.Subject; s != nil {
		f := w.Files[s.Filename]
		if f == nil || f.Bytes == nil {
			fmt.Fprintf(out, "  on %s line %d:\n  (source code not available)\n\n", s.Filename, s.Start.Line)
		} else {
			w.snippet(out, f, d, highlight, reset)
		}
	}
	if d.Detail != "" {
		detail := d.Detail
		if w.Width != 0 {
			detail = wordwrap.WrapString(detail, w.Width)
		}
		fmt.Fprintf(out, "%s\n\n", detail)
	}
}

func (w *Writer) snippet(out *bufio.Writer, f *hcl.File, d *hcl.Diagnostic, highlight, reset string) {
	s := *d.Subject
	src := f.Bytes
	idx := w.lines(s.Filename, src)
	clamp := func(b int) int { return min(max(b, 0), len(src)) }
	lineOf := func(b int) int { return sort.Search(len(idx), func(i int) bool { return idx[i] > b }) } // 1-based

	snipStart, snipEnd := s.Start.Byte, s.End.Byte
	if d.Context != nil {
		snipStart, snipEnd = min(snipStart, d.Context.Start.Byte), max(snipEnd, d.Context.End.Byte)
	}
	snipStart, snipEnd = clamp(snipStart), clamp(snipEnd)
	hlStart, hlEnd := clamp(s.Start.Byte), clamp(s.End.Byte)
	if hlEnd <= hlStart {
		hlEnd = min(hlStart+1, len(src))
	}
	first, last := lineOf(snipStart), lineOf(max(snipEnd-1, snipStart))

	where := ""
	if c, ok := f.Nav.(interface{ ContextString(int) string }); ok && !w.red.SecretLine(s.Filename, s.Start.Line) {
		if cs := c.ContextString(s.Start.Byte); cs != "" && len(cs) < 200 {
			where = ", in " + cs
		}
	}
	fmt.Fprintf(out, "  on %s line %d%s:\n", s.Filename, s.Start.Line, where)
	// Keep the subject's first line in view when the context is long.
	if hl := lineOf(hlStart); last-first+1 > maxSnippetLines {
		first = max(first, hl-maxSnippetLines/2)
		last = min(last, first+maxSnippetLines-1)
	}
	for n := first; n <= last; n++ {
		start := idx[n-1]
		end := len(src)
		if n < len(idx) {
			end = idx[n] - 1
		}
		if end > start && src[end-1] == '\r' {
			end--
		}
		if w.red.SecretLine(s.Filename, n) {
			fmt.Fprintf(out, "%4d: (line not shown: it sets a secret)\n", n)
			continue
		}
		// Cut a long line to a window around the highlight.
		from, to := start, end
		if to-from > maxSnippetWidth {
			anchor := min(max(hlStart, from), to)
			from = max(from, anchor-maxSnippetWidth/3)
			to = min(to, from+maxSnippetWidth)
		}
		a, b := min(max(hlStart, from), to), min(max(hlEnd, from), to)
		pre, post := "", ""
		if from > start {
			pre = "…"
		}
		if to < end {
			post = "…"
		}
		if a == b {
			fmt.Fprintf(out, "%4d: %s%s%s\n", n, pre, printable(src[from:to]), post)
			continue
		}
		fmt.Fprintf(out, "%4d: %s%s%s%s%s%s%s\n", n, pre, printable(src[from:a]), highlight, printable(src[a:b]), reset, printable(src[b:to]), post)
	}
	out.WriteByte('\n')
}

// printable turns source bytes into text a terminal shows as it is:
// invalid UTF-8 and control characters other than tab become U+FFFD.
func printable(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0:
			sb.WriteRune(utf8.RuneError)
		default:
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}
