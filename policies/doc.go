// Package policies is fleetport's HCL policy language and its evaluation:
// policies with an applies_to expression evaluated per host, a severity,
// rules over registry values, http.sys listen lists, listeners, connection
// pressure, the dynamic port range and service states, and declared
// remediations whose commands fleetport derives.
//
// Contract, for the code that will fill it (issue "The HCL inventory and
// policy language"): per-host expressions stay hcl.Expression values and are
// evaluated in one place with a per-host EvalContext; loaders do no I/O;
// every diagnostic is located; it imports only the standard library,
// hcl/v2, go-cty and x/text (enforced by internal/archtest).
package policies
