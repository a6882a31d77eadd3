package pwsh

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Get-NetTCPConnection: the NetTCPIP module's CDXML function over
// ROOT/StandardCimv2 MSFT_NetTCPConnection.

func tcpParams() []paramSpec {
	return []paramSpec{
		{name: "LocalAddress", aliases: []string{"IPAddress"}, position: 0, typeName: "System.String[]"},
		{name: "LocalPort", position: 1, typeName: "System.UInt16[]"},
		{name: "RemoteAddress", position: -1, typeName: "System.String[]"},
		{name: "RemotePort", position: -1, typeName: "System.UInt16[]"},
		{name: "State", position: -1, typeName: "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetTCPConnection.State[]"},
		{name: "AppliedSetting", position: -1, typeName: "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetTCPConnection.AppliedSetting[]"},
		{name: "OwningProcess", position: -1, typeName: "System.UInt32[]"},
		{name: "CreationTime", position: -1, typeName: "System.DateTime[]"},
		{name: "OffloadState", position: -1, typeName: "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetTCPConnection.OffloadState[]"},
		{name: "CimSession", aliases: []string{"Session"}, position: -1, typeName: "Microsoft.Management.Infrastructure.CimSession[]"},
		{name: "ThrottleLimit", position: -1, typeName: "System.Int32"},
		{name: "AsJob", isSwitch: true, position: -1},
	}
}

// tcpPropertyNames are the MSFT_NetTCPConnection properties (CIM class
// hierarchy CIM_ManagedSystemElement .. MSFT_NetTCPConnection, plus
// PSComputerName). The emulation knows the values of the TCP ones; the
// others read as $null (Caption, Description and Status are $null in the
// inspec capture).
var tcpPropertyNames = []string{
	"Caption", "Description", "ElementName", "InstanceID", "CommunicationStatus", "DetailedStatus",
	"HealthState", "InstallDate", "Name", "OperatingStatus", "OperationalStatus", "PrimaryStatus",
	"Status", "StatusDescriptions", "AvailableRequestedStates", "EnabledDefault", "EnabledState",
	"OtherEnabledState", "RequestedState", "TimeOfLastStateChange", "TransitioningToState",
	"AggregationBehavior", "AppliedSetting", "CreationTime", "Directionality", "LocalAddress",
	"LocalPort", "OffloadState", "OwningProcess", "RemoteAddress", "RemotePort", "State", "PSComputerName",
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return "0.0.0.0"
	}
	return a.String()
}

func tcpObject(c Conn) *object {
	return &object{kind: kindTCP, conn: &c}
}

// tcpPropName returns the canonical spelling of an MSFT_NetTCPConnection
// property.
func tcpPropName(name string) (string, bool) {
	for _, n := range tcpPropertyNames {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

// tcpProp is the value of a (canonically spelt) property.
func tcpProp(c *Conn, name string) value {
	switch name {
	case "LocalAddress":
		return addrString(c.LocalAddress)
	case "LocalPort":
		return int64(c.LocalPort)
	case "RemoteAddress":
		return addrString(c.RemoteAddress)
	case "RemotePort":
		return int64(c.RemotePort)
	case "State":
		return enumValue{typ: tcpStateType, n: int64(c.State)}
	case "OwningProcess":
		return int64(c.OwningProcess)
	}
	return nil
}

// tcpFilter is one query parameter, in the order the WQL of the
// "not found" error lists them.
type tcpFilter struct {
	prop     string
	typeName string // CategoryInfo target type
	values   []value
	wildcard bool // string property compared with LIKE
	isEnum   bool
	matched  []bool
}

func (f *tcpFilter) matches(o *object, i int) bool {
	v, _ := o.get(f.prop)
	if v == nil {
		return false
	}
	want := f.values[i]
	switch {
	case f.wildcard:
		return wildcardMatch(toStr(want), toStr(v), true)
	case f.isEnum:
		return v.(enumValue).n == want.(enumValue).n
	default:
		a, _ := toInt(v)
		b, _ := toInt(want)
		return a == b
	}
}

func (s *shell) tcpFilters(b *binding) ([]*tcpFilter, *errorRecord) {
	var filters []*tcpFilter
	add := func(param, typ string, conv func(value) (value, bool), wildcard, isEnum bool) *errorRecord {
		if !b.has(param) {
			return nil
		}
		f := &tcpFilter{prop: param, typeName: typ, wildcard: wildcard, isEnum: isEnum}
		for _, raw := range flatten(b.get(param)) {
			v, ok := conv(raw)
			if !ok {
				return s.tcpConversionError(b, param, raw)
			}
			f.values = append(f.values, v)
		}
		f.matched = make([]bool, len(f.values))
		filters = append(filters, f)
		return nil
	}
	str := func(v value) (value, bool) { return toStr(v), true }
	port := func(v value) (value, bool) {
		n, ok := toInt(v)
		if !ok || n < 0 || n > 65535 {
			return nil, false
		}
		return n, true
	}
	pid := func(v value) (value, bool) {
		n, ok := toInt(v)
		if !ok || n < 0 || n > 0xFFFFFFFF {
			return nil, false
		}
		return n, true
	}
	state := func(v value) (value, bool) {
		if e, ok := v.(enumValue); ok {
			return e, true
		}
		if n, ok := tcpStateType.lookup(strings.TrimSpace(toStr(v))); ok {
			return enumValue{typ: tcpStateType, n: n}, true
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(toStr(v)), 10, 64); err == nil {
			if _, known := tcpStateType.names[n]; known {
				return enumValue{typ: tcpStateType, n: n}, true
			}
		}
		return nil, false
	}
	for _, f := range []struct {
		param, typ string
		conv       func(value) (value, bool)
		wild, enum bool
	}{
		{"LocalAddress", "String", str, true, false},
		{"LocalPort", "UInt16", port, false, false},
		{"RemoteAddress", "String", str, true, false},
		{"RemotePort", "UInt16", port, false, false},
		{"State", "State", state, false, true},
		{"OwningProcess", "UInt32", pid, false, false},
	} {
		if rec := add(f.param, f.typ, f.conv, f.wild, f.enum); rec != nil {
			return nil, rec
		}
	}
	return filters, nil
}

// tcpConversionError is the binder's ParameterArgumentTransformationError
// for a value that does not convert to the parameter type [not verified
// byte for byte; the shape is that of PowerShell's transformation errors].
func (s *shell) tcpConversionError(b *binding, param string, raw value) *errorRecord {
	var typ string
	for _, p := range tcpParams() {
		if p.name == param {
			typ = p.typeName
		}
	}
	elem := strings.TrimSuffix(typ, "[]")
	inner := fmt.Sprintf("Cannot convert value \"%s\" to type \"%s\". Error: \"Input string was not in a correct format.\"", toStr(raw), elem)
	if param == "State" {
		inner = fmt.Sprintf("Cannot convert value \"%s\" to type \"%s\". Error: \"Unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again:\r\nClosed, Listen, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait, DeleteTCB, Bound\"", toStr(raw), elem, toStr(raw))
	}
	return s.bindError(b.c, b.call, b.invName,
		fmt.Sprintf("Cannot process argument transformation on parameter '%s'. Cannot convert value \"%s\" to type \"%s\". Error: \"%s\"", param, toStr(raw), typ, strings.ReplaceAll(inner, `"`, `"`)),
		"ParameterArgumentTransformationError", b.call.x)
}

func runGetNetTCPConnection(s *shell, b *binding, input []value, hasInput bool) ([]value, error) {
	for _, p := range []string{"AppliedSetting", "CreationTime", "OffloadState", "CimSession", "AsJob"} {
		if b.has(p) {
			return nil, s.cmdletError(b, notEmulated("Get-NetTCPConnection -"+p, s.positionMessage(b.call.x)))
		}
	}
	filters, rec := s.tcpFilters(b)
	if rec != nil {
		s.writeError(rec)
		s.stmtFailed = true
		return nil, nil
	}
	var out []value
	for _, c := range s.h.TCPConnections() {
		if err := s.step(); err != nil {
			return out, err
		}
		o := tcpObject(c)
		all := true
		for _, f := range filters {
			any := false
			for i := range f.values {
				if f.matches(o, i) {
					f.matched[i] = true
					any = true
				}
			}
			if !any {
				all = false
			}
		}
		if all {
			out = append(out, o)
		}
	}
	// Errors for filters that matched nothing follow ClientSideQuery of the
	// cmdletization layer (PowerShell repository, CimQuery.cs): one filter
	// gives an error per unmatched non-wildcard value; several filters give
	// one "query" error when nothing matched at all.
	var errs []*errorRecord
	switch {
	case len(filters) == 1:
		f := filters[0]
		for i, v := range f.values {
			if f.matched[i] || (f.wildcard && strings.ContainsAny(toStr(v), "*?[")) {
				continue
			}
			// "No MSFT_NetFirewallRule objects found with property 'DisplayName' equal to
			// '...'.  Verify the value of the property and retry." (fabianosrc/RDPControl
			// issue #10); category and id as in massCode issue #560.
			errs = append(errs, &errorRecord{
				message:        fmt.Sprintf("No MSFT_NetTCPConnection objects found with property '%s' equal to '%s'.  Verify the value of the property and retry.", f.prop, toStr(v)),
				invocationName: b.invName,
				position:       s.positionMessage(b.call.x),
				category:       fmt.Sprintf("ObjectNotFound: (%s:%s) [Get-NetTCPConnection], CimJobException", toStr(v), f.typeName),
				fqid:           "CmdletizationQuery_NotFound_" + f.prop + ",Get-NetTCPConnection",
			})
		}
	case len(filters) > 1 && len(out) == 0:
		report := false
		var where []string
		for _, f := range filters {
			var ors []string
			for _, v := range f.values {
				if !(f.wildcard && strings.ContainsAny(toStr(v), "*?[")) {
					report = true
				}
				switch {
				case f.wildcard:
					ors = append(ors, fmt.Sprintf("(%s LIKE '%s')", f.prop, wqlLike(toStr(v))))
				case f.isEnum:
					ors = append(ors, fmt.Sprintf("(%s = %d)", f.prop, v.(enumValue).n))
				default:
					ors = append(ors, fmt.Sprintf("(%s = %s)", f.prop, toStr(v)))
				}
			}
			where = append(where, "("+strings.Join(ors, " OR ")+")")
		}
		if report {
			// Text as printed by 5.1 for Get-NetTCPConnection -LocalPort 3000 -State Listen
			// (quoted in search corpus id 71347822348) and by other CDXML commands.
			errs = append(errs, &errorRecord{
				message:        "No matching MSFT_NetTCPConnection objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetTCPConnection class on the  CIM server: SELECT * FROM MSFT_NetTCPConnection  WHERE " + strings.Join(where, " AND ") + ". Verify query parameters and retry.",
				invocationName: b.invName,
				position:       s.positionMessage(b.call.x),
				category:       "ObjectNotFound: (MSFT_NetTCPConnection:String) [Get-NetTCPConnection], CimJobException",
				fqid:           "CmdletizationQuery_NotFound,Get-NetTCPConnection",
			})
		}
	}
	for _, r := range errs {
		if err := s.cmdletError(b, r); err != nil {
			return out, err
		}
	}
	if len(errs) > 0 {
		s.stmtFailed = true
	}
	return out, nil
}

// wqlLike translates a PowerShell wildcard into a WQL LIKE operand.
func wqlLike(p string) string {
	r := strings.NewReplacer("'", `\'`, "*", "%", "?", "_")
	return r.Replace(p)
}
