package pwsh

import (
	"strconv"
	"strings"
	"unicode"
)

// Limits that keep a hostile script from exhausting the simulator.
const (
	maxScriptRunes = 1 << 20 // 1 Mi characters of script
	maxNesting     = 64      // brackets, blocks and sub-expressions
)

// parseError is a PowerShell ParseException with one error.
type parseError struct {
	msg string // ParserStrings text
	id  string // FullyQualifiedErrorId
	x   extent
}

// ParserStrings texts of Windows PowerShell. "The string is missing the
// terminator" is widely quoted from 5.1 runs; the others are the resource
// strings as 5.1 prints them, not checked against a capture here; perrTooDeep
// is the simulator's own.
const (
	perrStringTerminator = "The string is missing the terminator: %s."
	perrMissingEndCurly  = "Missing closing '}' in statement block or type definition."
	perrMissingEndParen  = "Missing closing ')' in expression."
	perrUnexpectedToken  = "Unexpected token '%s' in expression or statement."
	perrMissingExpr      = "You must provide a value expression following the '%s' operator."
	perrExprsFirstOnly   = "Expressions are only allowed as the first element of a pipeline."
	perrEmptyPipe        = "An empty pipe element is not allowed."
	perrMissingHashEnd   = "The hash literal was incomplete."
	perrMissingEndSquare = "Missing ] at end of attribute or type literal."
	perrTooDeep          = "The script is nested too deeply to be parsed."
)

type parser struct {
	src   []rune
	pos   int
	depth int
	err   *parseError
}

func (p *parser) fail(msg, id string, start, end int) {
	if p.err == nil {
		if end < start {
			end = start
		}
		p.err = &parseError{msg: msg, id: id, x: extent{start, end}}
	}
}

func (p *parser) peek() rune {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) peekAt(n int) rune {
	if p.pos+n < len(p.src) && p.pos+n >= 0 {
		return p.src[p.pos+n]
	}
	return 0
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func isNewline(r rune) bool { return r == '\n' || r == '\r' }

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\f' || r == '\v' || r == '\u00a0' || r == '\u0085' || (r > 0x7f && unicode.IsSpace(r) && !isNewline(r))
}

func isSingleQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b'
}

func isDoubleQuote(r rune) bool { return r == '"' || r == '\u201c' || r == '\u201d' || r == '\u201e' }

// skipSpace skips blanks, comments and backtick line continuations, but not
// newlines.
func (p *parser) skipSpace() {
	for !p.eof() {
		r := p.peek()
		switch {
		case isSpace(r):
			p.pos++
		case r == '`' && isNewline(p.peekAt(1)):
			p.pos += 2
			if p.src[p.pos-1] == '\r' && p.peek() == '\n' {
				p.pos++
			}
		case r == '#':
			for !p.eof() && !isNewline(p.peek()) {
				p.pos++
			}
		case r == '<' && p.peekAt(1) == '#':
			start := p.pos
			p.pos += 2
			for !p.eof() && !(p.peek() == '#' && p.peekAt(1) == '>') {
				p.pos++
			}
			if p.eof() {
				p.fail("Missing the terminator '#>' for the comment.", "EndOfCommentNotFound", start, p.pos)
				return
			}
			p.pos += 2
		default:
			return
		}
	}
}

// skipSpaceNL skips blanks, comments and newlines.
func (p *parser) skipSpaceNL() {
	for {
		p.skipSpace()
		if !p.eof() && isNewline(p.peek()) {
			p.pos++
			continue
		}
		return
	}
}

func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxNesting {
		p.fail(perrTooDeep, "ScriptTooDeep", p.pos, p.pos)
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

// parseScript parses a whole script.
func parseScript(src []rune) ([]stmt, *parseError) {
	p := &parser{src: src}
	stmts := p.parseStatements(0)
	if p.err == nil && !p.eof() {
		r := p.peek()
		p.fail(strings.Replace(perrUnexpectedToken, "%s", string(r), 1), "UnexpectedToken", p.pos, p.pos+1)
	}
	if p.err != nil {
		return nil, p.err
	}
	return stmts, nil
}

// parseStatements parses statements until EOF or the closing rune close
// (')' or '}'), which it does not consume.
func (p *parser) parseStatements(close rune) []stmt {
	var out []stmt
	for p.err == nil {
		p.skipSpaceNL()
		for !p.eof() && p.peek() == ';' {
			p.pos++
			p.skipSpaceNL()
		}
		if p.eof() {
			return out
		}
		r := p.peek()
		if r == close && close != 0 {
			return out
		}
		if r == ')' || r == '}' {
			p.fail(strings.Replace(perrUnexpectedToken, "%s", string(r), 1), "UnexpectedToken", p.pos, p.pos+1)
			return out
		}
		s := p.parseStatement()
		if p.err != nil {
			return out
		}
		if s != nil {
			out = append(out, s)
		}
		p.skipSpace()
		if !p.eof() {
			r := p.peek()
			if !(isNewline(r) || r == ';' || r == close && close != 0) {
				p.fail(strings.Replace(perrUnexpectedToken, "%s", p.tokenText(), 1), "UnexpectedToken", p.pos, p.pos+len([]rune(p.tokenText())))
				return out
			}
		}
	}
	return out
}

// tokenText is the text of the token at the current position, for messages.
func (p *parser) tokenText() string {
	start := p.pos
	end := start
	for end < len(p.src) && !isSpace(p.src[end]) && !isNewline(p.src[end]) && p.src[end] != ';' {
		end++
		if end-start > 40 {
			break
		}
	}
	if end == start {
		end = min(start+1, len(p.src))
	}
	return p.text(start, end)
}

// keywordAt reports the PowerShell keyword at the current position, if any.
func (p *parser) keywordAt() string {
	end := p.pos
	for end < len(p.src) && (unicode.IsLetter(p.src[end])) {
		end++
	}
	if end == p.pos {
		return ""
	}
	if end < len(p.src) {
		r := p.src[end]
		if !(isSpace(r) || isNewline(r) || r == ';' || r == '(' || r == '{' || r == '$' || r == '}' || r == ')' || r == '\'' || r == '"' || r == '-') {
			return ""
		}
	}
	w := strings.ToLower(p.text(p.pos, end))
	switch w {
	case "exit", "throw", "return", "if", "foreach", "break", "continue",
		"elseif", "else", "switch", "for", "while", "do", "until", "function", "filter",
		"workflow", "try", "catch", "finally", "trap", "param", "begin", "process", "end",
		"dynamicparam", "class", "enum", "using", "data", "configuration", "inlinescript", "parallel", "sequence":
		return w
	}
	return ""
}

func (p *parser) parseStatement() stmt {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	start := p.pos
	switch kw := p.keywordAt(); kw {
	case "":
	case "exit", "return", "throw":
		p.pos += len(kw)
		p.skipSpace()
		var v expr
		if !p.atStatementEnd() {
			v = p.parsePipelineAsExpr()
		}
		x := extent{start, p.pos}
		switch kw {
		case "exit":
			return &exitStmt{value: v, x: x}
		case "return":
			return &returnStmt{value: v, x: x}
		default:
			return &throwStmt{value: v, x: x}
		}
	case "if":
		return p.parseIf()
	case "foreach":
		if s := p.parseForeach(); s != nil {
			return s
		}
		p.pos = start
		p.err = nil
		return p.skipUnsupported("foreach")
	default:
		return p.skipUnsupported(kw)
	}
	// Assignment: $var = ...
	if p.peek() == '$' {
		save := p.pos
		v := p.parseVariable()
		if v != nil && p.err == nil {
			p.skipSpace()
			if p.peek() == '=' && p.peekAt(1) != '=' {
				p.pos++
				p.skipSpaceNL()
				if p.atStatementEnd() {
					p.fail("You must provide a value expression on the right-hand side of the '=' operator.", "ExpectedValueExpression", p.pos, p.pos)
					return nil
				}
				val := p.parseStatement()
				return &assignStmt{target: v, value: val, x: extent{start, p.pos}}
			}
			for _, op := range []string{"+=", "-=", "*=", "/=", "%=", "++", "--"} {
				if strings.HasPrefix(p.text(p.pos, min(p.pos+2, len(p.src))), op) {
					return p.skipUnsupported("the '" + op + "' operator")
				}
			}
		}
		p.err = nil
		p.pos = save
	}
	return p.parsePipeline()
}

func (p *parser) atStatementEnd() bool {
	if p.eof() {
		return true
	}
	r := p.peek()
	return isNewline(r) || r == ';' || r == ')' || r == '}' || r == '|'
}

// skipUnsupported consumes a statement that starts with a keyword the
// emulation does not run: everything up to the end of the statement at
// bracket depth 0, including "else"/"catch"/"finally" continuations.
func (p *parser) skipUnsupported(what string) stmt {
	start := p.pos
	kwEnd := p.pos
	for kwEnd < len(p.src) && unicode.IsLetter(p.src[kwEnd]) {
		kwEnd++
	}
	depth := 0
	for !p.eof() && p.err == nil {
		r := p.peek()
		switch {
		case isSingleQuote(r) || isDoubleQuote(r):
			p.parseStringLiteral()
			continue
		case r == '#' || (r == '<' && p.peekAt(1) == '#') || (r == '`' && isNewline(p.peekAt(1))):
			p.skipSpace()
			continue
		case r == '`':
			p.pos += 2
			continue
		case r == '(' || r == '{' || r == '[':
			depth++
		case r == ')' || r == '}' || r == ']':
			if depth == 0 {
				return &unsupportedStmt{what: what, kw: extent{start, kwEnd}, x: extent{start, p.pos}}
			}
			depth--
		case (isNewline(r) || r == ';') && depth == 0:
			save := p.pos
			p.skipSpaceNL()
			w := strings.ToLower(p.keywordAt())
			if w == "else" || w == "elseif" || w == "catch" || w == "finally" || w == "until" || (w == "while" && what == "do") {
				continue
			}
			p.pos = save
			return &unsupportedStmt{what: what, kw: extent{start, kwEnd}, x: extent{start, p.pos}}
		}
		p.pos++
	}
	if depth > 0 && p.err == nil {
		p.fail(perrMissingEndCurly, "MissingEndCurlyBrace", start, p.pos)
	}
	return &unsupportedStmt{what: what, kw: extent{start, kwEnd}, x: extent{start, p.pos}}
}

func (p *parser) expect(r rune, msg, id string, start int) bool {
	p.skipSpaceNL()
	if p.peek() != r {
		p.fail(msg, id, start, p.pos)
		return false
	}
	p.pos++
	return true
}

func (p *parser) parseBlock() []stmt {
	start := p.pos
	if !p.expect('{', "Missing statement block.", "MissingStatementBlock", start) {
		return nil
	}
	body := p.parseStatements('}')
	if p.err != nil {
		return nil
	}
	if p.eof() {
		p.fail(perrMissingEndCurly, "MissingEndCurlyBrace", start, p.pos)
		return nil
	}
	p.pos++
	if body == nil {
		body = []stmt{}
	}
	return body
}

func (p *parser) parseCondition() stmt {
	start := p.pos
	if !p.expect('(', "Missing '(' after 'if' in if statement.", "MissingOpenParenthesisInIfStatement", start) {
		return nil
	}
	p.skipSpaceNL()
	c := p.parsePipeline()
	p.skipSpaceNL()
	if p.err != nil {
		return nil
	}
	if p.peek() != ')' {
		p.fail(perrMissingEndParen, "MissingEndParenthesisInExpression", start, p.pos)
		return nil
	}
	p.pos++
	return c
}

func (p *parser) parseIf() stmt {
	start := p.pos
	p.pos += 2
	s := &ifStmt{}
	for {
		c := p.parseCondition()
		b := p.parseBlock()
		if p.err != nil {
			return nil
		}
		s.conds = append(s.conds, c)
		s.blocks = append(s.blocks, b)
		save := p.pos
		p.skipSpaceNL()
		switch p.keywordAt() {
		case "elseif":
			p.pos += 6
			continue
		case "else":
			p.pos += 4
			s.elseB = p.parseBlock()
			if s.elseB == nil && p.err == nil {
				s.elseB = []stmt{}
			}
		default:
			p.pos = save
		}
		break
	}
	s.x = extent{start, p.pos}
	return s
}

func (p *parser) parseForeach() stmt {
	start := p.pos
	p.pos += 7
	p.skipSpace()
	if p.peek() != '(' {
		return nil
	}
	p.pos++
	p.skipSpaceNL()
	v := p.parseVariable()
	if v == nil || p.err != nil {
		return nil
	}
	p.skipSpaceNL()
	if !strings.EqualFold(p.text(p.pos, min(p.pos+2, len(p.src))), "in") {
		return nil
	}
	p.pos += 2
	p.skipSpaceNL()
	coll := p.parsePipeline()
	p.skipSpaceNL()
	if p.err != nil || p.peek() != ')' {
		return nil
	}
	p.pos++
	body := p.parseBlock()
	if p.err != nil {
		return nil
	}
	return &foreachStmt{variable: v.name, coll: coll, body: body, x: extent{start, p.pos}}
}

// parsePipelineAsExpr parses a pipeline where an expression is wanted
// (exit/throw/return operands).
func (p *parser) parsePipelineAsExpr() expr {
	start := p.pos
	s := p.parsePipeline()
	if pl, ok := s.(*pipelineStmt); ok && len(pl.elems) == 1 && pl.elems[0].expr != nil && len(pl.redirs) == 0 {
		return pl.elems[0].expr
	}
	return &parenExpr{s: s, x: extent{start, p.pos}}
}

func (p *parser) startsExpression() bool {
	r := p.peek()
	switch {
	case r == '$' || isSingleQuote(r) || isDoubleQuote(r) || r == '(' || r == '@' || r == '[' || r == '!' || r == ',' || r == '{':
		return true
	case r >= '0' && r <= '9' || (r == '.' && isDigit(p.peekAt(1))):
		// A number followed by a token end is an expression; "7z.exe" is a command.
		save := p.pos
		_, ok := p.scanNumber()
		end := p.eof() || isSpace(p.peek()) || isNewline(p.peek()) || strings.ContainsRune(";|)},+-*/%=.", p.peek())
		p.pos = save
		return ok && end
	case r == '-' || r == '+':
		n := p.peekAt(1)
		if isDigit(n) || n == '$' || n == '(' || (n == '.' && isDigit(p.peekAt(2))) {
			return true
		}
		if r == '-' {
			w := strings.ToLower(p.wordAt(p.pos + 1))
			return w == "not" || w == "bnot" || w == "join" || w == "split"
		}
	}
	return false
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func (p *parser) wordAt(i int) string {
	end := i
	for end < len(p.src) && (unicode.IsLetter(p.src[end]) || isDigit(p.src[end]) || p.src[end] == '_') {
		end++
	}
	return p.text(i, end)
}

func (p *parser) parsePipeline() stmt {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	start := p.pos
	pl := &pipelineStmt{}
	for p.err == nil {
		p.skipSpace()
		if p.atStatementEnd() {
			if len(pl.elems) > 0 || p.peek() == '|' {
				p.fail(perrEmptyPipe, "EmptyPipeElement", p.pos, p.pos+1)
			}
			break
		}
		if p.startsExpression() {
			if len(pl.elems) > 0 {
				p.fail(perrExprsFirstOnly, "ExpressionsMustBeFirstInPipeline", p.pos, p.pos+1)
				break
			}
			e := p.parseExpr()
			pl.elems = append(pl.elems, pipeElem{expr: e})
		} else {
			c := p.parseCommand()
			if c == nil {
				break
			}
			pl.elems = append(pl.elems, pipeElem{cmd: c})
		}
		p.skipSpace()
		p.parseRedirections(pl)
		p.skipSpace()
		if p.peek() == '|' && p.peekAt(1) != '|' {
			p.pos++
			p.skipSpaceNL()
			continue
		}
		if p.peek() == '|' || (p.peek() == '&' && p.peekAt(1) == '&') {
			p.fail("The token '"+p.text(p.pos, p.pos+2)+"' is not a valid statement separator in this version.", "InvalidEndOfLine", p.pos, p.pos+2)
		}
		break
	}
	pl.x = extent{start, p.pos}
	return pl
}

func (p *parser) parseRedirections(pl *pipelineStmt) {
	for p.err == nil {
		p.skipSpace()
		start := p.pos
		stream := 1
		r := p.peek()
		switch {
		case r == '>':
		case (isDigit(r) || r == '*') && p.peekAt(1) == '>':
			switch r {
			case '*':
				stream = 0
			case '1':
				stream = 1
			default:
				stream = int(r - '0')
			}
			p.pos++
		default:
			return
		}
		p.pos++
		rd := redirection{stream: stream}
		if p.peek() == '>' {
			rd.append = true
			p.pos++
		}
		if p.peek() == '&' {
			p.pos++
			if p.peek() != '1' {
				p.fail("The '"+p.text(start, min(p.pos+1, len(p.src)))+"' operator is reserved for future use.", "RedirectionNotSupported", start, p.pos+1)
				return
			}
			p.pos++
			rd.merge = true
			rd.x = extent{start, p.pos}
			pl.redirs = append(pl.redirs, rd)
			continue
		}
		p.skipSpace()
		if p.atStatementEnd() {
			p.fail("Missing file specification after redirection operator.", "MissingFileSpecification", start, p.pos)
			return
		}
		tstart := p.pos
		rd.target = p.parseCommandArgValue()
		rd.text = p.text(tstart, p.pos)
		if v, ok := rd.target.(*varExpr); ok && v.name == "null" {
			rd.null = true
		}
		rd.x = extent{start, p.pos}
		pl.redirs = append(pl.redirs, rd)
	}
}

func isCommandEnd(r rune) bool {
	return isSpace(r) || isNewline(r) || r == ';' || r == '|' || r == ')' || r == '}' || r == '(' || r == '{' || r == ',' || r == 0
}

func (p *parser) parseCommand() *commandCall {
	start := p.pos
	c := &commandCall{}
	if r := p.peek(); (r == '&' || r == '.') && (isSpace(p.peekAt(1)) || p.peekAt(1) == '$' || isSingleQuote(p.peekAt(1)) || isDoubleQuote(p.peekAt(1)) || p.peekAt(1) == '{' || p.peekAt(1) == '(') {
		c.invokeOp = string(r)
		p.pos++
		p.skipSpace()
		ns := p.pos
		switch r := p.peek(); {
		case r == '$' || isSingleQuote(r) || isDoubleQuote(r) || r == '{' || r == '(':
			c.nameExpr = p.parsePostfix()
			if ce, ok := c.nameExpr.(*constExpr); ok {
				if s, ok := ce.v.(string); ok {
					c.name, c.nameExpr = s, nil
				}
			}
		default:
			c.name = p.scanBareword()
		}
		c.nameX = extent{ns, p.pos}
	} else if p.peek() == '&' {
		c.invokeOp = "&"
		p.pos++
		ns := p.pos
		c.name = p.scanBareword()
		c.nameX = extent{ns, p.pos}
	} else {
		ns := p.pos
		c.name = p.scanBareword()
		c.nameX = extent{ns, p.pos}
	}
	if p.err != nil {
		return nil
	}
	if c.name == "" && c.nameExpr == nil {
		p.fail(strings.Replace(perrUnexpectedToken, "%s", p.tokenText(), 1), "UnexpectedToken", p.pos, p.pos+1)
		return nil
	}
	for p.err == nil {
		p.skipSpace()
		r := p.peek()
		if p.eof() || isNewline(r) || r == ';' || r == '|' || r == ')' || r == '}' {
			break
		}
		if r == '>' || ((isDigit(r) || r == '*') && p.peekAt(1) == '>') {
			break
		}
		if r == '&' && p.peekAt(1) == '&' {
			break
		}
		astart := p.pos
		if isDash(r) && p.peekAt(1) == '-' && p.peekAt(2) == '%' {
			// Stop-parsing symbol: the rest of the line is passed verbatim.
			p.pos += 3
			p.skipSpace()
			vs := p.pos
			for !p.eof() && !isNewline(p.peek()) {
				p.pos++
			}
			c.args = append(c.args, cmdArg{value: &bareExpr{s: p.text(vs, p.pos), x: extent{vs, p.pos}}, x: extent{astart, p.pos}})
			continue
		}
		if isDash(r) && (unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '_' || p.peekAt(1) == '?') {
			p.pos++
			ns := p.pos
			for !p.eof() && !isCommandEnd(p.peek()) && p.peek() != ':' {
				p.pos++
			}
			a := cmdArg{param: p.text(ns, p.pos)}
			if p.peek() == ':' {
				p.pos++
				a.colon = true
				p.skipSpace()
				a.value = p.parseCommandArgList()
			}
			a.x = extent{astart, p.pos}
			c.args = append(c.args, a)
			continue
		}
		v := p.parseCommandArgList()
		c.args = append(c.args, cmdArg{value: v, x: extent{astart, p.pos}})
	}
	c.x = extent{start, p.pos}
	return c
}

// parseCommandArgList parses one command argument, including a
// comma-separated list (-Property A,B,C).
func (p *parser) parseCommandArgList() expr {
	return p.parseCommaList(p.parseCommandArgValue)
}

func (p *parser) parseCommandArgValue() expr {
	r := p.peek()
	switch {
	case r == '$' || isSingleQuote(r) || isDoubleQuote(r) || r == '(' || r == '@' || r == '{':
		return p.parsePostfix()
	}
	start := p.pos
	s := p.scanBareword()
	if s == "" && p.err == nil {
		p.fail(strings.Replace(perrUnexpectedToken, "%s", p.tokenText(), 1), "UnexpectedToken", p.pos, p.pos+1)
	}
	return &bareExpr{s: s, x: extent{start, p.pos}}
}

// scanBareword reads a generic command-mode token. Quoted parts inside the
// token are joined to it without their quotes.
func (p *parser) scanBareword() string {
	var b strings.Builder
	for !p.eof() {
		r := p.peek()
		switch {
		case isCommandEnd(r) || r == '>' && b.Len() > 0 || r == '<':
			return b.String()
		case r == '&' && b.Len() == 0:
			return b.String()
		case isSingleQuote(r) || isDoubleQuote(r):
			e := p.parseStringLiteral()
			if ce, ok := e.(*constExpr); ok {
				b.WriteString(toStr(ce.v))
			} else if ee, ok := e.(*expandExpr); ok {
				for _, part := range ee.parts {
					if ce, ok := part.(*constExpr); ok {
						b.WriteString(toStr(ce.v))
					}
				}
			}
		case r == '`' && p.pos+1 < len(p.src):
			b.WriteRune(backtickEscape(p.src[p.pos+1]))
			p.pos += 2
		default:
			b.WriteRune(r)
			p.pos++
		}
		if p.err != nil {
			return b.String()
		}
	}
	return b.String()
}

func backtickEscape(r rune) rune {
	switch r {
	case '0':
		return 0
	case 'a':
		return 7
	case 'b':
		return 8
	case 'f':
		return 12
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'v':
		return 11
	}
	return r
}

// ---- expressions ----

func (p *parser) parseExpr() expr {
	if !p.enter() {
		return &constExpr{}
	}
	defer p.leave()
	return p.parseLogical()
}

var logicalOps = map[string]bool{"and": true, "or": true, "xor": true}

var comparisonOps = map[string]bool{
	"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true,
	"like": true, "notlike": true, "match": true, "notmatch": true,
	"contains": true, "notcontains": true, "in": true, "notin": true,
	"replace": true, "split": true, "join": true, "f": true,
	"is": true, "isnot": true, "as": true,
}

// peekOperator returns the canonical "-name" of a dash operator at the
// current position and its length, or "" when there is none.
func (p *parser) peekOperator(set map[string]bool) (string, int) {
	if !isDash(p.peek()) {
		return "", 0
	}
	w := strings.ToLower(p.wordAt(p.pos + 1))
	if w == "" {
		return "", 0
	}
	base := w
	if len(w) > 1 && (w[0] == 'c' || w[0] == 'i') && set[w[1:]] && !set[w] {
		base = w[1:]
	}
	if !set[base] {
		return "", 0
	}
	return "-" + w, 1 + len([]rune(w))
}

func (p *parser) binary(op string, start int, l expr, next func() expr) expr {
	p.skipSpaceNL()
	if p.atStatementEnd() {
		p.fail(strings.Replace(perrMissingExpr, "%s", op, 1), "ExpectedValueExpression", p.pos, p.pos)
		return l
	}
	r := next()
	return &binaryExpr{op: op, l: l, r: r, x: extent{start, p.pos}}
}

func (p *parser) parseLogical() expr {
	start := p.pos
	l := p.parseComparison()
	for p.err == nil {
		p.skipSpace()
		op, n := p.peekOperator(logicalOps)
		if op == "" {
			return l
		}
		p.pos += n
		l = p.binary(op, start, l, p.parseComparison)
	}
	return l
}

func (p *parser) parseComparison() expr {
	start := p.pos
	l := p.parseAdditive()
	for p.err == nil {
		p.skipSpace()
		op, n := p.peekOperator(comparisonOps)
		if op == "" {
			return l
		}
		p.pos += n
		l = p.binary(op, start, l, p.parseAdditive)
	}
	return l
}

func (p *parser) parseAdditive() expr {
	start := p.pos
	l := p.parseMultiplicative()
	for p.err == nil {
		p.skipSpace()
		r := p.peek()
		if (r != '+' && !isDash(r)) || p.peekAt(1) == '=' || r == p.peekAt(1) {
			return l
		}
		if isDash(r) && unicode.IsLetter(p.peekAt(1)) {
			return l // a dash operator of lower precedence
		}
		p.pos++
		op := "+"
		if r != '+' {
			op = "-"
		}
		l = p.binary(op, start, l, p.parseMultiplicative)
	}
	return l
}

func (p *parser) parseMultiplicative() expr {
	start := p.pos
	l := p.parseComma()
	for p.err == nil {
		p.skipSpace()
		r := p.peek()
		if (r != '*' && r != '/' && r != '%') || p.peekAt(1) == '=' {
			return l
		}
		p.pos++
		l = p.binary(string(r), start, l, p.parseComma)
	}
	return l
}

func (p *parser) parseComma() expr {
	return p.parseCommaList(p.parseRange)
}

// parseCommaList parses elem, and when a comma follows, a list of elems:
// the array operator in expressions and in command arguments alike.
func (p *parser) parseCommaList(elem func() expr) expr {
	start := p.pos
	first := elem()
	p.skipSpace()
	if p.peek() != ',' {
		return first
	}
	elems := []expr{first}
	for p.err == nil && p.peek() == ',' {
		p.pos++
		p.skipSpaceNL()
		if p.atStatementEnd() {
			p.fail(strings.Replace(perrMissingExpr, "%s", ",", 1), "MissingExpressionAfterToken", p.pos-1, p.pos)
			break
		}
		elems = append(elems, elem())
		p.skipSpace()
	}
	return &arrayExpr{elems: elems, x: extent{start, p.pos}}
}

func (p *parser) parseRange() expr {
	start := p.pos
	l := p.parseUnary()
	p.skipSpace()
	if p.peek() == '.' && p.peekAt(1) == '.' {
		p.pos += 2
		return p.binary("..", start, l, p.parseUnary)
	}
	return l
}

func (p *parser) parseUnary() expr {
	if !p.enter() {
		return &constExpr{}
	}
	defer p.leave()
	start := p.pos
	r := p.peek()
	switch {
	case r == '!':
		p.pos++
		p.skipSpace()
		return &unaryExpr{op: "-not", x1: p.parseUnary(), x: extent{start, p.pos}}
	case r == ',':
		p.pos++
		p.skipSpace()
		return &unaryExpr{op: ",", x1: p.parseUnary(), x: extent{start, p.pos}}
	case isDash(r) || r == '+':
		if w := strings.ToLower(p.wordAt(p.pos + 1)); isDash(r) && (w == "not" || w == "bnot" || w == "join" || w == "split") {
			p.pos += 1 + len(w)
			p.skipSpace()
			return &unaryExpr{op: "-" + w, x1: p.parseUnary(), x: extent{start, p.pos}}
		}
		if isDigit(p.peekAt(1)) || p.peekAt(1) == '.' {
			p.pos++
			e := p.parsePostfix()
			if c, ok := e.(*constExpr); ok && r != '+' {
				switch n := c.v.(type) {
				case int64:
					return &constExpr{v: -n, x: extent{start, p.pos}}
				case float64:
					return &constExpr{v: -n, x: extent{start, p.pos}}
				}
			}
			return &unaryExpr{op: string(r), x1: e, x: extent{start, p.pos}}
		}
		p.pos++
		p.skipSpace()
		op := "-"
		if r == '+' {
			op = "+"
		}
		return &unaryExpr{op: op, x1: p.parseUnary(), x: extent{start, p.pos}}
	case r == '[':
		return p.parseTypeOrCast()
	}
	return p.parsePostfix()
}

func (p *parser) parseTypeOrCast() expr {
	start := p.pos
	p.pos++
	depth := 1
	ts := p.pos
	for !p.eof() && depth > 0 {
		switch p.peek() {
		case '[':
			depth++
		case ']':
			depth--
		case '\n', '\r':
			p.fail(perrMissingEndSquare, "EndSquareBracketExpectedAtEndOfType", start, p.pos)
			return &constExpr{}
		}
		p.pos++
	}
	if depth > 0 {
		p.fail(perrMissingEndSquare, "EndSquareBracketExpectedAtEndOfType", start, p.pos)
		return &constExpr{}
	}
	typ := strings.ToLower(strings.TrimSpace(p.text(ts, p.pos-1)))
	x := extent{start, p.pos}
	if p.peek() == ':' && p.peekAt(1) == ':' {
		// Static member access: consume the member (and call) for the extent.
		p.pos += 2
		p.wordAt(p.pos)
		p.pos += len([]rune(p.wordAt(p.pos)))
		if p.peek() == '(' {
			p.skipBalanced('(', ')')
		}
		return &notEmulatedExpr{what: "static member [" + p.text(ts, x.end-1) + "]::", x: extent{start, p.pos}}
	}
	save := p.pos
	p.skipSpace()
	if p.atStatementEnd() || p.peek() == ',' || p.peek() == ']' || isDash(p.peek()) && unicode.IsLetter(p.peekAt(1)) {
		p.pos = save
		return &typeExpr{typ: typ, x: x}
	}
	operand := p.parseUnary()
	return &castExpr{typ: typ, x1: operand, x: extent{start, p.pos}}
}

func (p *parser) skipBalanced(open, close rune) {
	depth := 0
	for !p.eof() {
		r := p.peek()
		if isSingleQuote(r) || isDoubleQuote(r) {
			p.parseStringLiteral()
			if p.err != nil {
				return
			}
			continue
		}
		p.pos++
		switch r {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

func (p *parser) parsePostfix() expr {
	start := p.pos
	e := p.parsePrimary()
	for p.err == nil && !p.eof() {
		r := p.peek()
		switch {
		case r == '.' && (unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '_'):
			p.pos++
			name := p.wordAt(p.pos)
			p.pos += len([]rune(name))
			if p.peek() == '(' {
				p.pos++
				var args []expr
				p.skipSpaceNL()
				for p.err == nil && p.peek() != ')' {
					if p.eof() {
						p.fail(perrMissingEndParen, "MissingEndParenthesisInMethodCall", start, p.pos)
						return e
					}
					args = append(args, p.parseRange())
					p.skipSpaceNL()
					if p.peek() == ',' {
						p.pos++
						p.skipSpaceNL()
					} else if p.peek() != ')' {
						p.fail(perrMissingEndParen, "MissingEndParenthesisInMethodCall", start, p.pos)
						return e
					}
				}
				p.pos++
				e = &methodExpr{obj: e, name: name, args: args, x: extent{start, p.pos}}
				continue
			}
			e = &memberExpr{obj: e, name: name, x: extent{start, p.pos}}
		case r == '[':
			p.pos++
			p.skipSpaceNL()
			idx := p.parseExpr()
			p.skipSpaceNL()
			if p.peek() != ']' {
				p.fail("Array index expression is missing or not valid.", "MissingArrayIndexExpression", start, p.pos)
				return e
			}
			p.pos++
			e = &indexExpr{obj: e, index: idx, x: extent{start, p.pos}}
		case r == ':' && p.peekAt(1) == ':':
			p.pos += 2
			name := p.wordAt(p.pos)
			p.pos += len([]rune(name))
			if p.peek() == '(' {
				p.skipBalanced('(', ')')
			}
			e = &notEmulatedExpr{what: "static member ::" + name, x: extent{start, p.pos}}
		default:
			return e
		}
	}
	return e
}

func (p *parser) parsePrimary() expr {
	start := p.pos
	r := p.peek()
	switch {
	case r == '$':
		if p.peekAt(1) == '(' {
			p.pos += 2
			body := p.parseStatements(')')
			if p.err == nil && p.peek() != ')' {
				p.fail(perrMissingEndParen, "MissingEndParenthesisInSubexpression", start, p.pos)
			}
			if p.err == nil {
				p.pos++
			}
			return &subExpr{stmts: body, x: extent{start, p.pos}}
		}
		v := p.parseVariable()
		if v == nil {
			p.fail(strings.Replace(perrUnexpectedToken, "%s", "$", 1), "UnexpectedToken", start, start+1)
			return &constExpr{}
		}
		return v
	case r == '@':
		switch p.peekAt(1) {
		case '(':
			p.pos += 2
			body := p.parseStatements(')')
			if p.err == nil && p.peek() != ')' {
				p.fail(perrMissingEndParen, "MissingEndParenthesisInSubexpression", start, p.pos)
			}
			if p.err == nil {
				p.pos++
			}
			return &subExpr{stmts: body, array: true, x: extent{start, p.pos}}
		case '{':
			return p.parseHash()
		case '\'', '"':
			return p.parseHereString()
		}
		if unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '_' {
			p.pos++
			name := p.wordAt(p.pos)
			p.pos += len([]rune(name))
			return &notEmulatedExpr{what: "splatting (@" + name + ")", x: extent{start, p.pos}}
		}
	case r == '(':
		p.pos++
		p.skipSpaceNL()
		var s stmt
		if p.peek() == ')' {
			s = &pipelineStmt{x: extent{p.pos, p.pos}}
		} else {
			s = p.parseStatement()
		}
		p.skipSpaceNL()
		if p.err == nil && p.peek() != ')' {
			p.fail(perrMissingEndParen, "MissingEndParenthesisInExpression", start, p.pos)
		}
		if p.err == nil {
			p.pos++
		}
		return &parenExpr{s: s, x: extent{start, p.pos}}
	case r == '{':
		p.pos++
		body := p.parseStatements('}')
		if p.err == nil && p.peek() != '}' {
			p.fail(perrMissingEndCurly, "MissingEndCurlyBrace", start, p.pos)
		}
		if p.err == nil {
			p.pos++
		}
		text := ""
		if p.err == nil {
			text = p.text(start+1, p.pos-1)
		}
		return &blockExpr{stmts: body, text: text, x: extent{start, p.pos}}
	case isSingleQuote(r) || isDoubleQuote(r):
		return p.parseStringLiteral()
	case isDigit(r) || r == '.' && isDigit(p.peekAt(1)):
		v, ok := p.scanNumber()
		if !ok {
			p.fail(strings.Replace(perrUnexpectedToken, "%s", p.text(start, p.pos), 1), "UnexpectedToken", start, p.pos)
		}
		return &constExpr{v: v, x: extent{start, p.pos}}
	}
	tok := p.tokenText()
	p.fail(strings.Replace(perrUnexpectedToken, "%s", tok, 1), "UnexpectedToken", start, start+len([]rune(tok)))
	return &constExpr{}
}

func (p *parser) parseHash() expr {
	start := p.pos
	p.pos += 2
	h := &hashExpr{}
	for p.err == nil {
		p.skipSpaceNL()
		for p.peek() == ';' {
			p.pos++
			p.skipSpaceNL()
		}
		if p.eof() {
			p.fail(perrMissingHashEnd, "IncompleteHashLiteral", start, p.pos)
			return h
		}
		if p.peek() == '}' {
			p.pos++
			break
		}
		ks := p.pos
		var key expr
		switch r := p.peek(); {
		case isSingleQuote(r) || isDoubleQuote(r) || r == '$' || r == '(':
			key = p.parsePostfix()
		default:
			w := p.scanHashKey()
			if w == "" {
				p.fail("Missing key before '=' in hash literal.", "MissingEqualsInHashLiteral", ks, p.pos+1)
				return h
			}
			key = &constExpr{v: w, x: extent{ks, p.pos}}
		}
		p.skipSpace()
		if p.peek() != '=' {
			p.fail("Missing '=' operator after key in hash literal.", "MissingEqualsInHashLiteral", ks, p.pos)
			return h
		}
		p.pos++
		p.skipSpaceNL()
		val := p.parseStatement()
		h.keys = append(h.keys, key)
		h.vals = append(h.vals, val)
		p.skipSpace()
		if r := p.peek(); !(r == ';' || r == '}' || isNewline(r)) && p.err == nil {
			p.fail(perrMissingHashEnd, "IncompleteHashLiteral", start, p.pos)
		}
	}
	h.x = extent{start, p.pos}
	return h
}

func (p *parser) scanHashKey() string {
	start := p.pos
	for !p.eof() {
		r := p.peek()
		if isSpace(r) || isNewline(r) || r == '=' || r == ';' || r == '}' {
			break
		}
		p.pos++
	}
	return p.text(start, p.pos)
}

// parseVariable parses $name, $scope:name, ${name} and the special
// variables $_, $?, $$ and $^.
func (p *parser) parseVariable() *varExpr {
	start := p.pos
	if p.peek() != '$' {
		return nil
	}
	p.pos++
	if p.peek() == '{' {
		p.pos++
		ns := p.pos
		for !p.eof() && p.peek() != '}' {
			p.pos++
		}
		if p.eof() {
			p.fail("Missing '}' in variable reference.", "IncompleteDollarVariableReference", start, p.pos)
			return nil
		}
		name := p.text(ns, p.pos)
		p.pos++
		return &varExpr{name: strings.ToLower(name), shown: name, x: extent{start, p.pos}}
	}
	switch r := p.peek(); r {
	case '_', '?', '$', '^':
		if r != '_' || !(unicode.IsLetter(p.peekAt(1)) || isDigit(p.peekAt(1)) || p.peekAt(1) == '_') {
			p.pos++
			return &varExpr{name: string(r), shown: string(r), x: extent{start, p.pos}}
		}
	}
	ns := p.pos
	for !p.eof() {
		r := p.peek()
		if unicode.IsLetter(r) || isDigit(r) || r == '_' || r == '?' {
			p.pos++
			continue
		}
		if r == ':' && p.pos > ns && p.peekAt(1) != ':' && (unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '_') {
			p.pos++
			continue
		}
		break
	}
	if p.pos == ns {
		p.pos = start
		return nil
	}
	name := p.text(ns, p.pos)
	return &varExpr{name: strings.ToLower(name), shown: name, x: extent{start, p.pos}}
}

// scanNumber reads a PowerShell numeric literal: decimal or 0x hex, an
// optional fraction and exponent, the l/d suffixes and kb..pb multipliers.
func (p *parser) scanNumber() (value, bool) {
	start := p.pos
	if p.peek() == '0' && (p.peekAt(1) == 'x' || p.peekAt(1) == 'X') {
		p.pos += 2
		hs := p.pos
		for !p.eof() && strings.ContainsRune("0123456789abcdefABCDEF", p.peek()) {
			p.pos++
		}
		n, err := strconv.ParseUint(p.text(hs, p.pos), 16, 64)
		if err != nil || p.pos == hs {
			return nil, false
		}
		if p.peek() == 'l' || p.peek() == 'L' {
			p.pos++
		}
		if n <= 0xFFFFFFFF {
			return int64(int32(uint32(n))), true
		}
		return int64(n), true
	}
	isFloat := false
	for !p.eof() && isDigit(p.peek()) {
		p.pos++
	}
	if p.peek() == '.' && isDigit(p.peekAt(1)) {
		isFloat = true
		p.pos++
		for !p.eof() && isDigit(p.peek()) {
			p.pos++
		}
	}
	if (p.peek() == 'e' || p.peek() == 'E') && (isDigit(p.peekAt(1)) || (p.peekAt(1) == '-' || p.peekAt(1) == '+') && isDigit(p.peekAt(2))) {
		isFloat = true
		p.pos += 2
		for !p.eof() && isDigit(p.peek()) {
			p.pos++
		}
	}
	text := p.text(start, p.pos)
	mult := 1.0
	if p.peek() == 'l' || p.peek() == 'L' || p.peek() == 'd' || p.peek() == 'D' {
		p.pos++
	}
	if w := strings.ToLower(p.text(p.pos, min(p.pos+2, len(p.src)))); len(w) == 2 && w[1] == 'b' {
		switch w[0] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		case 'p':
			mult = 1 << 50
		}
		if mult != 1 {
			p.pos += 2
		}
	}
	if !isFloat && mult == 1 {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			f, err := strconv.ParseFloat(text, 64)
			return f, err == nil
		}
		return n, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, false
	}
	f *= mult
	if !isFloat && f == float64(int64(f)) {
		return int64(f), true
	}
	return f, true
}

// parseStringLiteral parses '...' (verbatim, ” is a quote) or "..."
// (backtick escapes, "" is a quote, $var, ${var} and $( ) expand).
func (p *parser) parseStringLiteral() expr {
	start := p.pos
	q := p.peek()
	p.pos++
	if isSingleQuote(q) {
		var b strings.Builder
		for {
			if p.eof() {
				p.fail(strings.Replace(perrStringTerminator, "%s", "'", 1), "TerminatorExpectedAtEndOfString", start, p.pos)
				return &constExpr{}
			}
			r := p.peek()
			p.pos++
			if isSingleQuote(r) {
				if isSingleQuote(p.peek()) {
					b.WriteRune(r)
					p.pos++
					continue
				}
				return &constExpr{v: b.String(), x: extent{start, p.pos}}
			}
			b.WriteRune(r)
		}
	}
	return p.parseExpandable(start, func() bool {
		if isDoubleQuote(p.peek()) {
			if isDoubleQuote(p.peekAt(1)) {
				return false
			}
			p.pos++
			return true
		}
		return false
	}, "\"")
}

// parseExpandable parses the body of an expandable string until atEnd
// reports (and consumes) the terminator.
func (p *parser) parseExpandable(start int, atEnd func() bool, term string) expr {
	var parts []expr
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			parts = append(parts, &constExpr{v: b.String()})
			b.Reset()
		}
	}
	for {
		if p.eof() {
			p.fail(strings.Replace(perrStringTerminator, "%s", term, 1), "TerminatorExpectedAtEndOfString", start, p.pos)
			return &constExpr{}
		}
		if atEnd() {
			break
		}
		r := p.peek()
		switch {
		case isDoubleQuote(r) && term == "\"":
			// A doubled quote is one quote.
			b.WriteRune(r)
			p.pos += 2
		case r == '`' && p.pos+1 < len(p.src):
			b.WriteRune(backtickEscape(p.src[p.pos+1]))
			p.pos += 2
		case r == '$' && p.peekAt(1) == '(':
			flush()
			ss := p.pos
			p.pos += 2
			body := p.parseStatements(')')
			if p.err != nil {
				return &constExpr{}
			}
			if p.peek() != ')' {
				p.fail(perrMissingEndParen, "MissingEndParenthesisInSubexpression", ss, p.pos)
				return &constExpr{}
			}
			p.pos++
			parts = append(parts, &subExpr{stmts: body, x: extent{ss, p.pos}})
		case r == '$':
			save := p.pos
			if v := p.parseVariable(); v != nil {
				flush()
				parts = append(parts, v)
			} else {
				p.pos = save + 1
				b.WriteRune('$')
			}
		default:
			b.WriteRune(r)
			p.pos++
		}
		if p.err != nil {
			return &constExpr{}
		}
	}
	flush()
	x := extent{start, p.pos}
	if len(parts) == 0 {
		return &constExpr{v: "", x: x}
	}
	if len(parts) == 1 {
		if c, ok := parts[0].(*constExpr); ok {
			c.x = x
			return c
		}
	}
	return &expandExpr{parts: parts, x: x}
}

// parseHereString parses @'...'@ and @"..."@: the text starts on the line
// after the opening and ends before a line that starts with the closing.
func (p *parser) parseHereString() expr {
	start := p.pos
	q := p.peekAt(1)
	p.pos += 2
	p.skipSpace()
	if p.peek() == '\r' {
		p.pos++
	}
	if p.peek() != '\n' {
		p.fail("No characters are allowed after a here-string header but before the end of the line.", "UnexpectedCharactersAfterHereStringHeader", start, p.pos)
		return &constExpr{}
	}
	p.pos++
	atEnd := func() bool {
		i := p.pos
		if i < len(p.src) && p.src[i] == '\r' {
			i++
		}
		if i < len(p.src) && p.src[i] == '\n' && i+2 < len(p.src)+0 && p.src[i+1] == q && p.src[i+2] == '@' {
			p.pos = i + 3
			return true
		}
		return false
	}
	if p.pos+1 < len(p.src) && p.src[p.pos] == q && p.src[p.pos+1] == '@' {
		p.pos += 2
		return &constExpr{v: "", x: extent{start, p.pos}}
	}
	term := string(q) + "@"
	if q == '\'' {
		var b strings.Builder
		for {
			if p.eof() {
				p.fail(strings.Replace(perrStringTerminator, "%s", term, 1), "TerminatorExpectedAtEndOfString", start, p.pos)
				return &constExpr{}
			}
			if atEnd() {
				return &constExpr{v: b.String(), x: extent{start, p.pos}}
			}
			b.WriteRune(p.peek())
			p.pos++
		}
	}
	return p.parseExpandable(start, atEnd, term)
}

// text is the source between two offsets, clamped to the source.
func (p *parser) text(a, b int) string {
	a = min(max(a, 0), len(p.src))
	b = min(max(b, a), len(p.src))
	return string(p.src[a:b])
}
