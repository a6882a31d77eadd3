package pwsh

import (
	"math"
	"strconv"
	"strings"
)

// value is a PowerShell value: nil ($null), string, int64, float64, bool,
// enumValue, *object, *hashtable, *scriptBlock or []value.
type value = any

// enumValue is a .NET enum value; it prints as its name and serialises to
// JSON as its number.
type enumValue struct {
	typ *enumType
	n   int64
}

type enumType struct {
	name  string // short type name, for CategoryInfo ("State")
	names map[int64]string
}

func (e enumValue) String() string {
	if s, ok := e.typ.names[e.n]; ok {
		return s
	}
	return strconv.FormatInt(e.n, 10)
}

// lookup returns the value of a name, case-insensitively.
func (t *enumType) lookup(name string) (int64, bool) {
	for n, s := range t.names {
		if strings.EqualFold(s, name) {
			return n, true
		}
	}
	return 0, false
}

// tcpStateType is the State enum Get-NetTCPConnection's objects carry
// (Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetTCPConnection.State).
var tcpStateType = &enumType{name: "State", names: map[int64]string{
	StateClosed: "Closed", StateListen: "Listen", StateSynSent: "SynSent", StateSynReceived: "SynReceived",
	StateEstablished: "Established", StateFinWait1: "FinWait1", StateFinWait2: "FinWait2",
	StateCloseWait: "CloseWait", StateClosing: "Closing", StateLastAck: "LastAck",
	StateTimeWait: "TimeWait", StateDeleteTCB: "DeleteTCB", StateBound: "Bound",
}}

// Object kinds, which decide default formatting and string conversion.
const (
	kindCustom = iota // PSCustomObject (Select-Object output)
	kindTCP           // CIM instance of MSFT_NetTCPConnection
)

type object struct {
	kind  int
	props []prop // kindCustom
	conn  *Conn  // kindTCP: properties are computed on demand
}

type prop struct {
	name string
	v    value
}

func (o *object) get(name string) (value, bool) {
	if o.kind == kindTCP {
		n, ok := tcpPropName(name)
		if !ok {
			return nil, false
		}
		return tcpProp(o.conn, n), true
	}
	for _, p := range o.props {
		if strings.EqualFold(p.name, name) {
			return p.v, true
		}
	}
	return nil, false
}

func (o *object) propName(name string) (string, bool) {
	if o.kind == kindTCP {
		return tcpPropName(name)
	}
	for _, p := range o.props {
		if strings.EqualFold(p.name, name) {
			return p.name, true
		}
	}
	return "", false
}

// hashtable is @{...}: keys compare case-insensitively; insertion order is
// kept (real Hashtable order is hash order, see ConvertTo-Json).
type hashtable struct {
	keys []string
	vals []value
}

func (h *hashtable) get(key string) (value, bool) {
	for i, k := range h.keys {
		if strings.EqualFold(k, key) {
			return h.vals[i], true
		}
	}
	return nil, false
}

func (h *hashtable) set(key string, v value) {
	for i, k := range h.keys {
		if strings.EqualFold(k, key) {
			h.vals[i] = v
			return
		}
	}
	h.keys = append(h.keys, key)
	h.vals = append(h.vals, v)
}

type scriptBlock struct {
	stmts []stmt
	text  string
}

// toStr is PowerShell's conversion to string (LanguagePrimitives.ConvertTo
// with the invariant culture).
func toStr(v value) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatDouble(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case enumValue:
		return x.String()
	case []value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = toStr(e)
		}
		return strings.Join(parts, " ")
	case *scriptBlock:
		return x.text
	case *hashtable:
		return "System.Collections.Hashtable"
	case *object:
		if x.kind == kindTCP {
			return "MSFT_NetTCPConnection"
		}
		var b strings.Builder
		b.WriteString("@{")
		for i, p := range x.props {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p.name)
			b.WriteString("=")
			b.WriteString(toStr(p.v))
		}
		b.WriteString("}")
		return b.String()
	}
	return ""
}

// formatDouble is Double.ToString() of .NET Framework ("R"-like for common
// values; exponents as E+XX).
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'G', 15, 64)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		sign := "+"
		if exp[0] == '-' || exp[0] == '+' {
			if exp[0] == '-' {
				sign = "-"
			}
			exp = exp[1:]
		}
		for len(exp) < 2 {
			exp = "0" + exp
		}
		return mant + "E" + sign + exp
	}
	return s
}

// toBool is PowerShell's truthiness (LanguagePrimitives.IsTrue).
func toBool(v value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case int64:
		return x != 0
	case float64:
		return x != 0
	case bool:
		return x
	case enumValue:
		return x.n != 0
	case []value:
		switch len(x) {
		case 0:
			return false
		case 1:
			return toBool(x[0])
		}
		return true
	}
	return true
}

// toNumber converts for arithmetic and numeric comparison.
func toNumber(v value) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case enumValue:
		return float64(x.n), true
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, true
		}
		if strings.HasPrefix(strings.ToLower(s), "0x") {
			n, err := strconv.ParseInt(s[2:], 16, 64)
			return float64(n), err == nil
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	return 0, false
}

func toInt(v value) (int64, bool) {
	if n, ok := v.(int64); ok {
		return n, true
	}
	f, ok := toNumber(v)
	if !ok || math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	// .NET rounds half to even when converting a double to an integer.
	return int64(math.RoundToEven(f)), true
}

// flatten enumerates a value the way the pipeline does: arrays unroll one
// level, $null is no object.
func flatten(v value) []value {
	switch x := v.(type) {
	case nil:
		return nil
	case []value:
		return x
	}
	return []value{v}
}

// collapse turns pipeline output into the value an assignment or a
// parenthesised pipeline yields: nothing is $null, one object is itself.
func collapse(vs []value) value {
	switch len(vs) {
	case 0:
		return nil
	case 1:
		return vs[0]
	}
	return vs
}

// typeName is the .NET type name used in messages.
func typeName(v value) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "System.String"
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return "System.Int32"
		}
		return "System.Int64"
	case float64:
		return "System.Double"
	case bool:
		return "System.Boolean"
	case enumValue:
		return "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetTCPConnection." + x.typ.name
	case []value:
		return "System.Object[]"
	case *hashtable:
		return "System.Collections.Hashtable"
	case *scriptBlock:
		return "System.Management.Automation.ScriptBlock"
	case *object:
		if x.kind == kindTCP {
			return "Microsoft.Management.Infrastructure.CimInstance"
		}
		return "System.Management.Automation.PSCustomObject"
	}
	return "System.Object"
}

func isNumeric(v value) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}
