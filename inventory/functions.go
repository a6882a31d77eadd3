package inventory

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/fleetport/fleetport/internal/hclguard"
)

// Credential functions. They are not functions at all: user and password
// recognise a call to one of them as the whole value and keep it as a
// reference; anywhere else a call to them is an error.
const (
	funcEnv    = "env"
	funcFile   = "file"
	funcPrompt = "prompt"
)

func isCredentialFunc(name string) bool {
	return name == funcEnv || name == funcFile || name == funcPrompt
}

// valueFunctions are the functions an inventory value may call. They are
// pure: none reads the environment, a file or the clock. Values call them
// through a file's [evalSource], which bounds their results.
var valueFunctions = map[string]function.Function{
	"concat":     stdlib.ConcatFunc,
	"format":     stdlib.FormatFunc,
	"formatlist": stdlib.FormatListFunc,
	"join":       stdlib.JoinFunc,
	"lower":      stdlib.LowerFunc,
	"max":        stdlib.MaxFunc,
	"merge":      stdlib.MergeFunc,
	"min":        stdlib.MinFunc,
	"replace":    stdlib.ReplaceFunc,
	"split":      stdlib.SplitFunc,
	"substr":     stdlib.SubstrFunc,
	"title":      stdlib.TitleFunc,
	"tolist":     stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"tomap":      stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	"tonumber":   stdlib.MakeToFunc(cty.Number),
	"tostring":   stdlib.MakeToFunc(cty.String),
	"trimprefix": stdlib.TrimPrefixFunc,
	"trimspace":  stdlib.TrimSpaceFunc,
	"trimsuffix": stdlib.TrimSuffixFunc,
	"upper":      stdlib.UpperFunc,
}

// evalSource is what the settings of one inventory (or one file parsed on its
// own) share: the budget their evaluation draws on, and the value
// functions bounded by it, so that a few lines of nested replace() cannot
// ask for gigabytes.
type evalSource struct {
	filename string
	budget   *hclguard.Budget
	funcs    map[string]function.Function
}

func newEvalSource(filename string, b *hclguard.Budget) *evalSource {
	return &evalSource{filename: filename, budget: b, funcs: b.Functions(valueFunctions)}
}

// evalContext returns the context values are evaluated in: the value
// functions, and host.name when the value is resolved for a host.
func (src *evalSource) evalContext(host string) *hcl.EvalContext {
	ctx := &hcl.EvalContext{Functions: src.funcs}
	if host != "" {
		ctx.Variables = map[string]cty.Value{
			"host": cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(host)}),
		}
	}
	return ctx
}

// credentialCall returns the credential function call that is the whole of
// expr (also as "${env("X")}"), or nil.
func credentialCall(expr hcl.Expression) *hclsyntax.FunctionCallExpr {
	for {
		w, ok := expr.(*hclsyntax.TemplateWrapExpr)
		if !ok {
			break
		}
		expr = w.Wrapped
	}
	if p, ok := expr.(*hclsyntax.ParenthesesExpr); ok {
		return credentialCall(p.Expression)
	}
	if call, ok := expr.(*hclsyntax.FunctionCallExpr); ok && isCredentialFunc(call.Name) {
		return call
	}
	return nil
}

// checkExpr checks what an expression refers to before it is evaluated:
// only host.name (and nothing at all when static is set), and credential
// functions only as the whole value of a credential setting.
func checkExpr(expr hcl.Expression, name string, credential, static bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		if d := checkTraversal(t, name, static); d != nil {
			diags = append(diags, d)
		}
	}
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return diags
	}
	var top *hclsyntax.FunctionCallExpr
	if credential {
		top = credentialCall(expr)
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok || !isCredentialFunc(call.Name) || call == top {
			return nil
		}
		detail := fmt.Sprintf("%s() names a credential, and only user and password take one.", call.Name)
		if credential {
			detail = fmt.Sprintf("%s() must be the whole value of %s, as in %s = %s(...): a credential reference cannot be combined with other text or passed to a function.", call.Name, name, name, call.Name)
		}
		diags = append(diags, errorDiag(call.Range(), "Function not allowed here", detail))
		return nil
	})
	return diags
}

// checkTraversal allows host.name and nothing else.
func checkTraversal(t hcl.Traversal, name string, static bool) *hcl.Diagnostic {
	root := t.RootName()
	rng := t.SourceRange()
	if root != "host" {
		return errorDiag(rng, "Unknown variable", fmt.Sprintf(
			"There is no variable named %q. An inventory value can refer only to host.name, the name of the host it is resolved for.", root))
	}
	if static {
		return errorDiag(rng, "Reference not allowed here", fmt.Sprintf(
			"%s is the same for every host and cannot refer to host.name.", name))
	}
	if len(t) == 2 {
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == "name" {
			return nil
		}
	}
	return errorDiag(rng, "Unsupported attribute", "host has one attribute, name: use host.name.")
}
