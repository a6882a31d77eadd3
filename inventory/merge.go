package inventory

import (
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Inventory is a merged, resolved inventory. It is immutable once built
// and safe for concurrent use.
type Inventory struct {
	defaults    *DefaultsBlock
	groupBlocks map[string]*GroupBlock // by lower-case name
	hosts       []*Host                // sorted by name
	byName      map[string]*Host       // by lower-case name
	hostIndex   map[string]int         // index in hosts, by lower-case name
	groups      []*Group               // sorted by name
	groupByName map[string]*Group      // by lower-case name
	concurrency int
	files       map[string]*hcl.File
	sources     []*Source
	listings    map[string]*Listing
	// implicitGroups are the groups sources name that no file declares.
	implicitGroups []*GroupBlock
	// filledAddress holds the host blocks (by lower-case name) a source
	// gave their address.
	filledAddress map[string]bool
}

// Hosts returns every host, sorted by name.
func (inv *Inventory) Hosts() []*Host { return append([]*Host(nil), inv.hosts...) }

// Host returns the host with the given name, compared without regard to
// case.
func (inv *Inventory) Host(name string) (*Host, bool) {
	h, ok := inv.byName[strings.ToLower(name)]
	return h, ok
}

// Groups returns every declared group, sorted by name.
func (inv *Inventory) Groups() []*Group { return append([]*Group(nil), inv.groups...) }

// Group returns the group with the given name, compared without regard to
// case.
func (inv *Inventory) Group(name string) (*Group, bool) {
	g, ok := inv.groupByName[strings.ToLower(name)]
	return g, ok
}

// Concurrency returns the fleet-wide concurrency the defaults block sets,
// or 0 when it sets none.
func (inv *Inventory) Concurrency() int { return inv.concurrency }

// Files returns the parsed files by name, for rendering diagnostics with
// hcl.NewDiagnosticTextWriter.
func (inv *Inventory) Files() map[string]*hcl.File {
	m := make(map[string]*hcl.File, len(inv.files))
	for k, v := range inv.files {
		m[k] = v
	}
	return m
}

// Merge merges decoded files into an inventory and resolves every host.
// It reports what no single file shows: a second defaults block, a host or
// group declared twice (names compare without regard to case, as Windows
// compares them), groups a host names that no file declares, literal
// passwords, conflicts between a host's groups, and settings that only
// make sense together (Basic authentication over http).
//
// Merge always returns a non-nil Inventory. On errors it holds what could
// be resolved (a duplicate is dropped, an invalid value left zero), which is
// safe for careful analysis.
func Merge(files ...*File) (*Inventory, hcl.Diagnostics) { return merge(files, nil) }

// merge is [Merge] with the hosts sources listed.
func merge(files []*File, listings map[string]*Listing) (*Inventory, hcl.Diagnostics) {
	inv := &Inventory{
		listings:      listings,
		filledAddress: map[string]bool{},
		groupBlocks:   map[string]*GroupBlock{},
		byName:        map[string]*Host{},
		hostIndex:     map[string]int{},
		groupByName:   map[string]*Group{},
		files:         map[string]*hcl.File{},
	}
	var diags hcl.Diagnostics
	var hostBlocks []*HostBlock
	seenHosts := map[string]*HostBlock{}
	var groupOrder []*GroupBlock
	var allDefaults []*DefaultsBlock // duplicates included, for the password check
	var allGroups []*GroupBlock
	var allHosts []*HostBlock
	for _, f := range files {
		if f == nil {
			continue
		}
		if f.hcl != nil {
			inv.files[f.Name] = f.hcl
		}
		allDefaults = append(allDefaults, f.Defaults...)
		allGroups = append(allGroups, f.Groups...)
		allHosts = append(allHosts, f.Hosts...)
		for _, s := range f.Sources {
			for _, prev := range inv.sources {
				if strings.EqualFold(prev.Name, s.Name) {
					diags = append(diags, errorDiag(s.DeclRange, "Duplicate source", fmt.Sprintf(
						"A source named %q was already declared at %s. Source names must be unique: rename one.", prev.Name, at(prev.DeclRange))))
				}
			}
			inv.sources = append(inv.sources, s)
		}
		for _, d := range f.Defaults {
			if inv.defaults != nil {
				diags = append(diags, errorDiag(d.DeclRange, "Duplicate defaults block", fmt.Sprintf(
					"A defaults block was already declared at %s. An inventory has at most one: merge the two.", at(inv.defaults.DeclRange))))
				continue
			}
			inv.defaults = d
		}
		for _, g := range f.Groups {
			key := strings.ToLower(g.Name)
			if prev, ok := inv.groupBlocks[key]; ok {
				diags = append(diags, errorDiag(g.NameRange, "Duplicate group declaration", fmt.Sprintf(
					"A group named %q was already declared at %s.%s Group names must be unique across all inventory files: merge the two blocks or rename one.",
					prev.Name, at(prev.DeclRange), caseNote(prev.Name, g.Name))))
				continue
			}
			inv.groupBlocks[key] = g
			groupOrder = append(groupOrder, g)
		}
		for _, h := range f.Hosts {
			key := strings.ToLower(h.Name)
			if prev, ok := seenHosts[key]; ok {
				diags = append(diags, errorDiag(h.NameRange, "Duplicate host declaration", fmt.Sprintf(
					"A host named %q was already declared at %s.%s Host names must be unique across all inventory files: remove one of the blocks or rename it.",
					prev.Name, at(prev.DeclRange), caseNote(prev.Name, h.Name))))
				continue
			}
			seenHosts[key] = h
			hostBlocks = append(hostBlocks, h)
		}
	}
	taken := map[string]string{}
	for _, src := range inv.sources {
		l, ok := listings[src.Name]
		if !ok {
			continue
		}
		hbs, sd := inv.sourceHostBlocks(src, l, seenHosts, taken)
		diags = append(diags, sd...)
		hostBlocks = append(hostBlocks, hbs...)
	}
	groupOrder = append(groupOrder, inv.implicitGroups...)
	for _, h := range hostBlocks {
		if h.listed {
			continue
		}
		if g, ok := inv.groupBlocks[strings.ToLower(h.Name)]; ok {
			diags = append(diags, warningDiag(h.NameRange, "Host and group share a name", fmt.Sprintf(
				"Host %q has the name of the group declared at %s, so a --limit term %q selects both. Rename one, or select with group:%s.",
				h.Name, at(g.DeclRange), h.Name, g.Name)))
		}
	}
	diags = append(diags, inv.checkPasswordLiterals(allDefaults, allGroups, allHosts)...)

	if inv.defaults != nil {
		if s := inv.defaults.settings["concurrency"]; s != nil && s.state == valid {
			inv.concurrency = s.val.(int)
		}
	}
	for _, gb := range groupOrder {
		g := &Group{Name: gb.Name, DeclRange: gb.DeclRange}
		if s := gb.settings["concurrency"]; s != nil && s.state == valid {
			g.Concurrency = s.val.(int)
		}
		inv.groups = append(inv.groups, g)
		inv.groupByName[strings.ToLower(g.Name)] = g
	}
	sort.Slice(inv.groups, func(i, j int) bool { return inv.groups[i].Name < inv.groups[j].Name })

	agg := newHostDiags()
	for _, hb := range hostBlocks {
		groups, gd := inv.hostGroups(hb)
		diags = append(diags, gd...)
		h := inv.resolveHost(hb, groups, agg)
		h.Source = hb.source
		inv.hosts = append(inv.hosts, h)
		inv.byName[strings.ToLower(h.Name)] = h
		for _, g := range groups {
			gr := inv.groupByName[strings.ToLower(g.Name)]
			gr.Hosts = append(gr.Hosts, h.Name)
		}
	}
	sort.Slice(inv.hosts, func(i, j int) bool { return inv.hosts[i].Name < inv.hosts[j].Name })
	for i, h := range inv.hosts {
		inv.hostIndex[strings.ToLower(h.Name)] = i
	}
	for _, g := range inv.groups {
		sort.Strings(g.Hosts)
	}
	return inv, append(diags, agg.diagnostics()...)
}

// caseNote explains a duplicate that differs only in case.
func caseNote(a, b string) string {
	if a == b {
		return ""
	}
	return " Names are compared without regard to case, as Windows compares them."
}

// hostGroups returns the declared groups a host lists, reporting the
// others.
func (inv *Inventory) hostGroups(hb *HostBlock) ([]*GroupBlock, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []*GroupBlock
	seen := map[*GroupBlock]hcl.Range{}
	for _, ref := range hb.groups {
		g, ok := inv.groupBlocks[strings.ToLower(ref.name)]
		if ok && g.Name != ref.name {
			ok = false
		}
		if !ok {
			diags = append(diags, errorDiag(ref.rng, "Reference to undeclared group", inv.undeclaredGroup(ref.name)))
			continue
		}
		if prev, dup := seen[g]; dup {
			diags = append(diags, warningDiag(ref.rng, "Group listed twice", fmt.Sprintf(
				"Host %q already lists group %q at %s. Remove one.", hb.Name, g.Name, at(prev))))
			continue
		}
		seen[g] = ref.rng
		out = append(out, g)
	}
	return out, diags
}

// undeclaredGroup explains a reference to a group no file declares.
func (inv *Inventory) undeclaredGroup(name string) string {
	if name == AllGroup {
		return `Every host is in the group "all" already; remove it from groups.`
	}
	names := make([]string, 0, len(inv.groupBlocks))
	for _, g := range inv.groupBlocks {
		names = append(names, g.Name)
	}
	sort.Strings(names)
	if g, ok := inv.groupBlocks[strings.ToLower(name)]; ok {
		return fmt.Sprintf("No group %q is declared. Did you mean %q (declared at %s)? Group references must match the declared name exactly.", name, g.Name, at(g.DeclRange))
	}
	detail := fmt.Sprintf("No group %q is declared in any inventory file.", name)
	if hint := didYouMean(name, names); hint != "" {
		return detail + hint
	}
	return detail + fmt.Sprintf(` Declare it with group %q { }, or remove it from groups.`, name)
}

// checkPasswordLiterals reports passwords written in the inventory. One is
// accepted, with a warning, when its block or the defaults block sets
// allow_password_literal = true.
func (inv *Inventory) checkPasswordLiterals(defaults []*DefaultsBlock, groups []*GroupBlock, hosts []*HostBlock) hcl.Diagnostics {
	var diags hcl.Diagnostics
	allowed := func(settings map[string]*setting) (bool, bool) {
		if s := settings["allow_password_literal"]; s != nil && s.state == valid {
			return s.val.(bool), true
		}
		return false, false
	}
	checkOne := func(settings map[string]*setting, s *setting, isDefaults bool) {
		if s == nil || !s.literal || s.static && s.state != valid {
			return
		}
		ok, set := allowed(settings)
		if !set && !isDefaults && inv.defaults != nil {
			ok, _ = allowed(inv.defaults.settings)
		}
		if ok {
			diags = append(diags, warningDiag(s.block, "Password in plain text", fmt.Sprintf(
				"The password at %s is written in the inventory, and allow_password_literal accepts it. Anyone who can read the file can read the password: prefer env(\"NAME\"), file(\"path\") or prompt().",
				at(s.attr.Range))))
			return
		}
		diags = append(diags, errorDiag(s.block, "Password in plain text", fmt.Sprintf(
			"The password at %s is written in the inventory. Refer to it instead with env(\"NAME\"), file(\"path\") or prompt(); for a lab, set allow_password_literal = true in this block or in defaults to accept it with a warning.",
			at(s.attr.Range))))
	}
	check := func(settings map[string]*setting, isDefaults bool) {
		for _, name := range []string{"password", "change_password"} {
			checkOne(settings, settings[name], isDefaults)
		}
	}
	for _, d := range defaults {
		check(d.settings, true)
	}
	for _, g := range groups {
		check(g.settings, false)
	}
	for _, h := range hosts {
		check(h.settings, false)
	}
	return diags
}

// source is one place a host's setting may come from.
type source struct {
	s     *setting
	group *GroupBlock // nil for the host's own block and defaults
}

// resolveHost resolves a host's settings: its own block over its groups
// over defaults over the built-in defaults.
func (inv *Inventory) resolveHost(hb *HostBlock, groups []*GroupBlock, agg *hostDiags) *Host {
	h := &Host{Name: hb.Name, DeclRange: hb.DeclRange, Origins: map[string]hcl.Range{}, Tags: map[string]string{}, Vars: map[string]cty.Value{}}
	for _, g := range groups {
		h.Groups = append(h.Groups, g.Name)
	}
	eval := func(s *setting) (any, valState) {
		v, st, d := s.eval(hb.Name)
		agg.add(hb.Name, d)
		return v, st
	}
	states := map[string]valState{}
	for _, spec := range settingSpecs {
		switch spec.name {
		case "groups", "concurrency", "allow_password_literal":
			continue
		case "tags", "vars":
			inv.mergeMaps(h, hb, groups, spec.name, eval, agg)
			continue
		}
		v, rng, st := inv.pick(hb, groups, spec.name, eval, agg)
		states[spec.name] = st
		if st != valid {
			continue
		}
		h.Origins[spec.name] = rng
		h.set(spec.name, v)
	}

	// Built-in defaults, for what no block set (an invalid value stays zero).
	if states["transport"] == unset {
		h.Transport = DefaultTransport
	}
	if states["port"] == unset {
		h.Port = DefaultHTTPPort
		if h.Transport == TransportHTTPS {
			h.Port = DefaultHTTPSPort
		}
	}
	if states["auth"] == unset {
		h.Auth = DefaultAuth
	}
	if states["connect_timeout"] == unset {
		h.ConnectTimeout = DefaultConnectTimeout
	}
	if states["operation_timeout"] == unset {
		h.OperationTimeout = DefaultOperationTimeout
	}
	if states["timeout"] == unset {
		h.Timeout = DefaultTimeout
	}
	if states["management_address"] == unset && isIP(h.Address) {
		h.ManagementAddress = h.Address
	}
	h.Concurrency = inv.concurrency
	for _, g := range groups {
		if c := inv.groupByName[strings.ToLower(g.Name)].Concurrency; c > 0 && (h.Concurrency == 0 || c < h.Concurrency) {
			h.Concurrency = c
		}
	}
	inv.checkHost(h, states, agg)
	inv.checkChangeCredential(h, states, agg)
	return h
}

// set stores a resolved value in the host.
func (h *Host) set(name string, v any) {
	switch name {
	case "address":
		h.Address = v.(string)
	case "management_address":
		h.ManagementAddress = v.(string)
	case "transport":
		h.Transport = v.(string)
	case "port":
		h.Port = v.(int)
	case "auth":
		h.Auth = v.(string)
	case "user":
		h.User = v.(Secret)
	case "password":
		h.Password = v.(Secret)
	case "ca_file":
		h.CAFile = v.(string)
	case "tls_server_name":
		h.TLSServerName = v.(string)
	case "insecure_skip_verify":
		h.InsecureSkipVerify = v.(bool)
	case "allow_unencrypted":
		h.AllowUnencrypted = v.(bool)
	case "krb5_conf":
		h.Krb5Conf = v.(string)
	case "realm":
		h.Realm = strings.ToUpper(v.(string))
	case "kerberos_name":
		h.KerberosName = v.(string)
	case "keytab":
		h.Keytab = v.(string)
	case "ccache":
		h.CCache = v.(string)
	case "change_user":
		h.ChangeUser = v.(Secret)
	case "change_password":
		h.ChangePassword = v.(Secret)
	case "change_keytab":
		h.ChangeKeytab = v.(string)
	case "change_ccache":
		h.ChangeCCache = v.(string)
	case "connect_timeout":
		h.ConnectTimeout = v.(time.Duration)
	case "operation_timeout":
		h.OperationTimeout = v.(time.Duration)
	case "timeout":
		h.Timeout = v.(time.Duration)
	case "site":
		h.Site = v.(string)
	default:
		panic("inventory: no host field for setting " + name)
	}
}

// pick returns the value of one setting for a host. Two groups that set
// it differently conflict unless the host sets it itself.
func (inv *Inventory) pick(hb *HostBlock, groups []*GroupBlock, name string, eval func(*setting) (any, valState), agg *hostDiags) (any, hcl.Range, valState) {
	if s := hb.settings[name]; s != nil {
		if v, st := eval(s); st != unset {
			return v, s.attr.Range, st
		}
	}
	var found []source
	var vals []any
	sawInvalid := false
	for _, g := range groups {
		s := g.settings[name]
		if s == nil {
			continue
		}
		switch v, st := eval(s); st {
		case valid:
			found = append(found, source{s: s, group: g})
			vals = append(vals, v)
		case invalid:
			sawInvalid = true
		}
	}
	if len(found) > 0 {
		for i := 1; i < len(found); i++ {
			if !sameValue(vals[0], vals[i]) {
				inv.conflict(hb, name, found[0], found[i], vals[0], vals[i], agg)
				break
			}
		}
		return vals[0], found[0].s.attr.Range, valid
	}
	if sawInvalid {
		return nil, hcl.Range{}, invalid
	}
	if inv.defaults != nil {
		if s := inv.defaults.settings[name]; s != nil {
			if v, st := eval(s); st != unset {
				return v, s.attr.Range, st
			}
		}
	}
	return nil, hcl.Range{}, unset
}

// conflict reports two groups of a host that set a setting differently.
func (inv *Inventory) conflict(hb *HostBlock, what string, a, b source, va, vb any, agg *hostDiags) {
	key := fmt.Sprintf("conflict|%s|%s|%s", what, a.s.attr.Range, b.s.attr.Range)
	agg.addKeyed(key, hb.Name, errorDiag(b.s.subject(), "Conflicting group settings", fmt.Sprintf(
		"Host %q is in groups %q and %q, which set %s differently: %s at %s, and %s here. Set %s in the host block to choose, or make the groups agree.",
		hb.Name, a.group.Name, b.group.Name, what, showValue(va), at(a.s.attr.Range), showValue(vb), what)))
}

// mergeMaps resolves tags or vars key by key: defaults, then groups, then
// the host. Two groups that set a key differently conflict unless the host
// sets that key.
func (inv *Inventory) mergeMaps(h *Host, hb *HostBlock, groups []*GroupBlock, name string, eval func(*setting) (any, valState), agg *hostDiags) {
	entries := func(s *setting) map[string]any {
		if s == nil {
			return nil
		}
		v, st := eval(s)
		if st != valid {
			return nil
		}
		out := map[string]any{}
		switch m := v.(type) {
		case map[string]string:
			for k, x := range m {
				out[k] = x
			}
		case map[string]cty.Value:
			for k, x := range m {
				out[k] = x
			}
		}
		return out
	}
	put := func(k string, v any, rng hcl.Range) {
		switch x := v.(type) {
		case string:
			h.Tags[k] = x
		case cty.Value:
			h.Vars[k] = x
		}
		h.Origins[name+"."+k] = rng
	}
	if inv.defaults != nil {
		if s := inv.defaults.settings[name]; s != nil {
			for k, v := range entries(s) {
				put(k, v, s.attr.Range)
			}
		}
	}
	own := entries(hb.settings[name])
	type keyed struct {
		v   any
		src source
	}
	byKey := map[string][]keyed{}
	var keys []string
	for _, g := range groups {
		s := g.settings[name]
		for k, v := range entries(s) {
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], keyed{v, source{s: s, group: g}})
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		cands := byKey[k]
		if _, ok := own[k]; !ok {
			for _, c := range cands[1:] {
				if !sameValue(cands[0].v, c.v) {
					inv.conflict(hb, fmt.Sprintf("%s.%s", name, k), cands[0].src, c.src, cands[0].v, c.v, agg)
					break
				}
			}
		}
		put(k, cands[0].v, cands[0].src.s.attr.Range)
	}
	if name == "tags" {
		keys := make([]string, 0, len(hb.sourceTags))
		for k := range hb.sourceTags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			put(k, hb.sourceTags[k], hb.sourceRange)
		}
	}
	if s := hb.settings[name]; s != nil {
		for k, v := range own {
			put(k, v, s.attr.Range)
		}
	}
}

// sameValue compares two resolved values.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case Secret:
		y, ok := b.(Secret)
		return ok && sameSecret(x, y)
	case cty.Value:
		y, ok := b.(cty.Value)
		return ok && x.RawEquals(y)
	case map[string]cty.Value:
		y, ok := b.(map[string]cty.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !v.RawEquals(w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// showValue renders a value for a diagnostic. Credentials show their
// reference only.
func showValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case Secret:
		return x.String()
	case time.Duration:
		return fmt.Sprintf("%q", x.String())
	case cty.Value:
		return "a different value"
	}
	return fmt.Sprint(v)
}

// checkHost checks settings that only make sense together.
func (inv *Inventory) checkHost(h *Host, states map[string]valState, agg *hostDiags) {
	if h.Auth == AuthBasic && h.Transport == TransportHTTP && !h.AllowUnencrypted {
		rng, ok := h.Origins["auth"]
		if !ok {
			rng = h.DeclRange
		}
		agg.add(h.Name, hcl.Diagnostics{errorDiag(rng, "Basic authentication over http", fmt.Sprintf(
			"Host %q would send its password unencrypted: Basic authentication over http%s. Use transport = \"https\" or ntlm/kerberos authentication, or set allow_unencrypted = true if the host accepts unencrypted traffic (WinRM AllowUnencrypted).",
			h.Name, transportNote(h)))})
	}
	if h.Auth == AuthKerberos && isIP(h.Address) && (h.KerberosName == "" || isIP(h.KerberosName)) {
		rng, ok := h.Origins["auth"]
		if !ok {
			rng = h.DeclRange
		}
		agg.add(h.Name, hcl.Diagnostics{errorDiag(rng, "Kerberos needs the host's name", fmt.Sprintf(
			"Host %q is addressed by IP (%s) and uses Kerberos, but a Kerberos ticket is for a name (HTTP/<DNS name>), never an address: the KDC would answer \"Server not found in Kerberos database\". Set kerberos_name, for example kerberos_name = \"${host.name}.corp.example\".",
			h.Name, h.Address))})
	}
	if h.Auth == AuthNegotiate && isIP(h.Address) && (h.KerberosName == "" || isIP(h.KerberosName)) {
		rng, ok := h.Origins["auth"]
		if !ok {
			rng = h.DeclRange
		}
		agg.add(h.Name, hcl.Diagnostics{warningDiag(rng, "Negotiate will use NTLM", fmt.Sprintf(
			"Host %q is addressed by IP (%s) and has no kerberos_name, so negotiate cannot get a Kerberos ticket for it (a ticket is for a name, HTTP/<DNS name>) and will use NTLM. Set kerberos_name, for example kerberos_name = \"${host.name}.corp.example\", or auth = \"ntlm\" to say so.",
			h.Name, h.Address))})
	}
	if rng, ok := h.Origins["port"]; ok {
		if h.Transport == TransportHTTPS && h.Port == DefaultHTTPPort || h.Transport == TransportHTTP && h.Port == DefaultHTTPSPort {
			agg.add(h.Name, hcl.Diagnostics{warningDiag(rng, "Port does not match transport", fmt.Sprintf(
				"Host %q uses port %d with transport %q%s, but WinRM serves %s on %d. Check that the port and the transport belong together.",
				h.Name, h.Port, h.Transport, transportNote(h), h.Transport, map[string]int{TransportHTTP: DefaultHTTPPort, TransportHTTPS: DefaultHTTPSPort}[h.Transport]))})
		}
	}
	if rng, ok := h.Origins["management_address"]; ok && isIP(h.Address) {
		a, _ := netip.ParseAddr(h.Address)
		m, err := netip.ParseAddr(h.ManagementAddress)
		if err == nil && a.Unmap() != m.Unmap() {
			agg.add(h.Name, hcl.Diagnostics{errorDiag(rng, "Management address is not where fleetport connects", fmt.Sprintf(
				"Host %q is reached on %s (address), but its management_address is %s. fleetport keeps the management address in every listen list it writes; "+
					"a list without %s would lock WinRM, and fleetport, out at the next HTTP restart. The management address is the address fleetport's traffic "+
					"arrives on: remove management_address (it defaults to address), or set it to %s. A service address belongs in vars (vars = { service_address = \"%s\" }).",
				h.Name, h.Address, h.ManagementAddress, h.Address, h.Address, h.ManagementAddress))})
		}
	}
	if h.Auth == AuthBasic || h.Auth == AuthNTLM {
		for _, c := range []struct {
			what string
			s    Secret
		}{{"user", h.User}, {"password", h.Password}} {
			if c.s.IsSet() || states[c.what] == invalid {
				continue
			}
			agg.addKeyed("missing|"+c.what, h.Name, errorDiag(h.DeclRange, "Missing "+c.what, fmt.Sprintf(
				"Host %q uses %s authentication but no block sets its %s. Set %s in defaults, in a group or in the host block, as in %s = env(%q).",
				h.Name, authNames[h.Auth], c.what, c.what, c.what, "FLEETPORT_"+strings.ToUpper(c.what))))
		}
	}
}

// checkChangeCredential checks that a change credential is complete for
// the host's authentication: a user and a password (NTLM, Basic), or for
// Kerberos a user with a password or a keytab, or a credential cache.
func (inv *Inventory) checkChangeCredential(h *Host, states map[string]valState, agg *hostDiags) {
	if !h.HasChangeCredential() {
		return
	}
	for _, n := range []string{"change_user", "change_password", "change_keytab", "change_ccache"} {
		if states[n] == invalid {
			return
		}
	}
	rng := h.DeclRange
	for _, n := range []string{"change_user", "change_password", "change_keytab", "change_ccache"} {
		if r, ok := h.Origins[n]; ok {
			rng = r
			break
		}
	}
	problem := ""
	switch {
	case h.Auth != AuthKerberos && (h.ChangeKeytab != "" || h.ChangeCCache != ""):
		problem = fmt.Sprintf("Host %q uses %s authentication, but change_keytab and change_ccache hold Kerberos credentials. Set change_user and change_password, or use auth = \"kerberos\".", h.Name, authNames[h.Auth])
	case h.Auth != AuthKerberos && (!h.ChangeUser.IsSet() || !h.ChangePassword.IsSet()):
		problem = fmt.Sprintf("Host %q has an incomplete change credential: %s authentication needs both change_user and change_password.", h.Name, authNames[h.Auth])
	case h.Auth == AuthKerberos && h.ChangeKeytab != "" && !h.ChangeUser.IsSet():
		problem = fmt.Sprintf("Host %q has change_keytab but no change_user: a keytab holds keys for principals, and change_user names which one changes hosts.", h.Name)
	case h.Auth == AuthKerberos && h.ChangePassword.IsSet() && !h.ChangeUser.IsSet():
		problem = fmt.Sprintf("Host %q has change_password but no change_user.", h.Name)
	case h.Auth == AuthKerberos && h.ChangeUser.IsSet() && !h.ChangePassword.IsSet() && h.ChangeKeytab == "" && h.ChangeCCache == "":
		problem = fmt.Sprintf("Host %q has change_user but nothing to get its tickets with: set change_password, change_keytab or change_ccache.", h.Name)
	}
	if problem != "" {
		agg.add(h.Name, hcl.Diagnostics{errorDiag(rng, "Incomplete change credential", problem+
			" The change credential (used by apply, rollout resume and rollback) is complete in itself: it never borrows from user and password.")})
	}
}

// transportNote says where the host's transport was set.
func transportNote(h *Host) string {
	if rng, ok := h.Origins["transport"]; ok {
		return fmt.Sprintf(" (transport set at %s)", at(rng))
	}
	return " (the default transport)"
}

var authNames = map[string]string{AuthBasic: "Basic", AuthNTLM: "NTLM", AuthKerberos: "Kerberos", AuthNegotiate: "Negotiate"}
