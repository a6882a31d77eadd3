package hclguard

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Limits bound what [Check] lets through to the HCL parser.
type Limits struct {
	// MaxDepth is how deep brackets, braces, parentheses, strings and
	// template interpolations may nest. Each level costs the parser and
	// the evaluator a few kilobytes of stack.
	MaxDepth int
	// MaxOperators is how many operators one expression may hold at each
	// level of nesting taken together: HCL builds a chain of operators as
	// a tree as deep as the chain is long.
	MaxOperators int
	// MaxTokens is how many tokens a file may hold. The parser keeps
	// every token and the syntax tree in memory, a few hundred bytes
	// each.
	MaxTokens int
}

// DefaultLimits are generous for any hand-written or generated
// configuration: real files nest a handful of levels and hold a few
// operators per expression. Half a million tokens is an inventory of
// about 30,000 hosts in one file, and takes the parser about 300 MB.
var DefaultLimits = Limits{MaxDepth: 100, MaxOperators: 1000, MaxTokens: 1 << 19}

// frame kinds of the scanner's stack.
const (
	frameCode    = iota // code: top level, or inside ( [ {
	frameInterp         // code inside ${ } or %{ } of a template
	frameQuoted         // a "quoted" template
	frameHeredoc        // a <<MARKER heredoc template
)

type frame struct {
	kind   int
	closer byte   // frameCode, frameInterp: the byte that closes it
	marker []byte // frameHeredoc: the closing marker
	ops    int    // operators of the current expression at this level
}

// Check scans src once, without allocating per token, and returns a
// diagnostic for the first place that goes beyond lim: nesting, operators
// in one expression, or tokens in the file. It follows HCL's lexical
// structure (comments, quoted strings with escapes, heredocs, template
// interpolations) so that brackets in strings and comments do not count.
// An empty Limits field means the DefaultLimits value.
func Check(src []byte, filename string, lim Limits) hcl.Diagnostics {
	_, diags := Scan(src, filename, lim)
	return diags
}

// Scan is [Check], and also returns how many tokens it counted (up to
// the first limit hit), for callers that budget several files together.
func Scan(src []byte, filename string, lim Limits) (int, hcl.Diagnostics) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultLimits.MaxDepth
	}
	if lim.MaxOperators <= 0 {
		lim.MaxOperators = DefaultLimits.MaxOperators
	}
	if lim.MaxTokens <= 0 {
		lim.MaxTokens = DefaultLimits.MaxTokens
	}
	s := scanner{src: src, filename: filename, lim: lim, line: 1}
	if d := s.run(); d != nil {
		return s.tokens, hcl.Diagnostics{d}
	}
	return s.tokens, nil
}

type scanner struct {
	src       []byte
	filename  string
	lim       Limits
	stack     []frame
	opsTotal  int
	tokens    int
	line      int
	lineStart int
	// lastCommentEnd is where the last "*/" of the file starts: a "/*"
	// after it opens no comment (HCL's lexer reads / and * instead).
	lastCommentEnd int
}

func (s *scanner) pos(i int) hcl.Pos {
	return hcl.Pos{Line: s.line, Column: i - s.lineStart + 1, Byte: i}
}

func (s *scanner) diag(i int, summary, detail string) *hcl.Diagnostic {
	p := s.pos(i)
	end := p
	if i < len(s.src) {
		end.Byte++
		end.Column++
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail,
		Subject: &hcl.Range{Filename: s.filename, Start: p, End: end}}
}

func (s *scanner) push(i int, f frame) *hcl.Diagnostic {
	if len(s.stack)-1 >= s.lim.MaxDepth {
		return s.diag(i, "Nesting too deep", fmt.Sprintf(
			"Brackets, braces, parentheses and strings nest more than %d levels deep here; fleetport reads at most %d. "+
				"Flatten the structure, or check the file is the one you meant.", s.lim.MaxDepth, s.lim.MaxDepth))
	}
	s.stack = append(s.stack, f)
	return s.token(i)
}

func (s *scanner) pop() {
	top := &s.stack[len(s.stack)-1]
	s.opsTotal -= top.ops
	s.stack = s.stack[:len(s.stack)-1]
}

func (s *scanner) token(i int) *hcl.Diagnostic {
	s.tokens++
	if s.tokens > s.lim.MaxTokens {
		return s.diag(i, "File too complex", fmt.Sprintf(
			"%s holds more than %d tokens (words, numbers, strings and symbols); fleetport reads at most %d per file. "+
				"Split it into several files.", s.filename, s.lim.MaxTokens, s.lim.MaxTokens))
	}
	return nil
}

func (s *scanner) op(i int) *hcl.Diagnostic {
	s.stack[len(s.stack)-1].ops++
	s.opsTotal++
	if s.opsTotal > s.lim.MaxOperators {
		return s.diag(i, "Expression too long", fmt.Sprintf(
			"This expression chains more than %d operators; fleetport reads at most %d. Split it up.",
			s.lim.MaxOperators, s.lim.MaxOperators))
	}
	return s.token(i)
}

// endExpr starts a new expression at the current level.
func (s *scanner) endExpr() {
	top := &s.stack[len(s.stack)-1]
	s.opsTotal -= top.ops
	top.ops = 0
}

func (s *scanner) newline(i int) {
	s.line++
	s.lineStart = i + 1
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || c == '-' || c >= '0' && c <= '9'
}

func (s *scanner) run() *hcl.Diagnostic {
	src := s.src
	s.lastCommentEnd = bytes.LastIndex(src, []byte("*/"))
	s.stack = append(s.stack, frame{kind: frameCode})
	i := 0
	for i < len(src) {
		top := &s.stack[len(s.stack)-1]
		c := src[i]
		switch top.kind {
		case frameQuoted:
			switch {
			case c == '\\' && i+1 < len(src) && src[i+1] != '\n' && src[i+1] != '\r':
				i += 2
				continue
			case c == '"':
				s.pop()
			case c == '\n':
				// HCL's lexer carries on with the string past the line's
				// end (the parser reports it), and so does this scan.
				s.newline(i)
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 3
				continue
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if d := s.push(i, frame{kind: frameInterp, closer: '}'}); d != nil {
					return d
				}
				i += 2
				continue
			}
			i++
			continue
		case frameHeredoc:
			if i == s.lineStart {
				// As HCL's lexer: a line that is the marker once trimmed
				// of white space ends the heredoc.
				end := bytes.IndexByte(src[i:], '\n')
				if end < 0 {
					end = len(src)
				} else {
					end += i
				}
				if bytes.Equal(bytes.TrimSpace(src[i:end]), top.marker) {
					s.pop()
					i = end
					continue
				}
			}
			switch {
			case c == '\n':
				s.newline(i)
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 3
				continue
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if d := s.push(i, frame{kind: frameInterp, closer: '}'}); d != nil {
					return d
				}
				i += 2
				continue
			}
			i++
			continue
		}

		// Code.
		switch {
		case c == '\n':
			if top.kind == frameCode && top.closer != ')' && top.closer != ']' {
				s.endExpr()
			}
			s.newline(i)
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*' && s.lastCommentEnd >= i+2:
			i += 2
			for i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/') {
				if src[i] == '\n' {
					s.newline(i)
				}
				i++
			}
			i += 2
		case c == '"':
			if d := s.push(i, frame{kind: frameQuoted}); d != nil {
				return d
			}
			i++
		case c == '<' && i+1 < len(src) && src[i+1] == '<':
			j := i + 2
			if j < len(src) && src[j] == '-' {
				j++
			}
			k := j
			if k < len(src) && isIdentStart(src[k]) {
				for k < len(src) && isIdentByte(src[k]) {
					k++
				}
			}
			end := k
			if end < len(src) && src[end] == '\r' {
				end++
			}
			if k > j && end < len(src) && src[end] == '\n' {
				if d := s.push(i, frame{kind: frameHeredoc, marker: src[j:k]}); d != nil {
					return d
				}
				s.newline(end)
				i = end + 1
				continue
			}
			if d := s.op(i); d != nil {
				return d
			}
			i += 2
		case c == '(' || c == '[' || c == '{':
			closer := byte(')')
			switch c {
			case '[':
				closer = ']'
			case '{':
				closer = '}'
			}
			if d := s.push(i, frame{kind: frameCode, closer: closer}); d != nil {
				return d
			}
			i++
		case c == ')' || c == ']':
			if len(s.stack) > 1 && top.closer == c {
				s.pop()
			}
			if d := s.token(i); d != nil {
				return d
			}
			i++
		case c == '}':
			// HCL's lexer follows braces only: a } closes the nearest
			// brace or interpolation, whatever brackets are still open.
			for k := len(s.stack) - 1; k > 0; k-- {
				if f := s.stack[k]; f.kind != frameCode && f.kind != frameInterp {
					break
				} else if f.closer == '}' {
					for len(s.stack) > k {
						s.pop()
					}
					break
				}
			}
			if d := s.token(i); d != nil {
				return d
			}
			i++
		case c == ',':
			s.endExpr()
			if d := s.token(i); d != nil {
				return d
			}
			i++
		case c == '=':
			if i+1 < len(src) && (src[i+1] == '=' || src[i+1] == '>') {
				if d := s.op(i); d != nil {
					return d
				}
				i += 2
				continue
			}
			s.endExpr()
			if d := s.token(i); d != nil {
				return d
			}
			i++
		case c == '!' || c == '-' || c == '+' || c == '*' || c == '/' || c == '%' || c == '<' || c == '>' ||
			c == '&' || c == '|' || c == '?' || c == ':':
			if d := s.op(i); d != nil {
				return d
			}
			i++
		case isIdentStart(c):
			if d := s.token(i); d != nil {
				return d
			}
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
		case c >= '0' && c <= '9':
			if d := s.token(i); d != nil {
				return d
			}
			i = skipNumber(src, i)
		default:
			if d := s.token(i); d != nil {
				return d
			}
			i++
		}
	}
	return nil
}

// skipNumber returns the end of the number literal at i: digits, a
// fraction and an exponent, as HCL reads them.
func skipNumber(src []byte, i int) int {
	digits := func(i int) int {
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
		return i
	}
	i = digits(i)
	if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
		i = digits(i + 1)
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && src[j] >= '0' && src[j] <= '9' {
			i = digits(j)
		}
	}
	return i
}
