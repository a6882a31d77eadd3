package rollout

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/plan"
)

// StageSpec is one stage of --stages: a count of hosts ("1"), a share of
// the plan's hosts ("25%"), both cumulative (the stage takes hosts until
// that many are in this and the earlier stages), or every remaining host
// of a group ("group:web") or tag ("tag:site=lyon").
type StageSpec struct {
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	Group   string  `json:"group,omitempty"`
	TagKey  string  `json:"tag_key,omitempty"`
	TagVal  string  `json:"tag_value,omitempty"`
}

func (s StageSpec) String() string {
	switch {
	case s.Group != "":
		return "group:" + s.Group
	case s.TagKey != "":
		return "tag:" + s.TagKey + "=" + s.TagVal
	case s.Percent > 0:
		return strconv.FormatFloat(s.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(s.Count)
}

// ParseStages reads --stages: "1,10%,50%,100%", "group:canary,25%,100%".
// Counts and shares must grow; the last stage need not be 100% (hosts
// left over form a final stage of their own).
func ParseStages(spec string) ([]StageSpec, error) {
	var out []StageSpec
	lastCount, lastPct := 0, 0.0
	for _, tok := range strings.Split(spec, ",") {
		tok = strings.TrimSpace(tok)
		switch {
		case tok == "":
			return nil, fmt.Errorf("--stages %q: an empty stage", spec)
		case strings.HasPrefix(tok, "group:"):
			g := strings.TrimPrefix(tok, "group:")
			if g == "" {
				return nil, fmt.Errorf("--stages: %q names no group", tok)
			}
			out = append(out, StageSpec{Group: g})
		case strings.HasPrefix(tok, "tag:"):
			k, v, ok := strings.Cut(strings.TrimPrefix(tok, "tag:"), "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--stages: %q is not tag:KEY=VALUE", tok)
			}
			out = append(out, StageSpec{TagKey: k, TagVal: v})
		case strings.HasSuffix(tok, "%"):
			p, err := strconv.ParseFloat(strings.TrimSuffix(tok, "%"), 64)
			if err != nil || p <= 0 || p > 100 || math.IsNaN(p) {
				return nil, fmt.Errorf("--stages: %q is not a share between 0%% and 100%%", tok)
			}
			if p <= lastPct {
				return nil, fmt.Errorf("--stages: %q must be larger than the stage before (%g%%): stages are cumulative", tok, lastPct)
			}
			lastPct = p
			out = append(out, StageSpec{Percent: p})
		default:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("--stages: %q is not a host count, a share (25%%), group:NAME or tag:KEY=VALUE", tok)
			}
			if n <= lastCount {
				return nil, fmt.Errorf("--stages: %q must be larger than the stage before (%d): stages are cumulative", tok, lastCount)
			}
			lastCount = n
			out = append(out, StageSpec{Count: n})
		}
	}
	return out, nil
}

// Budget is --max-failures: a count per stage, or a share of the stage's
// hosts (rounded down).
type Budget struct {
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
}

// ParseBudget reads "0", "2" or "10%".
func ParseBudget(s string) (Budget, error) {
	if strings.HasSuffix(s, "%") {
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
			return Budget{}, fmt.Errorf("--max-failures %q is not a share between 0%% and 100%%", s)
		}
		return Budget{Percent: p}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Budget{}, fmt.Errorf("--max-failures %q is not a count or a share (10%%)", s)
	}
	return Budget{Count: n}, nil
}

// Allowed is how many hosts of a stage of n may fail.
func (b Budget) Allowed(n int) int {
	if b.Percent > 0 {
		return int(math.Floor(b.Percent / 100 * float64(n)))
	}
	return b.Count
}

func (b Budget) String() string {
	if b.Percent > 0 {
		return strconv.FormatFloat(b.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(b.Count)
}

// Assign splits the plan's hosts into stages, in plan order (by name)
// within each: every host is in exactly one stage, empty stages are
// dropped, and hosts no stage took form a last stage.
func Assign(hosts []plan.HostPlan, specs []StageSpec) [][]string {
	total := len(hosts)
	taken := make([]bool, total)
	done := 0
	var out [][]string
	take := func(pred func(plan.HostPlan) bool, limit int) []string {
		var st []string
		for i, h := range hosts {
			if limit >= 0 && done >= limit {
				break
			}
			if taken[i] || !pred(h) {
				continue
			}
			taken[i] = true
			done++
			st = append(st, h.Host)
		}
		return st
	}
	all := func(plan.HostPlan) bool { return true }
	for _, s := range specs {
		var st []string
		switch {
		case s.Group != "":
			st = take(func(h plan.HostPlan) bool { return slices.Contains(h.Groups, s.Group) }, -1)
		case s.TagKey != "":
			st = take(func(h plan.HostPlan) bool { v, ok := h.Tags[s.TagKey]; return ok && v == s.TagVal }, -1)
		case s.Percent > 0:
			st = take(all, int(math.Ceil(s.Percent/100*float64(total))))
		default:
			st = take(all, s.Count)
		}
		if len(st) > 0 {
			out = append(out, st)
		}
	}
	if rest := take(all, -1); len(rest) > 0 {
		out = append(out, rest)
	}
	return out
}
