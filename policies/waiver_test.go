package policies

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

const waiverSrc = `policy "own" {
  registry "MaxUserPort" { at_least = 65534 }
}

waiver "relay" {
  policy = "OWN"
  hosts  = ["smtp0003", "SMTP0004"]
  reason = " CHG-4711 "
  until  = "2027-03-31"
}

waiver "ports" {
  policy = "fleetport.Port_Exhaustion"
  limit  = "group:web"
  reason = "load test"
  until  = "2026-12-07"
}

waiver "typo" {
  policy = "max_user_prot"
  hosts  = ["app0001"]
  reason = "CHG-1"
  until  = "2028-01-02"
}
`

func TestWaiverDecode(t *testing.T) {
	f, diags := Parse([]byte(waiverSrc), "w.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(f.Waivers) != 3 {
		t.Fatalf("%d waivers", len(f.Waivers))
	}
	w := f.Waivers[0]
	if w.Name != "relay" || w.Reason != "CHG-4711" || w.UntilText() != "2027-03-31" || w.Source() != "w.hcl:5" ||
		!w.CoversName("smtp0004") || w.CoversName("smtp0005") || w.Limit != "" {
		t.Errorf("%+v", w)
	}
	if w.UntilRange.Start.Line != 9 || w.PolicyRange.Start.Line != 6 || w.HostsRange.Start.Line != 7 {
		t.Errorf("ranges: until %v, policy %v, hosts %v", w.UntilRange, w.PolicyRange, w.HostsRange)
	}
	// The waiver holds through its until day, UTC, and not a second more.
	last := time.Date(2027, 3, 31, 23, 59, 59, 0, time.UTC)
	if w.Expired(last) || !w.Expired(last.Add(time.Second)) {
		t.Errorf("expiry at %v", w.Expires())
	}
	if f.Waivers[1].Limit != "group:web" || len(f.Waivers[1].Hosts) != 0 {
		t.Errorf("%+v", f.Waivers[1])
	}

	b, _ := Builtin()
	set, diags := NewSet(append(b.Files, f)...)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	diags = set.CheckWaivers()
	if len(diags) != 1 || diags[0].Summary != "Waiver for an unknown policy" || diags[0].Subject.Start.Line != 20 ||
		!strings.Contains(diags[0].Detail, `Did you mean "max_user_port"?`) {
		t.Fatalf("%v", diags)
	}
	// Names are spelt as declared, cross-fact checks included.
	if set.Waivers[0].Policy != "own" || set.Waivers[1].Policy != "fleetport.port_exhaustion" {
		t.Errorf("%q %q", set.Waivers[0].Policy, set.Waivers[1].Policy)
	}

	// Without the built-in pack, a built-in name is unknown, and the
	// detail says why.
	f2, _ := Parse([]byte(`waiver "x" {
  policy = "max_user_port"
  hosts  = ["a"]
  reason = "r"
  until  = "2027-01-01"
}`), "x.hcl")
	only, _ := NewSet(f2)
	if d := only.CheckWaivers(); len(d) != 1 || !strings.Contains(d[0].Detail, "--no-builtin") {
		t.Errorf("%v", d)
	}
}

func TestWaiverDuplicateAcrossFiles(t *testing.T) {
	a, _ := Parse([]byte(`waiver "relay" {
  policy = "p"
  hosts  = ["a"]
  reason = "r"
  until  = "2027-01-01"
}`), "a.hcl")
	b, _ := Parse([]byte(`# another file
waiver "Relay" {
  policy = "p"
  hosts  = ["b"]
  reason = "r"
  until  = "2027-01-01"
}`), "b.hcl")
	set, diags := NewSet(a, b)
	if len(diags) != 1 || diags[0].Summary != "Duplicate waiver" || diags[0].Subject.Filename != "b.hcl" ||
		diags[0].Subject.Start.Line != 2 || !strings.Contains(diags[0].Detail, "a.hcl:1") {
		t.Fatalf("%v", diags)
	}
	if len(set.Waivers) != 1 {
		t.Errorf("%d waivers kept", len(set.Waivers))
	}
}

func TestWaiverWarnings(t *testing.T) {
	f, diags := Parse([]byte(waiverSrc), "w.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	set, _ := NewSet(f)
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, d := range set.WaiverWarnings(now) {
		if d.Severity != hcl.DiagWarning {
			t.Errorf("%v is not a warning", d)
		}
		got = append(got, d.Summary+"@"+d.Subject.String())
	}
	want := []string{"Waiver expired@w.hcl:16,12-24", "Waiver for more than a year@w.hcl:23,12-24"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
	// The day before, ports still holds: only the far date warns.
	if d := set.WaiverWarnings(now.Add(-time.Second)); len(d) != 1 {
		t.Errorf("%v", d)
	}
}
