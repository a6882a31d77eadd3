package tui

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
)

// The host view's tabs.
const (
	tabFindings = iota
	tabFacts
)

var tabNames = [...]string{tabFindings: "findings", tabFacts: "facts"}

// hostView is one host: its findings (expected, actual, evidence, fix) on
// one tab and its facts (listeners, listen list, registry values, dynamic
// port ranges, services) on the other, in a scrolling viewport. Its
// content is built when it opens, on a refresh and on a resize, never in
// View.
type hostView struct {
	name string
	// policy limits the findings to one policy (opened from the matrix).
	policy string
	tab    int
	vp     viewport.Model
}

func newHostView() hostView {
	vp := viewport.New()
	vp.SoftWrap = true
	return hostView{vp: vp}
}

func (hv *hostView) SetSize(w, h int) {
	hv.vp.SetWidth(w)
	hv.vp.SetHeight(h)
}

// build lays the content out for the current tab.
func (hv *hostView) build(st *Styles, h *drift.HostReport, fh *facts.Host) {
	var lines []string
	if hv.tab == tabFacts {
		lines = factLines(st, h, fh)
	} else {
		lines = findingLines(st, h, hv.policy)
	}
	hv.vp.SetContentLines(lines)
}

func (hv *hostView) View() string { return hv.vp.View() }

// hostHeader is the first lines of both tabs: who the host is and how its
// collection ended.
func hostHeader(st *Styles, h *drift.HostReport) []string {
	id := []string{st.render(st.Title, h.Name)}
	if h.Address != "" {
		id = append(id, h.Address)
	}
	if len(h.Groups) > 0 {
		id = append(id, "groups "+strings.Join(h.Groups, ","))
	}
	if h.Site != "" {
		id = append(id, "site "+h.Site)
	}
	if h.OS != "" {
		os := "Windows " + h.OS
		if h.Build != 0 {
			os += " build " + strconv.FormatUint(uint64(h.Build), 10)
		}
		id = append(id, os)
	}
	if h.Locale != "" {
		id = append(id, h.Locale)
	}
	state := "status " + h.Status.String() + " | result " + st.result(h.Result, resultLabel(h.Result))
	if !h.Collected.IsZero() {
		state += " | collected " + h.Collected.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	out := []string{strings.Join(id, " | "), state}
	if h.Error != "" {
		out = append(out, st.render(st.Error, "error: "+h.Error))
	}
	return out
}

// findingLines lists the findings, optionally of one policy only.
func findingLines(st *Styles, h *drift.HostReport, policy string) []string {
	out := hostHeader(st, h)
	var fs []*drift.Finding
	for i := range h.Findings {
		if policy == "" || h.Findings[i].Policy == policy {
			fs = append(fs, &h.Findings[i])
		}
	}
	title := fmt.Sprintf("FINDINGS (%d)", len(fs))
	if policy != "" {
		title = fmt.Sprintf("FINDINGS OF %s (%d)", policy, len(fs))
	}
	out = append(out, "", st.render(st.Title, title))
	if len(fs) == 0 {
		if policy != "" {
			for pi, v := range h.Verdicts {
				if v.Policy == policy {
					s := "  " + policy + ": " + resultLabel(h.Verdicts[pi].Result)
					if v.Reason != "" {
						s += " (" + v.Reason + ")"
					}
					out = append(out, s)
				}
			}
		} else {
			out = append(out, "  none: every policy that applies passes")
		}
		return out
	}
	for _, f := range fs {
		head := fmt.Sprintf("%s %s  %s  %s", strings.ToUpper(f.Severity.String()), resultLabel(f.Result), f.Policy, f.Rule)
		out = append(out, "", st.result(f.Result, head))
		if f.Source != "" {
			out = append(out, "  source    "+f.Source)
		}
		out = append(out, "  expected  "+f.Expected, "  actual    "+f.Actual)
		for i, e := range f.Evidence {
			label := "  evidence  "
			if i > 0 {
				label = "            "
			}
			where := e.Command
			if e.Line > 0 {
				where += ":" + strconv.Itoa(e.Line)
			}
			if where != "" {
				where += ": "
			}
			out = append(out, label+where+e.Text)
		}
		fix := string(f.Fix)
		if f.FixDetail != "" {
			fix += ": " + f.FixDetail
		}
		out = append(out, "  fix       "+fix)
	}
	return out
}

// regPrefix is left off registry paths in the facts tab.
const regPrefix = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\`

// factLines lays out the facts document.
func factLines(st *Styles, h *drift.HostReport, fh *facts.Host) []string {
	out := hostHeader(st, h)
	out = append(out, "")
	if fh == nil {
		return append(out, "  the run holds no facts document for this host")
	}
	section := func(s string) { out = append(out, "", st.render(st.Title, s)) }
	if fh.OS != nil {
		s := "os        " + fh.OS.String()
		if fh.Locale != "" {
			s += " | locale " + fh.Locale
		}
		if fh.CodePage != 0 {
			s += " | code page " + strconv.Itoa(fh.CodePage)
		}
		out = append(out, s)
	}
	if fh.Auth != "" {
		out = append(out, "auth      "+fh.Auth)
	}
	if !fh.BootTime.IsZero() {
		out = append(out, "boot      "+fh.BootTime.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if d := fh.Duration(); d > 0 {
		out = append(out, "collected in "+d.Round(time.Millisecond).String())
	}
	if s := fh.Sockets; s != nil {
		sum := &s.Summary
		out = append(out, fmt.Sprintf("sockets   %s: %d TCP, %d UDP, %d listening | ESTABLISHED %d | TIME_WAIT %d | CLOSE_WAIT %d",
			s.Source, sum.TCP, sum.UDP, sum.Listening, sum.States.Get(facts.StateEstablished),
			sum.States.Get(facts.StateTimeWait), sum.States.Get(facts.StateCloseWait)))
		if len(sum.TimeWaitTop) > 0 {
			var top []string
			for i, rc := range sum.TimeWaitTop {
				if i == 5 {
					break
				}
				top = append(top, fmt.Sprintf("%s x%d", rc.Remote, rc.Count))
			}
			out = append(out, fmt.Sprintf("          TIME_WAIT toward %d remotes; top: %s", sum.TimeWaitRemotes, strings.Join(top, ", ")))
		}
		for _, e := range sum.Ephemeral {
			out = append(out, fmt.Sprintf("          client ports %s %d-%d: %d in use (%.1f%%)", e.Family, e.Start, e.End(), e.InUse, e.Percent))
		}
		section(fmt.Sprintf("LISTENERS (%d, %d on every address)", len(s.Listeners), len(sum.WildcardBinds)))
		out = append(out, "  PROTO LOCAL                        PID    OWNER")
		for i := range s.Listeners {
			l := &s.Listeners[i]
			pid := "-"
			if s.PIDs {
				pid = strconv.FormatUint(uint64(l.PID), 10)
			}
			owner := ""
			if l.Owner != nil {
				owner = strings.TrimSpace(l.Owner.Service)
				if l.Owner.Image != "" {
					owner = strings.TrimSpace(owner + " " + l.Owner.Image)
				}
			}
			mark := ""
			if l.IsWildcard() {
				mark = " every address"
			}
			out = append(out, strings.TrimRight(fmt.Sprintf("  %-5s %-28s %-6s %-20s%s", l.Proto, l.Local, pid, owner, mark), " "))
		}
	} else {
		out = append(out, "sockets   not collected")
	}
	if ll := fh.ListenList; ll != nil {
		section("LISTEN LIST (" + string(ll.Source) + ")")
		if ll.Empty() {
			out = append(out, "  empty: http.sys listens on every address")
		}
		for _, e := range ll.Entries {
			out = append(out, "  "+e.String())
		}
	}
	if len(fh.Registry) > 0 {
		section("REGISTRY")
		for _, v := range fh.Registry {
			path := strings.TrimPrefix(v.Path, regPrefix)
			if rest, ok := strings.CutPrefix(path, `HKEY_LOCAL_MACHINE\`); ok {
				path = `HKLM\` + rest
			}
			val := "(absent)"
			if !v.Absent {
				val = string(v.Type) + " " + strings.ReplaceAll(v.Text(), "\n", ", ")
			}
			out = append(out, fmt.Sprintf("  %s\\%s = %s", path, v.Name, val))
		}
	}
	if len(fh.DynamicPorts) > 0 {
		section("DYNAMIC PORTS")
		for _, r := range fh.DynamicPorts {
			out = append(out, fmt.Sprintf("  %s %s %d-%d (%d ports, %s)", r.Family, r.Protocol, r.Start, r.End(), r.Count, r.Source))
		}
	}
	if len(fh.Services) > 0 {
		section("SERVICES")
		for _, s := range fh.Services {
			line := fmt.Sprintf("  %-10s %-15s %s", s.Name, s.State, s.DisplayName)
			if s.ExitCode != 0 {
				line += fmt.Sprintf(" (exit %d)", s.ExitCode)
			}
			out = append(out, strings.TrimRight(line, " "))
		}
	}
	if len(fh.Addresses) > 0 {
		section("ADDRESSES")
		var as []string
		for _, a := range fh.Addresses {
			as = append(as, netip.Addr.String(a))
		}
		out = append(out, "  "+strings.Join(as, ", "))
	}
	if len(fh.FactErrors) > 0 {
		section("FACT ERRORS")
		for _, e := range fh.FactErrors {
			out = append(out, "  "+e.Error())
		}
	}
	return out
}
