package policies

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fleetport/fleetport/internal/hclguard"
)

// File is one policy file as decoded: its policies in source order.
// Conflicts between files (a policy name declared twice) are found when
// files merge into a [Set], not here.
type File struct {
	Filename string
	Policies []*Policy
	// Rollout is the file's rollout block, nil when it has none.
	Rollout *RolloutSettings
	// Waivers are the file's waiver blocks, in source order.
	Waivers []*Waiver
	// HCL is the parsed file, for rendering diagnostics with source
	// snippets; nil when the file could not be parsed at all.
	HCL *hcl.File
}

// configFileSchema is the top level of a policy file: policy, rollout and
// waiver blocks belong here; the other entries exist to give a misplaced block a clearer
// message than "Unsupported block type".
var configFileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "policy", LabelNames: []string{"name"}},
		{Type: "rollout"},
		{Type: "waiver", LabelNames: []string{"name"}},

		// Rule and remediation blocks belong inside a policy.
		{Type: "registry", LabelNames: []string{"name"}},
		{Type: "listen_list"},
		{Type: "listener"},
		{Type: "connections"},
		{Type: "dynamic_port_range"},
		{Type: "service", LabelNames: []string{"name"}},
		{Type: "remediation"},

		// Inventory blocks belong in the inventory.
		{Type: "host", LabelNames: []string{"name"}},
		{Type: "group", LabelNames: []string{"name"}},
		{Type: "defaults"},
	},
}

// maxFileSize caps one policy file: policies are small, and a cap keeps a
// stray large file from exhausting memory.
const maxFileSize = 1 << 20

// Parse decodes one policy file in HCL native syntax. It does no I/O.
// Diagnostics are located; on errors the returned File holds what could
// be decoded, safe to inspect but not to act on.
func Parse(src []byte, filename string) (*File, hcl.Diagnostics) {
	f := &File{Filename: filename}
	if len(src) > maxFileSize {
		return f, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Policy file too large",
			Detail:  fmt.Sprintf("%s is %d bytes; a policy file may hold at most %d. Split it.", filename, len(src), maxFileSize),
			Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	if d := hclguard.Check(src, filename, hclguard.DefaultLimits); d.HasErrors() {
		// The parser would recurse or allocate without bound.
		f.HCL = &hcl.File{Body: hcl.EmptyBody(), Bytes: src}
		return f, d
	}
	hf, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	f.HCL = hf
	if diags.HasErrors() || hf == nil {
		return f, diags
	}
	if body, ok := hf.Body.(*hclsyntax.Body); ok {
		if d := hclguard.CheckLoops(body); d.HasErrors() {
			return f, append(diags, d...)
		}
	}
	content, d := hf.Body.Content(configFileSchema)
	diags = append(diags, d...)
	for _, b := range content.Blocks {
		switch b.Type {
		case "policy":
			// A policy's expressions are evaluated with the budget's
			// functions, which count the for expressions' iterations.
			if body, ok := b.Body.(*hclsyntax.Body); ok {
				hclguard.InstrumentLoops(body)
			}
			p, d := decodePolicyBlock(b)
			diags = append(diags, d...)
			f.Policies = append(f.Policies, p)
		case "rollout":
			if f.Rollout != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate rollout block",
					Detail:  fmt.Sprintf("A rollout block is already declared at %s; a policy set has one.", f.Rollout.DeclRange),
					Subject: b.DefRange.Ptr(),
				})
				continue
			}
			r, d := decodeRolloutBlock(b)
			diags = append(diags, d...)
			f.Rollout = r
		case "waiver":
			// Evaluated with the budget's functions too.
			if body, ok := b.Body.(*hclsyntax.Body); ok {
				hclguard.InstrumentLoops(body)
			}
			w, d := decodeWaiverBlock(b)
			diags = append(diags, d...)
			f.Waivers = append(f.Waivers, w)
		case "host", "group", "defaults":
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Inventory block in a policy file",
				Detail:  fmt.Sprintf("A %s block belongs in the inventory (-i), not among the policies (-p). Move it.", b.Type),
				Subject: b.DefRange.Ptr(),
			})
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Block outside a policy",
				Detail:  fmt.Sprintf("A %s block belongs inside a policy block. Move it into the policy it belongs to.", b.Type),
				Subject: b.DefRange.Ptr(),
			})
		}
	}
	return f, diags
}
