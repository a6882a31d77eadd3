package policies

// The service rule: a Windows service's run state and start type.
//
//	service "W3SVC" {
//	  state = "running"
//	}

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

var serviceBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "state"}, {Name: "start_mode"}},
}

// ServiceRule is a decoded service block.
type ServiceRule struct {
	// Service is the service key name, in the known spelling when
	// fleetport knows the service.
	Service              string
	State                ServiceState
	StartMode            StartMode
	DeclRange, NameRange hcl.Range
}

// Kind implements [Rule].
func (r *ServiceRule) Kind() RuleKind { return RuleService }

// Range implements [Rule].
func (r *ServiceRule) Range() hcl.Range { return r.DeclRange }

// OS implements [Rule]: every release.
func (r *ServiceRule) OS() OSRange { return OSRange{} }

// ServiceCheck is a service rule resolved for a host. Drift compares it
// with the service's state as sc query reports it: State running passes
// only RUNNING, stopped only STOPPED (START_PENDING and STOP_PENDING fail
// both and are worth collecting again); StartMode compares the start type.
// A service that is not installed fails a running or start-mode
// requirement and passes a stopped one. ServiceStateAny and StartModeAny
// are not checked.
type ServiceCheck struct {
	CheckCommon
	Service   string
	State     ServiceState
	StartMode StartMode
}

// decodeServiceName validates a service block's label.
func decodeServiceName(block *hcl.Block) (string, hcl.Diagnostics) {
	name := block.Labels[0]
	if err := checkServiceName(name); err != nil {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid service name",
			Detail:  fmt.Sprintf("The service name %q %v. Give the service's key name (sc query shows it as SERVICE_NAME), e.g. W3SVC.", name, err),
			Subject: block.LabelRanges[0].Ptr(),
		}}
	}
	return canonService(name), nil
}

func decodeServiceState(attr *hcl.Attribute) (ServiceState, hcl.Diagnostics) {
	s, diags := staticString(attr, "it names a Windows state")
	if diags.HasErrors() {
		return ServiceStateAny, diags
	}
	switch s {
	case "running":
		return ServiceRunning, nil
	case "stopped":
		return ServiceStopped, nil
	}
	return ServiceStateAny, hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Invalid service state",
		Detail:  fmt.Sprintf("state is %q; it must be \"running\" or \"stopped\".%s", s, didYouMean(s, []string{"running", "stopped"})),
		Subject: attr.Expr.Range().Ptr(),
	}}
}

func decodeStartMode(attr *hcl.Attribute) (StartMode, hcl.Diagnostics) {
	s, diags := staticString(attr, "it names a Windows start type")
	if diags.HasErrors() {
		return StartModeAny, diags
	}
	for _, m := range []StartMode{StartAuto, StartManual, StartDisabled} {
		if m.String() == s {
			return m, nil
		}
	}
	return StartModeAny, hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Invalid start mode",
		Detail:  fmt.Sprintf("start_mode is %q; it must be \"auto\", \"manual\" or \"disabled\".%s", s, didYouMean(s, []string{"auto", "manual", "disabled"})),
		Subject: attr.Expr.Range().Ptr(),
	}}
}

func decodeServiceBlock(block *hcl.Block) (*ServiceRule, hcl.Diagnostics) {
	content, diags := block.Body.Content(serviceBlockSchema)
	r := &ServiceRule{DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	name, d := decodeServiceName(block)
	diags = append(diags, d...)
	r.Service = name
	attrs := content.Attributes
	if a, ok := attrs["state"]; ok {
		s, d := decodeServiceState(a)
		diags = append(diags, d...)
		r.State = s
	}
	if a, ok := attrs["start_mode"]; ok {
		m, d := decodeStartMode(a)
		diags = append(diags, d...)
		r.StartMode = m
	}
	diags = append(diags, requireOne(attrs, block, "state", "start_mode")...)
	return r, diags
}

func (r *ServiceRule) resolve(ev *evaluator) (Check, hcl.Diagnostics) {
	return &ServiceCheck{
		CheckCommon: osCommon(r, ev.release, "A service"),
		Service:     r.Service, State: r.State, StartMode: r.StartMode,
	}, nil
}

func (r *ServiceRule) needs(_ Release, n *Needs) { n.addService(r.Service, false) }
