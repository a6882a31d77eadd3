package policies

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// RolloutSettings are a policy set's defaults for apply: the stages, the
// failure budget per stage, the wait between stages, and the guard rails:
// how many hosts may restart or reboot at once, and the maintenance
// windows changes start in. At most one file of a set declares them;
// apply's flags override them.
//
//	rollout {
//	  stages       = ["group:canary", "10%", "50%", "100%"] # counts, shares, group:NAME, tag:KEY=VALUE
//	  max_failures = "5%"                                  # a count or a share of the stage
//	  wait         = "10m"                                 # between stages
//
//	  max_restarts           = 2 # hosts restarting a service or rebooting at once (0: no cap)
//	  max_restarts_per_group = 1 # the same, within each inventory group
//
//	  window {                   # several allowed; none: any time
//	    days      = ["sat", "sun"]
//	    from      = "22:00"
//	    to        = "04:00"      # before from: the window crosses midnight
//	    time_zone = "Europe/Paris"
//	  }
//	  outside_window = "wait"    # or "refuse"
//	}
type RolloutSettings struct {
	Stages      []string `hcl:"stages,optional"`
	MaxFailures string   `hcl:"max_failures,optional"`
	Wait        string   `hcl:"wait,optional"`
	// MaxRestarts and MaxRestartsPerGroup cap the hosts whose restart or
	// reboot runs at once, in all and within each group (0: no cap).
	MaxRestarts         int `hcl:"max_restarts,optional"`
	MaxRestartsPerGroup int `hcl:"max_restarts_per_group,optional"`
	// Windows are the maintenance windows; OutsideWindow says what apply
	// does outside them: "wait" (the default) or "refuse".
	Windows       []Window
	OutsideWindow string `hcl:"outside_window,optional"`
	// WaitDuration is Wait parsed.
	WaitDuration time.Duration
	DeclRange    hcl.Range
}

var (
	stageSyntax  = regexp.MustCompile(`^([1-9][0-9]*|[0-9]+(\.[0-9]+)?%|group:[A-Za-z0-9_.-]+|tag:[A-Za-z0-9_.-]+=[^,]*)$`)
	budgetSyntax = regexp.MustCompile(`^([0-9]+|[0-9]+(\.[0-9]+)?%)$`)
)

func decodeRolloutBlock(b *hcl.Block) (*RolloutSettings, hcl.Diagnostics) {
	r := &RolloutSettings{DeclRange: b.DefRange}
	content, rest, diags := b.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "window"}}})
	for _, wb := range content.Blocks {
		w, ds := decodeWindow(wb)
		diags = append(diags, ds...)
		r.Windows = append(r.Windows, w)
	}
	diags = append(diags, gohcl.DecodeBody(rest, nil, r)...)
	if diags.HasErrors() {
		return r, diags
	}
	bad := func(what, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid rollout " + what, Detail: detail, Subject: b.DefRange.Ptr()})
	}
	for _, s := range r.Stages {
		if !stageSyntax.MatchString(s) {
			bad("stage", fmt.Sprintf("Stage %q is not a host count (1), a share (25%%), group:NAME or tag:KEY=VALUE.", s))
		}
	}
	if r.MaxFailures != "" && !budgetSyntax.MatchString(r.MaxFailures) {
		bad("max_failures", fmt.Sprintf("max_failures %q is not a count (2) or a share of the stage (10%%).", r.MaxFailures))
	}
	if r.Wait != "" {
		d, err := time.ParseDuration(r.Wait)
		if err != nil || d < 0 {
			bad("wait", fmt.Sprintf("wait %q is not a duration such as \"10m\".", r.Wait))
		}
		r.WaitDuration = d
	}
	if r.MaxRestarts < 0 {
		bad("max_restarts", fmt.Sprintf("max_restarts %d is negative: give the hosts that may restart or reboot at once, or 0 for no cap.", r.MaxRestarts))
	}
	if r.MaxRestartsPerGroup < 0 {
		bad("max_restarts_per_group", fmt.Sprintf("max_restarts_per_group %d is negative: give the hosts of a group that may restart or reboot at once, or 0 for no cap.", r.MaxRestartsPerGroup))
	}
	switch r.OutsideWindow {
	case "", OutsideWindowWait, OutsideWindowRefuse:
	default:
		bad("outside_window", fmt.Sprintf("outside_window %q is not \"wait\" or \"refuse\".", r.OutsideWindow))
	}
	return r, diags
}
