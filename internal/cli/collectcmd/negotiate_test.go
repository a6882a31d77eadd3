package collectcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// TestCollectWithNegotiate: `fleetport collect` with auth = "negotiate"
// against joined hosts that refuse unencrypted traffic: the hosts named
// for Kerberos (kerberos_name) are collected with Kerberos, also the one
// that refuses NTLM; the hosts addressed by IP without a name with NTLM.
// The run records each host's method: in the JSON summary, the text
// summary and the stored facts.
func TestCollectWithNegotiate(t *testing.T) {
	d := testdomain.Start(t)
	sc := simtest.Scenario(6)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: []string{plans[1].Name}}}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Accounts: map[string]string{"Administrator": d.AdminPassword()},
		Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile, Realm: testdomain.Realm,
			User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	t.Setenv("FP_NEG_USER", "Administrator")
	t.Setenv("FP_NEG_PASSWORD", d.AdminPassword())

	dir := t.TempDir()
	var inv strings.Builder
	fmt.Fprintf(&inv, "defaults {\n  transport = \"http\"\n  port = %d\n  auth = \"negotiate\"\n  krb5_conf = %q\n  user = env(\"FP_NEG_USER\")\n  password = env(\"FP_NEG_PASSWORD\")\n}\n",
		sc.HTTPPort, d.Krb5Conf)
	var wantKerberos, wantNTLM []string
	for i, h := range f.Hosts() {
		fmt.Fprintf(&inv, "\nhost %q {\n  address = %q\n", h.Plan.Name, h.Plan.Addr)
		if i < 4 {
			fmt.Fprintf(&inv, "  kerberos_name = %q\n", h.Plan.Name+".fleet.test")
			wantKerberos = append(wantKerberos, h.Plan.Name)
		} else {
			wantNTLM = append(wantNTLM, h.Plan.Name)
		}
		inv.WriteString("}\n")
	}
	invPath := filepath.Join(dir, "inventory.hcl")
	if err := os.WriteFile(invPath, []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	collectOnce := func(jsonOut bool) (string, string) {
		ios, _, out, errOut := cmdutil.Test()
		opts := &Options{IO: ios, Changed: func(string) bool { return false }}
		opts.Shared.Inventory = invPath
		opts.Shared.Policies = filepath.Join(dir, "none")
		opts.Shared.Store = filepath.Join(dir, "fleetport.db")
		opts.Shared.Timeout = 60 * time.Second
		opts.Shared.JSON = jsonOut
		if err := collectRun(context.Background(), opts); err != nil {
			t.Fatalf("collect: %v\n%s\n%s", err, out, errOut)
		}
		return out.String(), errOut.String()
	}
	slices.Sort(wantKerberos)
	slices.Sort(wantNTLM)
	out, errOut := collectOnce(true)
	var sum summaryJSON
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if sum.Hosts != 6 || sum.ByStatus["ok"] != 6 {
		t.Fatalf("summary %+v\n%s", sum, errOut)
	}
	if !slices.Equal(sum.Auth["kerberos"], wantKerberos) || !slices.Equal(sum.Auth["ntlm"], wantNTLM) || len(sum.Auth) != 2 {
		t.Errorf("auth by host %v, want kerberos %v and ntlm %v", sum.Auth, wantKerberos, wantNTLM)
	}
	for i, h := range f.Hosts() {
		if got := h.Endpoint.Stats().KerberosLogons > 0; got != (i < 4) {
			t.Errorf("%s: Kerberos logons %v, want %v", h.Plan.Name, got, i < 4)
		}
	}

	// The stored run has each host's method in its facts.
	st, err := store.Open(context.Background(), filepath.Join(dir, "fleetport.db"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Hosts(context.Background(), sum.Run)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		var fh facts.Host
		if err := json.Unmarshal(r.Facts, &fh); err != nil {
			t.Fatal(err)
		}
		want := "ntlm"
		if slices.Contains(wantKerberos, r.Name) {
			want = "kerberos"
		}
		if fh.Auth != want {
			t.Errorf("%s: stored auth %q, want %q", r.Name, fh.Auth, want)
		}
	}

	text, _ := collectOnce(false)
	wantLine := fmt.Sprintf("auth: kerberos 4, ntlm 2 (ntlm: %s)", strings.Join(wantNTLM, ", "))
	if !strings.Contains(text, wantLine) {
		t.Errorf("text summary lacks %q:\n%s", wantLine, text)
	}
	if strings.Contains(out+errOut+text, d.AdminPassword()) {
		t.Error("the domain password reached the output")
	}
}
