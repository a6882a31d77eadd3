package drift

import (
	"fmt"
	"strings"
	"time"

	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// applyWaivers turns the drift that the set's live waivers cover into
// waived findings and verdicts, rolls the hosts up again, and lists every
// waiver with what it did in r.Waivers. A waiver covers a host by name
// (hosts) or by its limit, evaluated on the hosts of the report (a term
// that selects none of them selects nothing). An expired waiver, or one
// whose limit cannot be evaluated, waives nothing. When two waivers cover
// the same drift, the first one declared waives it.
func applyWaivers(r *Report, set *policies.Set, hosts []HostInput, now time.Time) {
	if set == nil || len(set.Waivers) == 0 {
		return
	}
	var inv *inventory.Inventory
	r.Waivers = make([]WaiverInfo, 0, len(set.Waivers))
	for _, w := range set.Waivers {
		info := WaiverInfo{Name: w.Name, Policy: w.Policy, Hosts: w.Hosts, Limit: w.Limit, Reason: w.Reason,
			Until: w.UntilText(), Source: w.Source(), State: WaiverActive}
		covers := w.CoversName
		if w.Limit != "" {
			if inv == nil {
				ih := make([]*inventory.Host, len(hosts))
				for i, h := range hosts {
					ih[i] = &inventory.Host{Name: h.Policy.Name, Address: h.Policy.Address, Site: h.Policy.Site, Groups: h.Policy.Groups, Tags: h.Policy.Tags}
				}
				inv = inventory.OfHosts(ih)
			}
			sel, err := inv.Matching(w.Limit, nil)
			if err != nil {
				info.State, info.Error = WaiverInvalid, err.Error()
				r.Waivers = append(r.Waivers, info)
				continue
			}
			in := make(map[string]bool, len(sel))
			for _, h := range sel {
				in[h.Name] = true
			}
			covers = func(name string) bool { return in[name] }
		}
		if w.Expired(now) {
			info.State = WaiverExpired
			r.Waivers = append(r.Waivers, info)
			continue
		}
		ref := &WaiverRef{Name: w.Name, Reason: w.Reason, Until: info.Until, Source: info.Source}
		for i := range r.Hosts {
			if covers(r.Hosts[i].Name) {
				info.Waived += waiveHost(&r.Hosts[i], w.Policy, ref)
			}
		}
		r.Waivers = append(r.Waivers, info)
	}
}

// waiveHost waives a host's drift of one policy and returns the number
// of findings waived. Unknown findings stay unknown: a waiver accepts
// drift that is known, not what could not be told.
func waiveHost(h *HostReport, policy string, ref *WaiverRef) int {
	vi := -1
	for i, v := range h.Verdicts {
		if v.Policy == policy {
			vi = i
			break
		}
	}
	if vi < 0 || !h.Verdicts[vi].Result.IsDrift() {
		return 0
	}
	n := 0
	res := Waived
	for i := range h.Findings {
		f := &h.Findings[i]
		if f.Policy != policy {
			continue
		}
		if f.Result.IsDrift() {
			f.Result, f.Waiver = Waived, ref
			n++
			continue
		}
		res = max(res, f.Result)
	}
	h.Verdicts[vi].Result = res
	if res == Waived {
		h.Verdicts[vi].Reason = ref.Text()
	}
	h.Result = NotApplicable
	for _, v := range h.Verdicts {
		h.Result = max(h.Result, v.Result)
	}
	if !reachable(h.Status) {
		h.Result = Unknown
	}
	return n
}

// Text is the waiver in one line: `waived by "relay" until 2027-03-31
// (policies/waivers.hcl:3): the old relay ...`.
func (w *WaiverRef) Text() string {
	s := fmt.Sprintf("waived by %q until %s", w.Name, w.Until)
	if w.Source != "" {
		s += " (" + w.Source + ")"
	}
	if r := strings.TrimSpace(w.Reason); r != "" {
		s += ": " + r
	}
	return s
}
