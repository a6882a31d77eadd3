package acceptance

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// nested returns n levels of the opener around a value, as an inventory
// or policy expression: [[[1]]], {a={a=1}}, ((1)).
func nested(opener string, n int) string {
	switch opener {
	case "[":
		return strings.Repeat("[", n) + "1" + strings.Repeat("]", n)
	case "{":
		return strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n)
	}
	return strings.Repeat("(", n) + "1" + strings.Repeat(")", n)
}

// TestDeepNesting: 100,000 nested brackets, braces or parentheses in an
// inventory or a policy file end every command that reads it with a
// located error, not a stack overflow.
func TestDeepNesting(t *testing.T) {
	for _, opener := range []string{"[", "{", "("} {
		t.Run(opener, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			inv := "host \"a\" {\n  address = \"10.0.0.1\"\n  vars = { x = " + nested(opener, 100000) + " }\n}\n"
			write(t, dir, "deep.hcl", []byte(inv))
			pol := "policy \"p\" {\n  applies_to = " + nested(opener, 100000) + "\n}\n"
			write(t, dir, "deep-policy.hcl", []byte(pol))
			for _, args := range [][]string{
				{"validate", "-i", "deep.hcl", "--no-builtin"},
				{"validate", "-i", "deep.hcl", "--no-builtin", "--json"},
				{"fmt", "--check", "deep.hcl"},
				{"inventory", "list", "-i", "deep.hcl"},
				{"collect", "-i", "deep.hcl"},
			} {
				hostile(t, dir, "deep.hcl", args...)
			}
			for _, args := range [][]string{
				{"validate", "-p", "deep-policy.hcl"},
				{"validate", "-p", "deep-policy.hcl", "--json"},
				{"fmt", "--check", "deep-policy.hcl"},
			} {
				hostile(t, dir, "deep-policy.hcl", args...)
			}
		})
	}
}

// TestFunctionBomb: five nested replace() calls in 1 KB of inventory
// would ask for 64 GiB; every command that loads the inventory refuses
// the call with a located error.
func TestFunctionBomb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	expr := `"` + strings.Repeat("a", 200) + `"`
	for range 5 {
		expr = `replace(` + expr + `, "a", "` + strings.Repeat("a", 100) + `")`
	}
	write(t, dir, "bomb.hcl", []byte("host \"a\" {\n  address = \"10.0.0.1\"\n  site = "+expr+"\n}\n"))
	for _, args := range [][]string{
		{"validate", "-i", "bomb.hcl", "--no-builtin"},
		{"validate", "-i", "bomb.hcl", "--no-builtin", "--json"},
		{"inventory", "list", "-i", "bomb.hcl"},
		{"collect", "-i", "bomb.hcl"},
	} {
		r := hostile(t, dir, "bomb.hcl", args...)
		if !strings.Contains(r.out+r.err, "larger than 1 MiB") {
			t.Errorf("fleetport %s: the error does not name the limit\n%s", strings.Join(args, " "), r)
		}
	}
	// The same bomb in a policy expression.
	write(t, dir, "bomb-policy.hcl", []byte("policy \"p\" {\n  description = "+expr+"\n}\n"))
	hostile(t, dir, "bomb-policy.hcl", "validate", "-p", "bomb-policy.hcl")
}

// TestBinaryInput: a megabyte of random bytes given as an HCL file is
// reported in well under the deadline, the text output as fast as JSON.
func TestBinaryInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(16, 16))
	src := make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	write(t, dir, "random.hcl", src)
	// The same bytes without brackets and quotes: the parser gets far
	// enough to report tens of thousands of errors.
	flat := make([]byte, len(src))
	for i, c := range src {
		if strings.IndexByte("([{\"<", c) >= 0 {
			c = 'a'
		}
		flat[i] = c
	}
	write(t, dir, "flat.hcl", flat)
	for _, f := range []string{"random.hcl", "flat.hcl"} {
		for _, args := range [][]string{
			{"validate", "-i", f, "--no-builtin"},
			{"validate", "-i", f, "--no-builtin", "--json"},
			{"validate", "-p", f},
			{"fmt", "--check", f},
			{"collect", "-i", f},
		} {
			res := hostile(t, dir, f, args...)
			if args[len(args)-1] != "--json" && strings.Count(res.err, "\nError: ") > 60 {
				t.Errorf("fleetport %s printed more than 50 diagnostics", strings.Join(args, " "))
			}
		}
	}
	res := run(t, dir, nil, deadline, "validate", "-i", "flat.hcl", "--no-builtin")
	if !strings.Contains(res.err, " more, not shown") {
		t.Errorf("the text output does not say how many diagnostics it left out\n%s", res)
	}
}
