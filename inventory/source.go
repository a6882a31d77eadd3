package inventory

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Source kinds.
const (
	SourceActiveDirectory = "active_directory"
)

// Ways a source binds to its directory.
const (
	BindKerberos = "kerberos"
	BindSimple   = "simple"
)

// DefaultStaleAfter is how long a computer may go without logging on to
// the domain before a source leaves it out.
const DefaultStaleAfter = 45 * 24 * time.Hour

// Source is a decoded source block: where hosts are listed other than in
// the inventory's own files. The package reads nothing: the caller lists
// a source with the [SourceLister] it passes to [Load].
type Source struct {
	Kind       string // SourceActiveDirectory
	Name       string
	URL        string // ldaps://; or ldap:// with StartTLS, or with a Kerberos bind (sealed)
	StartTLS   bool
	BaseDN     string
	Filter     string // ANDed with enabled computer objects; "" for none
	StaleAfter time.Duration
	Bind       string // BindKerberos or BindSimple
	User       Secret
	Password   Secret
	CAFile     string // resolved against the declaring file's folder
	ServerName string // the name on the directory's certificate; "" for the URL's host
	Krb5Conf   string
	Keytab     string
	CCache     string
	GroupsFrom []string // "ou", "memberOf"
	Groups     []string // groups every host of the source joins
	Timeout    time.Duration
	DeclRange  hcl.Range
	// Ranges holds each argument's range, for diagnostics about it.
	Ranges map[string]hcl.Range
}

// ID is the source's kind and name, "active_directory.corp".
func (s *Source) ID() string { return s.Kind + "." + s.Name }

// Range returns where an argument is set, or the block.
func (s *Source) Range(arg string) hcl.Range {
	if r, ok := s.Ranges[arg]; ok {
		return r
	}
	return s.DeclRange
}

// SourceHost is one host a source lists.
type SourceHost struct {
	Name    string // the computer name
	Address string // its DNS name
	Groups  []string
	Tags    map[string]string
}

// LeftOut is an entry a source did not make a host of, and why.
type LeftOut struct {
	Name string
	Why  string
}

// Listing is what a source listed.
type Listing struct {
	Hosts    []SourceHost
	Left     []LeftOut
	ListedAt time.Time
	// Cached is set when the directory could not be reached and the
	// listing is the last one stored; Problem says why.
	Cached  bool
	Problem string
	// Notes are remarks about the listing (referrals not followed).
	Notes []string
}

// SourceError is a listing's failure about one of the source's arguments
// (a base DN that does not exist, a filter the directory refuses), so that
// the diagnostic points at it.
type SourceError struct {
	Arg string
	Err error
}

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// SourceLister lists sources. The caller provides it to [Load].
type SourceLister interface {
	List(src *Source) (*Listing, error)
}

var sourceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "url", Required: true}, {Name: "base_dn", Required: true}, {Name: "filter"}, {Name: "stale_after"},
	{Name: "bind"}, {Name: "user"}, {Name: "password"}, {Name: "ca_file"}, {Name: "server_name"}, {Name: "start_tls"},
	{Name: "krb5_conf"}, {Name: "keytab"}, {Name: "ccache"}, {Name: "groups_from"}, {Name: "groups"}, {Name: "timeout"},
}}

// decodeSourceBlock decodes a source block.
func decodeSourceBlock(block *hcl.Block, src *evalSource) (*Source, hcl.Diagnostics) {
	s := &Source{Kind: block.Labels[0], Name: block.Labels[1], DeclRange: block.DefRange, Ranges: map[string]hcl.Range{},
		StaleAfter: DefaultStaleAfter, Bind: BindKerberos, GroupsFrom: []string{"ou"}, Timeout: 30 * time.Second}
	var diags hcl.Diagnostics
	if s.Kind != SourceActiveDirectory {
		return nil, hcl.Diagnostics{errorDiag(block.LabelRanges[0], "Unknown source kind", fmt.Sprintf(
			"%q is not a kind of source fleetport reads. The kind is %q, as in source %q %q { ... }. For an Ansible inventory, convert it once with `fleetport inventory import ansible PATH`.",
			s.Kind, SourceActiveDirectory, SourceActiveDirectory, s.Name))}
	}
	if !validName(s.Name) {
		diags = append(diags, errorDiag(block.LabelRanges[1], "Invalid source name", fmt.Sprintf("%q is not a valid source name. %s", s.Name, nameRule)))
	}
	content, cd := block.Body.Content(sourceSchema)
	diags = append(diags, cd...)
	ctx := src.evalContext("")
	str := func(name string) (string, bool) {
		a, ok := content.Attributes[name]
		if !ok {
			return "", false
		}
		s.Ranges[name] = a.Expr.Range()
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() || v.IsNull() {
			return "", false
		}
		if !v.Type().Equals(cty.String) || !v.IsWhollyKnown() {
			diags = append(diags, errorDiag(a.Expr.Range(), "Incorrect attribute value type", fmt.Sprintf("%s must be a string.", name)))
			return "", false
		}
		return v.AsString(), true
	}
	list := func(name string) ([]string, bool) {
		a, ok := content.Attributes[name]
		if !ok {
			return nil, false
		}
		s.Ranges[name] = a.Expr.Range()
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() || v.IsNull() {
			return nil, false
		}
		if !(v.Type().IsListType() || v.Type().IsTupleType()) || !v.IsWhollyKnown() {
			diags = append(diags, errorDiag(a.Expr.Range(), "Incorrect attribute value type", fmt.Sprintf("%s must be a list of strings.", name)))
			return nil, false
		}
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || !e.Type().Equals(cty.String) {
				diags = append(diags, errorDiag(a.Expr.Range(), "Incorrect attribute value type", fmt.Sprintf("%s must be a list of strings.", name)))
				return nil, false
			}
			out = append(out, e.AsString())
		}
		return out, true
	}
	if v, ok := str("url"); ok {
		u, err := url.Parse(v)
		switch {
		case err != nil || u.Host == "":
			diags = append(diags, errorDiag(s.Ranges["url"], "Invalid directory URL", fmt.Sprintf(
				"%q is not a directory URL. Write ldaps://dc01.corp.example (or ldap://… with start_tls = true).", v)))
		case u.Scheme != "ldaps" && u.Scheme != "ldap":
			diags = append(diags, errorDiag(s.Ranges["url"], "Invalid directory URL", fmt.Sprintf(
				"%q is not an LDAP URL: the scheme is ldaps:// (or ldap:// with start_tls = true).", v)))
		case u.Path != "" && u.Path != "/":
			diags = append(diags, errorDiag(s.Ranges["url"], "Invalid directory URL", fmt.Sprintf(
				"%q has a path; the base DN is its own argument, base_dn.", v)))
		default:
			s.URL = v
		}
	}
	if v, ok := str("base_dn"); ok {
		if _, err := ldap.ParseDN(v); err != nil || strings.TrimSpace(v) == "" {
			diags = append(diags, errorDiag(s.Ranges["base_dn"], "Invalid base DN", fmt.Sprintf(
				"%q is not a distinguished name: %v. Write it as OU=Servers,DC=corp,DC=example.", v, dnError(err))))
		} else {
			s.BaseDN = v
		}
	}
	if v, ok := str("filter"); ok {
		if _, err := ldap.CompileFilter(v); err != nil {
			diags = append(diags, errorDiag(s.Ranges["filter"], "Invalid LDAP filter", fmt.Sprintf(
				"%q is not an LDAP filter: %v. A filter is in parentheses, as in (operatingSystem=*Server*).", v, ldapErrorText(err))))
		} else {
			s.Filter = v
		}
	}
	if v, ok := str("stale_after"); ok {
		d, err := parseDays(v)
		if err != nil {
			diags = append(diags, errorDiag(s.Ranges["stale_after"], "Invalid duration", fmt.Sprintf(
				"%q is not a duration: write a number of days (\"30d\") or hours (\"720h\").", v)))
		} else {
			s.StaleAfter = d
		}
	}
	if v, ok := str("timeout"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			diags = append(diags, errorDiag(s.Ranges["timeout"], "Invalid duration", fmt.Sprintf("%q is not a duration such as \"30s\".", v)))
		} else {
			s.Timeout = d
		}
	}
	if v, ok := str("bind"); ok {
		switch v {
		case BindKerberos, BindSimple:
			s.Bind = v
		default:
			diags = append(diags, errorDiag(s.Ranges["bind"], "Invalid bind", fmt.Sprintf(
				"bind is %q or %q, not %q.", BindKerberos, BindSimple, v)))
		}
	}
	if v, ok := str("server_name"); ok {
		s.ServerName = v
	}
	for _, p := range []struct {
		name string
		to   *string
	}{{"ca_file", &s.CAFile}, {"krb5_conf", &s.Krb5Conf}, {"keytab", &s.Keytab}, {"ccache", &s.CCache}} {
		if v, ok := str(p.name); ok {
			*p.to = relativeTo(src.filename, v)
		}
	}
	if a, ok := content.Attributes["start_tls"]; ok {
		s.Ranges["start_tls"] = a.Expr.Range()
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if !d.HasErrors() && !v.IsNull() {
			if !v.Type().Equals(cty.Bool) {
				diags = append(diags, errorDiag(a.Expr.Range(), "Incorrect attribute value type", "start_tls must be true or false."))
			} else {
				s.StartTLS = v.True()
			}
		}
	}
	if v, ok := list("groups_from"); ok {
		s.GroupsFrom = nil
		for _, g := range v {
			switch g {
			case "ou", "memberOf":
				s.GroupsFrom = append(s.GroupsFrom, g)
			default:
				diags = append(diags, errorDiag(s.Ranges["groups_from"], "Invalid groups_from", fmt.Sprintf(
					"groups_from takes \"ou\" (each organizational unit below base_dn is a group) and \"memberOf\" (each AD group the computer is in), not %q.", g)))
			}
		}
	}
	if v, ok := list("groups"); ok {
		for _, g := range v {
			if !validName(g) {
				diags = append(diags, errorDiag(s.Ranges["groups"], "Invalid group name", fmt.Sprintf("%q is not a valid group name. %s", g, nameRule)))
				continue
			}
			s.Groups = append(s.Groups, g)
		}
	}
	for _, c := range []struct {
		name string
		to   *Secret
	}{{"user", &s.User}, {"password", &s.Password}} {
		a, ok := content.Attributes[c.name]
		if !ok {
			continue
		}
		s.Ranges[c.name] = a.Expr.Range()
		set := &setting{spec: specByName[c.name], attr: a, filename: src.filename, src: src, block: block.DefRange}
		v, st, d := set.decodeCredential(ctx)
		diags = append(diags, d...)
		if st != valid {
			continue
		}
		sec := v.(Secret)
		if c.name == "password" && sec.Source() == SourceLiteral {
			diags = append(diags, errorDiag(block.DefRange, "Password written in the inventory", fmt.Sprintf(
				"Source %q has its bind password written in the file (password at %s). Give a reference instead: env(\"NAME\"), file(\"path\") or prompt().",
				s.Name, at(a.Range))))
			continue
		}
		*c.to = sec
	}
	if s.Bind == BindSimple && (s.User.Source() == SourceNone || s.Password.Source() == SourceNone) {
		diags = append(diags, errorDiag(block.DefRange, "Simple bind needs a user and a password", fmt.Sprintf(
			"Source %q binds with a user and a password (bind = \"simple\"): set user and password, as in password = env(\"FLEETPORT_LDAP_PASSWORD\"). Or bind with Kerberos (bind = \"kerberos\", the default).", s.Name)))
	}
	if s.StartTLS && s.Bind == BindKerberos {
		diags = append(diags, errorDiag(s.Ranges["start_tls"], "StartTLS with a Kerberos bind", fmt.Sprintf(
			"Source %q binds with Kerberos, which seals every message itself: remove start_tls, or bind with a user and password (bind = \"simple\").", s.Name)))
	}
	if s.URL != "" && strings.HasPrefix(s.URL, "ldap://") && !s.StartTLS && s.Bind == BindSimple {
		diags = append(diags, errorDiag(s.Ranges["url"], "Unencrypted directory connection", fmt.Sprintf(
			"Source %q would send its password and list the fleet over plain LDAP, where anyone on the path can read and change them. Use ldaps://, set start_tls = true, or bind with Kerberos, which seals every message.", s.Name)))
	}
	return s, diags
}

func dnError(err error) string {
	if err == nil {
		return "it is empty"
	}
	return ldapErrorText(err)
}

// ldapErrorText is the library's message without its "LDAP Result Code"
// prefix.
func ldapErrorText(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "LDAP Result Code") {
		msg = msg[i+2:]
	}
	return msg
}

// parseDays reads a duration that may be in days ("30d").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 3650 {
			return 0, fmt.Errorf("bad days")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad duration")
	}
	return d, nil
}

// sourceHostBlocks makes host blocks of a listing, and group blocks for
// the groups it names that no file declares. A host a file declares keeps
// the file's block, with a note.
func (inv *Inventory) sourceHostBlocks(src *Source, l *Listing, declared map[string]*HostBlock, taken map[string]string) ([]*HostBlock, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []*HostBlock
	rng := src.DeclRange
	static := 0
	var staticNames []string
	for _, sh := range l.Hosts {
		key := strings.ToLower(sh.Name)
		if _, ok := declared[key]; ok {
			static++
			if len(staticNames) < 3 {
				staticNames = append(staticNames, sh.Name)
			}
			continue
		}
		if other, ok := taken[key]; ok {
			diags = append(diags, warningDiag(rng, "Host listed twice", fmt.Sprintf(
				"Source %q lists %s, which source %q listed first; that one is used.", src.Name, sh.Name, other)))
			continue
		}
		taken[key] = src.Name
		hb := &HostBlock{Name: sh.Name, NameRange: rng, DeclRange: rng, settings: map[string]*setting{}, source: src.Name}
		hb.settings["address"] = staticSetting("address", cty.StringVal(sh.Address), sh.Address, rng)
		if len(sh.Tags) > 0 {
			tags := map[string]cty.Value{}
			for k, v := range sh.Tags {
				tags[k] = cty.StringVal(v)
			}
			hb.settings["tags"] = staticSetting("tags", cty.MapVal(tags), sh.Tags, rng)
		}
		seen := map[string]bool{}
		for _, g := range append(append([]string{}, src.Groups...), sh.Groups...) {
			if seen[strings.ToLower(g)] || !validName(g) {
				continue
			}
			seen[strings.ToLower(g)] = true
			hb.groups = append(hb.groups, groupRef{name: g, rng: rng})
			if _, ok := inv.groupBlocks[strings.ToLower(g)]; !ok {
				inv.groupBlocks[strings.ToLower(g)] = &GroupBlock{Name: g, NameRange: rng, DeclRange: rng, settings: map[string]*setting{}}
				inv.implicitGroups = append(inv.implicitGroups, inv.groupBlocks[strings.ToLower(g)])
			} else if gb := inv.groupBlocks[strings.ToLower(g)]; gb.Name != g {
				// A file declares it in another case: use the file's.
				hb.groups[len(hb.groups)-1].name = gb.Name
			}
		}
		out = append(out, hb)
	}
	if static > 0 {
		names := strings.Join(staticNames, ", ")
		if static > len(staticNames) {
			names += fmt.Sprintf(" and %d more", static-len(staticNames))
		}
		what := fmt.Sprintf("%d hosts that host blocks declare", static)
		if static == 1 {
			what = "a host that a host block declares"
		}
		diags = append(diags, warningDiag(rng, "Hosts declared in a file too", fmt.Sprintf(
			"Source %q lists %s (%s): the host block's settings are used.", src.Name, what, names)))
	}
	return out, diags
}

// staticSetting is a setting with a value that comes from a source.
func staticSetting(name string, v cty.Value, val any, rng hcl.Range) *setting {
	return &setting{
		spec:   specByName[name],
		attr:   &hcl.Attribute{Name: name, Expr: hcl.StaticExpr(v, rng), Range: rng, NameRange: rng},
		static: true,
		val:    val,
		state:  valid,
	}
}

// Sources returns the inventory's source blocks, in file order.
func (inv *Inventory) Sources() []*Source { return append([]*Source(nil), inv.sources...) }

// Listings returns what each source listed, by source name.
func (inv *Inventory) Listings() map[string]*Listing {
	m := make(map[string]*Listing, len(inv.listings))
	for k, v := range inv.listings {
		m[k] = v
	}
	return m
}

// listSources lists every source with lister and reports what a user must
// know: a listing from the store, the entries left out.
func listSources(sources []*Source, lister SourceLister) (map[string]*Listing, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]*Listing{}
	for _, src := range sources {
		if lister == nil {
			continue
		}
		l, err := lister.List(src)
		if err != nil {
			rng := src.DeclRange
			if se, ok := err.(*SourceError); ok {
				rng = src.Range(se.Arg)
			}
			diags = append(diags, errorDiag(rng, "Cannot list the source", fmt.Sprintf("Source %q: %v.", src.Name, strings.TrimSuffix(err.Error(), "."))))
			continue
		}
		out[src.Name] = l
		if l.Cached {
			diags = append(diags, warningDiag(src.DeclRange, "Directory unreachable: using the stored listing", fmt.Sprintf(
				"Source %q could not be listed (%s). Its last listing, from %s (%s ago), is used: %d hosts.",
				src.Name, l.Problem, l.ListedAt.Format(time.RFC3339), time.Since(l.ListedAt).Round(time.Minute), len(l.Hosts))))
		}
		for _, n := range l.Notes {
			diags = append(diags, warningDiag(src.DeclRange, "Source note", fmt.Sprintf("Source %q: %s", src.Name, n)))
		}
	}
	return out, diags
}

// LeftOutSummary counts a listing's entries left out by reason.
func (l *Listing) LeftOutSummary() string {
	by := map[string]int{}
	for _, e := range l.Left {
		by[e.Why]++
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", by[k], k)
	}
	return strings.Join(parts, ", ")
}
