package inventory

import (
	"github.com/hashicorp/hcl/v2"
)

// DefaultsBlock is a decoded defaults block: the settings every host
// starts from. An inventory has at most one, in any of its files.
type DefaultsBlock struct {
	DeclRange hcl.Range

	settings map[string]*setting
}

// Attributes returns the arguments the block sets, by name.
func (d *DefaultsBlock) Attributes() hcl.Attributes { return attributesOf(d.settings) }

// decodeDefaultsBlock decodes a defaults block.
func decodeDefaultsBlock(block *hcl.Block, src *evalSource) (*DefaultsBlock, hcl.Diagnostics) {
	settings, diags := decodeSettings(block.Body, inDefaults, src, block.DefRange)
	return &DefaultsBlock{DeclRange: block.DefRange, settings: settings}, diags
}

// attributesOf returns the attributes behind a block's settings.
func attributesOf(settings map[string]*setting) hcl.Attributes {
	attrs := make(hcl.Attributes, len(settings))
	for name, s := range settings {
		attrs[name] = s.attr
	}
	return attrs
}
