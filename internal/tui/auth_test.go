package tui

import (
	"slices"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
)

// TestHostFactsShowAuth: the host view's facts say which authentication
// the host's session used (what auth = "negotiate" chose).
func TestHostFactsShowAuth(t *testing.T) {
	st := DefaultStyles(false)
	h := &drift.HostReport{Name: "web0001"}
	fh := facts.NewHost("web0001", "10.0.0.1")
	fh.Auth = "kerberos"
	if lines := factLines(&st, h, fh); !slices.Contains(lines, "auth      kerberos") {
		t.Errorf("facts lines lack the auth:\n%q", lines)
	}
	fh.Auth = ""
	for _, l := range factLines(&st, h, fh) {
		if len(l) >= 4 && l[:4] == "auth" {
			t.Errorf("a document without auth shows %q", l)
		}
	}
}
