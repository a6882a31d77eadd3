package ansibleinv

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var (
	iniSection   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	iniGroupName = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

type pendingDecl struct {
	line    int
	state   string
	parents []string
}

// parseINI reads an INI inventory as ansible-core's ini plugin does.
func (inv *Inventory) parseINI(path string, src []byte) error {
	group, state := "ungrouped", "hosts"
	pending := map[string]*pendingDecl{}
	var pendingOrder []string
	fail := func(line int, format string, args ...any) error {
		return &Error{File: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var addPending func(g string) error
	addPending = func(g string) error {
		d := pending[g]
		for _, p := range d.parents {
			if err := inv.addChild(p, g); err != nil {
				return err
			}
			if pd, ok := pending[p]; ok && pd.state == "children" {
				if err := addPending(p); err != nil {
					return err
				}
			}
		}
		delete(pending, g)
		return nil
	}
	for n, raw := range strings.Split(string(src), "\n") {
		lineno := n + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if m := iniSection.FindStringSubmatch(line); m != nil {
			group, state = m[1], m[2]
			if state == "" {
				state = "hosts"
			}
			if state != "hosts" && state != "children" && state != "vars" {
				return fail(lineno, "section [%s:%s] has an unknown type %q: it must be hosts, children or vars", m[1], m[2], m[2])
			}
			if _, known := inv.groups[group]; !known {
				if state == "vars" && pending[group] == nil {
					pending[group] = &pendingDecl{line: lineno, state: state}
					pendingOrder = append(pendingOrder, group)
				}
				inv.addGroup(group)
			}
			if d, ok := pending[group]; ok && state != "vars" {
				if d.state == "children" {
					if err := addPending(group); err != nil {
						return fail(lineno, "%v", err)
					}
				} else {
					delete(pending, group)
				}
			}
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			return fail(lineno, "invalid section entry %q: a section has no spaces and no other invalid characters", line)
		}
		switch state {
		case "hosts":
			tokens, err := shlexSplit(line)
			if err != nil {
				return fail(lineno, "host definition %q: %v", line, err)
			}
			if len(tokens) == 0 {
				continue
			}
			names, port, err := expandHostPattern(tokens[0], MaxHosts-len(inv.hosts))
			if err != nil {
				return fail(lineno, "%v", err)
			}
			vars := map[string]any{}
			var keys []string
			for _, t := range tokens[1:] {
				k, v, ok := strings.Cut(t, "=")
				if !ok {
					return fail(lineno, "expected a key=value host variable, got %q", t)
				}
				if _, dup := vars[k]; !dup {
					keys = append(keys, k)
				}
				vars[k] = parseValue(v)
			}
			for _, name := range names {
				if strings.TrimSpace(name) == "---" {
					return fail(lineno, "host pattern %q: \"---\" is a sign this is a YAML file", tokens[0])
				}
				h, err := inv.addHost(name, group)
				if err != nil {
					return fail(lineno, "%v", err)
				}
				if port > 0 {
					h.Vars["ansible_port"] = int64(port)
				}
				for _, k := range keys {
					h.Vars[k] = vars[k]
				}
			}
		case "vars":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return fail(lineno, "expected key=value, got %q", line)
			}
			inv.setGroupVar(group, strings.TrimSpace(k), parseValue(strings.TrimSpace(v)))
		case "children":
			m := iniGroupName.FindStringSubmatch(line)
			if m == nil {
				return fail(lineno, "expected a group name, got %q", line)
			}
			child := m[1]
			if _, known := inv.groups[child]; !known {
				if d, ok := pending[child]; ok {
					d.parents = append(d.parents, group)
				} else {
					pending[child] = &pendingDecl{line: lineno, state: "children", parents: []string{group}}
					pendingOrder = append(pendingOrder, child)
				}
				continue
			}
			if err := inv.addChild(group, child); err != nil {
				return fail(lineno, "%v", err)
			}
		}
	}
	for _, g := range pendingOrder {
		d, ok := pending[g]
		if !ok {
			continue
		}
		if d.state == "vars" {
			return fail(d.line, "section [%s:vars] is for a group that is not declared: %s", g, g)
		}
		return fail(d.line, "section [%s:children] includes a group that is not declared: %s", d.parents[len(d.parents)-1], g)
	}
	return nil
}

var errNoClosingQuote = errors.New("no closing quotation")

// shlexSplit splits a line as Python's shlex.split(line, comments=True)
// does in POSIX mode: whitespace separates words, quotes group, a
// backslash escapes outside single quotes, and "#" starts a comment.
func shlexSplit(s string) ([]string, error) {
	var out []string
	var tok strings.Builder
	inWord := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				tok.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				tok.WriteByte(s[i])
			default:
				tok.WriteByte(c)
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if inWord {
				out = append(out, tok.String())
				tok.Reset()
				inWord = false
			}
		case c == '#':
			if inWord {
				out = append(out, tok.String())
			}
			return out, nil
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				tok.WriteByte(s[i])
			}
		default:
			inWord = true
			tok.WriteByte(c)
		}
	}
	if quote != 0 {
		return nil, errNoClosingQuotation(quote)
	}
	if inWord {
		out = append(out, tok.String())
	}
	return out, nil
}

func errNoClosingQuotation(q byte) error {
	return fmt.Errorf("%w (%c)", errNoClosingQuote, q)
}
