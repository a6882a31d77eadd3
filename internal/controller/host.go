package controller

import (
	"fmt"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// HostOf turns an inventory host, and the collection target the command
// built from it (its timeouts and policy view), into a job's host. The
// credentials travel as references; a password literal is refused.
func HostOf(h *inventory.Host, t collect.Target) (dispatch.Host, error) {
	if err := dispatch.CheckSite(h.Site); err != nil {
		return dispatch.Host{}, fmt.Errorf("host %s: %w", h.Name, err)
	}
	user := h.ListJSON().User
	u := dispatch.Credential{Source: user.Kind, Name: user.Name, Value: user.Value}
	if u.Source == "none" {
		u.Source = dispatch.SourceNone
	}
	pref := h.Password.Reference()
	if pref.Source == inventory.SourceLiteral {
		return dispatch.Host{}, fmt.Errorf("the password of host %s is a literal in the inventory, and a runner never receives one: use env() or file()", h.Name)
	}
	p := dispatch.Credential{Source: string(pref.Source), Name: pref.Name}
	auth := "ntlm"
	switch t.Endpoint.Auth {
	case remote.AuthBasic:
		auth = "basic"
	case remote.AuthKerberos:
		auth = "kerberos"
	case remote.AuthNegotiate:
		auth = "negotiate"
	}
	ph, err := dispatch.NewPolicyHost(t.Policy)
	if err != nil {
		return dispatch.Host{}, err
	}
	return dispatch.Host{
		Name: h.Name,
		Endpoint: dispatch.Endpoint{Address: t.Endpoint.Host, Port: t.Endpoint.Port, HTTPS: t.Endpoint.HTTPS, Auth: auth,
			AllowUnencrypted: t.Endpoint.AllowUnencrypted, CAFile: t.Endpoint.CAFile, TLSServerName: t.Endpoint.TLSServerName,
			InsecureSkipVerify: t.Endpoint.InsecureSkipVerify, KerberosName: t.Endpoint.Kerberos.ServiceHost},
		User: u, Password: p,
		ConnectTimeout: t.Session.ConnectTimeout, OperationTimeout: t.Session.OperationTimeout, Timeout: t.Timeout,
		Groups: t.Groups, Policy: ph,
	}, nil
}

// SpecOf is the spec of a run driven by set: its files, in load order.
func SpecOf(set *policies.Set) (*dispatch.Spec, error) {
	s := &dispatch.Spec{V: dispatch.Version}
	for _, f := range set.Files {
		if f.HCL == nil {
			return nil, fmt.Errorf("policy file %s has no source to send to the runners", f.Filename)
		}
		s.Policies = append(s.Policies, dispatch.PolicyFile{Name: f.Filename, Source: f.HCL.Bytes})
	}
	return s, nil
}
