package sim

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Environment variables that hold the simulator's credentials. The
// inventory the simulator writes refers to them by name; it never holds the
// values.
const (
	EnvUser     = "FLEETPORT_SIM_USER"
	EnvPassword = "FLEETPORT_SIM_PASSWORD"
)

// Demo credentials, used when the environment variables are unset. They are
// public (the README names them) and good for the simulator only.
const (
	DemoUser     = "fleetadmin"
	DemoPassword = "Sim-Passw0rd!"
)

// InventoryOptions says how the written inventory reaches the hosts.
type InventoryOptions struct {
	Transport string // "http" or "https"
	Auth      string // "ntlm" or "basic"
	CAFile    string // absolute path of the CA file, for https
}

// WriteInventory writes an HCL inventory of the fleet: one host block per
// simulated host with its management address, groups by role, and tags for
// OS version and locale. Credentials are written as env() references only.
func (f *Fleet) WriteInventory(w io.Writer, o InventoryOptions) error {
	if o.Transport == "" {
		o.Transport = "http"
	}
	if o.Auth == "" {
		o.Auth = "ntlm"
	}
	sc := f.opts.Scenario
	port := sc.HTTPPort
	if o.Transport == "https" {
		port = sc.HTTPSPort
	}
	if port == 0 {
		return fmt.Errorf("the simulated fleet serves no %s listener", o.Transport)
	}
	if o.Auth == "basic" && o.Transport == "http" && !sc.AllowUnencrypted {
		return fmt.Errorf("basic auth over http needs allow_unencrypted in the scenario, as on Windows")
	}

	out := hclwrite.NewEmptyFile()
	body := out.Body()
	body.AppendUnstructuredTokens(comment(fmt.Sprintf(
		"Inventory of the simulated fleet written by `fleetport sim` (seed %d, %d hosts).\n"+
			"Credentials are read from %s and %s; the simulator's demo pair is in the README.",
		sc.Seed, len(f.hosts), EnvUser, EnvPassword)))

	def := body.AppendNewBlock("defaults", nil).Body()
	def.SetAttributeValue("transport", cty.StringVal(o.Transport))
	def.SetAttributeValue("port", cty.NumberIntVal(int64(port)))
	def.SetAttributeValue("auth", cty.StringVal(o.Auth))
	if o.Transport == "https" && o.CAFile != "" {
		def.SetAttributeValue("ca_file", cty.StringVal(o.CAFile))
	}
	def.SetAttributeRaw("user", envCall(EnvUser))
	def.SetAttributeRaw("password", envCall(EnvPassword))

	seen := map[string]bool{}
	for _, h := range f.hosts {
		if seen[h.Plan.Role] {
			continue
		}
		seen[h.Plan.Role] = true
		body.AppendNewline()
		g := body.AppendNewBlock("group", []string{h.Plan.Role}).Body()
		g.SetAttributeValue("tags", cty.ObjectVal(map[string]cty.Value{"role": cty.StringVal(h.Plan.Role)}))
	}
	for _, h := range f.hosts {
		p := h.Plan
		body.AppendNewline()
		hb := body.AppendNewBlock("host", []string{p.Name}).Body()
		hb.SetAttributeValue("address", cty.StringVal(p.Addr.String()))
		if sc.Domain != "" && o.Transport == "https" {
			hb.SetAttributeValue("tls_server_name", cty.StringVal(p.FQDN(sc.Domain)))
		}
		hb.SetAttributeValue("groups", cty.ListVal([]cty.Value{cty.StringVal(p.Role)}))
		hb.SetAttributeValue("tags", cty.ObjectVal(map[string]cty.Value{
			"os":     cty.StringVal(p.OS),
			"locale": cty.StringVal(p.Locale),
		}))
		hb.SetAttributeValue("vars", cty.ObjectVal(map[string]cty.Value{
			"service_address": cty.StringVal(p.ServiceAddr.String()),
		}))
	}
	_, err := out.WriteTo(w)
	return err
}

func comment(text string) hclwrite.Tokens {
	var toks hclwrite.Tokens
	for _, line := range strings.Split(text, "\n") {
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte("# " + line + "\n")})
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")})
}

// envCall is the expression env("NAME").
func envCall(name string) hclwrite.Tokens {
	return hclwrite.TokensForFunctionCall("env", hclwrite.TokensForValue(cty.StringVal(name)))
}
