package drift

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// outcome is one check judged against one host's facts.
type outcome struct {
	result   Result
	expected string
	actual   string
	evidence []Evidence
	// lazy finds the evidence when the check does not pass (searching the
	// kept output costs more than the check itself).
	lazy func() []Evidence
}

func unknownOutcome(expected, why string, ev ...Evidence) outcome {
	return outcome{result: Unknown, expected: expected, actual: why, evidence: ev}
}

// ruleName names a check within its policy.
func ruleName(c policies.Check) string {
	switch c := c.(type) {
	case *policies.RegistryCheck:
		return fmt.Sprintf("registry %q", c.Value.Name)
	case *policies.ListenListCheck:
		return "listen_list"
	case *policies.ListenerCheck:
		return fmt.Sprintf("listener %d/%s", c.Port, c.Protocol)
	case *policies.ConnectionsCheck:
		return "connections"
	case *policies.DynamicPortRangeCheck:
		return "dynamic_port_range " + c.Ports.Protocol.String() + "/" + c.Ports.Family.String()
	case *policies.ServiceCheck:
		return fmt.Sprintf("service %q", c.Service)
	}
	return fmt.Sprintf("%T", c)
}

// judge compares one applicable check with the facts.
func judge(c policies.Check, h *facts.Host) outcome {
	switch c := c.(type) {
	case *policies.RegistryCheck:
		return judgeRegistry(c, h)
	case *policies.ListenListCheck:
		return judgeListenList(c, h)
	case *policies.ListenerCheck:
		return judgeListener(c, h)
	case *policies.ConnectionsCheck:
		return judgeConnections(c, h)
	case *policies.DynamicPortRangeCheck:
		return judgeDynamicPorts(c, h)
	case *policies.ServiceCheck:
		return judgeService(c, h)
	}
	return unknownOutcome("", fmt.Sprintf("drift cannot judge a %T", c))
}

// missing explains a fact that is not in the document: the FactError that
// says why, or "not collected".
func missing(h *facts.Host, fact, what string) (string, []Evidence) {
	for _, fe := range h.FactErrors {
		if fe.Fact == fact {
			ev := []Evidence{{Command: fe.Command, Line: fe.Line, Text: fe.Message}}
			if fe.Text != "" {
				ev = append(ev, Evidence{Command: fe.Command, Line: fe.Line, Text: fe.Text})
			}
			return fmt.Sprintf("could not tell: %s %s", what, fe.Status), ev
		}
	}
	return "could not tell: " + what + " was not collected", nil
}

// --- registry ---------------------------------------------------------------

func regCommand(key policies.RegistryKey) string { return `reg query "` + string(key) + `"` }

func regData(v facts.RegistryValue) (policies.RegData, bool) {
	t, err := policies.ParseRegType(string(v.Type))
	if err != nil {
		return policies.RegData{}, false
	}
	d := policies.RegData{Type: t}
	switch {
	case v.Number != nil:
		d.Num = *v.Number
	case v.String != nil:
		d.Str = *v.String
	case v.Strings != nil:
		d.Multi = v.Strings
	}
	return d, true
}

func expectRegistry(c *policies.RegistryCheck) string {
	var parts []string
	switch c.Presence {
	case policies.PresenceRequired:
		parts = append(parts, "present")
	case policies.PresenceForbidden:
		parts = append(parts, "absent")
	}
	if c.Equals != nil {
		parts = append(parts, "= "+c.Equals.String())
	}
	if c.OneOf != nil {
		s := make([]string, len(c.OneOf))
		for i, d := range c.OneOf {
			s[i] = d.String()
		}
		parts = append(parts, "one of "+strings.Join(s, ", "))
	}
	switch {
	case c.AtLeast != nil && c.AtMost != nil:
		parts = append(parts, fmt.Sprintf("between %d and %d", *c.AtLeast, *c.AtMost))
	case c.AtLeast != nil:
		parts = append(parts, fmt.Sprintf(">= %d", *c.AtLeast))
	case c.AtMost != nil:
		parts = append(parts, fmt.Sprintf("<= %d", *c.AtMost))
	}
	if len(parts) == 0 {
		parts = append(parts, "any value")
	}
	if c.Equals != nil || c.OneOf != nil || c.AtLeast != nil || c.AtMost != nil {
		switch c.WhenAbsent {
		case policies.AbsentPass:
			parts = append(parts, "(absent passes)")
		case policies.AbsentFail:
			parts = append(parts, "(absent fails)")
		default:
			if c.Default != nil {
				parts = append(parts, "(absent means "+c.Default.String()+")")
			}
		}
	}
	return strings.Join(parts, " ")
}

func describeReg(v facts.RegistryValue) string {
	if v.Absent {
		return "absent"
	}
	switch {
	case v.Number != nil:
		return fmt.Sprintf("%d (%s %s)", *v.Number, v.Type, v.Raw)
	case v.String != nil:
		return fmt.Sprintf("%q (%s)", *v.String, v.Type)
	case v.Strings != nil:
		return fmt.Sprintf("%s (%s)", strings.Join(v.Strings, ", "), v.Type)
	}
	return fmt.Sprintf("%s %s", v.Type, v.Raw)
}

func judgeRegistry(c *policies.RegistryCheck, h *facts.Host) outcome {
	exp := expectRegistry(c)
	v, ok := h.RegistryValue(string(c.Value.Key), c.Value.Name)
	if !ok {
		why, ev := missing(h, facts.FactRegistry, c.Value.String())
		return unknownOutcome(exp, why, ev...)
	}
	ev := func() []Evidence { return registryEvidence(h, c.Value) }
	actual := describeReg(v)
	var data *policies.RegData
	if !v.Absent {
		d, ok := regData(v)
		if !ok || d.Type != c.Value.Type {
			return outcome{result: Fail, expected: exp + " (" + c.Value.Type.String() + ")", actual: actual, lazy: ev}
		}
		data = &d
	} else if c.Default != nil && c.WhenAbsent == policies.AbsentUseDefault {
		actual = "absent (default " + c.Default.String() + ")"
	}
	pass, known := c.SatisfiedBy(data)
	if !known {
		return unknownOutcome(exp, "could not tell: the policy's values are not known for this host", ev()...)
	}
	return outcome{result: passFail(pass), expected: exp, actual: actual, lazy: ev}
}

func registryEvidence(h *facts.Host, val policies.RegistryValue) []Evidence {
	cmd := regCommand(val.Key)
	o, ok := h.Output(facts.FactRegistry, cmd)
	if !ok {
		return nil
	}
	lines := o.Find(func(f []string) bool {
		return len(f) >= 2 && strings.EqualFold(f[0], val.Name) && strings.HasPrefix(f[1], "REG_")
	})
	if len(lines) == 0 {
		return []Evidence{{Command: cmd, Text: fmt.Sprintf("no value %s under the key (%d lines listed)", val.Name, o.Total)}}
	}
	return lineEvidence(cmd, lines)
}

func lineEvidence(cmd string, lines []facts.Line) []Evidence {
	out := make([]Evidence, len(lines))
	for i, l := range lines {
		out[i] = Evidence{Command: cmd, Line: l.N, Text: l.Text}
	}
	return out
}

func passFail(ok bool) Result {
	if ok {
		return Pass
	}
	return Fail
}

// --- listen list ------------------------------------------------------------

func addrList(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func listAddrs(l *facts.ListenList) []netip.Addr {
	out := make([]netip.Addr, 0, len(l.Entries))
	for _, e := range l.Entries {
		out = append(out, e.Addr.Unmap())
	}
	return out
}

func describeList(l *facts.ListenList) string {
	if l.Empty() {
		return "empty (http.sys listens on every address)"
	}
	s := make([]string, len(l.Entries))
	for i, e := range l.Entries {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func expectListenList(c *policies.ListenListCheck) string {
	var parts []string
	if len(c.Contains) > 0 {
		parts = append(parts, "contains "+addrList(c.Contains))
	}
	if len(c.Excludes) > 0 {
		parts = append(parts, "excludes "+addrList(c.Excludes))
	}
	if c.Restricted {
		parts = append(parts, "only "+addrList(c.Only))
	}
	if c.AllowEmpty {
		parts = append(parts, "or empty")
	}
	return strings.Join(parts, "; ")
}

func judgeListenList(c *policies.ListenListCheck, h *facts.Host) outcome {
	exp := expectListenList(c)
	if h.ListenList == nil {
		why, ev := missing(h, facts.FactListenList, "the listen list")
		return unknownOutcome(exp, why, ev...)
	}
	ev := func() []Evidence { return listenListEvidence(h) }
	l := listAddrs(h.ListenList)
	actual := describeList(h.ListenList)
	if len(l) == 0 && c.AllowEmpty {
		return outcome{result: Pass, expected: exp, actual: actual}
	}
	var why []string
	var lacks, extra []netip.Addr
	for _, a := range c.Contains {
		if !slices.Contains(l, a) {
			lacks = append(lacks, a)
		}
	}
	for _, a := range c.Excludes {
		if slices.Contains(l, a) {
			extra = append(extra, a)
		}
	}
	if c.Restricted {
		for _, a := range l {
			if !slices.Contains(c.Only, a) && !slices.Contains(extra, a) {
				extra = append(extra, a)
			}
		}
	}
	if len(lacks) > 0 {
		why = append(why, "lacks "+addrList(lacks))
	}
	if len(extra) > 0 {
		why = append(why, "names "+addrList(extra))
	}
	if len(why) > 0 {
		actual += " (" + strings.Join(why, "; ") + ")"
	}
	return outcome{result: passFail(len(why) == 0), expected: exp, actual: actual, lazy: ev}
}

func listenListEvidence(h *facts.Host) []Evidence {
	o, ok := h.Output(facts.FactListenList, "")
	if !ok {
		return nil
	}
	lines := o.Find(func(f []string) bool {
		if len(f) != 1 {
			return false
		}
		_, err := facts.ParseListenEntry(f[0])
		return err == nil
	})
	if len(lines) == 0 {
		return []Evidence{{Command: o.Command, Text: fmt.Sprintf("no address listed (%d lines of output)", o.Total)}}
	}
	return lineEvidence(o.Command, lines)
}

// --- listeners --------------------------------------------------------------

func protoOf(p policies.Protocol) facts.Proto {
	if p == policies.UDP {
		return facts.ProtoUDP
	}
	return facts.ProtoTCP
}

func judgeListener(c *policies.ListenerCheck, h *facts.Host) outcome {
	var parts []string
	if c.Listening != nil {
		if *c.Listening {
			parts = append(parts, "something listening")
		} else {
			parts = append(parts, "nothing listening")
		}
	}
	if c.NotWildcard {
		parts = append(parts, "nothing bound to 0.0.0.0 or [::]")
	}
	if c.Restricted {
		parts = append(parts, "bound only to "+addrList(c.OnlyAddresses))
	}
	exp := strings.Join(parts, ", ") + fmt.Sprintf(" on %d/%s", c.Port, c.Protocol)
	if h.Sockets == nil {
		why, ev := missing(h, facts.FactSockets, "the socket table")
		return unknownOutcome(exp, why, ev...)
	}
	proto := protoOf(c.Protocol)
	var on []facts.Socket
	for _, s := range h.Sockets.Listeners {
		if s.Proto == proto && s.IsListener() && s.Local.Port() == c.Port {
			on = append(on, s)
		}
	}
	var bad []string
	if c.Listening != nil && *c.Listening != (len(on) > 0) {
		bad = append(bad, "listening: "+strconv.FormatBool(len(on) > 0))
	}
	for _, s := range on {
		a := s.Local.Addr().Unmap()
		if c.NotWildcard && a.IsUnspecified() || c.Restricted && !slices.Contains(c.OnlyAddresses, a) {
			bad = append(bad, sockString(s, h.Sockets.PIDs))
		}
	}
	actual := "nothing listening"
	if len(on) > 0 {
		s := make([]string, len(on))
		for i, k := range on {
			s[i] = sockString(k, h.Sockets.PIDs)
		}
		actual = strings.Join(s, ", ")
	}
	if len(bad) > 0 && (c.NotWildcard || c.Restricted) && len(on) > 0 {
		actual = strings.Join(bad, ", ")
	}
	ev := func() []Evidence {
		return socketEvidence(h, func(f []string) bool {
			return len(f) >= 2 && strings.EqualFold(f[0], proto.String()) && endpointPort(f[1]) == c.Port
		})
	}
	return outcome{result: passFail(len(bad) == 0), expected: exp, actual: actual, lazy: ev}
}

func sockString(s facts.Socket, pids bool) string {
	t := s.Local.String()
	if pids {
		t += " (PID " + strconv.FormatUint(uint64(s.PID), 10) + ")"
	}
	return t
}

// endpointPort reads the port of netstat's address column ("0.0.0.0:25",
// "[::]:25"), 0 when it has none.
func endpointPort(s string) uint16 {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return 0
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

func socketEvidence(h *facts.Host, match func([]string) bool) []Evidence {
	o, ok := h.Output(facts.FactSockets, "")
	if !ok {
		return nil
	}
	lines := o.Find(match)
	if len(lines) > 8 {
		lines = lines[:8]
	}
	return lineEvidence(o.Command, lines)
}

// --- connections ------------------------------------------------------------

func stateOf(s policies.TCPState) facts.State { return facts.State(s) }

func expectConnections(c *policies.ConnectionsCheck) string {
	what := "connections"
	if len(c.States) > 0 {
		s := make([]string, len(c.States))
		for i, st := range c.States {
			s[i] = st.String()
		}
		what = strings.Join(s, "/") + " connections"
	}
	if c.RemotePort != 0 {
		what += fmt.Sprintf(" to port %d", c.RemotePort)
	}
	if c.RemoteAddress.IsValid() {
		what += " to " + c.RemoteAddress.String()
	}
	var parts []string
	if c.MaxTotal != nil {
		parts = append(parts, fmt.Sprintf("at most %d %s", *c.MaxTotal, what))
	}
	if c.MaxPerRemote != nil {
		parts = append(parts, fmt.Sprintf("at most %d %s per remote endpoint", *c.MaxPerRemote, what))
	}
	if c.MaxShareOfRange != nil {
		parts = append(parts, fmt.Sprintf("at most %s of the client port range per remote endpoint", pct(*c.MaxShareOfRange)))
	}
	return strings.Join(parts, "; ")
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }

func judgeConnections(c *policies.ConnectionsCheck, h *facts.Host) outcome {
	exp := expectConnections(c)
	if h.Sockets == nil {
		why, ev := missing(h, facts.FactSockets, "the socket table")
		return unknownOutcome(exp, why, ev...)
	}
	per, total, ok := connectionCounts(c, h.Sockets)
	if !ok {
		return unknownOutcome(exp, "could not tell: the socket table kept "+h.Sockets.Kept.String()+" rows only")
	}
	type over struct {
		remote netip.AddrPort
		n      int
		why    string
	}
	var bad []over
	if c.MaxTotal != nil && total > *c.MaxTotal {
		bad = append(bad, over{n: total, why: fmt.Sprintf("%d in all", total)})
	}
	remotes := make([]netip.AddrPort, 0, len(per))
	for r := range per {
		remotes = append(remotes, r)
	}
	sort.Slice(remotes, func(i, j int) bool {
		if per[remotes[i]] != per[remotes[j]] {
			return per[remotes[i]] > per[remotes[j]]
		}
		return remotes[i].Compare(remotes[j]) < 0
	})
	for _, r := range remotes {
		n := per[r]
		if c.MaxPerRemote != nil && n > *c.MaxPerRemote {
			bad = append(bad, over{r, n, fmt.Sprintf("%d toward %s", n, r)})
			continue
		}
		if c.MaxShareOfRange != nil {
			rg, ok := h.ClientPortRange(family(r.Addr()))
			if !ok {
				why, ev := missing(h, facts.FactDynamicPorts, "the client port range")
				return unknownOutcome(exp, why, ev...)
			}
			if share := float64(n) / float64(rg.Count); share > *c.MaxShareOfRange {
				bad = append(bad, over{r, n, fmt.Sprintf("%d toward %s (%.0f%% of the %d-port client range %d-%d)", n, r, share*100, rg.Count, rg.Start, rg.End())})
			}
		}
	}
	if len(bad) == 0 {
		actual := fmt.Sprintf("%d in all", total)
		if len(remotes) > 0 {
			actual += fmt.Sprintf(", at most %d toward %s", per[remotes[0]], remotes[0])
		}
		return outcome{result: Pass, expected: exp, actual: actual}
	}
	var why []string
	var ev []Evidence
	for i, b := range bad {
		if i == 3 {
			why = append(why, fmt.Sprintf("and %d more", len(bad)-3))
			break
		}
		why = append(why, b.why)
		if b.remote.IsValid() {
			ev = append(ev, pileEvidence(h, b.remote, b.n)...)
		}
	}
	return outcome{result: Fail, expected: exp, actual: strings.Join(why, "; "), evidence: ev}
}

// connectionCounts groups the matching connections by remote endpoint.
// ok is false when the kept rows cannot answer.
func connectionCounts(c *policies.ConnectionsCheck, s *facts.Sockets) (map[netip.AddrPort]int, int, bool) {
	per := map[netip.AddrPort]int{}
	total := 0
	onlyTimeWait := len(c.States) == 1 && c.States[0] == policies.TCPState(facts.StateTimeWait)
	switch {
	case onlyTimeWait && !c.RemoteAddress.IsValid() && c.RemotePort == 0 && len(s.Summary.TimeWaitTop) >= s.Summary.TimeWaitRemotes:
		// The summary lists every TIME_WAIT endpoint: exact, and no need
		// to walk a pile of thousands of rows.
		for _, rc := range s.Summary.TimeWaitTop {
			per[rc.Remote] = rc.Count
			total += rc.Count
		}
		return per, total, true
	case s.Kept == facts.KeepAll:
	case s.Kept == facts.KeepNoTimeWait && !slices.Contains(c.States, policies.TCPState(facts.StateTimeWait)) && len(c.States) > 0:
	default:
		return nil, 0, false
	}
	for i := range s.Connections {
		k := &s.Connections[i]
		if k.Proto != facts.ProtoTCP || k.State == facts.StateListen {
			continue
		}
		if len(c.States) > 0 && !slices.ContainsFunc(c.States, func(st policies.TCPState) bool { return stateOf(st) == k.State }) {
			continue
		}
		if c.RemotePort != 0 && k.Remote.Port() != c.RemotePort {
			continue
		}
		if c.RemoteAddress.IsValid() && k.Remote.Addr().Unmap() != c.RemoteAddress {
			continue
		}
		per[k.Remote]++
		total++
	}
	return per, total, true
}

func family(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "ipv4"
	}
	return "ipv6"
}

// pileEvidence is a summary line and a few sample rows toward one remote.
func pileEvidence(h *facts.Host, remote netip.AddrPort, n int) []Evidence {
	cmd := "netstat -ano"
	if o, ok := h.Output(facts.FactSockets, ""); ok {
		cmd = o.Command
	}
	ev := []Evidence{{Command: cmd, Text: fmt.Sprintf("%d rows toward %s", n, remote)}}
	rs := remote.String()
	return append(ev, socketEvidence(h, func(f []string) bool { return len(f) >= 3 && f[2] == rs })...)
}

// --- dynamic port range -----------------------------------------------------

func judgeDynamicPorts(c *policies.DynamicPortRangeCheck, h *facts.Host) outcome {
	var parts []string
	if c.Start != nil {
		parts = append(parts, fmt.Sprintf("start %d", *c.Start))
	}
	if c.Size != nil {
		parts = append(parts, fmt.Sprintf("%d ports", *c.Size))
	}
	if c.MinSize != nil {
		parts = append(parts, fmt.Sprintf("at least %d ports", *c.MinSize))
	}
	exp := strings.Join(parts, ", ")
	r, ok := h.DynamicPortRange(c.Ports.Family.String(), c.Ports.Protocol.String())
	if !ok {
		why, ev := missing(h, facts.FactDynamicPorts, "the "+c.Ports.String()+" dynamic port range")
		return unknownOutcome(exp, why, ev...)
	}
	actual := fmt.Sprintf("start %d, %d ports", r.Start, r.Count)
	pass := (c.Start == nil || int(r.Start) == *c.Start) && (c.Size == nil || r.Count == *c.Size) && (c.MinSize == nil || r.Count >= *c.MinSize)
	cmd := "netsh int " + c.Ports.Family.String() + " show dynamicport " + c.Ports.Protocol.String()
	ev := func() []Evidence {
		o, ok := h.Output(facts.FactDynamicPorts, cmd)
		if !ok {
			return nil
		}
		return lineEvidence(cmd, o.Find(func(f []string) bool {
			if len(f) == 0 {
				return false
			}
			_, err := strconv.Atoi(f[len(f)-1])
			return err == nil
		}))
	}
	return outcome{result: passFail(pass), expected: exp, actual: actual, lazy: ev}
}

// --- services ---------------------------------------------------------------

func judgeService(c *policies.ServiceCheck, h *facts.Host) outcome {
	var parts []string
	if c.State != policies.ServiceStateAny {
		parts = append(parts, c.State.String())
	}
	if c.StartMode != policies.StartModeAny {
		parts = append(parts, "start mode "+c.StartMode.String())
	}
	exp := strings.Join(parts, ", ")
	if c.StartMode != policies.StartModeAny {
		return unknownOutcome(exp, "could not tell: fleetport does not collect start modes (sc query shows none)")
	}
	sv, ok := h.Service(c.Service)
	if !ok {
		why, ev := missing(h, facts.FactServices, "service "+c.Service)
		return unknownOutcome(exp, why, ev...)
	}
	actual := sv.State.String()
	if sv.ExitCode != 0 {
		actual += fmt.Sprintf(" (exit code %d)", sv.ExitCode)
	}
	pass := true
	switch c.State {
	case policies.ServiceRunning:
		pass = sv.State == facts.ServiceRunning
	case policies.ServiceStopped:
		pass = sv.State == facts.ServiceStopped || sv.State == facts.ServiceNotInstalled
	}
	cmd := "sc query " + c.Service
	ev := func() []Evidence {
		o, ok := h.Output(facts.FactServices, cmd)
		if !ok {
			return nil
		}
		return lineEvidence(cmd, o.Find(func(f []string) bool {
			return len(f) > 0 && (f[0] == "SERVICE_NAME:" || f[0] == "STATE" || f[0] == "WIN32_EXIT_CODE" || strings.HasPrefix(f[0], "[SC]"))
		}))
	}
	return outcome{result: passFail(pass), expected: exp, actual: actual, lazy: ev}
}
