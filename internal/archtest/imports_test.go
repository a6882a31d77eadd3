package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/fleetport/fleetport"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// rule forbids packages matching from to depend on packages matching any of
// to. Direct rules look at direct imports, the others at all dependencies.
type rule struct {
	why    string
	from   func(string) bool
	to     []string
	direct bool
	// except are dependencies allowed although they match to.
	except []string
}

func under(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, pre := range prefixes {
			full := module + "/" + pre
			if p == full || strings.HasPrefix(p, full+"/") {
				return true
			}
		}
		return false
	}
}

var (
	engine = under("inventory", "policies", "internal/hclguard", "internal/remote", "internal/collect", "internal/drift",
		"internal/rollout", "internal/report", "internal/store", "internal/facts", "internal/parse", "internal/sim",
		"internal/history", "internal/dispatch", "internal/jobq", "internal/controller", "internal/runner", "internal/ansibleinv", "internal/adsource")
	uiAndCLI = []string{module + "/internal/cli", module + "/internal/tui", "github.com/spf13/cobra",
		"charm.land/bubbletea", "charm.land/lipgloss", "charm.land/bubbles"}
)

var rules = []rule{
	{why: "engine and data packages never import the CLI or the TUI", from: engine, to: uiAndCLI},
	{why: "the simulator never imports fleetport's client side, so one misunderstanding cannot pass both sides' tests",
		from: under("internal/sim"), to: []string{module + "/internal/remote", module + "/internal/parse", module + "/internal/collect", "github.com/masterzen/winrm"}},
	{why: "remote knows nothing of inventories, policies, facts or parsers",
		from: under("internal/remote"), to: []string{module + "/inventory", module + "/policies", module + "/internal/facts", module + "/internal/parse"}},
	{why: "the HCL packages and the facts document import only the standard library, hcl, cty, x/text and the HCL guard",
		from: under("inventory", "policies", "internal/facts", "internal/hclguard"),
		to:   []string{module + "/internal", "github.com/masterzen", "modernc.org", "github.com/spf13"}, direct: true,
		except: []string{module + "/internal/hclguard"}},
	{why: "the parsers turn bytes into facts and import nothing else of fleetport's",
		from: under("internal/parse"),
		to: []string{module + "/internal/remote", module + "/internal/sim", module + "/internal/collect", module + "/inventory",
			module + "/policies", module + "/internal/store", "github.com/masterzen", "modernc.org", "github.com/spf13"}, direct: true},
	{why: "drift judges facts and report renders reports: neither collects, stores nor talks WinRM",
		from: under("internal/drift", "internal/report"),
		to:   []string{module + "/internal/remote", module + "/internal/collect", module + "/internal/store", module + "/internal/sim", "github.com/masterzen/winrm", "modernc.org"}},
	{why: "only the tui command imports internal/tui",
		from: func(p string) bool { return !under("internal/tui", "internal/cli/tuicmd")(p) }, to: []string{module + "/internal/tui"}, direct: true},
	{why: "xmltree, read by both the client and the simulator, is plain XML: it imports nothing of fleetport's and no WinRM code",
		from: under("internal/xmltree"), to: []string{module, "github.com", "golang.org"}, direct: true},
	{why: "internal/dispatch is the wire contract only: no NATS, no transport, no engine that runs work",
		from: under("internal/dispatch"),
		to: []string{"github.com/nats-io", module + "/internal/remote", module + "/internal/collect", module + "/internal/rollout",
			module + "/internal/store", module + "/internal/controller", module + "/internal/runner"}},
	{why: "the NATS server is for tests: only jobqtest embeds it, so the fleetport binary carries none",
		from: func(p string) bool { return !under("internal/jobq/jobqtest")(p) }, to: []string{"github.com/nats-io/nats-server"}},
	{why: "the controller and the site runner meet only through internal/dispatch messages",
		from: under("internal/controller"), to: []string{module + "/internal/runner"}},
	{why: "the controller and the site runner meet only through internal/dispatch messages",
		from: under("internal/runner"), to: []string{module + "/internal/controller"}},
	{why: "collection and rollouts know nothing of NATS: dispatch wraps them, not the other way round",
		from: under("internal/collect", "internal/rollout", "internal/store", "internal/remote"),
		to:   []string{"github.com/nats-io", module + "/internal/dispatch", module + "/internal/jobq", module + "/internal/controller", module + "/internal/runner"}},
	{why: "cmd/fleetport is wiring only",
		from: under("cmd/fleetport"), to: []string{module + "/internal/sim", module + "/internal/remote", "github.com/spf13/cobra"}, direct: true},
}

func matches(dep string, prefixes []string) bool {
	for _, pre := range prefixes {
		if dep == pre || strings.HasPrefix(dep, pre+"/") {
			return true
		}
	}
	return false
}

func TestImportsFlowOneWay(t *testing.T) {
	pkgs := listPackages(t)
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.from(p.ImportPath) {
				continue
			}
			deps := p.Deps
			if r.direct {
				deps = p.Imports
			}
			for _, d := range deps {
				if matches(d, r.to) && !matches(d, r.except) {
					t.Errorf("%s imports %s: %s", p.ImportPath, d, r.why)
				}
			}
		}
	}
}

// TestRulesCanFail checks the matcher against a known violation, so that a
// rule cannot silently match nothing.
func TestRulesCanFail(t *testing.T) {
	if !matches("github.com/spf13/cobra", uiAndCLI) || !engine(module+"/internal/sim/winhost") || engine(module+"/internal/cli/root") {
		t.Fatal("the matchers do not match what they should")
	}
	pkgs := listPackages(t)
	found := false
	for _, p := range pkgs {
		if p.ImportPath == module+"/internal/cli/simcmd" {
			for _, d := range p.Imports {
				found = found || matches(d, []string{module + "/internal/sim"})
			}
		}
	}
	if !found {
		t.Fatal("internal/cli/simcmd should import internal/sim; the package list is not what the rules assume")
	}
}
