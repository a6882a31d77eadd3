package pwsh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Work limits for one powershell.exe run.
const (
	maxSteps        = 1_000_000 // statements, loop iterations and pipeline objects
	maxObjects      = 200_000   // objects in one collection
	maxStringLen    = 16 << 20  // characters built by string operators
	maxProcessDepth = 4         // powershell.exe started from powershell.exe
)

// Control flow out of statements.
type (
	exitSignal   struct{ code int }
	returnSignal struct{}
	// terminating is a script-terminating error (throw, -ErrorAction Stop).
	terminating struct{ rec *errorRecord }
	// stopped means the context ended or the work limit was reached.
	stopped struct{ err error }
)

func (e *exitSignal) Error() string       { return "exit " + strconv.Itoa(e.code) }
func (*returnSignal) Error() string       { return "return" }
func (e *terminating) Error() string      { return e.rec.message }
func (e *stopped) Error() string          { return "stopped: " + e.err.Error() }
func (e *stopped) Unwrap() error          { return e.err }
func stepLimitError() error               { return &stopped{err: errors.New("work limit reached")} }
func newTerminating(r *errorRecord) error { return &terminating{rec: r} }

// errorAction is $ErrorActionPreference / -ErrorAction.
type errorAction int

const (
	eaContinue errorAction = iota
	eaSilentlyContinue
	eaStop
	eaIgnore
)

type shell struct {
	ctx       context.Context
	h         Host
	psVersion int
	stdout    io.Writer
	stderr    io.Writer
	stdin     io.Reader
	depth     int // powershell.exe nesting
	src       []rune
	script    string // the whole script, for Write-Error's "script : " prefix
	clixml    bool   // error records go to stderr as CLIXML
	clixmlOn  bool   // the CLIXML document has been started
	outXML    bool   // -OutputFormat XML
	vars      map[string]value
	lastOK    bool // $?: did the previous statement succeed
	// stmtFailed records a failure in the statement now running.
	stmtFailed bool
	lastExit   int64
	steps      int
	fmt        *formatter
	errSink    *[]value // 2>&1: error records become output
	width      int
	// nonInteractive is -NonInteractive: nothing may prompt.
	nonInteractive bool
	outXMLOn       bool
}

func newShell(ctx context.Context, h Host, stdin io.Reader, stdout, stderr io.Writer, depth int) *shell {
	s := &shell{
		ctx: ctx, h: h, psVersion: h.PSVersion(), stdin: stdin, stdout: stdout, stderr: stderr,
		depth: depth, vars: map[string]value{}, lastOK: true, width: consoleWidth,
	}
	s.fmt = &formatter{sh: s}
	s.vars["progresspreference"] = "Continue"
	s.vars["erroractionpreference"] = "Continue"
	s.vars["true"] = true
	s.vars["false"] = false
	s.vars["null"] = nil
	s.vars["pid"] = int64(4242)
	return s
}

func (s *shell) step() error {
	s.steps++
	if s.steps > maxSteps {
		return stepLimitError()
	}
	if s.steps&0xff == 0 {
		if err := s.ctx.Err(); err != nil {
			return &stopped{err: err}
		}
	}
	return nil
}

// ---- output streams ----

func (s *shell) writeOut(text string) {
	_, _ = io.WriteString(s.stdout, text)
}

func (s *shell) startCLIXML() {
	if !s.clixmlOn {
		s.clixmlOn = true
		_, _ = io.WriteString(s.stderr, clixmlMarker+clixmlOpen)
	}
}

// finishCLIXML closes the CLIXML document at process exit.
func (s *shell) finishCLIXML() {
	if s.clixmlOn {
		_, _ = io.WriteString(s.stderr, clixmlClose)
		s.clixmlOn = false
	}
}

// writeError prints an error record the way the console host does.
func (s *shell) writeError(rec *errorRecord) {
	if s.errSink != nil {
		*s.errSink = append(*s.errSink, rec)
		return
	}
	lines := renderError(rec, s.psVersion, s.width)
	if s.clixml {
		s.startCLIXML()
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(`<S S="Error">`)
			b.WriteString(clixmlString(l + "\r\n"))
			b.WriteString(`</S>`)
		}
		_, _ = io.WriteString(s.stderr, b.String())
		return
	}
	_, _ = io.WriteString(s.stderr, strings.Join(lines, "\r\n")+"\r\n")
}

// writeWarning prints a warning: <S S="warning"> without a line break in
// CLIXML (the form pwsh 7.4 writes, assumed for 5.1), "WARNING: " on stdout
// otherwise [inferred].
func (s *shell) writeWarning(msg string) {
	if s.clixml {
		s.startCLIXML()
		_, _ = io.WriteString(s.stderr, `<S S="warning">`+clixmlString(msg)+`</S>`)
		return
	}
	s.fmt.flush()
	s.writeOut("WARNING: " + msg + "\r\n")
}

// ---- positions ----

func (s *shell) lineCol(off int) (line, col, lineStart int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(s.src); i++ {
		if s.src[i] == '\n' || (s.src[i] == '\r' && (i+1 >= len(s.src) || s.src[i+1] != '\n')) {
			line++
			lineStart = i + 1
		}
	}
	col = off - lineStart + 1
	return
}

func (s *shell) lineText(lineStart int) string {
	end := lineStart
	for end < len(s.src) && s.src[end] != '\n' && s.src[end] != '\r' {
		end++
	}
	return string(s.src[lineStart:end])
}

// positionMessage is InvocationInfo.PositionMessage for an extent:
// PositionUtilities.VerboseMessage of Windows PowerShell 3.0-5.1 (decompiled,
// search corpus id 20979003439): "At line:L char:C", the line (cut to 69
// characters around the error with "... " / " ..." markers) and a row of
// tildes under the extent. PowerShell 2.0 instead prints the line with
// " <<<< " inserted at the end of the extent and reports that column.
func (s *shell) positionMessage(x extent) string {
	line, col, ls := s.lineCol(x.start)
	text := strings.TrimRight(s.lineText(ls), " \t")
	if s.psVersion < 3 {
		endLine, endCol, _ := s.lineCol(x.end)
		if endLine != line {
			endCol = len([]rune(text)) + 1
		}
		rs := []rune(s.lineText(ls))
		cut := min(max(endCol-1, 0), len(rs))
		return fmt.Sprintf("At line:%d char:%d\n+ %s <<<< %s", line, endCol, string(rs[:cut]), string(rs[cut:]))
	}
	rs := []rune(text)
	if len(rs) == 0 {
		return fmt.Sprintf("At line:%d char:%d\n+ ", line, col)
	}
	num := col - 1
	endLine, endCol, _ := s.lineCol(x.end)
	var num2 int
	if endLine == line {
		num2 = endCol - col
	} else {
		num2 = len(rs) - col + 1
	}
	num = min(max(num, 0), len(rs))
	num2 = min(max(num2, 0), len(rs)-num)
	if strings.ContainsRune(text, '\t') {
		t4 := strings.ReplaceAll(string(rs[:num]), "\t", "    ")
		t5 := strings.ReplaceAll(string(rs[num:num+num2]), "\t", "    ")
		rest := strings.ReplaceAll(string(rs[num+num2:]), "\t", "    ")
		num, num2 = len([]rune(t4)), len([]rune(t5))
		rs = []rune(t4 + t5 + rest)
	}
	flag, flag2 := false, false
	length := len(rs)
	if length > 69 {
		num3 := num
		num4 := min(num3, 12)
		num5 := length - num2 - num
		num6 := min(num5, 8)
		num7 := num4 + num2 + num6
		if num7 >= 69 {
			if num4+num2 >= 69 {
				num2 = 69 - num4
			}
			flag2 = true
		} else {
			if num8 := num3 - num4; num8 > 0 {
				num4 += min(num8, 69-num7)
				num7 = num4 + num2 + num6
			}
			if num7 < 69 && num5 > 0 {
				num6 += min(num5, 69-num7)
			}
			flag2 = num6 < num5
		}
		flag = num4 < num3
		startIndex := max(num-num4, 0)
		rs = rs[startIndex:min(startIndex+69, len(rs))]
		num = min(num, num4)
		num2 = min(num2, 69-num)
	}
	var b strings.Builder
	if flag {
		b.WriteString("... ")
	}
	b.WriteString(string(rs))
	if flag2 {
		b.WriteString(" ...")
	}
	b.WriteString("\n+ ")
	pad := num
	if flag {
		pad += 4
	}
	b.WriteString(strings.Repeat(" ", pad))
	if num2 < 1 {
		num2 = 1
	}
	b.WriteString(strings.Repeat("~", num2))
	return fmt.Sprintf("At line:%d char:%d\n+ %s", line, col, b.String())
}

// parseErrorRecord is the record of a ParseException: its message carries
// the position; the view adds none.
func (s *shell) parseErrorRecord(pe *parseError) *errorRecord {
	pos := s.positionMessage(pe.x)
	return &errorRecord{
		message:  pos + "\n" + pe.msg,
		category: "ParserError: (:) [], ParentContainsErrorRecordException",
		fqid:     pe.id,
	}
}

// ---- running ----

// runScript runs a parsed script and returns the exit code -Command gives.
func (s *shell) runScript(stmts []stmt) int {
	err := s.runStatements(stmts, true)
	s.fmt.flush()
	var ex *exitSignal
	var term *terminating
	var st *stopped
	switch {
	case errors.As(err, &ex):
		return ex.code
	case errors.As(err, &term):
		s.writeError(term.rec)
		return 1
	case errors.As(err, &st):
		return 1
	}
	if !s.lastOK {
		return 1
	}
	return 0
}

// runStatements runs statements; top-level output goes to Out-Default.
func (s *shell) runStatements(stmts []stmt, toHost bool) error {
	for _, st := range stmts {
		out, err := s.runStatement(st, toHost)
		if toHost {
			s.fmt.write(out)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// collectStatements runs statements and returns their output.
func (s *shell) collectStatements(stmts []stmt) ([]value, error) {
	var all []value
	for _, st := range stmts {
		out, err := s.runStatement(st, false)
		all = append(all, out...)
		if len(all) > maxObjects {
			return all, stepLimitError()
		}
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

func (s *shell) runStatement(st stmt, toHost bool) ([]value, error) {
	if err := s.step(); err != nil {
		return nil, err
	}
	switch x := st.(type) {
	case *pipelineStmt:
		return s.runPipeline(x, toHost)
	case *assignStmt:
		out, err := s.runStatement(x.value, false)
		if err != nil {
			return nil, err
		}
		s.setVar(x.target, collapse(out))
		return nil, nil
	case *exitStmt:
		code := int64(0)
		if x.value != nil {
			v, err := s.eval(x.value)
			if err != nil {
				return nil, err
			}
			n, ok := toInt(v)
			if !ok {
				return nil, newTerminating(s.conversionError(v, "System.Int32", x.value.ext()))
			}
			code = n
		}
		return nil, &exitSignal{code: int(int32(code))}
	case *returnStmt:
		var out []value
		if x.value != nil {
			v, err := s.eval(x.value)
			if err != nil {
				return nil, err
			}
			out = flatten(v)
		}
		return out, &returnSignal{}
	case *throwStmt:
		msg := "ScriptHalted"
		var target value
		if x.value != nil {
			v, err := s.eval(x.value)
			if err != nil {
				return nil, err
			}
			if rec, ok := v.(*errorRecord); ok {
				return nil, newTerminating(rec)
			}
			msg = toStr(v)
			target = v
		}
		// RuntimeException from throw: "OperationStopped: (msg:String) []"
		// (view quoted in PowerShell/PowerShell issue #5912).
		rec := &errorRecord{
			message:  msg,
			position: s.positionMessage(x.x),
			category: "OperationStopped: (" + categoryTarget(target) + ") [], RuntimeException",
			fqid:     msg,
		}
		return nil, newTerminating(rec)
	case *ifStmt:
		for i, c := range x.conds {
			out, err := s.runStatement(c, false)
			if err != nil {
				return nil, err
			}
			if toBool(collapse(out)) {
				return s.runBlock(x.blocks[i], toHost)
			}
		}
		if x.elseB != nil {
			return s.runBlock(x.elseB, toHost)
		}
		return nil, nil
	case *foreachStmt:
		coll, err := s.runStatement(x.coll, false)
		if err != nil {
			return nil, err
		}
		var all []value
		for _, item := range coll {
			if err := s.step(); err != nil {
				return all, err
			}
			s.vars[x.variable] = item
			out, err := s.runBlock(x.body, toHost)
			all = append(all, out...)
			if err != nil {
				return all, err
			}
		}
		return all, nil
	case *unsupportedStmt:
		s.writeError(notEmulated("the '"+x.what+"' statement", s.positionMessage(x.kw)))
		s.lastOK = false
		s.stmtFailed = true
		return nil, nil
	}
	return nil, nil
}

func (s *shell) runBlock(stmts []stmt, toHost bool) ([]value, error) {
	if toHost {
		return nil, s.runStatements(stmts, true)
	}
	return s.collectStatements(stmts)
}

func categoryTarget(v value) string {
	if v == nil {
		return ":"
	}
	t := typeName(v)
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return toStr(v) + ":" + t
}

func (s *shell) conversionError(v value, typ string, x extent) *errorRecord {
	return &errorRecord{
		message:  fmt.Sprintf("Cannot convert value \"%s\" to type \"%s\". Error: \"Input string was not in a correct format.\"", toStr(v), typ),
		position: s.positionMessage(x),
		category: "InvalidArgument: (:) [], RuntimeException",
		fqid:     "InvalidCastFromStringToInteger",
	}
}

func (s *shell) setVar(v *varExpr, val value) {
	if strings.HasPrefix(v.name, "env:") {
		return // the environment is the host's; assignments do not persist
	}
	name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(v.name, "script:"), "global:"), "local:")
	s.vars[name] = val
}

func (s *shell) getVar(v *varExpr) value {
	switch v.name {
	case "?":
		return s.lastOK
	case "lastexitcode":
		return s.lastExit
	case "env:computername":
		return s.h.ComputerName()
	case "psversiontable":
		return psVersionTable(s.psVersion)
	case "host":
		return nil
	}
	name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(v.name, "script:"), "global:"), "local:")
	return s.vars[name]
}

func psVersionTable(v int) value {
	ver := map[int]string{2: "2.0", 3: "3.0", 4: "4.0", 5: "5.1.14393.0"}[v]
	if ver == "" {
		ver = strconv.Itoa(v) + ".0"
	}
	return &hashtable{keys: []string{"PSVersion"}, vals: []value{ver}}
}

// ---- pipelines ----

func (s *shell) runPipeline(pl *pipelineStmt, toHost bool) ([]value, error) {
	var mergeErrs, nullOut, nullErr bool
	for _, r := range pl.redirs {
		switch {
		case r.merge && r.stream == 2:
			mergeErrs = true
		case r.null && (r.stream == 1):
			nullOut = true
		case r.null && r.stream == 2:
			nullErr = true
		case r.null && r.stream == 0:
			nullOut, nullErr = true, true
		case r.merge:
		default:
			s.writeError(notEmulated("redirection to a file ("+r.text+")", s.positionMessage(r.x)))
			s.lastOK = false
			s.stmtFailed = true
			return nil, nil
		}
	}
	var errBuf []value
	if mergeErrs || nullErr {
		saved := s.errSink
		s.errSink = &errBuf
		defer func() { s.errSink = saved }()
	}
	out, err := s.runElements(pl, toHost && !nullOut && !mergeErrs)
	if nullErr && !mergeErrs {
		errBuf = nil
	}
	out = append(out, errBuf...)
	if nullOut {
		out = nil
	}
	return out, err
}

func (s *shell) runElements(pl *pipelineStmt, toHost bool) ([]value, error) {
	saved := s.stmtFailed
	s.stmtFailed = false
	defer func() {
		failed := s.stmtFailed
		s.lastOK = !failed
		s.stmtFailed = saved || failed
	}()
	// The whole pipeline is built (commands found, parameters bound) before
	// any of it runs: a missing command anywhere means nothing runs.
	prepared := make([]*preparedCmd, len(pl.elems))
	for i, el := range pl.elems {
		if el.cmd == nil {
			continue
		}
		p, rec, err := s.prepareCommand(el.cmd)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			s.writeError(rec)
			s.stmtFailed = true
			return nil, nil
		}
		prepared[i] = p
	}
	var input []value
	hasInput := false
	for i, el := range pl.elems {
		last := i == len(pl.elems)-1
		if el.expr != nil {
			v, err := s.eval(el.expr)
			if err != nil {
				return nil, err
			}
			input = flatten(v)
			if v == nil {
				switch el.expr.(type) {
				case *parenExpr, *subExpr:
				default:
					input = []value{nil} // $null | cmd sends one $null
				}
			}
			hasInput = true
			continue
		}
		out, err := s.execPrepared(prepared[i], input, hasInput, toHost && last)
		if err != nil {
			return nil, err
		}
		input, hasInput = out, true
	}
	return input, nil
}

// ---- expressions ----

func (s *shell) eval(e expr) (value, error) {
	if err := s.step(); err != nil {
		return nil, err
	}
	switch x := e.(type) {
	case *constExpr:
		return x.v, nil
	case *bareExpr:
		if n, ok := parseBareNumber(x.s); ok {
			return n, nil
		}
		return x.s, nil
	case *expandExpr:
		var b strings.Builder
		for _, part := range x.parts {
			v, err := s.eval(part)
			if err != nil {
				return nil, err
			}
			if sub, ok := part.(*subExpr); ok && !sub.array {
				b.WriteString(toStr(v))
				continue
			}
			b.WriteString(toStr(v))
			if b.Len() > maxStringLen {
				return nil, stepLimitError()
			}
		}
		return b.String(), nil
	case *varExpr:
		return s.getVar(x), nil
	case *memberExpr:
		obj, err := s.eval(x.obj)
		if err != nil {
			return nil, err
		}
		return member(obj, x.name), nil
	case *methodExpr:
		return s.callMethod(x)
	case *indexExpr:
		obj, err := s.eval(x.obj)
		if err != nil {
			return nil, err
		}
		idx, err := s.eval(x.index)
		if err != nil {
			return nil, err
		}
		return index(obj, idx), nil
	case *arrayExpr:
		out := make([]value, 0, len(x.elems))
		for _, el := range x.elems {
			v, err := s.eval(el)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *subExpr:
		out, err := s.collectStatements(x.stmts)
		if err != nil {
			return nil, err
		}
		if x.array {
			if out == nil {
				out = []value{}
			}
			return out, nil
		}
		return collapse(out), nil
	case *parenExpr:
		out, err := s.runStatement(x.s, false)
		if _, ok := err.(*returnSignal); ok {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		return collapse(out), nil
	case *hashExpr:
		h := &hashtable{}
		for i, k := range x.keys {
			kv, err := s.eval(k)
			if err != nil {
				return nil, err
			}
			out, err := s.runStatement(x.vals[i], false)
			if err != nil {
				return nil, err
			}
			h.set(toStr(kv), collapse(out))
		}
		return h, nil
	case *blockExpr:
		return &scriptBlock{stmts: x.stmts, text: x.text}, nil
	case *unaryExpr:
		v, err := s.eval(x.x1)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "-not":
			return !toBool(v), nil
		case ",":
			return []value{v}, nil
		case "-join":
			parts := flatten(v)
			strs := make([]string, len(parts))
			for i, p := range parts {
				strs[i] = toStr(p)
			}
			return strings.Join(strs, ""), nil
		case "-split":
			return splitValue(toStr(v), `\s+`, true), nil
		case "-", "+":
			f, ok := toNumber(v)
			if !ok {
				return nil, newTerminating(s.conversionError(v, "System.Int32", x.x1.ext()))
			}
			if x.op == "-" {
				f = -f
			}
			if f == float64(int64(f)) {
				return int64(f), nil
			}
			return f, nil
		case "-bnot":
			n, _ := toInt(v)
			return ^n, nil
		}
	case *binaryExpr:
		return s.evalBinary(x)
	case *castExpr:
		v, err := s.eval(x.x1)
		if err != nil {
			return nil, err
		}
		return s.cast(x.typ, v, x)
	case *typeExpr:
		return nil, newTerminating(notEmulated("the type literal ["+x.typ+"]", s.positionMessage(x.x)))
	case *notEmulatedExpr:
		return nil, newTerminating(notEmulated(x.what, s.positionMessage(x.x)))
	}
	return nil, nil
}

func parseBareNumber(s string) (value, bool) {
	if s == "" {
		return nil, false
	}
	p := &parser{src: []rune(s)}
	neg := false
	if p.peek() == '-' {
		neg = true
		p.pos++
	}
	if !isDigit(p.peek()) && p.peek() != '.' {
		return nil, false
	}
	v, ok := p.scanNumber()
	if !ok || !p.eof() {
		return nil, false
	}
	if neg {
		switch n := v.(type) {
		case int64:
			return -n, true
		case float64:
			return -n, true
		}
	}
	return v, true
}

func (s *shell) cast(typ string, v value, x *castExpr) (value, error) {
	switch strings.TrimPrefix(typ, "system.") {
	case "string":
		return toStr(v), nil
	case "int", "int32", "long", "int64", "uint16", "uint32", "byte", "uint64", "int16":
		n, ok := toInt(v)
		if !ok {
			return nil, newTerminating(s.conversionError(v, "System.Int32", x.x))
		}
		return n, nil
	case "double":
		f, ok := toNumber(v)
		if !ok {
			return nil, newTerminating(s.conversionError(v, "System.Double", x.x))
		}
		return f, nil
	case "bool", "boolean":
		return toBool(v), nil
	case "array", "object[]":
		return flatten(v), nil
	case "pscustomobject":
		if h, ok := v.(*hashtable); ok {
			o := &object{kind: kindCustom}
			for i, k := range h.keys {
				o.props = append(o.props, prop{name: k, v: h.vals[i]})
			}
			return o, nil
		}
		return v, nil
	}
	return nil, newTerminating(notEmulated("the cast ["+typ+"]", s.positionMessage(x.x)))
}

// member is property access; arrays enumerate their elements' members
// (member enumeration, PowerShell 3.0+).
func member(obj value, name string) value {
	switch x := obj.(type) {
	case nil:
		return nil
	case *object:
		v, _ := x.get(name)
		return v
	case *hashtable:
		v, _ := x.get(name)
		return v
	case string:
		if strings.EqualFold(name, "Length") {
			return int64(len([]rune(x)))
		}
	case []value:
		if strings.EqualFold(name, "Count") || strings.EqualFold(name, "Length") {
			return int64(len(x))
		}
		var out []value
		for _, e := range x {
			out = append(out, flatten(member(e, name))...)
		}
		return collapse(out)
	case enumValue:
		if strings.EqualFold(name, "value__") {
			return x.n
		}
	}
	if strings.EqualFold(name, "Count") || strings.EqualFold(name, "Length") {
		return int64(1)
	}
	return nil
}

func index(obj, idx value) value {
	switch x := obj.(type) {
	case []value:
		n, ok := toInt(idx)
		if !ok {
			return nil
		}
		if n < 0 {
			n += int64(len(x))
		}
		if n < 0 || n >= int64(len(x)) {
			return nil
		}
		return x[n]
	case *hashtable:
		v, _ := x.get(toStr(idx))
		return v
	case string:
		n, ok := toInt(idx)
		rs := []rune(x)
		if !ok || n < 0 || n >= int64(len(rs)) {
			return nil
		}
		return string(rs[n])
	}
	return nil
}

func (s *shell) callMethod(x *methodExpr) (value, error) {
	obj, err := s.eval(x.obj)
	if err != nil {
		return nil, err
	}
	var args []value
	for _, a := range x.args {
		v, err := s.eval(a)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	name := strings.ToLower(x.name)
	if name == "tostring" && len(args) == 0 {
		return toStr(obj), nil
	}
	if str, ok := obj.(string); ok {
		switch name {
		case "trim":
			if len(args) == 0 {
				return strings.TrimSpace(str), nil
			}
		case "tolower", "tolowerinvariant":
			return strings.ToLower(str), nil
		case "toupper", "toupperinvariant":
			return strings.ToUpper(str), nil
		case "contains":
			if len(args) == 1 {
				return strings.Contains(str, toStr(args[0])), nil
			}
		case "startswith":
			if len(args) == 1 {
				return strings.HasPrefix(str, toStr(args[0])), nil
			}
		case "endswith":
			if len(args) == 1 {
				return strings.HasSuffix(str, toStr(args[0])), nil
			}
		case "replace":
			if len(args) == 2 {
				return strings.ReplaceAll(str, toStr(args[0]), toStr(args[1])), nil
			}
		case "split":
			if len(args) == 1 {
				seps := toStr(args[0])
				parts := strings.FieldsFunc(str, func(r rune) bool { return strings.ContainsRune(seps, r) })
				if seps == "" {
					parts = strings.Fields(str)
				}
				out := make([]value, len(parts))
				for i, p := range parts {
					out[i] = p
				}
				return out, nil
			}
		}
	}
	// "Method invocation failed because [T] does not contain a method named
	// 'x'." (RuntimeException MethodNotFound, Windows PowerShell 3.0+).
	return nil, newTerminating(&errorRecord{
		message:  fmt.Sprintf("Method invocation failed because [%s] does not contain a method named '%s'.", typeName(obj), x.name),
		position: s.positionMessage(x.x),
		category: "InvalidOperation: (:) [], RuntimeException",
		fqid:     "MethodNotFound",
	})
}

func (s *shell) evalBinary(x *binaryExpr) (value, error) {
	l, err := s.eval(x.l)
	if err != nil {
		return nil, err
	}
	op := x.op
	if op == "-and" || op == "-or" {
		if op == "-and" && !toBool(l) {
			return false, nil
		}
		if op == "-or" && toBool(l) {
			return true, nil
		}
		r, err := s.eval(x.r)
		if err != nil {
			return nil, err
		}
		return toBool(r), nil
	}
	r, err := s.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch op {
	case "-xor":
		return toBool(l) != toBool(r), nil
	case "+", "-", "*", "/", "%":
		return s.arith(op, l, r, x)
	case "..":
		a, ok1 := toInt(l)
		b, ok2 := toInt(r)
		if !ok1 || !ok2 {
			return nil, newTerminating(s.conversionError(l, "System.Int32", x.x))
		}
		n := b - a
		if n < 0 {
			n = -n
		}
		if n >= maxObjects {
			return nil, stepLimitError()
		}
		out := make([]value, 0, n+1)
		step := int64(1)
		if b < a {
			step = -1
		}
		for i := a; ; i += step {
			out = append(out, i)
			if i == b {
				break
			}
		}
		return out, nil
	}
	base := strings.TrimPrefix(op, "-")
	caseSensitive := false
	if len(base) > 1 && base[0] == 'c' && comparisonOps[base[1:]] && !comparisonOps[base] {
		caseSensitive, base = true, base[1:]
	} else if len(base) > 1 && base[0] == 'i' && comparisonOps[base[1:]] && !comparisonOps[base] {
		base = base[1:]
	}
	switch base {
	case "join":
		parts := flatten(l)
		strs := make([]string, len(parts))
		total := 0
		for i, p := range parts {
			strs[i] = toStr(p)
			total += len(strs[i])
		}
		if total > maxStringLen {
			return nil, stepLimitError()
		}
		return strings.Join(strs, toStr(r)), nil
	case "split":
		return splitValue(toStr(l), toStr(r), !caseSensitive), nil
	case "replace":
		rs := flatten(r)
		pat, rep := "", ""
		if len(rs) > 0 {
			pat = toStr(rs[0])
		}
		if len(rs) > 1 {
			rep = toStr(rs[1])
		}
		re, err := compileRegex(pat, !caseSensitive)
		if err != nil {
			return nil, newTerminating(s.regexError(pat, x.x))
		}
		return re.ReplaceAllString(toStr(l), dotnetReplacement(rep)), nil
	case "f":
		return formatOperator(toStr(l), flatten(r)), nil
	case "is", "isnot", "as":
		return nil, newTerminating(notEmulated("the -"+base+" operator", s.positionMessage(x.x)))
	case "contains", "notcontains":
		found := false
		for _, e := range flatten(l) {
			if eq, _ := compareEq(e, r, caseSensitive); eq {
				found = true
				break
			}
		}
		return found == (base == "contains"), nil
	case "in", "notin":
		found := false
		for _, e := range flatten(r) {
			if eq, _ := compareEq(l, e, caseSensitive); eq {
				found = true
				break
			}
		}
		return found == (base == "in"), nil
	}
	// Comparison: with an array on the left it filters the array.
	if arr, ok := l.([]value); ok {
		var out []value
		for _, e := range arr {
			m, err := s.compare(base, e, r, caseSensitive, x)
			if err != nil {
				return nil, err
			}
			if m {
				out = append(out, e)
			}
		}
		if out == nil {
			out = []value{}
		}
		return out, nil
	}
	return s.compare(base, l, r, caseSensitive, x)
}

func (s *shell) regexError(pat string, x extent) *errorRecord {
	return &errorRecord{
		message:  fmt.Sprintf("The regular expression pattern %s is not valid.", pat),
		position: s.positionMessage(x),
		category: "InvalidOperation: (" + pat + ":String) [], RuntimeException",
		fqid:     "InvalidRegularExpression",
	}
}

func (s *shell) compare(op string, l, r value, cs bool, x *binaryExpr) (bool, error) {
	switch op {
	case "eq", "ne":
		eq, _ := compareEq(l, r, cs)
		return eq == (op == "eq"), nil
	case "gt", "ge", "lt", "le":
		c, ok := compareOrder(l, r, cs)
		if !ok {
			return false, nil
		}
		switch op {
		case "gt":
			return c > 0, nil
		case "ge":
			return c >= 0, nil
		case "lt":
			return c < 0, nil
		}
		return c <= 0, nil
	case "like", "notlike":
		m := wildcardMatch(toStr(r), toStr(l), !cs)
		return m == (op == "like"), nil
	case "match", "notmatch":
		re, err := compileRegex(toStr(r), !cs)
		if err != nil {
			return false, newTerminating(s.regexError(toStr(r), x.x))
		}
		m := re.FindStringSubmatch(toStr(l))
		if m != nil {
			h := &hashtable{}
			for i, g := range m {
				h.set(strconv.Itoa(i), g)
			}
			s.vars["matches"] = h
		}
		return (m != nil) == (op == "match"), nil
	}
	return false, nil
}

// compareEq is PowerShell -eq: the right operand converts to the left's type.
func compareEq(l, r value, cs bool) (bool, error) {
	switch lv := l.(type) {
	case nil:
		return r == nil, nil
	case string:
		if r == nil {
			return false, nil
		}
		if cs {
			return lv == toStr(r), nil
		}
		return strings.EqualFold(lv, toStr(r)), nil
	case enumValue:
		if rs, ok := r.(string); ok {
			if n, ok := lv.typ.lookup(strings.TrimSpace(rs)); ok {
				return n == lv.n, nil
			}
		}
		rn, ok := toNumber(r)
		return ok && float64(lv.n) == rn, nil
	case bool:
		return lv == toBool(r), nil
	case int64, float64:
		if r == nil {
			return false, nil
		}
		ln, _ := toNumber(lv)
		rn, ok := toNumber(r)
		return ok && ln == rn, nil
	}
	if r == nil {
		return false, nil
	}
	return toStr(l) == toStr(r), nil
}

func compareOrder(l, r value, cs bool) (int, bool) {
	switch lv := l.(type) {
	case string:
		rs := toStr(r)
		if !cs {
			lv, rs = strings.ToLower(lv), strings.ToLower(rs)
		}
		return strings.Compare(lv, rs), true
	case nil:
		if r == nil {
			return 0, true
		}
		return -1, true
	}
	if e, ok := l.(enumValue); ok {
		if rs, ok := r.(string); ok {
			if n, ok := e.typ.lookup(rs); ok {
				r = n
			}
		}
	}
	ln, ok1 := toNumber(l)
	rn, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return 0, false
	}
	switch {
	case ln < rn:
		return -1, true
	case ln > rn:
		return 1, true
	}
	return 0, true
}

// wildcardMatch is PowerShell's -like: * ? and [set], case-insensitive by
// default, ` escapes.
func wildcardMatch(pattern, s string, ci bool) bool {
	if ci {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	pr, sr := []rune(pattern), []rune(s)
	var match func(pi, si int) bool
	memo := map[[2]int]bool{}
	match = func(pi, si int) bool {
		key := [2]int{pi, si}
		if v, ok := memo[key]; ok {
			return v
		}
		res := false
		switch {
		case pi == len(pr):
			res = si == len(sr)
		case pr[pi] == '*':
			res = match(pi+1, si) || (si < len(sr) && match(pi, si+1))
		case si == len(sr):
			res = false
		case pr[pi] == '?':
			res = match(pi+1, si+1)
		case pr[pi] == '[':
			end := pi + 1
			for end < len(pr) && pr[end] != ']' {
				end++
			}
			if end == len(pr) {
				res = pr[pi] == sr[si] && match(pi+1, si+1)
				break
			}
			set := pr[pi+1 : end]
			ok := false
			for i := 0; i < len(set); i++ {
				if i+2 < len(set) && set[i+1] == '-' {
					if sr[si] >= set[i] && sr[si] <= set[i+2] {
						ok = true
					}
					i += 2
					continue
				}
				if set[i] == sr[si] {
					ok = true
				}
			}
			res = ok && match(end+1, si+1)
		case pr[pi] == '`' && pi+1 < len(pr):
			res = pr[pi+1] == sr[si] && match(pi+2, si+1)
		default:
			res = pr[pi] == sr[si] && match(pi+1, si+1)
		}
		memo[key] = res
		return res
	}
	if len(pr)*len(sr) > 1<<20 {
		return false
	}
	return match(0, 0)
}

func compileRegex(pat string, ci bool) (*regexp.Regexp, error) {
	if len(pat) > 4096 {
		return nil, errors.New("pattern too long")
	}
	if ci {
		pat = "(?i)" + pat
	}
	return regexp.Compile(pat)
}

// dotnetReplacement turns .NET $1 / ${name} replacement syntax into Go's.
func dotnetReplacement(rep string) string {
	return strings.ReplaceAll(rep, "$$", "$")
}

func splitValue(s, sep string, ci bool) []value {
	re, err := compileRegex(sep, ci)
	var parts []string
	if err != nil {
		parts = strings.Split(s, sep)
	} else {
		parts = re.Split(s, -1)
	}
	out := make([]value, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// formatOperator implements the common {0} / {0,5} / {0:N} forms of -f.
func formatOperator(f string, args []value) string {
	re := regexp.MustCompile(`\{(\d+)(,(-?\d+))?(:[^}]*)?\}`)
	return re.ReplaceAllStringFunc(f, func(m string) string {
		sub := re.FindStringSubmatch(m)
		i, _ := strconv.Atoi(sub[1])
		if i >= len(args) {
			return m
		}
		v := toStr(args[i])
		if sub[3] != "" {
			w, _ := strconv.Atoi(sub[3])
			if w > 1024 || w < -1024 {
				w = 0
			}
			for len([]rune(v)) < abs(w) {
				if w > 0 {
					v = " " + v
				} else {
					v += " "
				}
			}
		}
		return v
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (s *shell) arith(op string, l, r value, x *binaryExpr) (value, error) {
	if ls, ok := l.(string); ok && op == "+" {
		res := ls + toStr(r)
		if len(res) > maxStringLen {
			return nil, stepLimitError()
		}
		return res, nil
	}
	if la, ok := l.([]value); ok && op == "+" {
		res := append(append([]value{}, la...), flatten(r)...)
		if len(res) > maxObjects {
			return nil, stepLimitError()
		}
		return res, nil
	}
	if _, ok := l.(string); ok && op == "*" {
		return nil, newTerminating(notEmulated("string multiplication", s.positionMessage(x.x)))
	}
	a, ok1 := toNumber(l)
	b, ok2 := toNumber(r)
	if !ok1 {
		return nil, newTerminating(s.conversionError(l, "System.Int32", x.l.ext()))
	}
	if !ok2 {
		return nil, newTerminating(s.conversionError(r, "System.Int32", x.r.ext()))
	}
	var res float64
	switch op {
	case "+":
		res = a + b
	case "-":
		res = a - b
	case "*":
		res = a * b
	case "/":
		if b == 0 {
			return nil, newTerminating(&errorRecord{
				message:  "Attempted to divide by zero.",
				position: s.positionMessage(x.x),
				category: "NotSpecified: (:) [], RuntimeException",
				fqid:     "RuntimeException",
			})
		}
		res = a / b
	case "%":
		if b == 0 {
			return nil, newTerminating(&errorRecord{
				message:  "Attempted to divide by zero.",
				position: s.positionMessage(x.x),
				category: "NotSpecified: (:) [], RuntimeException",
				fqid:     "RuntimeException",
			})
		}
		ai, bi := int64(a), int64(b)
		if float64(ai) == a && float64(bi) == b {
			return ai % bi, nil
		}
		return nil, nil
	}
	_, lf := l.(float64)
	_, rf := r.(float64)
	if !lf && !rf && res == float64(int64(res)) && res < 1<<53 && res > -(1<<53) {
		return int64(res), nil
	}
	return res, nil
}

// finishOutXML closes the -OutputFormat XML document on stdout.
func (s *shell) finishOutXML() {
	if s.outXMLOn {
		s.writeOut(clixmlClose)
		s.outXMLOn = false
	}
}

// srcText is the script text between two offsets, clamped.
func (s *shell) srcText(a, b int) string {
	a = min(max(a, 0), len(s.src))
	b = min(max(b, a), len(s.src))
	return string(s.src[a:b])
}
