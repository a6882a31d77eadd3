package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEvidenceRunes caps one evidence line in the human formats (table,
// Markdown, HTML, JUnit); the JSON form keeps every byte.
const maxEvidenceRunes = 2000

// runeWidth is the number of terminal columns r takes: 2 for East Asian
// wide and full-width runes, 1 for every other rune. Zero-width runes count
// 1 too, so a line's width is never less than its rune count.
func runeWidth(r rune) int {
	switch {
	case r < 0x1100:
		return 1
	case r <= 0x115f, // Hangul Jamo
		r >= 0x2e80 && r <= 0x303e, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33ff, // kana, CJK compatibility
		r >= 0x3400 && r <= 0x4dbf, // CJK extension A
		r >= 0x4e00 && r <= 0x9fff, // CJK unified ideographs
		r >= 0xa000 && r <= 0xa4cf, // Yi
		r >= 0xac00 && r <= 0xd7a3, // Hangul syllables
		r >= 0xf900 && r <= 0xfaff, // CJK compatibility ideographs
		r >= 0xfe30 && r <= 0xfe4f, // CJK compatibility forms
		r >= 0xff00 && r <= 0xff60, // full-width forms
		r >= 0xffe0 && r <= 0xffe6,
		r >= 0x1f300 && r <= 0x1f64f, // pictographs, emoticons
		r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd: // CJK extensions B and on
		return 2
	}
	return 1
}

// textWidth is the display width of s.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// truncate shortens s to at most w columns, ending it with "…" when it cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if textWidth(s) <= w {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		rw := runeWidth(r)
		if n+rw > w-1 {
			break
		}
		b.WriteRune(r)
		n += rw
	}
	b.WriteString("…")
	return b.String()
}

// pad truncates s to w columns and pads it with spaces to exactly w.
func pad(s string, w int) string {
	s = truncate(s, w)
	if n := textWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// oneLine makes s safe for one terminal cell: tabs and line breaks become
// spaces, other control characters (escape included, so data can never
// drive the terminal) and invalid UTF-8 become "?", and runs of spaces
// collapse.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				r = '?'
			}
		}
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == ' ':
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			r = '?'
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// flat makes s safe for a terminal line without changing its length in
// runes: tabs and line breaks become spaces, other control characters
// (escape included, so data never drives the terminal) and invalid UTF-8
// bytes become "?".
func flat(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// cleanText replaces control characters other than tab and newline, and
// the non-characters U+FFFE and U+FFFF, and invalid UTF-8, with U+FFFD, so
// the HTML, Markdown and XML formats never carry what XML forbids.
func cleanText(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || r == 0xfffe || r == 0xffff || (unicode.IsControl(r) && r != '\t' && r != '\n') {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == 0xfffe || r == 0xffff || (unicode.IsControl(r) && r != '\t' && r != '\n') {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// capRunes cuts s after n runes, saying how many it left out.
func capRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n {
			break
		}
		k++
	}
	return fmt.Sprintf("%s… (%d more characters)", s[:i], utf8.RuneCountInString(s[i:]))
}
