// Package inventory turns HCL inventory files into typed hosts: addresses,
// ports, transports, authentication, CA files, timeouts, groups, tags,
// variables and per-group concurrency, with Terraform-quality diagnostics,
// and selects hosts with --limit patterns.
//
// Contract, for the code that will fill it (issue "The HCL inventory and
// policy language"):
//
//   - It does no I/O of its own: loaders take bytes and a file name, and a
//     thin LoadDir walks an fs.FS.
//   - Loaders return (value, hcl.Diagnostics), carry on past errors and
//     keep a source range on every decoded struct.
//   - Credentials are references (env("NAME"), file("path"), a prompt) and
//     never appear in output, logs or errors.
//   - It imports only the standard library, hcl/v2, go-cty and x/text; the
//     import test in internal/archtest enforces this.
//
// The inventory `fleetport sim --inventory-out` writes is the first input
// this package must accept: defaults, group and host blocks, with
// user = env("FLEETPORT_SIM_USER") and password = env("FLEETPORT_SIM_PASSWORD").
package inventory
