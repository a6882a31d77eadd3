package ansibleinv

import (
	"math"
	"strconv"
	"strings"
)

// parseValue reads an INI value as Ansible does: a Python literal (string,
// number, boolean, None, list, tuple or dict) when it is one, with an
// optional trailing comment, else the text as it is.
func parseValue(s string) any {
	p := &litParser{s: s}
	v, ok := p.value(0)
	if !ok {
		return s
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] != '#' {
		return s
	}
	return v
}

type litParser struct {
	s string
	i int
}

func (p *litParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *litParser) value(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		var b strings.Builder
		for {
			s, ok := p.str()
			if !ok {
				return nil, false
			}
			b.WriteString(s)
			p.space()
			// Python joins adjacent string literals.
			if p.i >= len(p.s) || p.s[p.i] != '\'' && p.s[p.i] != '"' {
				return b.String(), true
			}
		}
	case c == '[' || c == '(':
		closer := byte(']')
		if c == '(' {
			closer = ')'
		}
		p.i++
		list := []any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == closer {
				p.i++
				return list, true
			}
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			list = append(list, v)
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == closer {
				p.i++
				return list, true
			}
			return nil, false
		}
	case c == '{':
		p.i++
		m := map[string]any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return m, true
			}
			k, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, false // a set, or not a literal
			}
			p.i++
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			ks, isStr := k.(string)
			if !isStr {
				ks = toText(k)
			}
			m[ks] = v
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return m, true
			}
			return nil, false
		}
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	default:
		start := p.i
		for p.i < len(p.s) && (isIdent(p.s[p.i])) {
			p.i++
		}
		switch p.s[start:p.i] {
		case "True":
			return true, true
		case "False":
			return false, true
		case "None":
			return nil, true
		}
		return nil, false
	}
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// str reads one quoted Python string, with its escapes.
func (p *litParser) str() (string, bool) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), true
		case c == '\n':
			return "", false
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(e)
			case '\n':
			case 'x':
				if p.i+2 > len(p.s) {
					return "", false
				}
				n, err := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
				if err != nil {
					return "", false
				}
				b.WriteRune(rune(n))
				p.i += 2
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

// number reads a Python int or float: decimal (no leading zeros),
// 0x/0o/0b, underscores between digits, an optional sign.
func (p *litParser) number() (any, bool) {
	start := p.i
	if p.s[p.i] == '-' || p.s[p.i] == '+' {
		p.i++
		p.space()
	}
	body := p.i
	for p.i < len(p.s) && (isIdent(p.s[p.i]) || p.s[p.i] == '.' ||
		(p.s[p.i] == '-' || p.s[p.i] == '+') && p.i > body && (p.s[p.i-1] == 'e' || p.s[p.i-1] == 'E')) {
		p.i++
	}
	neg := p.s[start] == '-'
	text := p.s[body:p.i]
	if text == "" || strings.Contains(text, "__") || strings.HasPrefix(text, "_") || strings.HasSuffix(text, "_") {
		return nil, false
	}
	clean := strings.ReplaceAll(text, "_", "")
	lower := strings.ToLower(clean)
	var n int64
	var err error
	switch {
	case strings.HasPrefix(lower, "0x"), strings.HasPrefix(lower, "0o"), strings.HasPrefix(lower, "0b"):
		n, err = strconv.ParseInt(clean, 0, 64)
	case strings.ContainsAny(lower, ".e"):
		if strings.ContainsAny(lower, "xobj") {
			return nil, false
		}
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, false
		}
		if neg {
			f = -f
		}
		return f, true
	default:
		if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
			return nil, false // Python 3 refuses leading zeros
		}
		n, err = strconv.ParseInt(clean, 10, 64)
	}
	if err != nil {
		return nil, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// toText renders a scalar as Python's str() would, for dict keys.
func toText(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	}
	return ""
}
