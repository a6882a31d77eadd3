package hclguard

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MaxLoopIterations bounds the iterations of nested for expressions that
// [CheckLoops] can count before evaluation.
const MaxLoopIterations = 1_000_000

// unknownLength is how many elements CheckLoops assumes a collection has
// when it is not written out (a function's result, a variable): function
// results are bounded by the [Budget], and a nest of such loops is still
// bounded by this guess.
const unknownLength = 1000

// CheckLoops returns a diagnostic for each for expression under node whose
// nested loops would iterate more than MaxLoopIterations times, counting
// a collection written out in the source by its elements and any other
// as a thousand. HCL evaluates for expressions without calling functions,
// so a budget alone cannot stop a few lines of nested loops over long
// literal lists.
func CheckLoops(node hclsyntax.Node) hcl.Diagnostics {
	w := &loopWalker{stack: []int64{0}}
	hclsyntax.Walk(node, w)
	// Report only the outermost loop of each nest: an inner one is
	// cheaper and would repeat the message.
	return outermost(w.found)
}

// loopWalker computes, bottom up, the iterations of each nest of for
// expressions: a loop costs its collection's length times what its body
// costs, and the loops side by side in a body add up.
type loopWalker struct {
	stack []int64 // per open loop, the cost of its body so far
	found []loopDiag
}

type loopDiag struct {
	diag *hcl.Diagnostic
	end  int // where the loop ends
}

func (w *loopWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.stack = append(w.stack, 0)
	}
	return nil
}

func (w *loopWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	f, ok := n.(*hclsyntax.ForExpr)
	if !ok {
		return nil
	}
	inner := max(w.stack[len(w.stack)-1], 1)
	w.stack = w.stack[:len(w.stack)-1]
	length := int64(unknownLength)
	switch c := f.CollExpr.(type) {
	case *hclsyntax.TupleConsExpr:
		length = int64(len(c.Exprs))
	case *hclsyntax.ObjectConsExpr:
		length = int64(len(c.Items))
	}
	cost := int64(MaxLoopIterations + 1)
	if length <= MaxLoopIterations/inner {
		cost = length * inner
	}
	if cost > MaxLoopIterations {
		w.found = append(w.found, loopDiag{end: f.SrcRange.End.Byte, diag: &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Expression too expensive",
			Detail: fmt.Sprintf("These nested for expressions would run more than %d iterations; fleetport evaluates at most %d. Simplify them.",
				MaxLoopIterations, MaxLoopIterations),
			Subject: f.OpenRange.Ptr(),
		}})
	}
	parent := &w.stack[len(w.stack)-1]
	*parent = min(*parent+cost, MaxLoopIterations+1)
	return nil
}

func outermost(found []loopDiag) hcl.Diagnostics {
	// Walk finds inner loops first; sort by start so that outer ones
	// come first.
	sort.SliceStable(found, func(i, j int) bool {
		return found[i].diag.Subject.Start.Byte < found[j].diag.Subject.Start.Byte
	})
	var out hcl.Diagnostics
	end := -1
	for _, f := range found {
		if f.diag.Subject.Start.Byte < end {
			continue
		}
		out = append(out, f.diag)
		end = f.end
	}
	return out
}

// LoopFunc is the function [InstrumentLoops] puts around the collection of
// every for expression, so that a [Budget] counts the iterations: HCL
// runs for expressions without calling any function, and a few lines of
// nested loops over long lists would otherwise run for hours. Its name,
// "for", is what its errors show: a call to function "for" failed.
const LoopFunc = "for"

// InstrumentLoops rewrites the for expressions under node so that their
// iterations count against the [Budget] of the context they are evaluated
// in: each collection becomes the argument of a call to [LoopFunc], which
// a budget's function table provides. Evaluate the node only with such a
// table (a context without it fails with "There is no function named
// "for"").
func InstrumentLoops(node hclsyntax.Node) {
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		f, ok := n.(*hclsyntax.ForExpr)
		if !ok {
			return nil
		}
		if c, ok := f.CollExpr.(*hclsyntax.FunctionCallExpr); ok && c.Name == LoopFunc {
			return nil
		}
		rng := f.CollExpr.Range()
		f.CollExpr = &hclsyntax.FunctionCallExpr{Name: LoopFunc, Args: []hclsyntax.Expression{f.CollExpr},
			NameRange: rng, OpenParenRange: rng, CloseParenRange: rng}
		return nil
	})
}
