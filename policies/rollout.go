package policies

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// RolloutSettings are a policy set's defaults for apply: the stages, the
// failure budget per stage and the wait between stages. At most one file
// of a set declares them; apply's flags override them.
//
//	rollout {
//	  stages       = ["group:canary", "10%", "50%", "100%"] # counts, shares, group:NAME, tag:KEY=VALUE
//	  max_failures = "5%"                                  # a count or a share of the stage
//	  wait         = "10m"                                 # between stages
//	}
type RolloutSettings struct {
	Stages      []string `hcl:"stages,optional"`
	MaxFailures string   `hcl:"max_failures,optional"`
	Wait        string   `hcl:"wait,optional"`
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
	diags := gohcl.DecodeBody(b.Body, nil, r)
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
	return r, diags
}
