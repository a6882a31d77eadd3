package policies

// Command remediation: for what the rule kinds do not cover, a small set
// of typed templates with typed parameters. A template is a Go value the
// planner renders; its parameters are validated enums and numbers, never
// text pasted into a command line.
//
//	command "iis_socket_pooling" {
//	  service  = "smtpsvc"   # w3svc | smtpsvc | msftpsvc | nntpsvc
//	  instance = 1           # optional: one site; absent: the service level
//	  disable  = true        # default true: DisableSocketPooling = TRUE
//	}

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// CommandTemplate names a command template.
type CommandTemplate int

// The templates.
const (
	// CommandIISSocketPooling sets the IIS metabase property
	// DisableSocketPooling (windows-semantics.md §3, KB 238131):
	// `cscript adsutil.vbs set SERVICE[/INSTANCE]/disablesocketpooling
	// true|false` from %SystemDrive%\Inetpub\Adminscripts, then a restart
	// of the service. Parameters: [IISSocketPooling].
	CommandIISSocketPooling CommandTemplate = iota + 1
)

// commandTemplates maps the HCL names to the templates.
var commandTemplates = map[string]CommandTemplate{
	"iis_socket_pooling": CommandIISSocketPooling,
}

func (t CommandTemplate) String() string {
	for n, c := range commandTemplates {
		if c == t {
			return n
		}
	}
	return fmt.Sprintf("CommandTemplate(%d)", int(t))
}

// CommandParams are a template's typed parameters; the concrete type
// depends on the template ([IISSocketPooling] for
// [CommandIISSocketPooling]).
type CommandParams interface {
	Template() CommandTemplate
}

// IISService is an IIS metabase service that pools sockets.
type IISService string

// The services whose DisableSocketPooling fleetport may set.
const (
	IISW3SVC    IISService = "w3svc"
	IISSMTPSVC  IISService = "smtpsvc"
	IISMSFTPSVC IISService = "msftpsvc"
	IISNNTPSVC  IISService = "nntpsvc"
)

type iisServiceInfo struct {
	service string  // the Windows service to restart
	os      OSRange // where DisableSocketPooling has an effect
	effect  Effect
}

// iisServices: W3SVC honours DisableSocketPooling only on IIS 5 (2000);
// from IIS 6 http.sys owns port 80 and ignores it (KB 813368; use the
// listen list). SMTP, NNTP and FTP keep binding with Winsock on 2003
// (seed "Socket Pooling in Windows Server 2003"), and IIS SMTP on later
// releases runs in the IIS 6 compatibility layer. KB 238131: after a W3SVC
// change, restart the IIS Admin Service (net stop iisadmin /y stops its
// dependants); for SMTP, net stop smtpsvc / net start smtpsvc.
var iisServices = map[IISService]iisServiceInfo{
	IISW3SVC:    {service: "IISADMIN", os: OSRange{Max: Release2000}, effect: EffectServiceRestart{Service: "IISADMIN", WithDependants: true}},
	IISSMTPSVC:  {service: "SMTPSVC", effect: EffectServiceRestart{Service: "SMTPSVC"}},
	IISMSFTPSVC: {service: "MSFTPSVC", os: OSRange{Max: Release2003}, effect: EffectServiceRestart{Service: "MSFTPSVC"}},
	IISNNTPSVC:  {service: "NNTPSVC", os: OSRange{Max: Release2003}, effect: EffectServiceRestart{Service: "NNTPSVC"}},
}

// IISSocketPooling are [CommandIISSocketPooling]'s parameters.
type IISSocketPooling struct {
	Service IISService
	// Instance is the site number (smtpsvc/1); 0 sets the service level,
	// which every site inherits.
	Instance int
	// Disable is the value set: true turns socket pooling off.
	Disable bool
}

// Template implements [CommandParams].
func (IISSocketPooling) Template() CommandTemplate { return CommandIISSocketPooling }

// MetabasePath is the adsutil path of the property, e.g.
// "smtpsvc/1/disablesocketpooling".
func (p IISSocketPooling) MetabasePath() string {
	if p.Instance > 0 {
		return fmt.Sprintf("%s/%d/disablesocketpooling", p.Service, p.Instance)
	}
	return string(p.Service) + "/disablesocketpooling"
}

var iisSocketPoolingSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "service", Required: true}, {Name: "instance"}, {Name: "disable"}},
}

// CommandRemediation is a decoded command item. Its parameters are static:
// the same on every host.
type CommandRemediation struct {
	Template  CommandTemplate
	Params    CommandParams
	DeclRange hcl.Range
}

// Kind implements [RemediationItem].
func (r *CommandRemediation) Kind() ActionKind { return ActionCommand }

// Range implements [RemediationItem].
func (r *CommandRemediation) Range() hcl.Range { return r.DeclRange }

// CommandAction runs a template with its parameters.
type CommandAction struct {
	ActionCommon
	Template CommandTemplate
	Params   CommandParams
}

func decodeCommandRemediation(block *hcl.Block) (*CommandRemediation, hcl.Diagnostics) {
	r := &CommandRemediation{DeclRange: block.DefRange}
	name := block.Labels[0]
	t, ok := commandTemplates[name]
	if !ok {
		var names []string
		for n := range commandTemplates {
			names = append(names, n)
		}
		return r, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Unknown command template",
			Detail: fmt.Sprintf("fleetport has no command template %q.%s Commands are built only from templates "+
				"(%s); what they do not cover needs a new template, not free text.", name, didYouMean(name, names),
				strings.Join(names, ", ")),
			Subject: block.LabelRanges[0].Ptr(),
		}}
	}
	r.Template = t
	switch t {
	case CommandIISSocketPooling:
		p, d := decodeIISSocketPooling(block)
		r.Params = p
		return r, d
	}
	return r, nil
}

func decodeIISSocketPooling(block *hcl.Block) (IISSocketPooling, hcl.Diagnostics) {
	content, diags := block.Body.Content(iisSocketPoolingSchema)
	p := IISSocketPooling{Disable: true}
	attrs := content.Attributes
	const why = "command parameters are the same on every host"
	if a, ok := attrs["service"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		svc := IISService(strings.ToLower(s))
		if _, known := iisServices[svc]; !known && !d.HasErrors() {
			names := []string{string(IISW3SVC), string(IISSMTPSVC), string(IISMSFTPSVC), string(IISNNTPSVC)}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid IIS service",
				Detail:  fmt.Sprintf("service is %q; it must be one of %s.%s", s, strings.Join(names, ", "), didYouMean(s, names)),
				Subject: a.Expr.Range().Ptr(),
			})
		}
		p.Service = svc
	}
	if a, ok := attrs["instance"]; ok {
		if _, d := staticValue(a, why); d.HasErrors() {
			diags = append(diags, d...)
		} else {
			n, _, d := newSchemaEvaluator().integer(a.Expr, "instance", 1, 65535)
			diags = append(diags, d...)
			p.Instance = int(n)
		}
	}
	if a, ok := attrs["disable"]; ok {
		b, d := staticBool(a, why)
		diags = append(diags, d...)
		p.Disable = b
	}
	return p, diags
}

func (r *CommandRemediation) resolve(ev *evaluator) (Action, hcl.Diagnostics) {
	a := &CommandAction{Template: r.Template, Params: r.Params}
	switch p := r.Params.(type) {
	case IISSocketPooling:
		info := iisServices[p.Service]
		eff := info.effect
		if eff == nil {
			eff = EffectNone{}
		}
		what := "DisableSocketPooling for " + string(p.Service)
		if p.Service == IISW3SVC {
			what += " (IIS 6 and later ignore it: KB 813368; use listen_list)"
		}
		a.ActionCommon = actionCommon(ActionCommand, r.DeclRange, info.os, ev.release, what, eff)
	default:
		a.ActionCommon = actionCommon(ActionCommand, r.DeclRange, OSRange{}, ev.release, r.Template.String(), EffectNone{})
	}
	return a, nil
}

func (r *CommandRemediation) needs(_ Release, n *Needs) {
	if p, ok := r.Params.(IISSocketPooling); ok {
		if info, ok := iisServices[p.Service]; ok {
			n.addService(info.service, info.effect.(EffectServiceRestart).WithDependants)
		}
	}
}
