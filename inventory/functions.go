package inventory

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
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
// pure: none reads the environment, a file or the clock.
var valueFunctions = map[string]function.Function{
	"concat":     stdlib.ConcatFunc,
	"format":     boundedFormat(stdlib.FormatFunc),
	"formatlist": boundedFormat(stdlib.FormatListFunc),
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

// maxFormatWidth caps the widths and precisions in a format string, so
// that a few bytes of inventory cannot ask for gigabytes of padding.
const maxFormatWidth = 1000

// boundedFormat wraps a format function to refuse huge widths.
func boundedFormat(f function.Function) function.Function {
	spec := &function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			if len(args) > 0 && args[0].IsKnown() && !args[0].IsNull() && args[0].Type() == cty.String {
				if n := largestWidth(args[0].AsString()); n > maxFormatWidth {
					return cty.NilVal, function.NewArgErrorf(0, "widths and precisions above %d are not supported", maxFormatWidth)
				}
			}
			return f.Call(args)
		},
	}
	return function.New(spec)
}

// largestWidth returns the largest width or precision in the verbs of a
// format string.
func largestWidth(s string) int {
	largest := 0
	number := func(i int) (int, int) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i > 9 {
			return maxFormatWidth + 1, j
		}
		n, _ := strconv.Atoi(s[i:j])
		return n, j
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		for i < len(s) && strings.IndexByte("-+# 0", s[i]) >= 0 {
			i++
		}
		if i < len(s) && s[i] == '[' {
			for i < len(s) && s[i] != ']' {
				i++
			}
			i++
		}
		var n int
		n, i = number(i)
		largest = max(largest, n)
		if i < len(s) && s[i] == '.' {
			n, i = number(i + 1)
			largest = max(largest, n)
		}
	}
	return largest
}

// evalContext returns the context values are evaluated in: the value
// functions, and host.name when the value is resolved for a host.
func evalContext(host string) *hcl.EvalContext {
	ctx := &hcl.EvalContext{Functions: valueFunctions}
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
