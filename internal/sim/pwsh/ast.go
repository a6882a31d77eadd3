package pwsh

// The syntax tree of the PowerShell subset. Offsets are rune offsets into
// the script source; they give error positions the way PowerShell's extents
// do.

type extent struct{ start, end int }

type stmt interface{ ext() extent }

type (
	// pipelineStmt is a pipeline: an optional leading expression, then
	// commands; redirections apply to the whole statement.
	pipelineStmt struct {
		elems  []pipeElem
		redirs []redirection
		x      extent
	}
	assignStmt struct {
		target *varExpr
		value  stmt
		x      extent
	}
	exitStmt struct {
		value expr // nil: exit without a value
		x     extent
	}
	returnStmt struct {
		value expr
		x     extent
	}
	throwStmt struct {
		value expr
		x     extent
	}
	ifStmt struct {
		conds  []stmt
		blocks [][]stmt
		elseB  []stmt // nil when there is no else
		x      extent
	}
	foreachStmt struct {
		variable string
		coll     stmt
		body     []stmt
		x        extent
	}
	// unsupportedStmt is valid PowerShell the emulation does not run.
	unsupportedStmt struct {
		what string
		kw   extent
		x    extent
	}
)

func (s *pipelineStmt) ext() extent    { return s.x }
func (s *assignStmt) ext() extent      { return s.x }
func (s *exitStmt) ext() extent        { return s.x }
func (s *returnStmt) ext() extent      { return s.x }
func (s *throwStmt) ext() extent       { return s.x }
func (s *ifStmt) ext() extent          { return s.x }
func (s *foreachStmt) ext() extent     { return s.x }
func (s *unsupportedStmt) ext() extent { return s.x }

// pipeElem is either an expression (first element only) or a command.
type pipeElem struct {
	expr expr
	cmd  *commandCall
}

type redirection struct {
	stream int    // 1 output, 2 error, 0 all (*)
	append bool   // >>
	merge  bool   // 2>&1
	target expr   // nil when merge
	null   bool   // target is $null
	text   string // the target as written, for messages
	x      extent
}

type commandCall struct {
	name     string // as written, "" when nameExpr is set
	nameExpr expr   // & <expr>
	invokeOp string // "&", "." or ""
	nameX    extent
	args     []cmdArg
	x        extent
}

type cmdArg struct {
	param string // parameter name without the dash; "" for a positional argument
	value expr   // nil for a switch given without value
	colon bool   // -Name:value
	x     extent
}

type expr interface{ ext() extent }

type (
	constExpr struct {
		v value
		x extent
	}
	// bareExpr is a command-mode bareword argument: a string that may also be
	// read as a number.
	bareExpr struct {
		s string
		x extent
	}
	expandExpr struct {
		parts []expr // constExpr strings and variables / sub-expressions
		x     extent
	}
	varExpr struct {
		name  string // lower case, scope prefix kept ("env:computername")
		shown string // as written, without '$'
		x     extent
	}
	memberExpr struct {
		obj  expr
		name string
		x    extent
	}
	methodExpr struct {
		obj  expr
		name string
		args []expr
		x    extent
	}
	indexExpr struct {
		obj, index expr
		x          extent
	}
	arrayExpr struct {
		elems []expr
		x     extent
	}
	subExpr struct {
		stmts []stmt
		array bool // @( )
		x     extent
	}
	parenExpr struct {
		s stmt
		x extent
	}
	hashExpr struct {
		keys []expr
		vals []stmt
		x    extent
	}
	blockExpr struct {
		stmts []stmt
		text  string
		x     extent
	}
	unaryExpr struct {
		op string // "-not", "-", "+", ",", "-join", "-split"
		x1 expr
		x  extent
	}
	binaryExpr struct {
		op   string // canonical lower-case operator, "-eq", "+", ".."
		l, r expr
		x    extent
	}
	castExpr struct {
		typ string // lower case
		x1  expr
		x   extent
	}
	typeExpr struct {
		typ string
		x   extent
	}
	// notEmulatedExpr is valid syntax the emulation does not evaluate.
	notEmulatedExpr struct {
		what string
		x    extent
	}
)

func (e *constExpr) ext() extent       { return e.x }
func (e *bareExpr) ext() extent        { return e.x }
func (e *expandExpr) ext() extent      { return e.x }
func (e *varExpr) ext() extent         { return e.x }
func (e *memberExpr) ext() extent      { return e.x }
func (e *methodExpr) ext() extent      { return e.x }
func (e *indexExpr) ext() extent       { return e.x }
func (e *arrayExpr) ext() extent       { return e.x }
func (e *subExpr) ext() extent         { return e.x }
func (e *parenExpr) ext() extent       { return e.x }
func (e *hashExpr) ext() extent        { return e.x }
func (e *blockExpr) ext() extent       { return e.x }
func (e *unaryExpr) ext() extent       { return e.x }
func (e *binaryExpr) ext() extent      { return e.x }
func (e *castExpr) ext() extent        { return e.x }
func (e *typeExpr) ext() extent        { return e.x }
func (e *notEmulatedExpr) ext() extent { return e.x }
