package inventory

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// AllGroup is the implicit group every host is in. No block may declare
// it; a --limit term "all" selects every host.
const AllGroup = "all"

// GroupBlock is a decoded group block: settings, tags and vars its member
// hosts inherit, and a concurrency cap for its members.
type GroupBlock struct {
	Name      string
	NameRange hcl.Range
	DeclRange hcl.Range

	settings map[string]*setting
}

// Attributes returns the arguments the block sets, by name.
func (g *GroupBlock) Attributes() hcl.Attributes { return attributesOf(g.settings) }

// decodeGroupBlock decodes a group block.
func decodeGroupBlock(block *hcl.Block, src *evalSource) (*GroupBlock, hcl.Diagnostics) {
	g := &GroupBlock{Name: block.Labels[0], NameRange: block.LabelRanges[0], DeclRange: block.DefRange}
	var diags hcl.Diagnostics
	switch {
	case !validName(g.Name):
		diags = append(diags, errorDiag(g.NameRange, "Invalid group name",
			fmt.Sprintf("%q is not a valid group name. %s", g.Name, nameRule)))
	case g.Name == AllGroup:
		diags = append(diags, errorDiag(g.NameRange, "Reserved group name",
			`"all" is the group of every host and cannot be declared. Choose another name.`))
	}
	settings, sd := decodeSettings(block.Body, inGroup, src, block.DefRange)
	g.settings = settings
	return g, append(diags, sd...)
}

// Group is a resolved group.
type Group struct {
	Name string
	// Concurrency caps how many of the group's hosts are worked on at
	// once; 0 means no cap of its own.
	Concurrency int
	Hosts       []string // member host names, sorted
	DeclRange   hcl.Range
}
