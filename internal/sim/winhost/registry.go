package winhost

// The registry model.
//
// Every host of a release shares one immutable tree of default keys
// (regDefaults, built once per release). A host keeps only what it changed:
// an overlay of keys it wrote, created or deleted. Values that depend on
// the host (Hostname, Domain, the build) are stored in the shared tree as
// markers and resolved when read. HKCU has one overlay scope per user, so
// that, as over WinRM, each account sees its own hive; the defaults are the
// same for every user.
//
// The tree holds only the keys the model knows about (TCP/IP, AFD,
// http.sys, the services of the model, ComputerName, CurrentVersion,
// Internet Settings, Command Processor): a query of anything else finds
// nothing, as if the key did not exist.

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// regType is a registry value type, numbered as winnt.h numbers them.
type regType uint8

const (
	regNone     regType = 0
	regSZ       regType = 1
	regExpandSZ regType = 2
	regBinary   regType = 3
	regDWORD    regType = 4
	regMultiSZ  regType = 7
	regQWORD    regType = 11
)

var regTypeNames = map[regType]string{
	regNone: "REG_NONE", regSZ: "REG_SZ", regExpandSZ: "REG_EXPAND_SZ", regBinary: "REG_BINARY",
	regDWORD: "REG_DWORD", regMultiSZ: "REG_MULTI_SZ", regQWORD: "REG_QWORD",
}

func (t regType) String() string { return regTypeNames[t] }

func parseRegType(s string) (regType, bool) {
	u := strings.ToUpper(s)
	for t, n := range regTypeNames {
		if n == u {
			return t, true
		}
	}
	return 0, false
}

// dyn marks a default value whose data depends on the host.
type dyn uint8

const (
	dynNone dyn = iota
	dynName
	dynNameLower // the DNS host name as Hostname stores it
	dynDomain
	dynBuild      // CurrentBuild / CurrentBuildNumber
	dynUBR        // the revision, REG_DWORD
	dynSystemRoot // C:\Windows or C:\WINDOWS
)

// regVal is one value. Only the field of its type is set.
type regVal struct {
	name  string
	typ   regType
	dyn   dyn
	str   string   // SZ, EXPAND_SZ
	multi []string // MULTI_SZ
	num   uint64   // DWORD, QWORD
	bin   []byte   // BINARY, NONE
}

// regKeyDef is a key of the shared default tree.
type regKeyDef struct {
	path     string // canonical: HKEY_LOCAL_MACHINE\SYSTEM\...
	values   []regVal
	children []string // lower-case full paths, sorted
}

// regTree is a release's default tree, keyed by lower-case full path.
type regTree map[string]*regKeyDef

var (
	regTreesOnce [len(osTable)]sync.Once
	regTrees     [len(osTable)]regTree
)

func defaultRegistry(o OS) regTree {
	regTreesOnce[o].Do(func() { regTrees[o] = buildDefaultRegistry(o) })
	return regTrees[o]
}

// roots are the hive names and their abbreviations.
var roots = []struct{ short, full string }{
	{"HKLM", "HKEY_LOCAL_MACHINE"},
	{"HKCU", "HKEY_CURRENT_USER"},
	{"HKCR", "HKEY_CLASSES_ROOT"},
	{"HKU", "HKEY_USERS"},
	{"HKCC", "HKEY_CURRENT_CONFIG"},
}

var errRemoteRegistry = errors.New("remote registry paths are not supported")

// parseRegPath turns a reg.exe key argument into the canonical path
// (root spelled out, the rest as typed, no trailing backslash).
func parseRegPath(s string) (string, error) {
	if strings.HasPrefix(s, `\\`) {
		return "", errRemoteRegistry
	}
	s = strings.TrimRight(s, `\`)
	root, rest, _ := strings.Cut(s, `\`)
	for _, r := range roots {
		if strings.EqualFold(root, r.short) || strings.EqualFold(root, r.full) {
			if strings.Contains(rest, `\\`) {
				return "", errors.New("invalid key name")
			}
			if rest == "" {
				return r.full, nil
			}
			return r.full + `\` + rest, nil
		}
	}
	return "", errors.New("invalid key name")
}

func parentPath(p string) string {
	i := strings.LastIndexByte(p, '\\')
	if i < 0 {
		return ""
	}
	return p[:i]
}

// parseRegData turns /d text into a value of type typ (a reg.exe type
// name, empty = REG_SZ). sep is the REG_MULTI_SZ separator (/s), \0 by
// default.
func parseRegData(typ, data, sep string) (regVal, error) {
	if typ == "" {
		typ = "REG_SZ"
	}
	t, ok := parseRegType(typ)
	if !ok {
		return regVal{}, fmt.Errorf("unknown type %s", typ)
	}
	v := regVal{typ: t}
	switch t {
	case regSZ, regExpandSZ:
		v.str = data
	case regMultiSZ:
		if data != "" {
			v.multi = strings.Split(data, sep)
			// reg.exe drops the empty string a trailing separator leaves.
			if n := len(v.multi); n > 0 && v.multi[n-1] == "" {
				v.multi = v.multi[:n-1]
			}
		}
	case regDWORD, regQWORD:
		bits := 32
		if t == regQWORD {
			bits = 64
		}
		n, err := parseRegNumber(data, bits)
		if err != nil {
			return regVal{}, err
		}
		v.num = n
	case regBinary, regNone:
		if len(data)%2 == 1 {
			data = "0" + data
		}
		b, err := hex.DecodeString(data)
		if err != nil {
			return regVal{}, errors.New("binary data is not hexadecimal")
		}
		v.bin = b
	}
	return v, nil
}

// parseRegNumber reads /d for REG_DWORD and REG_QWORD: decimal unless it
// starts with 0x; empty is 0.
func parseRegNumber(s string, bits int) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	base := 10
	if strings.HasPrefix(strings.ToLower(s), "0x") {
		base, s = 16, s[2:]
	}
	n, err := strconv.ParseUint(s, base, bits)
	if err != nil {
		return 0, errors.New("not a number of the type's size")
	}
	return n, nil
}

// display is the data column of `reg query`.
func (v *regVal) display() string {
	switch v.typ {
	case regSZ, regExpandSZ:
		return v.str
	case regMultiSZ:
		return strings.Join(v.multi, `\0`)
	case regDWORD, regQWORD:
		return "0x" + strconv.FormatUint(v.num, 16)
	default:
		return strings.ToUpper(hex.EncodeToString(v.bin))
	}
}

// ovKey is a key the host changed.
type ovKey struct {
	path    string
	values  []regVal
	own     bool // values replace the default key's values
	fresh   bool // created anew: default children and values do not show through
	deleted bool
}

// regOverlay is a host's changes, keyed by scope + lower-case path.
type regOverlay map[string]*ovKey

// regView is the registry as one user sees it. Callers hold Host.mu.
type regView struct {
	h     *Host
	scope string // "" for HKLM etc., "u:<user>|" for HKCU
}

func (h *Host) regView(user string) regView {
	return regView{h: h, scope: "u:" + strings.ToLower(user) + "|"}
}

func (v regView) ovKeyName(lower string) string {
	if strings.HasPrefix(lower, "hkey_current_user") {
		return v.scope + lower
	}
	return lower
}

func (v regView) ov(lower string) *ovKey {
	if v.h.reg == nil {
		return nil
	}
	return v.h.reg[v.ovKeyName(lower)]
}

// prefixes returns the lower-case paths from the root down to p.
func prefixes(lower string) []string {
	var out []string
	for i := 0; i <= len(lower); i++ {
		if i == len(lower) || lower[i] == '\\' {
			out = append(out, lower[:i])
		}
	}
	return out
}

// lookup reports whether the key exists, and whether default data under it
// shows through.
func (v regView) lookup(path string) (exists, inherit bool) {
	defs := defaultRegistry(v.h.os)
	inherit = true
	for _, p := range prefixes(strings.ToLower(path)) {
		o := v.ov(p)
		switch {
		case o != nil && o.deleted:
			return false, false
		case o != nil:
			if o.fresh {
				inherit = false
			}
		case !inherit || defs[p] == nil:
			return false, false
		}
	}
	return true, inherit
}

func (v regView) exists(path string) bool {
	e, _ := v.lookup(path)
	return e
}

// values returns the key's values, resolved, in registry order.
func (v regView) values(path string) []regVal {
	exists, inherit := v.lookup(path)
	if !exists {
		return nil
	}
	lower := strings.ToLower(path)
	if o := v.ov(lower); o != nil && (o.own || o.fresh) {
		return o.values
	}
	if !inherit {
		return nil
	}
	d := defaultRegistry(v.h.os)[lower]
	if d == nil {
		return nil
	}
	out := make([]regVal, len(d.values))
	for i := range d.values {
		out[i] = v.h.resolve(d.values[i])
	}
	return out
}

func (v regView) value(path, name string) (regVal, bool) {
	for _, val := range v.values(path) {
		if strings.EqualFold(val.name, name) {
			return val, true
		}
	}
	return regVal{}, false
}

// keyName returns the key's path as stored (for subkeys listed by query).
func (v regView) keyName(lower string) string {
	if o := v.ov(lower); o != nil {
		return o.path
	}
	if d := defaultRegistry(v.h.os)[lower]; d != nil {
		return d.path
	}
	return lower
}

// children returns the subkeys' canonical paths, sorted as the registry
// sorts them (case-insensitively).
func (v regView) children(path string) []string {
	exists, inherit := v.lookup(path)
	if !exists {
		return nil
	}
	lower := strings.ToLower(path)
	seen := map[string]bool{}
	var out []string
	if inherit {
		if d := defaultRegistry(v.h.os)[lower]; d != nil {
			for _, c := range d.children {
				if o := v.ov(c); o != nil && o.deleted {
					continue
				}
				seen[c] = true
				out = append(out, v.keyName(c))
			}
		}
	}
	for k, o := range v.h.reg {
		if o.deleted {
			continue
		}
		kl := strings.TrimPrefix(k, v.scope)
		if strings.HasPrefix(k, "u:") && !strings.HasPrefix(k, v.scope) {
			continue
		}
		if parentPath(kl) == lower && !seen[kl] {
			seen[kl] = true
			out = append(out, o.path)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// ensureKey creates the key and its missing parents.
func (v regView) ensureKey(path string) {
	if v.h.reg == nil {
		v.h.reg = regOverlay{}
	}
	defs := defaultRegistry(v.h.os)
	inherit := true
	parts := strings.Split(path, `\`)
	for i := range parts {
		p := strings.Join(parts[:i+1], `\`)
		lp := strings.ToLower(p)
		o := v.ov(lp)
		switch {
		case o != nil && o.deleted:
			o.deleted, o.fresh, o.own, o.values = false, true, true, nil
			inherit = false
		case o != nil:
			if o.fresh {
				inherit = false
			}
		case inherit && defs[lp] != nil:
		default:
			v.h.reg[v.ovKeyName(lp)] = &ovKey{path: p, fresh: true, own: true}
			inherit = false
		}
	}
}

// own makes the key's values the host's own copy, ready to change.
func (v regView) own(path string) *ovKey {
	v.ensureKey(path)
	lower := strings.ToLower(path)
	o := v.ov(lower)
	if o == nil {
		o = &ovKey{path: v.keyName(lower)}
		v.h.reg[v.ovKeyName(lower)] = o
	}
	if !o.own {
		o.values = append([]regVal(nil), v.values(path)...)
		o.own = true
	}
	return o
}

// set writes a value (creating the key).
func (v regView) set(path string, val regVal) {
	o := v.own(path)
	for i := range o.values {
		if strings.EqualFold(o.values[i].name, val.name) {
			val.name = o.values[i].name
			o.values[i] = val
			return
		}
	}
	o.values = append(o.values, val)
}

// deleteValue removes a value; false when there was none.
func (v regView) deleteValue(path, name string) bool {
	if _, ok := v.value(path, name); !ok {
		return false
	}
	o := v.own(path)
	for i := range o.values {
		if strings.EqualFold(o.values[i].name, name) {
			o.values = append(o.values[:i], o.values[i+1:]...)
			return true
		}
	}
	return false
}

// deleteKey removes a key and everything under it.
func (v regView) deleteKey(path string) {
	lower := strings.ToLower(path)
	if v.h.reg == nil {
		v.h.reg = regOverlay{}
	}
	for k := range v.h.reg {
		kl := k
		if strings.HasPrefix(k, "u:") {
			if !strings.HasPrefix(k, v.scope) {
				continue
			}
			kl = strings.TrimPrefix(k, v.scope)
		}
		if strings.HasPrefix(kl, lower+`\`) {
			delete(v.h.reg, k)
		}
	}
	v.h.reg[v.ovKeyName(lower)] = &ovKey{path: path, deleted: true}
}

// resolve fills in a host-dependent default value.
func (h *Host) resolve(v regVal) regVal {
	switch v.dyn {
	case dynName:
		v.str = h.name
	case dynNameLower:
		v.str = strings.ToLower(h.name)
	case dynDomain:
		v.str = h.domain
	case dynBuild:
		v.str = buildNumber(h.build)
	case dynUBR:
		v.num = uint64(buildRevision(h.build))
	case dynSystemRoot:
		if h.os == Server2003 {
			v.str = `C:\WINDOWS`
		} else {
			v.str = `C:\Windows`
		}
	}
	v.dyn = dynNone
	return v
}

// buildNumber is the third part of "10.0.17763.1879".
func buildNumber(b string) string {
	parts := strings.Split(b, ".")
	if len(parts) >= 3 {
		return parts[2]
	}
	return b
}

func buildRevision(b string) int {
	parts := strings.Split(b, ".")
	if len(parts) == 4 {
		n, _ := strconv.Atoi(parts[3])
		return n
	}
	return 0
}

// regDWORDValue reads a REG_DWORD of HKLM (for the effect rules).
func (h *Host) regDWORDValue(path, name string) (uint32, bool) {
	v, ok := h.regView("").value(path, name)
	if !ok || v.typ != regDWORD || v.num > math.MaxUint32 {
		return 0, false
	}
	return uint32(v.num), true
}
