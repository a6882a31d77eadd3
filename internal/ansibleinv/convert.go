package ansibleinv

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/fleetport/fleetport/inventory"
)

// Result is an inventory converted to fleetport's language.
type Result struct {
	// HCL is the inventory file.
	HCL []byte
	// Hosts and Groups count what was converted.
	Hosts, Groups int
	// Left lists the hosts left out, each with why.
	Left []string
	// Notes lists what was converted differently or not at all, one line
	// per kind of thing, never a value that may be secret.
	Notes []string
	// Env lists the environment variables the inventory reads its
	// credentials from, with what each must hold.
	Env []EnvVar
}

// EnvVar is an environment variable the converted inventory reads.
type EnvVar struct {
	Name  string
	Holds string
}

// notes collects notes once per message, counting hosts.
type notes struct {
	order []string
	hosts map[string][]string
}

func (n *notes) add(host, msg string) {
	if n.hosts == nil {
		n.hosts = map[string][]string{}
	}
	if _, ok := n.hosts[msg]; !ok {
		n.order = append(n.order, msg)
	}
	if host != "" {
		n.hosts[msg] = append(n.hosts[msg], host)
	}
}

func (n *notes) lines() []string {
	out := make([]string, 0, len(n.order))
	for _, msg := range n.order {
		hs := n.hosts[msg]
		switch {
		case len(hs) == 0:
			out = append(out, msg)
		case len(hs) <= 3:
			out = append(out, fmt.Sprintf("%s (%s)", msg, strings.Join(hs, ", ")))
		default:
			more := "hosts"
			if len(hs) == 4 {
				more = "host"
			}
			out = append(out, fmt.Sprintf("%s (%s and %d more %s)", msg, strings.Join(hs[:3], ", "), len(hs)-3, more))
		}
	}
	return out
}

// Variables the conversion reads; any other ansible_* variable is noted
// as not converted.
var (
	userVars     = []string{"ansible_user", "ansible_winrm_user", "ansible_psrp_user"}
	passwordVars = []string{"ansible_password", "ansible_pass", "ansible_winrm_password", "ansible_winrm_pass", "ansible_psrp_password", "ansible_psrp_pass"}
	consumed     = map[string]bool{
		"ansible_connection": true, "ansible_host": true, "ansible_port": true,
		"ansible_winrm_scheme": true, "ansible_winrm_transport": true, "ansible_winrm_server_cert_validation": true,
		"ansible_winrm_ca_trust_path": true, "ansible_winrm_kerberos_hostname_override": true,
		"ansible_winrm_operation_timeout_sec": true, "ansible_winrm_connection_timeout": true,
		"ansible_winrm_message_encryption": true, "ansible_shell_type": true,
		"ansible_psrp_protocol": true, "ansible_psrp_auth": true, "ansible_psrp_cert_validation": true,
		"ansible_psrp_ca_cert": true, "ansible_psrp_operation_timeout": true, "ansible_psrp_connection_timeout": true,
		"ansible_psrp_message_encryption": true, "ansible_psrp_negotiate_hostname_override": true,
	}
	secretName = regexp.MustCompile(`(?i)pass|secret|token|key|cred|vault`)
)

// hostOut is one converted host: its settings as HCL expressions, in the
// order they are written.
type hostOut struct {
	name     string
	groups   []string
	settings map[string]hclwrite.Tokens
	vars     map[string]cty.Value
}

var settingOrder = []string{"address", "transport", "port", "auth", "user", "password", "allow_unencrypted",
	"insecure_skip_verify", "ca_file", "kerberos_name", "connect_timeout", "operation_timeout"}

// Convert turns the inventory into fleetport's language. source names the
// inventory in the file's header.
func Convert(inv *Inventory, source string) (*Result, error) {
	res := &Result{}
	var ns notes
	env := map[string]string{}
	var envOrder []string
	useEnv := func(name, holds string) hclwrite.Tokens {
		if _, ok := env[name]; !ok {
			env[name] = holds
			envOrder = append(envOrder, name)
		}
		return hclwrite.TokensForFunctionCall("env", hclwrite.TokensForValue(cty.StringVal(name)))
	}

	// Ansible connects with ssh unless told otherwise; when no host says
	// how, the inventory is taken as a Windows one.
	anyConn := false
	for _, name := range inv.Hosts() {
		if _, ok := inv.HostVars(name)["ansible_connection"]; ok {
			anyConn = true
			break
		}
	}
	if !anyConn && len(inv.Hosts()) > 0 {
		ns.add("", "no host sets ansible_connection: every host is taken as a WinRM host")
	}

	groupNames := map[string]string{} // Ansible name → fleetport name
	taken := map[string]bool{}
	for _, g := range inv.GroupNames() {
		fn := fleetName(g)
		for i := 2; taken[strings.ToLower(fn)]; i++ {
			fn = fmt.Sprintf("%s_%d", fleetName(g), i)
		}
		taken[strings.ToLower(fn)] = true
		groupNames[g] = fn
		if fn != g {
			ns.add("", fmt.Sprintf("group %q is named %q: fleetport names have only letters, digits, dots, hyphens and underscores", g, fn))
		}
	}

	var hosts []*hostOut
	usedGroups := map[string]bool{}
	for _, name := range inv.Hosts() {
		hv := inv.HostVars(name)
		conn := strings.ToLower(str(hv["ansible_connection"].Value))
		if anyConn && conn != "winrm" && conn != "psrp" {
			why := "ansible_connection is " + conn
			if conn == "" {
				why = "ansible_connection is not set (Ansible uses ssh)"
			}
			res.Left = append(res.Left, fmt.Sprintf("%s: %s; fleetport connects with WinRM only", name, why))
			continue
		}
		if !inventory.ValidName(name) {
			res.Left = append(res.Left, fmt.Sprintf("%s: not a fleetport host name (letters, digits, dots, hyphens and underscores, starting with a letter or digit)", name))
			continue
		}
		h := &hostOut{name: name, settings: map[string]hclwrite.Tokens{}, vars: map[string]cty.Value{}}
		for _, g := range inv.HostGroups(name) {
			h.groups = append(h.groups, groupNames[g])
			usedGroups[groupNames[g]] = true
		}
		convertHost(h, hv, conn == "psrp", &ns, useEnv)
		hosts = append(hosts, h)
	}
	res.Hosts = len(hosts)

	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(comment(fmt.Sprintf("# Converted from the Ansible inventory %s by `fleetport inventory import ansible`.\n", source)))
	body.AppendUnstructuredTokens(comment("# Credentials are read from the environment; the file holds none.\n"))
	body.AppendNewline()

	// A setting every host has alike goes to defaults.
	common := map[string]string{}
	if len(hosts) > 0 {
		for _, s := range settingOrder {
			first, ok := hosts[0].settings[s]
			if !ok {
				continue
			}
			same := true
			for _, h := range hosts[1:] {
				t, ok := h.settings[s]
				if !ok || string(t.Bytes()) != string(first.Bytes()) {
					same = false
					break
				}
			}
			if same {
				common[s] = string(first.Bytes())
			}
		}
	}
	commonVars := map[string]cty.Value{}
	if len(hosts) > 0 {
		for k, v := range hosts[0].vars {
			same := true
			for _, h := range hosts[1:] {
				w, ok := h.vars[k]
				if !ok || !w.RawEquals(v) {
					same = false
					break
				}
			}
			if same {
				commonVars[k] = v
			}
		}
	}
	if len(common) > 0 || len(commonVars) > 0 {
		d := body.AppendNewBlock("defaults", nil).Body()
		for _, s := range settingOrder {
			if _, ok := common[s]; ok {
				d.SetAttributeRaw(s, hosts[0].settings[s])
			}
		}
		if len(commonVars) > 0 {
			d.SetAttributeValue("vars", cty.ObjectVal(commonVars))
		}
		body.AppendNewline()
	}
	var groups []string
	for g := range usedGroups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	res.Groups = len(groups)
	for _, g := range groups {
		body.AppendNewBlock("group", []string{g})
	}
	if len(groups) > 0 {
		body.AppendNewline()
	}
	for i, h := range hosts {
		b := body.AppendNewBlock("host", []string{h.name}).Body()
		for _, s := range settingOrder {
			t, ok := h.settings[s]
			if !ok {
				continue
			}
			if _, isCommon := common[s]; isCommon {
				continue
			}
			b.SetAttributeRaw(s, t)
		}
		if len(h.groups) > 0 {
			vals := make([]cty.Value, len(h.groups))
			for i, g := range h.groups {
				vals[i] = cty.StringVal(g)
			}
			b.SetAttributeValue("groups", cty.ListVal(vals))
		}
		own := map[string]cty.Value{}
		for k, v := range h.vars {
			if _, ok := commonVars[k]; !ok {
				own[k] = v
			}
		}
		if len(own) > 0 {
			b.SetAttributeValue("vars", cty.ObjectVal(own))
		}
		if i < len(hosts)-1 {
			body.AppendNewline()
		}
	}
	res.HCL = append(bytes.TrimRight(hclwrite.Format(f.Bytes()), "\n"), '\n')
	res.Notes = ns.lines()
	for _, n := range envOrder {
		res.Env = append(res.Env, EnvVar{Name: n, Holds: env[n]})
	}
	return res, nil
}

func comment(text string) hclwrite.Tokens {
	return hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(text)}}
}

// convertHost maps a host's resolved Ansible variables to settings.
func convertHost(h *hostOut, hv map[string]Var, psrp bool, ns *notes, useEnv func(name, holds string) hclwrite.Tokens) {
	get := func(k string) (any, bool) {
		v, ok := hv[k]
		return v.Value, ok
	}
	unusable := func(k string, v any) bool {
		if _, isVault := v.(Vault); isVault {
			ns.add(h.name, k+" is vault-encrypted, which fleetport cannot read: set it by hand")
			return true
		}
		if s, ok := v.(string); ok && isTemplate(s) {
			ns.add(h.name, k+" is a Jinja template, which only Ansible evaluates: set it by hand")
			return true
		}
		return false
	}

	// Address.
	addr := h.name
	if v, ok := get("ansible_host"); ok && !unusable("ansible_host", v) {
		if s := str(v); s != "" && (isIP(s) || validHostname(s) && !strings.Contains(s, "[")) {
			addr = s
		} else {
			ns.add(h.name, "ansible_host is not an address or a host name; the host's name is used")
		}
	}
	h.settings["address"] = hclwrite.TokensForValue(cty.StringVal(addr))

	// Port and scheme, with Ansible's defaults: 5986 and https, http on 5985.
	port := 5986
	if v, ok := get("ansible_port"); ok && !unusable("ansible_port", v) {
		if n, ok := asInt(v); ok && n >= 1 && n <= 65535 {
			port = n
		} else {
			ns.add(h.name, "ansible_port is not a port number; 5986 is used")
		}
	}
	scheme := "https"
	if port == 5985 {
		scheme = "http"
	}
	schemeVar := "ansible_winrm_scheme"
	if psrp {
		schemeVar = "ansible_psrp_protocol"
	}
	if v, ok := get(schemeVar); ok && !unusable(schemeVar, v) {
		switch s := strings.ToLower(str(v)); s {
		case "http", "https":
			scheme = s
		default:
			ns.add(h.name, fmt.Sprintf("%s is neither http nor https; %s is used", schemeVar, scheme))
		}
	}
	h.settings["transport"] = hclwrite.TokensForValue(cty.StringVal(scheme))
	h.settings["port"] = hclwrite.TokensForValue(cty.NumberIntVal(int64(port)))

	// Credentials: environment variables named for where Ansible sets them.
	var user string
	for _, k := range userVars {
		if v, ok := hv[k]; ok {
			user = str(v.Value)
			holds := fmt.Sprintf("the user %s sets with %s", scopeName(v.From), k)
			if _, isVault := v.Value.(Vault); !isVault && !isTemplate(user) {
				holds += ": " + user
			}
			h.settings["user"] = useEnv(envName("FLEETPORT_USER", v.From, h.name), holds)
			break
		}
	}
	for _, k := range passwordVars {
		if v, ok := hv[k]; ok {
			h.settings["password"] = useEnv(envName("FLEETPORT_PASSWORD", v.From, h.name),
				fmt.Sprintf("the password %s sets with %s", scopeName(v.From), k))
			break
		}
	}

	// Authentication.
	authVar := "ansible_winrm_transport"
	if psrp {
		authVar = "ansible_psrp_auth"
	}
	auth := ""
	if v, ok := get(authVar); ok && !unusable(authVar, v) {
		var choices []string
		switch x := v.(type) {
		case []any:
			for _, c := range x {
				choices = append(choices, str(c))
			}
		default:
			choices = strings.Split(str(v), ",")
		}
		for _, c := range choices {
			switch strings.ToLower(strings.TrimSpace(c)) {
			case "ntlm", "negotiate":
				auth = "ntlm"
			case "kerberos":
				auth = "kerberos"
			case "basic", "plaintext":
				auth = "basic"
			default:
				continue
			}
			break
		}
		if auth == "" {
			auth = "ntlm"
			ns.add(h.name, fmt.Sprintf("%s is %v, which fleetport does not do (it does ntlm, kerberos and basic): ntlm is used", authVar, v))
		}
	} else {
		auth = "ntlm"
		if strings.Contains(user, "@") {
			auth = "kerberos"
		} else if !psrp {
			ns.add(h.name, "no ansible_winrm_transport: Ansible would use basic (plaintext) or kerberos by the user name; ntlm is used")
		}
	}
	if auth == "kerberos" {
		kname := ""
		for _, k := range []string{"ansible_winrm_kerberos_hostname_override", "ansible_psrp_negotiate_hostname_override"} {
			if v, ok := get(k); ok && !unusable(k, v) {
				kname = str(v)
			}
		}
		if kname == "" && isIP(addr) {
			if !isIP(h.name) && validHostname(h.name) {
				kname = h.name
				ns.add(h.name, "kerberos to an IP address needs the host's DNS name: kerberos_name is set to the host's name, check it")
			} else {
				auth = "ntlm"
				ns.add(h.name, "kerberos to an IP address with no host name to ask a ticket for: ntlm is used; set kerberos_name")
			}
		}
		if kname != "" && auth == "kerberos" {
			h.settings["kerberos_name"] = hclwrite.TokensForValue(cty.StringVal(kname))
		}
	}
	h.settings["auth"] = hclwrite.TokensForValue(cty.StringVal(auth))
	if auth != "kerberos" {
		// NTLM and Basic need both; Ansible may have them from the
		// command line (-u, --ask-pass) or a playbook.
		if _, ok := h.settings["user"]; !ok {
			h.settings["user"] = useEnv("FLEETPORT_USER", "the user (the Ansible inventory sets none)")
		}
		if _, ok := h.settings["password"]; !ok {
			h.settings["password"] = useEnv("FLEETPORT_PASSWORD", "the password (the Ansible inventory sets none)")
		}
	}
	if auth == "basic" && scheme == "http" {
		h.settings["allow_unencrypted"] = hclwrite.TokensForValue(cty.True)
		ns.add(h.name, "basic authentication over http sends the password unencrypted (allow_unencrypted = true): move these hosts to ntlm, kerberos or https")
	}

	// TLS.
	certVar := "ansible_winrm_server_cert_validation"
	if psrp {
		certVar = "ansible_psrp_cert_validation"
	}
	if v, ok := get(certVar); ok && scheme == "https" {
		if s := strings.ToLower(str(v)); s == "ignore" || s == "false" || v == false {
			h.settings["insecure_skip_verify"] = hclwrite.TokensForValue(cty.True)
			ns.add(h.name, certVar+" is ignore: the host's certificate is not verified (insecure_skip_verify = true); give fleetport the CA with ca_file instead")
		}
	}
	caVar := "ansible_winrm_ca_trust_path"
	if psrp {
		caVar = "ansible_psrp_ca_cert"
	}
	if v, ok := get(caVar); ok && !unusable(caVar, v) && str(v) != "" {
		h.settings["ca_file"] = hclwrite.TokensForValue(cty.StringVal(str(v)))
	}

	// Timeouts, in seconds in Ansible.
	for _, t := range []struct{ vars []string }{
		{[]string{"ansible_winrm_operation_timeout_sec", "ansible_psrp_operation_timeout"}},
		{[]string{"ansible_winrm_connection_timeout", "ansible_psrp_connection_timeout"}},
	} {
		for _, k := range t.vars {
			if v, ok := get(k); ok && !unusable(k, v) {
				n, ok := asInt(v)
				if !ok || n <= 0 {
					ns.add(h.name, k+" is not a whole number of seconds: left out")
					continue
				}
				setting := "operation_timeout"
				if strings.Contains(k, "connection") {
					setting = "connect_timeout"
				}
				h.settings[setting] = hclwrite.TokensForValue(cty.StringVal(strconv.Itoa(n) + "s"))
			}
		}
	}
	if v, ok := get("ansible_winrm_message_encryption"); ok && strings.EqualFold(str(v), "never") {
		ns.add(h.name, "ansible_winrm_message_encryption is never: fleetport always encrypts NTLM and Kerberos messages over http")
	}

	// Everything else.
	keys := make([]string, 0, len(hv))
	for k := range hv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := hv[k].Value
		switch {
		case consumed[k] || slices.Contains(userVars, k) || slices.Contains(passwordVars, k):
		case strings.HasPrefix(k, "ansible_"):
			ns.add(h.name, k+" has no fleetport setting: not converted")
		case secretName.MatchString(k):
			ns.add(h.name, "variable "+k+" may hold a secret: not converted")
		case hasVaultOrTemplate(v, 0):
			ns.add(h.name, "variable "+k+" holds a vault value or a Jinja template: not converted")
		default:
			cv, ok := toCty(v, 0)
			if !ok {
				ns.add(h.name, "variable "+k+" has a value fleetport cannot hold: not converted")
				continue
			}
			h.vars[k] = cv
		}
	}
}

func hasVaultOrTemplate(v any, depth int) bool {
	if depth > maxDepth {
		return true
	}
	switch x := v.(type) {
	case Vault:
		return true
	case string:
		return isTemplate(x)
	case []any:
		for _, e := range x {
			if hasVaultOrTemplate(e, depth+1) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasVaultOrTemplate(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// toCty converts a variable's value: lists become tuples and mappings
// objects, as HCL writes them. A null has no HCL value: it is reported.
func toCty(v any, depth int) (cty.Value, bool) {
	if depth > maxDepth {
		return cty.NilVal, false
	}
	switch x := v.(type) {
	case string:
		return cty.StringVal(x), true
	case bool:
		return cty.BoolVal(x), true
	case int64:
		return cty.NumberIntVal(x), true
	case float64:
		return cty.NumberFloatVal(x), true
	case []any:
		if len(x) == 0 {
			return cty.EmptyTupleVal, true
		}
		vals := make([]cty.Value, 0, len(x))
		for _, e := range x {
			c, ok := toCty(e, depth+1)
			if !ok {
				return cty.NilVal, false
			}
			vals = append(vals, c)
		}
		return cty.TupleVal(vals), true
	case map[string]any:
		if len(x) == 0 {
			return cty.EmptyObjectVal, true
		}
		vals := make(map[string]cty.Value, len(x))
		for k, e := range x {
			c, ok := toCty(e, depth+1)
			if !ok {
				return cty.NilVal, false
			}
			vals[k] = c
		}
		return cty.ObjectVal(vals), true
	}
	return cty.NilVal, false
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case Vault:
		return ""
	case bool, int64, float64:
		return toText(x)
	}
	return fmt.Sprint(v)
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// fleetName makes a valid fleetport group name of an Ansible one.
func fleetName(s string) string {
	if inventory.ValidName(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case i > 0 && (r == '.' || r == '-' || r == '_'):
			b.WriteRune(r)
		default:
			if i == 0 {
				b.WriteString("g")
			}
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 200 {
		out = out[:200]
	}
	return out
}

func scopeName(from string) string {
	switch from {
	case "host":
		return "the host"
	case "all":
		return "the group all"
	}
	return "group " + from
}

// envName names the variable for a credential set at scope.
func envName(prefix, from, host string) string {
	switch from {
	case "all":
		return prefix
	case "host":
		return prefix + "_" + envPart(host)
	}
	return prefix + "_" + envPart(from)
}

func envPart(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
