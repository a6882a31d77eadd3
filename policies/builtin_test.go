package policies

import (
	"testing"
)

func TestBuiltinLoadsWithoutDiagnostics(t *testing.T) {
	s, diags := Builtin()
	for _, d := range diags {
		t.Errorf("%s", d)
	}
	if len(s.Policies) == 0 {
		t.Fatal("the built-in pack holds no policy")
	}
}
