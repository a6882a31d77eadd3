package pwsh

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ConvertTo-Json of Windows PowerShell 5.1: ProcessValue turns the input
// into dictionaries and lists (objects deeper than -Depth become strings),
// System.Web.Script.Serialization.JavaScriptSerializer writes compact JSON,
// and unless -Compress ConvertToPrettyJsonString re-indents it (4 spaces,
// two spaces after ':', nested values aligned under their key). Both halves
// follow the Full-CLR branch of ConvertToJsonCommand.cs (search corpus id
// 1461019536); the output matches corpus
// Get-NetTCPConnection-listen-ConvertTo-Json-inspec.txt byte for byte.

// jsonObj is an ordered JSON object.
type jsonObj struct {
	keys []string
	vals []any
}

// jsonNotEmulated marks an input the emulation cannot serialise faithfully.
type jsonNotEmulated struct{ what string }

// processJSON is ConvertToJsonCommand.ProcessValue.
func processJSON(v value, depth, maxDepth int) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool:
		return x
	case enumValue:
		return x.n
	case *errorRecord:
		return x.message
	}
	if depth > maxDepth {
		return toStr(v)
	}
	switch x := v.(type) {
	case []value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = processJSON(e, depth+1, maxDepth)
		}
		return out
	case *hashtable:
		o := &jsonObj{}
		for i, k := range x.keys {
			o.keys = append(o.keys, k)
			o.vals = append(o.vals, processJSON(x.vals[i], depth+1, maxDepth))
		}
		return o
	case *object:
		if x.kind == kindTCP {
			return jsonNotEmulated{"ConvertTo-Json of a Get-NetTCPConnection object without Select-Object (its full CIM property set is not known)"}
		}
		o := &jsonObj{}
		for _, p := range x.props {
			o.keys = append(o.keys, p.name)
			o.vals = append(o.vals, processJSON(p.v, depth+1, maxDepth))
		}
		return o
	case *scriptBlock:
		return x.text
	}
	return toStr(v)
}

func findNotEmulated(n any) (string, bool) {
	switch x := n.(type) {
	case jsonNotEmulated:
		return x.what, true
	case []any:
		for _, e := range x {
			if w, ok := findNotEmulated(e); ok {
				return w, true
			}
		}
	case *jsonObj:
		for _, e := range x.vals {
			if w, ok := findNotEmulated(e); ok {
				return w, true
			}
		}
	}
	return "", false
}

// writeJSON is JavaScriptSerializer.Serialize.
func writeJSON(b *strings.Builder, n any) {
	switch x := n.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(formatJSONDouble(x))
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case *jsonObj:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, x.vals[i])
		}
		b.WriteByte('}')
	default:
		writeJSONString(b, fmt.Sprint(x))
	}
}

// writeJSONString is JavaScriptString.QuoteString: the short escapes, and
// \uxxxx (lower-case hex) for other control characters and for ' < > &.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\'', '<', '>', '&':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// formatJSONDouble is Double.ToString("r", InvariantCulture).
func formatJSONDouble(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatDouble(f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	abs := math.Abs(f)
	if abs != 0 && (abs >= 1e15 || abs < 1e-5) {
		s = strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		for len(exp) < 2 {
			exp = "0" + exp
		}
		return mant + "E" + string(sign) + exp
	}
	if strings.ContainsAny(s, "e") {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

// prettyJSON is ConvertToJsonCommand.ConvertToPrettyJsonString.
func prettyJSON(json string) string {
	if !strings.HasPrefix(json, "{") && !strings.HasPrefix(json, "[") {
		return json
	}
	src := []rune(json)
	var b strings.Builder
	b.WriteRune(src[0])
	if src[0] == '{' {
		prettyDict(src, 1, &b, "", 0)
	} else {
		prettyList(src, 1, &b, "", 0)
	}
	return b.String()
}

func prettyList(src []rune, index int, b *strings.Builder, pad string, spaces int) int {
	b.WriteString("\r\n")
	newPad := pad + strings.Repeat(" ", spaces) + "    "
	head := true
	for i := index; i < len(src); i++ {
		switch src[i] {
		case '{':
			b.WriteString(newPad)
			b.WriteRune(src[i])
			i = prettyDict(src, i+1, b, newPad, 0)
			head = false
		case '[':
			b.WriteString(newPad)
			b.WriteRune(src[i])
			i = prettyList(src, i+1, b, newPad, 0)
			head = false
		case ']':
			b.WriteString("\r\n")
			b.WriteString(pad)
			b.WriteString(strings.Repeat(" ", spaces))
			b.WriteRune(src[i])
			return i
		case '"':
			if head {
				b.WriteString(newPad)
			}
			b.WriteRune(src[i])
			i = prettyQuoted(src, i+1, b)
			head = false
		case ',':
			b.WriteString(",\r\n")
			head = true
		default:
			if head {
				b.WriteString(newPad)
			}
			b.WriteRune(src[i])
			head = false
		}
	}
	return len(src)
}

func prettyQuoted(src []rune, index int, b *strings.Builder) int {
	for i := index; i < len(src); i++ {
		b.WriteRune(src[i])
		if src[i] == '"' {
			escaped := false
			for j := i - 1; j > 0 && src[j] == '\\'; j-- {
				escaped = !escaped
			}
			if !escaped {
				return i
			}
		}
	}
	return len(src)
}

func prettyDict(src []rune, index int, b *strings.Builder, pad string, spaces int) int {
	b.WriteString("\r\n")
	newPad := pad + strings.Repeat(" ", spaces) + "    "
	head, beforeQuote := true, true
	newSpaces := 0
	for i := index; i < len(src); i++ {
		switch src[i] {
		case '{':
			b.WriteRune(src[i])
			i = prettyDict(src, i+1, b, newPad, newSpaces)
			head = false
		case '[':
			b.WriteRune(src[i])
			i = prettyList(src, i+1, b, newPad, newSpaces)
			head = false
		case '}':
			b.WriteString("\r\n")
			b.WriteString(pad)
			b.WriteString(strings.Repeat(" ", spaces))
			b.WriteRune(src[i])
			return i
		case '"':
			if head {
				b.WriteString(newPad)
			}
			b.WriteRune(src[i])
			end := prettyQuoted(src, i+1, b)
			if beforeQuote {
				newSpaces += end - i + 1
			}
			i = end
			head = false
		case ':':
			b.WriteString(":  ")
			newSpaces += 3
			head = false
			beforeQuote = false
		case ',':
			b.WriteString(",\r\n")
			head, beforeQuote = true, true
			newSpaces = 0
		default:
			if head {
				b.WriteString(newPad)
			}
			b.WriteRune(src[i])
			if beforeQuote {
				newSpaces++
			}
			head = false
		}
	}
	return len(src)
}

// convertToJSON returns what ConvertTo-Json writes for its collected input.
func convertToJSON(inputs []value, depth int, compress bool) (string, string, bool) {
	if len(inputs) == 0 {
		return "", "", false
	}
	var obj value = inputs[0]
	if len(inputs) > 1 {
		obj = inputs
	}
	n := processJSON(obj, 0, depth)
	if what, bad := findNotEmulated(n); bad {
		return "", what, true
	}
	var b strings.Builder
	writeJSON(&b, n)
	if compress {
		return b.String(), "", true
	}
	return prettyJSON(b.String()), "", true
}

func runConvertToJSON(s *shell, b *binding, input []value, hasInput bool) ([]value, error) {
	depth := 2
	if b.has("Depth") {
		n, ok := toInt(b.get("Depth"))
		if !ok || n < 1 {
			return nil, newTerminating(s.bindError(b.c, b.call, b.invName,
				fmt.Sprintf("Cannot validate argument on parameter 'Depth'. The %s argument is less than the minimum allowed range of 1. Supply an argument that is greater than or equal to 1 and then try the command again.", toStr(b.get("Depth"))),
				"ParameterArgumentValidationError", b.call.x))
		}
		if n > 100 {
			// WebCmdletStrings.ReachedMaximumDepthAllowed, thrown from BeginProcessing.
			return nil, s.cmdletError(b, &errorRecord{
				message:        "The maximum depth allowed for serialization is 100.",
				invocationName: b.invName,
				position:       s.positionMessage(b.call.x),
				category:       "InvalidOperation: (:) [ConvertTo-Json], InvalidOperationException",
				fqid:           "ReachedMaximumDepthAllowed,Microsoft.PowerShell.Commands.ConvertToJsonCommand",
			})
		}
		depth = int(n)
	}
	var items []value
	if b.has("InputObject") {
		if v := b.get("InputObject"); v != nil {
			items = []value{v}
		}
	} else {
		if !hasInput {
			if rec := s.missingMandatory(b, "InputObject"); rec != nil {
				s.writeError(rec)
				s.stmtFailed = true
				return nil, nil
			}
		}
		for _, v := range input {
			if v != nil {
				items = append(items, v)
			}
		}
	}
	out, what, ok := convertToJSON(items, depth, b.switchOn("Compress"))
	if what != "" {
		return nil, newTerminating(notEmulated(what, s.positionMessage(b.call.x)))
	}
	if !ok {
		return nil, nil
	}
	return []value{out}, nil
}
