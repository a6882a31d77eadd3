package hclguard

import (
	"bytes"
	"runtime/debug"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// FuzzDeepNesting builds nests of brackets, braces, parentheses, strings,
// interpolations and heredocs from the fuzzer's recipe, repeated
// thousands of times, and feeds them to Check. Whatever Check lets
// through must parse, format, evaluate and print without exhausting the
// goroutine stack, which the test caps at 64 MiB (the parser needs a few
// kilobytes per level, so an unchecked nest of thousands overflows it).
func FuzzDeepNesting(f *testing.F) {
	f.Add([]byte("["), uint16(3000), []byte("1"))
	f.Add([]byte("{a="), uint16(3000), []byte("1"))
	f.Add([]byte("(!-"), uint16(3000), []byte("x"))
	f.Add([]byte(`"${`), uint16(3000), []byte("1"))
	f.Add([]byte("1+"), uint16(3000), []byte("1"))
	f.Add([]byte("a?b:"), uint16(3000), []byte("c"))
	f.Add([]byte("<<EOT\n${"), uint16(3000), []byte("1"))
	f.Add([]byte("[for x in "), uint16(3000), []byte("[1] : x]"))
	prev := debug.SetMaxStack(64 << 20)
	defer debug.SetMaxStack(prev)
	f.Fuzz(func(t *testing.T, open []byte, n uint16, inner []byte) {
		if len(open) == 0 || len(open) > 16 || len(inner) > 64 {
			return
		}
		src := []byte("x = ")
		src = append(src, bytes.Repeat(open, int(n))...)
		src = append(src, inner...)
		src = append(src, '\n')
		if d := Check(src, "fuzz.hcl", DefaultLimits); d.HasErrors() {
			if d[0].Subject == nil || d[0].Subject.Start.Line < 1 {
				t.Fatalf("unlocated diagnostic: %v", d)
			}
			return
		}
		exercise(t, src)
	})
}

// exercise parses, formats, evaluates and prints src with the budget.
func exercise(t *testing.T, src []byte) {
	file, diags := hclsyntax.ParseConfig(src, "fuzz.hcl", hcl.InitialPos)
	_ = hclwrite.Format(src)
	var out bytes.Buffer
	w := &Writer{Out: &out, Files: map[string]*hcl.File{"fuzz.hcl": file}, Width: 78}
	if file != nil {
		if body, ok := file.Body.(*hclsyntax.Body); ok && !CheckLoops(body).HasErrors() {
			InstrumentLoops(body)
			b := NewBudget()
			ctx := &hcl.EvalContext{Functions: b.Functions(testFunctions)}
			for _, a := range body.Attributes {
				_, d := a.Expr.Value(ctx)
				diags = append(diags, d...)
			}
		}
	}
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
}
