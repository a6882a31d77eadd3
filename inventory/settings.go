package inventory

import (
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fleetport/fleetport/internal/hclguard"
)

// Transports and authentication methods a host may use.
const (
	TransportHTTP  = "http"
	TransportHTTPS = "https"

	AuthBasic    = "basic"
	AuthNTLM     = "ntlm"
	AuthKerberos = "kerberos"
	// AuthNegotiate is what Windows clients do: Kerberos when a ticket
	// for the host can be had, NTLM otherwise. A run records which one
	// each host used.
	AuthNegotiate = "negotiate"
)

// Built-in defaults, used when no block sets a value.
const (
	DefaultTransport        = TransportHTTP
	DefaultAuth             = AuthNTLM // not negotiate: the README (In a Windows domain) says why
	DefaultHTTPPort         = 5985
	DefaultHTTPSPort        = 5986
	DefaultConnectTimeout   = 10 * time.Second
	DefaultOperationTimeout = 60 * time.Second
	DefaultTimeout          = 5 * time.Minute
)

// blockKind is the kind of block a setting appears in.
type blockKind uint8

const (
	inDefaults blockKind = 1 << iota
	inGroup
	inHost

	inAll = inDefaults | inGroup | inHost
)

func (k blockKind) String() string {
	switch k {
	case inDefaults:
		return "defaults"
	case inGroup:
		return "group"
	case inHost:
		return "host"
	}
	return "block"
}

// valueKind says how a setting's value is checked and decoded.
type valueKind uint8

const (
	kindEnum       valueKind = iota // a string from enum
	kindPort                        // a whole number 1-65535
	kindCount                       // a whole number >= 1
	kindBool                        // true or false
	kindDuration                    // a string such as "30s"
	kindAddress                     // an IP address or a DNS name
	kindIP                          // an IP address
	kindServerName                  // a DNS name or an IP address, for TLS
	kindName                        // a simple name (site)
	kindPath                        // a file path, relative to the declaring file
	kindGroups                      // a list of group names
	kindTags                        // a map of strings
	kindVars                        // a map of any values
	kindCredential                  // env(), file(), prompt() or a literal
)

// settingSpec describes one argument of the defaults, group and host
// blocks.
type settingSpec struct {
	name  string
	where blockKind
	kind  valueKind
	enum  []string // kindEnum: the accepted values
	noun  string   // what the value is, for messages ("transport")
	// static settings are the same for every host and so cannot refer
	// to host.name.
	static bool
	// elsewhere explains, when the setting appears in a block kind that
	// does not take it, where it belongs.
	elsewhere string
}

// settingSpecs lists every setting, in the order hosts resolve them:
// transport comes before port, whose default depends on it, and address
// before management_address.
var settingSpecs = []*settingSpec{
	{name: "address", where: inHost, kind: kindAddress, noun: "address",
		elsewhere: "address is each host's own: set it in a host block."},
	{name: "management_address", where: inHost, kind: kindIP, noun: "management address",
		elsewhere: "management_address is each host's own: set it in a host block."},
	{name: "groups", where: inHost, kind: kindGroups, static: true,
		elsewhere: "A host joins groups with its groups argument; groups do not nest."},
	{name: "transport", where: inAll, kind: kindEnum, enum: []string{TransportHTTP, TransportHTTPS}, noun: "transport"},
	{name: "port", where: inAll, kind: kindPort, noun: "port"},
	{name: "auth", where: inAll, kind: kindEnum, enum: []string{AuthBasic, AuthNTLM, AuthKerberos, AuthNegotiate}, noun: "authentication method"},
	{name: "user", where: inAll, kind: kindCredential, noun: "user"},
	{name: "password", where: inAll, kind: kindCredential, noun: "password"},
	{name: "allow_password_literal", where: inAll, kind: kindBool, static: true},
	{name: "ca_file", where: inAll, kind: kindPath, noun: "CA file"},
	{name: "tls_server_name", where: inAll, kind: kindServerName, noun: "TLS server name"},
	{name: "insecure_skip_verify", where: inAll, kind: kindBool},
	{name: "allow_unencrypted", where: inAll, kind: kindBool},
	{name: "krb5_conf", where: inAll, kind: kindPath, noun: "krb5.conf"},
	{name: "realm", where: inAll, kind: kindServerName, noun: "Kerberos realm"},
	{name: "kerberos_name", where: inAll, kind: kindAddress, noun: "Kerberos host name"},
	{name: "keytab", where: inAll, kind: kindPath, noun: "keytab"},
	{name: "ccache", where: inAll, kind: kindPath, noun: "credential cache"},
	{name: "change_user", where: inAll, kind: kindCredential, noun: "change user"},
	{name: "change_password", where: inAll, kind: kindCredential, noun: "change password"},
	{name: "change_keytab", where: inAll, kind: kindPath, noun: "change keytab"},
	{name: "change_ccache", where: inAll, kind: kindPath, noun: "change credential cache"},
	{name: "connect_timeout", where: inAll, kind: kindDuration},
	{name: "operation_timeout", where: inAll, kind: kindDuration},
	{name: "timeout", where: inAll, kind: kindDuration},
	{name: "concurrency", where: inDefaults | inGroup, kind: kindCount, static: true, noun: "concurrency",
		elsewhere: "concurrency limits how many hosts are worked on at once: set it in defaults for the whole fleet, or in a group for that group's members."},
	{name: "site", where: inAll, kind: kindName, noun: "site name"},
	{name: "tags", where: inAll, kind: kindTags},
	{name: "vars", where: inAll, kind: kindVars},
}

var specByName = func() map[string]*settingSpec {
	m := make(map[string]*settingSpec, len(settingSpecs))
	for _, s := range settingSpecs {
		m[s.name] = s
	}
	return m
}()

// valState says whether an evaluated setting has a value.
type valState uint8

const (
	unset   valState = iota // absent, or null
	valid                   // has a checked value
	invalid                 // present but wrong; diagnostics say why
)

// setting is one argument of a defaults, group or host block. Settings
// that do not refer to host.name are evaluated and checked once, when the
// file is decoded; the others are evaluated for each host.
type setting struct {
	spec     *settingSpec
	attr     *hcl.Attribute
	filename string      // the declaring file, for relative paths
	src      *evalSource // the declaring file's evaluation budget
	block    hcl.Range   // the declaring block, for password diagnostics
	static   bool        // refers to nothing: evaluated once
	literal  bool        // a credential written as a literal
	val      any
	state    valState
}

// groupRef is one element of a host's groups list.
type groupRef struct {
	name string
	rng  hcl.Range
}

// blockBodySchema is the schema of the defaults, group and host bodies.
// Every setting is in it, so that a setting in the wrong kind of block is
// told where it belongs rather than "unsupported argument"; the top-level
// block types are in it to say that blocks do not nest.
var blockBodySchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, spec := range settingSpecs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: spec.name})
	}
	s.Blocks = append(s.Blocks, fileSchema.Blocks...)
	return s
}()

// decodeSettings decodes the arguments of a defaults, group or host body.
func decodeSettings(body hcl.Body, kind blockKind, src *evalSource, block hcl.Range) (map[string]*setting, hcl.Diagnostics) {
	content, diags := body.Content(blockBodySchema)
	for _, b := range content.Blocks {
		diags = append(diags, errorDiag(b.DefRange, "Unexpected nested block", fmt.Sprintf(
			"A %s block cannot be inside a %s block. Declare %s blocks at the top level of a file%s.",
			b.Type, kind, b.Type, nestHint(b.Type))))
	}
	attrs := make([]*hcl.Attribute, 0, len(content.Attributes))
	for _, a := range content.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Range.Start.Byte < attrs[j].Range.Start.Byte })

	settings := map[string]*setting{}
	for _, a := range attrs {
		spec := specByName[a.Name]
		if spec.where&kind == 0 {
			diags = append(diags, errorDiag(a.NameRange, "Argument not allowed here", fmt.Sprintf(
				"A %s block cannot set %s. %s", kind, a.Name, spec.elsewhere)))
			continue
		}
		s := &setting{spec: spec, attr: a, filename: src.filename, src: src, block: block}
		s.static = len(a.Expr.Variables()) == 0
		if spec.kind == kindCredential {
			s.literal = credentialCall(a.Expr) == nil
		}
		cd := checkExpr(a.Expr, spec.name, spec.kind == kindCredential, spec.static)
		if cd.HasErrors() {
			diags = append(diags, s.protect(cd)...)
			s.static, s.state = true, invalid
			settings[a.Name] = s
			continue
		}
		if s.static {
			var d hcl.Diagnostics
			s.val, s.state, d = s.evaluate("")
			diags = append(diags, d...)
		}
		settings[a.Name] = s
	}
	return settings, diags
}

func nestHint(blockType string) string {
	if blockType == "host" {
		return " and list a host's groups in its groups argument"
	}
	return ""
}

// eval returns the setting's value for host.
func (s *setting) eval(host string) (any, valState, hcl.Diagnostics) {
	if s.static {
		return s.val, s.state, nil
	}
	return s.evaluate(host)
}

// evaluate evaluates and checks the setting, for host when it is not "".
func (s *setting) evaluate(host string) (any, valState, hcl.Diagnostics) {
	ctx := s.src.evalContext(host)
	if s.spec.kind == kindCredential {
		v, st, diags := s.decodeCredential(ctx)
		return v, st, s.protect(diags)
	}
	v, diags := s.attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, invalid, diags
	}
	if v.IsNull() {
		return nil, unset, diags
	}
	if !v.IsWhollyKnown() {
		return nil, invalid, append(diags, s.errorf("Invalid value", "The value of %s is not known.", s.spec.name))
	}
	v, _ = v.UnmarkDeep()
	val, d := s.decode(v)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, invalid, diags
	}
	return val, valid, diags
}

// errorf returns an error about the setting's value.
func (s *setting) errorf(summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  s.attr.Expr.Range().Ptr(),
	}
}

// typeError reports a value of the wrong type.
func (s *setting) typeError(want string) *hcl.Diagnostic {
	return s.errorf("Incorrect attribute value type", "Inappropriate value for attribute %q: %s is required.", s.spec.name, want)
}

// subject is the range a diagnostic about the setting points at: the
// value, or for a literal password the block (see protect).
func (s *setting) subject() hcl.Range {
	if isPassword(s.spec.name) && s.literal {
		return s.block
	}
	return s.attr.Range
}

// protect keeps a literal password out of diagnostics: rendered with
// source snippets, a diagnostic about the password line would print it.
// Such diagnostics point at the block instead and name the line, and
// the texts written in the value (its strings, the names it refers to)
// are removed from their summaries and details, so that an error such as
// tonumber's "cannot convert ..." does not quote the password.
func (s *setting) protect(diags hcl.Diagnostics) hcl.Diagnostics {
	if !isPassword(s.spec.name) || !s.literal {
		return diags
	}
	secrets := expressionTexts(s.attr.Expr)
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary = hclguard.Scrub(c.Summary, secrets)
		c.Detail = hclguard.Scrub(c.Detail, secrets)
		c.Subject = s.block.Ptr()
		c.Context = nil
		c.Expression, c.EvalContext = nil, nil
		c.Detail = strings.TrimSpace(fmt.Sprintf("%s (password at %s)", c.Detail, at(s.attr.Range)))
		out[i] = &c
	}
	return out
}

// expressionTexts returns the strings written in expr and the names it
// refers to.
func expressionTexts(expr hcl.Expression) []string {
	var out []string
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return nil
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.LiteralValueExpr:
			if e.Val.Type() == cty.String && e.Val.IsKnown() && !e.Val.IsNull() {
				out = append(out, e.Val.AsString())
			}
		case *hclsyntax.ScopeTraversalExpr:
			out = append(out, e.Traversal.RootName())
		}
		return nil
	})
	for i, t := range out {
		if t == "host" {
			out[i] = ""
		}
	}
	return out
}

// decode checks a known, non-null value and converts it to the setting's
// Go type.
func (s *setting) decode(v cty.Value) (any, hcl.Diagnostics) {
	spec := s.spec
	switch spec.kind {
	case kindEnum:
		str, d := s.str(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		if slices.Contains(spec.enum, str) {
			return str, nil
		}
		hint := didYouMean(str, spec.enum)
		if hint == "" && slices.Contains(spec.enum, strings.ToLower(str)) {
			hint = fmt.Sprintf(" Did you mean %q?", strings.ToLower(str))
		}
		return nil, hcl.Diagnostics{s.errorf("Unsupported "+spec.noun,
			"%q is not a %s fleetport supports.%s Use %s.", str, spec.noun, hint, quoteList(spec.enum, "or"))}
	case kindPort:
		n, d := s.whole(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		if n < 1 || n > 65535 {
			return nil, hcl.Diagnostics{s.errorf("Invalid port",
				"Port %d is out of range: a port is a whole number from 1 to 65535 (WinRM listens on 5985 for http and 5986 for https).", n)}
		}
		return int(n), nil
	case kindCount:
		n, d := s.whole(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		if n < 1 || n > 1_000_000 {
			return nil, hcl.Diagnostics{s.errorf("Invalid "+spec.noun,
				"%s must be a whole number from 1 to 1000000, not %d.", spec.name, n)}
		}
		return int(n), nil
	case kindBool:
		b, err := convert.Convert(v, cty.Bool)
		if err != nil || b.IsNull() {
			return nil, hcl.Diagnostics{s.typeError("a bool (true or false)")}
		}
		if w, ok := riskyBools[spec.name]; ok && b.True() {
			return true, hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: w[0], Detail: w[1], Subject: s.attr.Range.Ptr()}}
		}
		return b.True(), nil
	case kindDuration:
		str, d := s.str(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		dur, err := time.ParseDuration(str)
		switch {
		case err != nil:
			return nil, hcl.Diagnostics{s.errorf("Invalid duration",
				"%q is not a duration. Write a number and a unit, as in \"30s\", \"5m\" or \"1h30m\".", str)}
		case dur <= 0:
			return nil, hcl.Diagnostics{s.errorf("Invalid duration", "%s must be longer than zero.", spec.name)}
		}
		return dur, nil
	case kindAddress, kindIP, kindServerName:
		str, d := s.str(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		var why string
		switch spec.kind {
		case kindAddress:
			why = checkAddress(str)
		case kindIP:
			why = checkIP(str)
		default:
			if !isIP(str) {
				why = checkHostname(str)
			}
		}
		if why != "" {
			return nil, hcl.Diagnostics{s.errorf("Invalid "+spec.noun, "%q is not a valid %s: %s.", str, spec.noun, why)}
		}
		return str, nil
	case kindName:
		str, d := s.str(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		if !validName(str) {
			return nil, hcl.Diagnostics{s.errorf("Invalid "+spec.noun, "%q is not a valid %s. %s", str, spec.noun, nameRule)}
		}
		return str, nil
	case kindPath:
		str, d := s.str(v)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		if str == "" {
			return nil, hcl.Diagnostics{s.errorf("Invalid "+spec.noun, "%s is empty. Name a file, or leave the argument out.", spec.name)}
		}
		return relativeTo(s.filename, str), nil
	case kindGroups:
		return s.decodeGroups(v)
	case kindTags:
		return s.decodeTags(v)
	case kindVars:
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			return nil, hcl.Diagnostics{s.typeError("a map, as in vars = { name = \"value\" }")}
		}
		vars := map[string]cty.Value{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			vars[k.AsString()] = ev
		}
		return vars, nil
	}
	panic("inventory: unhandled setting kind for " + spec.name)
}

// riskyBools are the settings whose true is a warning: summary and detail.
var riskyBools = map[string][2]string{
	"insecure_skip_verify": {"TLS certificate verification disabled",
		"insecure_skip_verify = true accepts any certificate, so anyone between fleetport and the host can read and change the traffic, credentials included. Prefer ca_file with the CA that signed the hosts' certificates."},
	"allow_unencrypted": {"Unencrypted traffic allowed",
		"allow_unencrypted = true lets Basic authentication send credentials and commands over http unencrypted. Prefer transport = \"https\", or ntlm, kerberos or negotiate authentication, which encrypt the messages."},
}

// str converts a value to a string.
func (s *setting) str(v cty.Value) (string, *hcl.Diagnostic) {
	if !v.Type().IsPrimitiveType() {
		return "", s.typeError("a string")
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil || sv.IsNull() {
		return "", s.typeError("a string")
	}
	return sv.AsString(), nil
}

// whole converts a value to a whole number.
func (s *setting) whole(v cty.Value) (int64, *hcl.Diagnostic) {
	nv, err := convert.Convert(v, cty.Number)
	if err != nil || nv.IsNull() {
		return 0, s.typeError("a whole number")
	}
	bf := nv.AsBigFloat()
	if !bf.IsInt() {
		return 0, s.errorf("Invalid "+s.spec.noun, "%s must be a whole number, not %s.", s.spec.name, bf.Text('g', 10))
	}
	n, acc := bf.Int64()
	if acc != big.Exact {
		return 0, s.errorf("Invalid "+s.spec.noun, "%s is out of range: %s.", s.spec.name, bf.Text('g', 10))
	}
	return n, nil
}

// decodeGroups decodes a host's groups list, keeping each element's range.
func (s *setting) decodeGroups(v cty.Value) (any, hcl.Diagnostics) {
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		return nil, hcl.Diagnostics{s.typeError("a list of group names, as in groups = [\"web\"]")}
	}
	var elems []hclsyntax.Expression
	if t, ok := s.attr.Expr.(*hclsyntax.TupleConsExpr); ok && len(t.Exprs) == v.LengthInt() && !ty.IsSetType() {
		elems = t.Exprs
	}
	var diags hcl.Diagnostics
	var refs []groupRef
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		rng := s.attr.Expr.Range()
		if elems != nil {
			rng = elems[i].Range()
		}
		if ev.IsNull() || !ev.Type().IsPrimitiveType() {
			diags = append(diags, errorDiag(rng, "Incorrect attribute value type", "Each element of groups must be a group name."))
			continue
		}
		sv, err := convert.Convert(ev, cty.String)
		if err != nil {
			diags = append(diags, errorDiag(rng, "Incorrect attribute value type", "Each element of groups must be a group name."))
			continue
		}
		refs = append(refs, groupRef{name: sv.AsString(), rng: rng})
	}
	return refs, diags
}

// decodeTags decodes a map of strings. Numbers and bools are converted, so
// that os = 2019 works.
func (s *setting) decodeTags(v cty.Value) (any, hcl.Diagnostics) {
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return nil, hcl.Diagnostics{s.typeError("a map of strings, as in tags = { role = \"web\" }")}
	}
	var diags hcl.Diagnostics
	tags := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		key := k.AsString()
		if why := checkTagKey(key); why != "" {
			diags = append(diags, s.errorf("Invalid tag", "Tag key %q %s.", key, why))
			continue
		}
		if ev.IsNull() || !ev.Type().IsPrimitiveType() {
			diags = append(diags, s.errorf("Incorrect attribute value type", "Tag %q must be a string: tags are strings. Use vars for other values.", key))
			continue
		}
		sv, err := convert.Convert(ev, cty.String)
		if err != nil {
			diags = append(diags, s.errorf("Incorrect attribute value type", "Tag %q must be a string.", key))
			continue
		}
		tags[key] = sv.AsString()
	}
	return tags, diags
}

// checkTagKey returns why key cannot be a tag key, or "": a key must be
// selectable as tag:KEY=VALUE.
func checkTagKey(key string) string {
	if key == "" {
		return "is empty"
	}
	if i := strings.IndexAny(key, "=,:*?[] \t\n"); i >= 0 {
		return fmt.Sprintf("has %q, which a --limit pattern could not select", key[i])
	}
	return ""
}

// relativeTo resolves p against the folder of the file that names it.
func relativeTo(filename, p string) string {
	if filepath.IsAbs(p) || filename == "" {
		return p
	}
	return filepath.Join(filepath.Dir(filename), p)
}

// isPassword reports the settings that hold a password: never written in
// the inventory without allow_password_literal, never shown in a
// diagnostic.
func isPassword(name string) bool { return name == "password" || name == "change_password" }
