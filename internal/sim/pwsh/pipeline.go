package pwsh

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// invoke runs a script block with $_ set to item.
func (s *shell) invoke(sb *scriptBlock, item value) ([]value, error) {
	saved, had := s.vars["_"]
	s.vars["_"] = item
	defer func() {
		if had {
			s.vars["_"] = saved
		} else {
			delete(s.vars, "_")
		}
	}()
	out, err := s.collectStatements(sb.stmts)
	var rs *returnSignal
	if errors.As(err, &rs) {
		err = nil
	}
	return out, err
}

var whereOperators = []string{"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch",
	"Contains", "NotContains", "In", "NotIn", "CEQ", "CNE", "CGT", "CGE", "CLT", "CLE", "CLike", "CNotLike",
	"CMatch", "CNotMatch", "CContains", "CNotContains", "CIn", "CNotIn", "Is", "IsNot"}

func whereParams() []paramSpec {
	ps := []paramSpec{
		{name: "FilterScript", position: 0, typeName: "System.Management.Automation.ScriptBlock"},
		{name: "Property", position: -1, typeName: "System.String"},
		{name: "Value", position: 1, typeName: "System.Object"},
		{name: "InputObject", position: -1},
	}
	for _, op := range whereOperators {
		ps = append(ps, paramSpec{name: op, isSwitch: true, position: -1})
	}
	return ps
}

func runWhereObject(s *shell, b *binding, input []value, hasInput bool) ([]value, error) {
	if b.has("InputObject") {
		input = []value{b.get("InputObject")}
	}
	// Simplified syntax: Where-Object Prop -eq Value. The first positional
	// argument is then a property name, not a script block.
	fs, isBlock := b.get("FilterScript").(*scriptBlock)
	prop := ""
	if b.has("FilterScript") && !isBlock {
		prop = toStr(b.get("FilterScript"))
	}
	if b.has("Property") {
		prop = toStr(b.get("Property"))
	}
	op := ""
	for _, o := range whereOperators {
		if b.switchOn(o) {
			op = strings.ToLower(o)
		}
	}
	if !isBlock && prop == "" {
		return nil, nil
	}
	var out []value
	for _, item := range input {
		if err := s.step(); err != nil {
			return out, err
		}
		var keep bool
		if isBlock {
			res, err := s.invoke(fs, item)
			if err != nil {
				return out, err
			}
			keep = toBool(collapse(res))
		} else {
			pv := member(item, prop)
			if op == "" {
				keep = toBool(pv)
			} else {
				cs := false
				base := op
				if len(op) > 1 && op[0] == 'c' && op != "contains" {
					cs, base = true, op[1:]
				}
				switch base {
				case "contains", "notcontains", "in", "notin", "is", "isnot":
					be := &binaryExpr{op: "-" + op, l: &constExpr{v: pv}, r: &constExpr{v: b.get("Value")}, x: b.call.x}
					v, err := s.evalBinary(be)
					if err != nil {
						return out, err
					}
					keep = toBool(v)
				default:
					m, err := s.compare(base, pv, b.get("Value"), cs, &binaryExpr{x: b.call.x})
					if err != nil {
						return out, err
					}
					keep = m
				}
			}
		}
		if keep {
			out = append(out, item)
		}
	}
	return out, nil
}

func runForEachObject(s *shell, b *binding, input []value, hasInput bool) ([]value, error) {
	if b.has("InputObject") {
		input = []value{b.get("InputObject")}
	}
	var out []value
	if b.has("MemberName") || (b.has("Process") && !isBlockValue(b.get("Process"))) {
		name := toStr(b.get("MemberName"))
		if !b.has("MemberName") {
			name = toStr(b.get("Process"))
		}
		for _, item := range input {
			out = append(out, flatten(member(item, name))...)
		}
		return out, nil
	}
	run := func(v value, item value) error {
		sb, ok := v.(*scriptBlock)
		if !ok {
			return nil
		}
		res, err := s.invoke(sb, item)
		out = append(out, res...)
		return err
	}
	if err := run(b.get("Begin"), nil); err != nil {
		return out, err
	}
	blocks := flatten(b.get("Process"))
	for _, item := range input {
		if err := s.step(); err != nil {
			return out, err
		}
		for _, blk := range blocks {
			if err := run(blk, item); err != nil {
				return out, err
			}
		}
	}
	return out, run(b.get("End"), nil)
}

func isBlockValue(v value) bool {
	for _, e := range flatten(v) {
		if _, ok := e.(*scriptBlock); !ok {
			return false
		}
	}
	return true
}

// selectSpec is one -Property entry: a name (wildcards allowed) or a
// calculated property @{Name/Label/n/l = ...; Expression/e = ...}.
type selectSpec struct {
	name string
	expr value // string property name or *scriptBlock
	calc bool
}

func (s *shell) selectSpecs(b *binding) ([]selectSpec, *errorRecord) {
	var specs []selectSpec
	for _, p := range flatten(b.get("Property")) {
		h, ok := p.(*hashtable)
		if !ok {
			specs = append(specs, selectSpec{name: toStr(p), expr: toStr(p)})
			continue
		}
		sp := selectSpec{calc: true}
		for i, k := range h.keys {
			key := strings.ToLower(k)
			switch {
			case key != "" && (strings.HasPrefix("name", key) || strings.HasPrefix("label", key)):
				sp.name = toStr(h.vals[i])
			case key != "" && strings.HasPrefix("expression", key):
				sp.expr = h.vals[i]
			default:
				return nil, &errorRecord{
					message:        fmt.Sprintf("The %s key is not valid.", k),
					invocationName: b.invName,
					position:       s.positionMessage(b.call.x),
					category:       "InvalidArgument: (:) [Select-Object], NotSupportedException",
					fqid:           "DictionaryKeyIllegal,Microsoft.PowerShell.Commands.SelectObjectCommand",
				}
			}
		}
		if sp.name == "" {
			sp.name = toStr(sp.expr)
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

func runSelectObject(s *shell, b *binding, input []value, hasInput bool) ([]value, error) {
	if b.has("InputObject") {
		input = []value{b.get("InputObject")}
	}
	specs, rec := s.selectSpecs(b)
	if rec != nil {
		return nil, newTerminating(rec)
	}
	if b.has("Skip") {
		n, _ := toInt(b.get("Skip"))
		input = input[min(max(int(n), 0), len(input)):]
	}
	if b.has("First") || b.has("Last") {
		var sel []value
		if b.has("First") {
			n, _ := toInt(b.get("First"))
			sel = append(sel, input[:min(max(int(n), 0), len(input))]...)
		}
		if b.has("Last") {
			n, _ := toInt(b.get("Last"))
			sel = append(sel, input[len(input)-min(max(int(n), 0), len(input)):]...)
		}
		input = sel
	}
	var out []value
	for _, item := range input {
		if err := s.step(); err != nil {
			return out, err
		}
		if len(specs) == 0 && !b.has("ExpandProperty") {
			out = append(out, item)
			continue
		}
		var o *object
		if len(specs) > 0 {
			o = &object{kind: kindCustom}
			for _, sp := range specs {
				if !sp.calc {
					if strings.ContainsAny(sp.name, "*?") {
						obj, ok := item.(*object)
						if !ok {
							continue
						}
						if obj.kind == kindTCP {
							return out, newTerminating(notEmulated("Select-Object with wildcards on CIM instances", s.positionMessage(b.call.x)))
						}
						for _, p := range obj.props {
							if wildcardMatch(sp.name, p.name, true) {
								o.props = append(o.props, prop{name: p.name, v: p.v})
							}
						}
						continue
					}
					name := sp.name
					if obj, ok := item.(*object); ok {
						if n, ok := obj.propName(sp.name); ok {
							name = n
						}
					}
					o.props = append(o.props, prop{name: name, v: member(item, sp.name)})
					continue
				}
				var v value
				switch e := sp.expr.(type) {
				case *scriptBlock:
					res, err := s.invoke(e, item)
					if err != nil {
						return out, err
					}
					v = collapse(res)
				default:
					v = member(item, toStr(e))
				}
				o.props = append(o.props, prop{name: sp.name, v: v})
			}
		}
		if b.has("ExpandProperty") {
			name := toStr(b.get("ExpandProperty"))
			obj, ok := item.(*object)
			if !ok {
				if h, ok := item.(*hashtable); ok {
					if v, ok := h.get(name); ok {
						out = append(out, flatten(v)...)
						continue
					}
				}
			} else if v, found := obj.get(name); found {
				out = append(out, flatten(v)...)
				continue
			}
			// "Property "X" cannot be found." (PSArgumentException
			// ExpandPropertyNotFound of Select-Object).
			rec := &errorRecord{
				message:        fmt.Sprintf("Property \"%s\" cannot be found.", name),
				invocationName: b.invName,
				position:       s.positionMessage(b.call.x),
				category:       "InvalidArgument: (" + categoryTarget(item) + ") [Select-Object], PSArgumentException",
				fqid:           "ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
			}
			if err := s.cmdletError(b, rec); err != nil {
				return out, err
			}
			continue
		}
		out = append(out, o)
	}
	if b.switchOn("Unique") {
		var uniq []value
		seen := map[string]bool{}
		for _, v := range out {
			k := toStr(v)
			if o, ok := v.(*object); ok {
				k = jsonCompact(o)
			}
			if !seen[k] {
				seen[k] = true
				uniq = append(uniq, v)
			}
		}
		out = uniq
	}
	return out, nil
}

func jsonCompact(v value) string {
	var b strings.Builder
	writeJSON(&b, processJSON(v, 0, 2))
	return b.String()
}

func runSortObject(s *shell, b *binding, input []value, hasInput bool) ([]value, error) {
	if b.has("InputObject") {
		input = []value{b.get("InputObject")}
	}
	props := flatten(b.get("Property"))
	desc := b.switchOn("Descending")
	cs := b.switchOn("CaseSensitive")
	keyOf := func(v value) ([]value, error) {
		if len(props) == 0 {
			return []value{v}, nil
		}
		var keys []value
		for _, p := range props {
			switch e := p.(type) {
			case *scriptBlock:
				res, err := s.invoke(e, v)
				if err != nil {
					return nil, err
				}
				keys = append(keys, collapse(res))
			case *hashtable:
				ex, _ := e.get("Expression")
				if ex == nil {
					ex, _ = e.get("e")
				}
				if sb, ok := ex.(*scriptBlock); ok {
					res, err := s.invoke(sb, v)
					if err != nil {
						return nil, err
					}
					keys = append(keys, collapse(res))
				} else {
					keys = append(keys, member(v, toStr(ex)))
				}
			default:
				keys = append(keys, member(v, toStr(p)))
			}
		}
		return keys, nil
	}
	type entry struct {
		v    value
		keys []value
	}
	entries := make([]entry, 0, len(input))
	for _, v := range input {
		if err := s.step(); err != nil {
			return nil, err
		}
		k, err := keyOf(v)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{v, k})
	}
	sort.SliceStable(entries, func(i, j int) bool {
		for k := range entries[i].keys {
			c := sortCompare(entries[i].keys[k], entries[j].keys[k], cs)
			if c != 0 {
				if desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
	out := make([]value, 0, len(entries))
	for i, e := range entries {
		if b.switchOn("Unique") && i > 0 {
			same := true
			for k := range e.keys {
				if sortCompare(e.keys[k], entries[i-1].keys[k], cs) != 0 {
					same = false
				}
			}
			if same {
				continue
			}
		}
		out = append(out, e.v)
	}
	return out, nil
}

// sortCompare orders values the way Sort-Object does: $null first, numbers
// numerically, everything else as culture-insensitive strings.
func sortCompare(a, b value, cs bool) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	an, aok := a.(enumValue)
	bn, bok := b.(enumValue)
	if aok && bok {
		return cmpInt(an.n, bn.n)
	}
	if isNumeric(a) && isNumeric(b) {
		x, _ := toNumber(a)
		y, _ := toNumber(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	x, y := toStr(a), toStr(b)
	if !cs {
		x, y = strings.ToLower(x), strings.ToLower(y)
	}
	return strings.Compare(x, y)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
