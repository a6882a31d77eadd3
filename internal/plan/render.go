package plan

// Command rendering. Every command line is built here, from the typed
// change of an action, and from nothing else: Read renders each action of
// a plan again and rejects one whose stored lines differ, so a plan file
// edited by hand cannot smuggle a command in. The rules each value obeys
// before it is put on a line:
//
//   - registry keys are fleetport's known keys (policies.KnownKeys), quoted;
//   - value and service names match [A-Za-z0-9_.$-]+;
//   - addresses are netip values without a zone;
//   - string data holds no double quote, percent sign, caret or control
//     character and does not end in a backslash (which would escape the
//     closing quote), and is quoted;
//   - numbers are decimal.

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/policies"
)

// nameRE is what a service or registry value name may be on a command
// line.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.$-]+$`)

// validName reports whether s may be put on a command line as a service
// or value name.
func validName(s string) bool { return len(s) <= 256 && nameRE.MatchString(s) }

// adsutil is the IIS metabase script (windows-semantics.md §3). The path
// is spelt out: %SystemDrive% would need cmd's variable expansion, which
// no command of a plan may use.
const adsutil = `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs`

// Registry types an action can write back.
var writableTypes = []string{"REG_DWORD", "REG_QWORD", "REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ"}

func numericType(t string) bool { return t == "REG_DWORD" || t == "REG_QWORD" }

// checkText reports why s cannot be quoted on a command line.
func checkText(s string) error {
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("string data %q holds a control character", s)
		case r == '"' || r == '%' || r == '^':
			return fmt.Errorf("string data %q holds %q, which cannot be put on a command line safely", s, r)
		}
	}
	if strings.HasSuffix(s, `\`) {
		return fmt.Errorf("string data %q ends in a backslash, which would escape the closing quote", s)
	}
	return nil
}

// regData renders data of type typ for reg add's /d.
func regData(typ string, v *RegValue) (string, error) {
	switch {
	case numericType(typ):
		if v.Num == nil || v.Str != nil || v.Multi != nil {
			return "", fmt.Errorf("%s data must be a number", typ)
		}
		if typ == "REG_DWORD" && *v.Num > 0xFFFFFFFF {
			return "", fmt.Errorf("%d does not fit a REG_DWORD", *v.Num)
		}
		return strconv.FormatUint(*v.Num, 10), nil
	case typ == "REG_SZ" || typ == "REG_EXPAND_SZ":
		if v.Str == nil || v.Num != nil || v.Multi != nil {
			return "", fmt.Errorf("%s data must be a string", typ)
		}
		if err := checkText(*v.Str); err != nil {
			return "", err
		}
		return `"` + *v.Str + `"`, nil
	case typ == "REG_MULTI_SZ":
		if v.Num != nil || v.Str != nil {
			return "", fmt.Errorf("REG_MULTI_SZ data must be a list of strings")
		}
		for _, s := range v.Multi {
			if s == "" || strings.Contains(s, `\0`) {
				return "", fmt.Errorf("REG_MULTI_SZ entry %q is empty or holds the separator \\0", s)
			}
			if err := checkText(s); err != nil {
				return "", err
			}
		}
		return `"` + strings.Join(v.Multi, `\0`) + `"`, nil
	}
	return "", fmt.Errorf("registry type %q cannot be written", typ)
}

func knownKey(k string) bool {
	return slices.Contains(policies.KnownKeys(), policies.RegistryKey(k))
}

// regSet renders the command that leaves the value as v (nil: absent).
func regSet(key, name, typ string, v *RegValue) (string, error) {
	if v == nil {
		return `reg delete "` + key + `" /v ` + name + ` /f`, nil
	}
	if !slices.Contains(writableTypes, typ) {
		return "", fmt.Errorf("registry type %q cannot be written", typ)
	}
	d, err := regData(typ, v)
	if err != nil {
		return "", err
	}
	return `reg add "` + key + `" /v ` + name + ` /t ` + typ + ` /d ` + d + ` /f`, nil
}

func renderRegistry(c *RegistryChange) (probe string, cmds, undo []string, err error) {
	if !knownKey(c.Key) {
		return "", nil, nil, fmt.Errorf("registry key %q is not one fleetport knows", c.Key)
	}
	if !validName(c.Name) {
		return "", nil, nil, fmt.Errorf("registry value name %q cannot be put on a command line", c.Name)
	}
	if c.BeforeType != "" && (c.Before == nil || c.BeforeType == c.Type) {
		return "", nil, nil, errors.New("before_type is set without a value of another type before")
	}
	do, err := regSet(c.Key, c.Name, c.Type, c.After)
	if err != nil {
		return "", nil, nil, err
	}
	back, err := regSet(c.Key, c.Name, c.beforeType(), c.Before)
	if err != nil {
		return "", nil, nil, fmt.Errorf("the value before cannot be restored: %w", err)
	}
	return `reg query "` + c.Key + `" /v ` + c.Name, []string{do}, []string{back}, nil
}

// beforeType is the type of Before.
func (c *RegistryChange) beforeType() string {
	if c.BeforeType != "" {
		return c.BeforeType
	}
	return c.Type
}

func checkAddr(a netip.Addr) error {
	if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
		return fmt.Errorf("%q is not a plain IP address", a)
	}
	return nil
}

// listenCmd renders one listen-list command.
func listenCmd(tool string, add bool, a netip.Addr) string {
	if tool == "httpcfg" {
		if add {
			return "httpcfg set iplisten -i " + a.String()
		}
		return "httpcfg delete iplisten -i " + a.String()
	}
	if add {
		return "netsh http add iplisten ipaddress=" + a.String()
	}
	return "netsh http delete iplisten ipaddress=" + a.String()
}

// listenCmds adds add, in order, then deletes del, last entry first: the
// planner puts the management and loopback addresses first in Add, so
// they are added first and, on undo, deleted last.
func listenCmds(tool string, add, del []netip.Addr) []string {
	var out []string
	for _, a := range add {
		out = append(out, listenCmd(tool, true, a))
	}
	for i := len(del) - 1; i >= 0; i-- {
		out = append(out, listenCmd(tool, false, del[i]))
	}
	return out
}

func renderListenList(c *ListenListChange) (probe string, cmds, undo []string, err error) {
	if c.Tool != "netsh" && c.Tool != "httpcfg" {
		return "", nil, nil, fmt.Errorf("listen-list tool %q is neither netsh nor httpcfg", c.Tool)
	}
	for _, l := range [][]netip.Addr{c.Before, c.After, c.Add, c.Remove} {
		for _, a := range l {
			if err := checkAddr(a); err != nil {
				return "", nil, nil, err
			}
		}
	}
	if !sameSet(applyChange(c.Before, c.Add, c.Remove), c.After) {
		return "", nil, nil, errors.New("the listen list after is not the list before with add added and remove deleted")
	}
	probe = "netsh http show iplisten"
	if c.Tool == "httpcfg" {
		probe = "httpcfg query iplisten"
	}
	return probe, listenCmds(c.Tool, c.Add, c.Remove), listenCmds(c.Tool, c.Remove, c.Add), nil
}

// applyChange is before with add appended and remove deleted.
func applyChange(before, add, remove []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range before {
		if !slices.Contains(remove, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// sameSet reports whether two lists hold the same addresses.
func sameSet(a, b []netip.Addr) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// netshPortRange checks netsh's limits: start >= 1025, at least 255
// ports, the last one at most 65535.
func netshPortRange(r PortRange) error {
	if r.Start < 1025 || r.Num < 255 || r.Start+r.Num-1 > 65535 {
		return fmt.Errorf("the range %d+%d is outside netsh's limits (start >= 1025, at least 255 ports, end <= 65535)", r.Start, r.Num)
	}
	return nil
}

func renderPortRange(c *PortRangeChange) (probe string, cmds, undo []string, err error) {
	if c.Family != "ipv4" && c.Family != "ipv6" || c.Protocol != "tcp" && c.Protocol != "udp" {
		return "", nil, nil, fmt.Errorf("unknown port range %s/%s", c.Protocol, c.Family)
	}
	if err := netshPortRange(c.After); err != nil {
		return "", nil, nil, err
	}
	if err := netshPortRange(c.Before); err != nil {
		return "", nil, nil, fmt.Errorf("the range before cannot be set again: %w", err)
	}
	set := func(r PortRange) string {
		return fmt.Sprintf("netsh int %s set dynamicport %s start=%d num=%d", c.Family, c.Protocol, r.Start, r.Num)
	}
	return fmt.Sprintf("netsh int %s show dynamicport %s", c.Family, c.Protocol), []string{set(c.After)}, []string{set(c.Before)}, nil
}

func serviceCmd(name, state string) string {
	if state == "running" {
		return "net start " + name
	}
	return "net stop " + name
}

func renderService(c *ServiceChange) (probe string, cmds, undo []string, err error) {
	if !validName(c.Name) {
		return "", nil, nil, fmt.Errorf("service name %q cannot be put on a command line", c.Name)
	}
	for _, s := range []string{c.Before, c.After} {
		if s != "running" && s != "stopped" {
			return "", nil, nil, fmt.Errorf("service state %q is neither running nor stopped", s)
		}
	}
	return "sc query " + c.Name, []string{serviceCmd(c.Name, c.After)}, []string{serviceCmd(c.Name, c.Before)}, nil
}

// metabasePath is the adsutil path of the change's property.
func (c *SocketPoolingChange) metabasePath() (string, error) {
	switch policies.IISService(c.Service) {
	case policies.IISW3SVC, policies.IISSMTPSVC, policies.IISMSFTPSVC, policies.IISNNTPSVC:
	default:
		return "", fmt.Errorf("IIS service %q is not one fleetport knows", c.Service)
	}
	if c.Instance < 0 || c.Instance > 65535 {
		return "", fmt.Errorf("IIS instance %d is out of range", c.Instance)
	}
	return policies.IISSocketPooling{Service: policies.IISService(c.Service), Instance: c.Instance}.MetabasePath(), nil
}

func renderSocketPooling(c *SocketPoolingChange) (probe string, cmds, undo []string, err error) {
	path, err := c.metabasePath()
	if err != nil {
		return "", nil, nil, err
	}
	set := func(v bool) string { return adsutil + " set " + path + " " + strconv.FormatBool(v) }
	// Not set means socket pooling is on, as false does: undo writes false.
	before := c.Before != nil && *c.Before
	return adsutil + " get " + path, []string{set(c.After)}, []string{set(before)}, nil
}

// render builds an action's probe, commands and undo from its typed
// change. It checks that the action carries exactly the change its kind
// names.
func render(a *Action) (probe string, cmds, undo []string, err error) {
	n := 0
	for _, set := range []bool{a.Registry != nil, a.ListenList != nil, a.PortRange != nil, a.Service != nil, a.SocketPooling != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", nil, nil, fmt.Errorf("action %s carries %d changes, want exactly one", a.ID, n)
	}
	switch {
	case a.Kind == KindRegistry && a.Registry != nil:
		return renderRegistry(a.Registry)
	case a.Kind == KindListenList && a.ListenList != nil:
		return renderListenList(a.ListenList)
	case a.Kind == KindPortRange && a.PortRange != nil:
		return renderPortRange(a.PortRange)
	case a.Kind == KindService && a.Service != nil:
		return renderService(a.Service)
	case a.Kind == KindSocketPooling && a.SocketPooling != nil:
		return renderSocketPooling(a.SocketPooling)
	}
	return "", nil, nil, fmt.Errorf("action %s: kind %q does not match its change", a.ID, a.Kind)
}

// fill renders the action's commands into it.
func (a *Action) fill() error {
	p, c, u, err := render(a)
	if err != nil {
		return err
	}
	a.Probe, a.Commands, a.Undo = p, c, u
	return nil
}

// Reverse is the action that restores Before (rollback): Before and After
// swapped, Commands and Undo swapped, the same Probe, and ID with a
// "/undo" suffix. Undo a host's actions in reverse order.
func (a Action) Reverse() Action {
	r := a
	r.ID = a.ID + "/undo"
	r.Commands, r.Undo = slices.Clone(a.Undo), slices.Clone(a.Commands)
	switch {
	case a.Registry != nil:
		c := *a.Registry
		c.Before, c.After = a.Registry.After, a.Registry.Before
		c.Type, c.BeforeType = a.Registry.beforeType(), ""
		if c.Before != nil && c.Type != a.Registry.Type {
			c.BeforeType = a.Registry.Type
		}
		r.Registry = &c
	case a.ListenList != nil:
		c := *a.ListenList
		c.Before, c.After = a.ListenList.After, a.ListenList.Before
		c.Add, c.Remove = a.ListenList.Remove, a.ListenList.Add
		r.ListenList = &c
	case a.PortRange != nil:
		c := *a.PortRange
		c.Before, c.After = a.PortRange.After, a.PortRange.Before
		r.PortRange = &c
	case a.Service != nil:
		c := *a.Service
		c.Before, c.After = a.Service.After, a.Service.Before
		r.Service = &c
	case a.SocketPooling != nil:
		c := *a.SocketPooling
		after := a.SocketPooling.After
		c.Before = &after
		c.After = a.SocketPooling.Before != nil && *a.SocketPooling.Before
		r.SocketPooling = &c
	}
	r.Summary = undoSummary(r, a.Summary)
	return r
}

// unsafeOutsideQuotes are the characters cmd.exe gives a meaning outside
// double quotes; no command of an action uses them there.
const unsafeOutsideQuotes = "&|<>()^%!"

// saneLine reports why an action's command line is not one the renderer
// writes: a control character, a percent sign or caret anywhere, cmd's
// operators outside quotes, an unbalanced quote.
func saneLine(l string) error {
	if strings.TrimSpace(l) == "" {
		return errors.New("empty command line")
	}
	quoted := false
	for _, r := range l {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("command line %q holds a control character", l)
		case r == '%' || r == '^':
			return fmt.Errorf("command line %q holds %q", l, r)
		case r == '"':
			quoted = !quoted
		case !quoted && strings.ContainsRune(unsafeOutsideQuotes, r):
			return fmt.Errorf("command line %q holds %q outside quotes", l, r)
		}
	}
	if quoted {
		return fmt.Errorf("command line %q has an unbalanced quote", l)
	}
	return nil
}
