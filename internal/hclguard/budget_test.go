package hclguard

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

var testFunctions = map[string]function.Function{
	"concat":     stdlib.ConcatFunc,
	"flatten":    stdlib.FlattenFunc,
	"format":     stdlib.FormatFunc,
	"formatlist": stdlib.FormatListFunc,
	"join":       stdlib.JoinFunc,
	"range":      stdlib.RangeFunc,
	"replace":    stdlib.ReplaceFunc,
	"split":      stdlib.SplitFunc,
	"tonumber":   stdlib.MakeToFunc(cty.Number),
	"upper":      stdlib.UpperFunc,
}

// FuzzFunctionBomb nests calls of string- and list-producing functions
// as the fuzzer directs, each level able to multiply its argument's size.
// Evaluated with a Budget, no expression may take more than a few
// hundred megabytes: every call that would return more than the budget
// allows is refused before it allocates.
func FuzzFunctionBomb(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0}, uint8(200), uint8(100))
	f.Add([]byte{1, 1, 1, 1, 1, 1}, uint8(100), uint8(200))
	f.Add([]byte{2, 3, 2, 3, 2, 3}, uint8(255), uint8(255))
	f.Add([]byte{4, 0, 4, 0, 5}, uint8(50), uint8(250))
	f.Add([]byte{6, 6, 6, 6}, uint8(255), uint8(1))
	f.Fuzz(func(t *testing.T, recipe []byte, width, grow uint8) {
		if len(recipe) > 12 {
			return
		}
		expr := `"` + strings.Repeat("a", int(width)) + `"`
		rep := `"` + strings.Repeat("a", int(grow)) + `"`
		for _, step := range recipe {
			switch step % 7 {
			case 0:
				expr = "replace(" + expr + `, "a", ` + rep + ")"
			case 1:
				expr = "join(" + expr + `, split("", ` + rep + "))"
			case 2:
				expr = "join(" + rep + ", split(\"\", " + expr + "))"
			case 3:
				expr = `format("%s%s%s%s", ` + expr + ", " + expr + ", " + expr + ", " + expr + ")"
			case 4:
				expr = "upper(" + expr + ")"
			case 5:
				expr = "formatlist(\"%s\", concat(split(\"\", " + expr + "), split(\"\", " + expr + ")))[0]"
			case 6:
				expr = `join("", [for x in range(` + "1000" + `) : ` + expr + `])`
			}
			if len(expr) > 1<<16 {
				return // the bomb is in the evaluation, not in the source
			}
		}
		src := "x = " + expr + "\n"
		if d := Check([]byte(src), "fuzz.hcl", DefaultLimits); d.HasErrors() {
			return
		}
		e, diags := hclsyntax.ParseExpression([]byte(expr), "fuzz.hcl", hcl.InitialPos)
		if diags.HasErrors() || CheckLoops(e.(hclsyntax.Node)).HasErrors() {
			return
		}
		InstrumentLoops(e.(hclsyntax.Node))
		// A smaller budget than the loaders' keeps each run short; the
		// limits work the same.
		b := &Budget{MaxResult: 256 << 10, MaxTotal: 4 << 20, MaxCalls: 10_000, MaxIterations: 5_000}
		v, _ := e.Value(&hcl.EvalContext{Functions: b.Functions(testFunctions)})
		if v.IsKnown() && !v.IsNull() && Size(v, b.MaxTotal) > b.MaxResult*2 {
			t.Fatalf("a result of %d bytes got through", Size(v, b.MaxTotal))
		}
		if b.total > b.MaxTotal+b.MaxResult {
			t.Fatalf("the calls returned %d bytes in all, beyond the budget", b.total)
		}
	})
}

func TestReplaceBombRefusedBeforeAllocating(t *testing.T) {
	expr := `"` + strings.Repeat("a", 200) + `"`
	for range 5 {
		expr = `replace(` + expr + `, "a", "` + strings.Repeat("a", 100) + `")`
	}
	e, _ := hclsyntax.ParseExpression([]byte(expr), "t.hcl", hcl.InitialPos)
	b := NewBudget()
	_, diags := e.Value(&hcl.EvalContext{Functions: b.Functions(testFunctions)})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "larger than 1 MiB") {
		t.Fatalf("want the 1 MiB limit, got %v", diags)
	}
	if b.Err() == nil {
		t.Error("the budget does not record the limit it hit")
	}
}

func TestCallsBudget(t *testing.T) {
	b := NewBudget()
	b.MaxCalls = 10
	e, _ := hclsyntax.ParseExpression([]byte(`[for x in range(100) : upper("a")]`), "t.hcl", hcl.InitialPos)
	_, diags := e.Value(&hcl.EvalContext{Functions: b.Functions(testFunctions)})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "more than 10 function calls") {
		t.Fatalf("want the call limit, got %v", diags)
	}
}

func TestCheckLoops(t *testing.T) {
	list := "[" + strings.Repeat("1,", 999) + "1]"
	for src, want := range map[string]bool{
		`[for a in ` + list + ` : [for b in ` + list + ` : [for c in ` + list + ` : 1]]]`: true,
		`[for a in ` + list + ` : [for b in ` + list + ` : 1]]`:                           false,
		`[for a in [1,2] : a]`: false,
	} {
		f, d := hclsyntax.ParseConfig([]byte("x = "+src+"\n"), "t.hcl", hcl.InitialPos)
		if d.HasErrors() {
			t.Fatal(d)
		}
		got := CheckLoops(f.Body.(*hclsyntax.Body))
		if got.HasErrors() != want || len(got) > 1 {
			t.Errorf("%.60s...: got %v", src, got)
		}
	}
}

// TestIterationBudget: nested for expressions over function results,
// which CheckLoops cannot count, stop at the budget's iterations.
func TestIterationBudget(t *testing.T) {
	s := `"` + strings.Repeat("a", 1000) + `"`
	e, _ := hclsyntax.ParseExpression([]byte(`[for a in split("", `+s+`) : [for b in split("", `+s+`) : 1]]`), "t.hcl", hcl.InitialPos)
	if d := CheckLoops(e.(hclsyntax.Node)); d.HasErrors() {
		t.Fatalf("CheckLoops refused it already: %v", d)
	}
	InstrumentLoops(e.(hclsyntax.Node))
	b := NewBudget()
	_, diags := e.Value(&hcl.EvalContext{Functions: b.Functions(testFunctions)})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "more than 20000 iterations") {
		t.Fatalf("want the iteration limit, got %.300v", diags)
	}
	if s := diags[0].Subject; s == nil || s.Start.Line != 1 {
		t.Errorf("unlocated: %v", diags[0])
	}
	// Small loops are untouched.
	e, _ = hclsyntax.ParseExpression([]byte(`[for x in ["a", "b"] : upper(x)]`), "t.hcl", hcl.InitialPos)
	InstrumentLoops(e.(hclsyntax.Node))
	v, diags := e.Value(&hcl.EvalContext{Functions: NewBudget().Functions(testFunctions)})
	if diags.HasErrors() || v.LengthInt() != 2 || v.Index(cty.NumberIntVal(1)).AsString() != "B" {
		t.Errorf("got %#v, %v", v, diags)
	}
}
