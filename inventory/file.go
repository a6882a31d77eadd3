package inventory

import (
	"github.com/hashicorp/hcl/v2"
)

// File is one decoded inventory file: its blocks, in the order written,
// with their ranges. A File records structure only: duplicates, group
// references and inherited settings are checked when files are merged
// ([Merge]).
type File struct {
	Name     string // as given to [Parse]; diagnostics use it
	Defaults []*DefaultsBlock
	Groups   []*GroupBlock
	Hosts    []*HostBlock
	Sources  []*Source

	hcl *hcl.File
}

// HCL returns the parsed HCL file (its bytes and body), for rendering
// diagnostics with source snippets. It is never nil.
func (f *File) HCL() *hcl.File { return f.hcl }

// fileSchema is the top level of an inventory file.
var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "defaults"},
		{Type: "group", LabelNames: []string{"name"}},
		{Type: "host", LabelNames: []string{"name"}},
		{Type: "source", LabelNames: []string{"kind", "name"}},
	},
}

// topLevelSchema is fileSchema with every setting as an attribute too: a
// setting written outside any block then gets a message saying which block
// it belongs in, rather than "unsupported argument".
var topLevelSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: fileSchema.Blocks}
	for _, spec := range settingSpecs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: spec.name})
	}
	return s
}()
