package ansibleinv

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the values a YAML file may expand to, aliases included.
const maxNodes = 5_000_000

// yamlFile converts one YAML document to Go values the way Ansible's
// loader (YAML 1.1) sees them: yes/no/on/off are booleans, !vault values
// are opaque, !unsafe strings are strings.
type yamlFile struct {
	path  string
	nodes int
}

func (y *yamlFile) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: y.path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func parseYAMLDoc(path string, src []byte) (*yaml.Node, *yamlFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil, &Error{File: path, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	y := &yamlFile{path: path}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, y, nil
	}
	return doc.Content[0], y, nil
}

// value converts a node.
func (y *yamlFile) value(n *yaml.Node, depth int) (any, error) {
	y.nodes++
	if y.nodes > maxNodes {
		return nil, y.errorf(n, "the file expands to more than %d values (aliases included)", maxNodes)
	}
	if depth > maxDepth {
		return nil, y.errorf(n, "values nest more than %d deep", maxDepth)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return y.value(n.Alias, depth+1)
	case yaml.MappingNode:
		m := map[string]any{}
		if err := y.eachPair(n, func(k *yaml.Node, v *yaml.Node) error {
			val, err := y.value(v, depth+1)
			if err != nil {
				return err
			}
			m[y.key(k)] = val
			return nil
		}); err != nil {
			return nil, err
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := y.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		return scalar(n), nil
	}
	return nil, y.errorf(n, "unexpected YAML node")
}

// eachPair walks a mapping's pairs, merge keys (<<) included.
func (y *yamlFile) eachPair(n *yaml.Node, f func(k, v *yaml.Node) error) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			for v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				for s.Kind == yaml.AliasNode {
					s = s.Alias
				}
				if s.Kind == yaml.MappingNode {
					y.nodes += len(s.Content)
					if y.nodes > maxNodes {
						return y.errorf(n, "the file expands to more than %d values (aliases included)", maxNodes)
					}
					if err := y.eachPair(s, f); err != nil {
						return err
					}
				}
			}
			continue
		}
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (y *yamlFile) key(k *yaml.Node) string {
	for k.Kind == yaml.AliasNode {
		k = k.Alias
	}
	if k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return ""
}

// scalar converts a scalar by its resolved tag, with YAML 1.1's booleans.
func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!vault", "!vault-encrypted":
		return Vault{}
	case "!unsafe":
		return n.Value
	}
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
		return n.Value
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
		return n.Value
	case "!!str":
		switch n.Value {
		case "yes", "Yes", "YES", "on", "On", "ON":
			return true
		case "no", "No", "NO", "off", "Off", "OFF":
			return false
		}
	}
	return n.Value
}

// parseYAML reads a YAML inventory as ansible-core's yaml plugin does.
func (inv *Inventory) parseYAML(path string, src []byte) error {
	root, y, err := parseYAMLDoc(path, src)
	if err != nil {
		return err
	}
	if root == nil {
		return &Error{File: path, Msg: "the YAML file is empty"}
	}
	for root.Kind == yaml.AliasNode {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode {
		return y.errorf(root, "a YAML inventory is a mapping of group names, not a %s", kindName(root))
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if y.key(root.Content[i]) == "plugin" {
			return y.errorf(root.Content[i], "this is an inventory plugin's configuration (plugin: …), not a YAML inventory; fleetport reads INI and YAML inventories only: run `ansible-inventory -i %s --list -y > hosts.yml` and import that", path)
		}
	}
	return y.eachPair(root, func(k, v *yaml.Node) error {
		_, err := inv.yamlGroup(y, y.key(k), v, 0)
		return err
	})
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "mapping"
}

// yamlGroup reads one group's hosts, vars and children.
func (inv *Inventory) yamlGroup(y *yamlFile, name string, n *yaml.Node, depth int) (string, error) {
	if depth > maxDepth {
		return "", y.errorf(n, "groups nest more than %d deep", maxDepth)
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	if n.Kind != yaml.MappingNode && !isNull {
		// Ansible warns and skips it.
		return name, nil
	}
	if name == "" {
		return "", y.errorf(n, "a group has an empty name")
	}
	inv.addGroup(name)
	if isNull {
		return name, nil
	}
	return name, y.eachPair(n, func(kn, v *yaml.Node) error {
		key := y.key(kn)
		for v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		var section *yaml.Node
		switch {
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
			return nil
		case v.Kind == yaml.ScalarNode && (key == "hosts" || key == "children" || key == "vars") && v.ShortTag() == "!!str":
			// A string stands for a mapping of that one name.
			section = &yaml.Node{Kind: yaml.MappingNode, Line: v.Line, Content: []*yaml.Node{v, {Kind: yaml.ScalarNode, Tag: "!!null"}}}
		case v.Kind == yaml.MappingNode:
			section = v
		case key == "hosts" || key == "children" || key == "vars":
			return y.errorf(v, "the %q entry of group %q must be a mapping, not a %s", key, name, kindName(v))
		default:
			return nil // Ansible warns and skips it
		}
		switch key {
		case "vars":
			return y.eachPair(section, func(k, v *yaml.Node) error {
				val, err := y.value(v, 1)
				if err != nil {
					return err
				}
				inv.setGroupVar(name, y.key(k), val)
				return nil
			})
		case "children":
			return y.eachPair(section, func(k, v *yaml.Node) error {
				child, err := inv.yamlGroup(y, y.key(k), v, depth+1)
				if err != nil {
					return err
				}
				if err := inv.addChild(name, child); err != nil {
					return y.errorf(k, "%v", err)
				}
				return nil
			})
		case "hosts":
			return y.eachPair(section, func(k, v *yaml.Node) error {
				if k.ShortTag() != "!!str" {
					return y.errorf(k, "host pattern %s must be a string: quote it", k.Value)
				}
				names, port, err := expandHostPattern(k.Value, MaxHosts-len(inv.hosts))
				if err != nil {
					return y.errorf(k, "%v", err)
				}
				var vars map[string]any
				if !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
					val, err := y.value(v, 1)
					if err != nil {
						return err
					}
					m, ok := val.(map[string]any)
					if !ok {
						return y.errorf(v, "the variables of host %q must be a mapping", k.Value)
					}
					vars = m
				}
				for _, hn := range names {
					h, err := inv.addHost(hn, name)
					if err != nil {
						return y.errorf(k, "%v", err)
					}
					if port > 0 {
						h.Vars["ansible_port"] = int64(port)
					}
					for kk, vv := range vars {
						h.Vars[kk] = vv
					}
				}
				return nil
			})
		}
		return nil
	})
}

// loadVarsFile reads a group_vars or host_vars file: a YAML (or JSON)
// mapping.
func loadVarsFile(path string) (map[string]any, error) {
	src, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	root, y, err := parseYAMLDoc(path, src)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, nil
	}
	v, err := y.value(root, 0)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, y.errorf(root, "a variables file is a mapping of names to values")
	}
	return m, nil
}
