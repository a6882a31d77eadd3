package plan

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

// State is what an action's Probe found on the host.
type State int

// The states. apply runs an action's Commands only in StateBefore, skips
// it in StateAfter (it ran already), and stops at the host in StateOther
// (the host changed since the plan was made).
const (
	StateOther State = iota
	StateBefore
	StateAfter
)

func (s State) String() string {
	switch s {
	case StateBefore:
		return "before"
	case StateAfter:
		return "after"
	}
	return "other"
}

// Output is what a Probe printed on the host: the bytes as sent (in the
// host's code page) and the exit code.
type Output struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// Classify reads the output of the action's Probe and says whether the
// host is in the action's Before state, its After state, or neither; the
// description says what the host has (for a report, and for the refusal
// of a host whose state changed since the plan). The error is for output
// that cannot be read: a failed probe or an unknown format.
//
// Registry data compares by type and value; an absent value is Before or
// After when that side is absent. A listen list is After when every Add
// is listed and no Remove is, Before when it equals Before as a set. A
// socket-pooling value that is not set counts as false (pooling on).
func (a *Action) Classify(out Output) (State, string, error) {
	switch {
	case a.Kind == KindRegistry && a.Registry != nil:
		return a.Registry.classify(out)
	case a.Kind == KindListenList && a.ListenList != nil:
		return a.ListenList.classify(out)
	case a.Kind == KindPortRange && a.PortRange != nil:
		return a.PortRange.classify(out)
	case a.Kind == KindService && a.Service != nil:
		return a.Service.classify(out)
	case a.Kind == KindSocketPooling && a.SocketPooling != nil:
		return a.SocketPooling.classify(out)
	}
	return StateOther, "", fmt.Errorf("action %s: kind %q does not match its change", a.ID, a.Kind)
}

// probeFailed is the error for a probe whose output could not be read.
func probeFailed(what string, out Output, err error) error {
	msg := strings.TrimSpace(string(out.Stderr))
	if msg == "" {
		msg = strings.TrimSpace(string(out.Stdout))
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if err != nil {
		return fmt.Errorf("read %s (exit code %d): %w", what, out.ExitCode, err)
	}
	return fmt.Errorf("read %s: exit code %d: %s", what, out.ExitCode, msg)
}

// regValue turns a collected or probed value into typed data: its type,
// and nil for an absent value. ok is false for a type an action cannot
// write back.
func regValue(v facts.RegistryValue) (typ string, data *RegValue, ok bool) {
	if v.Absent {
		return "", nil, true
	}
	t := string(v.Type)
	switch {
	case numericType(t) && v.Number != nil:
		n := *v.Number
		return t, &RegValue{Num: &n}, true
	case (t == "REG_SZ" || t == "REG_EXPAND_SZ") && v.String != nil:
		s := *v.String
		return t, &RegValue{Str: &s}, true
	case t == "REG_MULTI_SZ":
		m := slices.Clone(v.Strings)
		if m == nil {
			m = []string{}
		}
		return t, &RegValue{Multi: m}, true
	}
	return t, nil, false
}

// equalReg compares data of the same type.
func equalReg(a, b *RegValue) bool {
	switch {
	case a == nil || b == nil:
		return a == nil && b == nil
	case (a.Num == nil) != (b.Num == nil) || (a.Str == nil) != (b.Str == nil):
		return false
	case a.Num != nil && *a.Num != *b.Num:
		return false
	case a.Str != nil && *a.Str != *b.Str:
		return false
	}
	return slices.Equal(a.Multi, b.Multi)
}

// describeReg renders data for summaries and descriptions.
func describeReg(typ string, v *RegValue) string {
	switch {
	case v == nil:
		return "absent"
	case v.Num != nil:
		return fmt.Sprintf("%d", *v.Num)
	case v.Str != nil:
		return fmt.Sprintf("%q", *v.Str)
	case typ == "REG_MULTI_SZ":
		q := make([]string, len(v.Multi))
		for i, s := range v.Multi {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return "?"
}

func (c *RegistryChange) classify(out Output) (State, string, error) {
	q, err := parse.ParseRegQueryOutput(out.Stdout, out.Stderr, out.ExitCode, parse.Options{})
	if err != nil {
		return StateOther, "", probeFailed("the registry value "+c.Name, out, err)
	}
	typ, data, ok := regValue(q.Value(c.Key, c.Name))
	desc := c.Name + " is " + describeReg(typ, data)
	if data != nil {
		desc += " (" + typ + ")"
	}
	if !ok {
		return StateOther, c.Name + " is of type " + typ, nil
	}
	matches := func(t string, v *RegValue) bool { return equalReg(v, data) && (v == nil || t == typ) }
	switch {
	case matches(c.Type, c.After):
		return StateAfter, desc, nil
	case matches(c.beforeType(), c.Before):
		return StateBefore, desc, nil
	}
	return StateOther, desc, nil
}

// listenAddrs turns a list as read into addresses; ok is false when an
// entry names a port, which no plan writes.
func listenAddrs(l facts.ListenList) ([]netip.Addr, bool) {
	out := make([]netip.Addr, 0, len(l.Entries))
	for _, e := range l.Entries {
		if e.Port != 0 {
			return nil, false
		}
		out = append(out, e.Addr.Unmap())
	}
	return out, true
}

// describeList renders a listen list for people.
func describeList(l []netip.Addr) string {
	if len(l) == 0 {
		return "empty (every address)"
	}
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func (c *ListenListChange) classify(out Output) (State, string, error) {
	var l facts.ListenList
	var err error
	if c.Tool == "httpcfg" {
		// httpcfg exits non-zero on an empty list (1168) and prints it.
		l, err = parse.ParseHttpcfg(bytes.NewReader(out.Stdout), parse.Options{})
	} else {
		if out.ExitCode != 0 {
			return StateOther, "", probeFailed("the listen list", out, nil)
		}
		l, err = parse.ParseIPListen(bytes.NewReader(out.Stdout), parse.Options{})
	}
	if err != nil {
		return StateOther, "", probeFailed("the listen list", out, err)
	}
	list, ok := listenAddrs(l)
	if !ok {
		return StateOther, "the listen list has an entry with a port: " + fmt.Sprint(l.Entries), nil
	}
	desc := "the listen list is " + describeList(list)
	after := true
	for _, a := range c.Add {
		after = after && slices.Contains(list, a)
	}
	for _, a := range c.Remove {
		after = after && !slices.Contains(list, a)
	}
	switch {
	case after:
		return StateAfter, desc, nil
	case sameSet(list, c.Before):
		return StateBefore, desc, nil
	}
	return StateOther, desc, nil
}

func (c *PortRangeChange) classify(out Output) (State, string, error) {
	if out.ExitCode != 0 {
		return StateOther, "", probeFailed("the dynamic port range", out, nil)
	}
	r, err := parse.ParseDynamicPort(bytes.NewReader(out.Stdout), parse.Options{})
	if err != nil {
		return StateOther, "", probeFailed("the dynamic port range", out, err)
	}
	got := PortRange{Start: int(r.Start), Num: r.Count}
	desc := fmt.Sprintf("the %s %s dynamic port range is %s", c.Family, c.Protocol, describeRange(got))
	switch got {
	case c.After:
		return StateAfter, desc, nil
	case c.Before:
		return StateBefore, desc, nil
	}
	return StateOther, desc, nil
}

func describeRange(r PortRange) string {
	return fmt.Sprintf("%d-%d (%d ports)", r.Start, r.Start+r.Num-1, r.Num)
}

func (c *ServiceChange) classify(out Output) (State, string, error) {
	// sc query prints its FAILED report on stdout with a non-zero exit
	// code (1060 for a service that is not installed): parse it anyway.
	q, err := parse.ParseSC(bytes.NewReader(out.Stdout), parse.Options{})
	if err != nil {
		return StateOther, "", probeFailed("the state of "+c.Name, out, err)
	}
	if q.NotInstalled {
		return StateOther, c.Name + " is not installed", nil
	}
	sv, ok := q.Service(c.Name)
	if !ok {
		return StateOther, "", probeFailed("the state of "+c.Name, out, fmt.Errorf("sc query does not list %s", c.Name))
	}
	state := serviceState(sv.State)
	desc := c.Name + " is " + sv.State.String()
	switch state {
	case c.After:
		return StateAfter, desc, nil
	case c.Before:
		return StateBefore, desc, nil
	}
	return StateOther, desc, nil
}

// serviceState names a service state as a ServiceChange does: "running",
// "stopped", or "" for the others.
func serviceState(s facts.ServiceState) string {
	switch s {
	case facts.ServiceRunning:
		return "running"
	case facts.ServiceStopped:
		return "stopped"
	}
	return ""
}

func (c *SocketPoolingChange) classify(out Output) (State, string, error) {
	v, set, err := readAdsutil(out)
	if err != nil {
		return StateOther, "", probeFailed("DisableSocketPooling of "+c.Service, out, err)
	}
	desc := c.Service + " DisableSocketPooling is not set (socket pooling on)"
	if set {
		desc = fmt.Sprintf("%s DisableSocketPooling is %t", c.Service, v)
	}
	// Not set behaves as false: socket pooling is on.
	before := c.Before != nil && *c.Before
	switch v {
	case c.After:
		return StateAfter, desc, nil
	case before:
		return StateBefore, desc, nil
	}
	return StateOther, desc, nil
}
