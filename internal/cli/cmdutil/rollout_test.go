package cmdutil

import (
	"path/filepath"
	"testing"
)

func TestRolloutMeta(t *testing.T) {
	sh := Shared{Inventory: "inv", Policies: "pol", Limit: "web*", NoBuiltin: true, Dispatch: Dispatch{NATS: "nats://u:secret@h:4222"}}
	m := RolloutMeta(sh, true, true)
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	want := map[string]string{"inventory": abs("inv"), "limit": "web*", "policies": abs("pol"), MetaNoBuiltin: "true", MetaDispatched: "true"}
	if len(m) != len(want) {
		t.Fatalf("%v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	m = RolloutMeta(Shared{Inventory: "inv"}, false, false)
	if len(m) != 2 || m["limit"] != "" {
		t.Errorf("without policies, --no-builtin or dispatch: %v", m)
	}
}
