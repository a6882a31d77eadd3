package facts

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// RegType is a registry value type, spelt as reg.exe prints it.
type RegType string

// The value types reg.exe prints.
const (
	RegSZ                       RegType = "REG_SZ"
	RegExpandSZ                 RegType = "REG_EXPAND_SZ"
	RegMultiSZ                  RegType = "REG_MULTI_SZ"
	RegDWORD                    RegType = "REG_DWORD"
	RegQWORD                    RegType = "REG_QWORD"
	RegBinary                   RegType = "REG_BINARY"
	RegNone                     RegType = "REG_NONE"
	RegDWORDBigEndian           RegType = "REG_DWORD_BIG_ENDIAN"
	RegLink                     RegType = "REG_LINK"
	RegResourceList             RegType = "REG_RESOURCE_LIST"
	RegFullResourceDescriptor   RegType = "REG_FULL_RESOURCE_DESCRIPTOR"
	RegResourceRequirementsList RegType = "REG_RESOURCE_REQUIREMENTS_LIST"
)

// RegTypes lists every type reg.exe prints.
var RegTypes = []RegType{
	RegSZ, RegExpandSZ, RegMultiSZ, RegDWORD, RegQWORD, RegBinary, RegNone, RegDWORDBigEndian,
	RegLink, RegResourceList, RegFullResourceDescriptor, RegResourceRequirementsList,
}

// Known reports whether t is one of RegTypes.
func (t RegType) Known() bool {
	for _, k := range RegTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Well-known keys.
const (
	TcpipParameters = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	HTTPParameters  = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\HTTP\Parameters`
	AFDParameters   = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\AFD\Parameters`
)

var regRoots = []struct{ short, full string }{
	{"HKLM", "HKEY_LOCAL_MACHINE"},
	{"HKCU", "HKEY_CURRENT_USER"},
	{"HKCR", "HKEY_CLASSES_ROOT"},
	{"HKU", "HKEY_USERS"},
	{"HKCC", "HKEY_CURRENT_CONFIG"},
}

// CanonicalRegPath spells out the hive abbreviation (HKLM ->
// HKEY_LOCAL_MACHINE) and drops a trailing backslash; the rest keeps its
// case.
func CanonicalRegPath(p string) string {
	p = strings.TrimRight(p, `\`)
	root, rest, hasRest := strings.Cut(p, `\`)
	for _, r := range regRoots {
		if strings.EqualFold(root, r.short) || strings.EqualFold(root, r.full) {
			if !hasRest {
				return r.full
			}
			return r.full + `\` + rest
		}
	}
	return p
}

// RegistryValue is one requested registry value: present with its type,
// the data as reg.exe printed it and the data parsed by type, or Absent.
type RegistryValue struct {
	// Path is the key, with the hive spelt out.
	Path string `json:"path"`
	// Name is the value name as reg.exe printed it; the default value is
	// "(Default)" (in the host's language).
	Name   string  `json:"name"`
	Absent bool    `json:"absent,omitempty"`
	Type   RegType `json:"type,omitempty"`
	// Raw is reg.exe's data column: 0x-hex for numbers, \0 between
	// REG_MULTI_SZ strings, upper-case hex digits for binary types.
	Raw string `json:"raw,omitempty"`
	// Exactly one of the following is set for a present value, by type:
	// Number for REG_DWORD, REG_QWORD and REG_DWORD_BIG_ENDIAN; String for
	// REG_SZ and REG_EXPAND_SZ (unexpanded); Strings for REG_MULTI_SZ;
	// Bytes for REG_BINARY, REG_NONE and the resource and link types.
	Number  *uint64  `json:"number,omitempty"`
	String  *string  `json:"string,omitempty"`
	Strings []string `json:"strings,omitempty"`
	Bytes   HexBytes `json:"bytes,omitempty"`
}

// DWORD returns the value of a present REG_DWORD.
func (v RegistryValue) DWORD() (uint32, bool) {
	if v.Absent || v.Type != RegDWORD || v.Number == nil || *v.Number > 0xFFFFFFFF {
		return 0, false
	}
	return uint32(*v.Number), true
}

// Text returns the data as a policy compares it: the number in decimal,
// the string, the strings joined by "\n", or the hex digits; "" when
// absent.
func (v RegistryValue) Text() string {
	switch {
	case v.Absent:
		return ""
	case v.Number != nil:
		return fmt.Sprint(*v.Number)
	case v.String != nil:
		return *v.String
	case v.Type == RegMultiSZ:
		return strings.Join(v.Strings, "\n")
	}
	return strings.ToUpper(hex.EncodeToString(v.Bytes))
}

// HexBytes is binary data, in JSON as upper-case hex digits (as reg.exe
// prints it) rather than base64.
type HexBytes []byte

// MarshalText returns the upper-case hex digits.
func (b HexBytes) MarshalText() ([]byte, error) {
	return []byte(strings.ToUpper(hex.EncodeToString(b))), nil
}

// UnmarshalText reads hex digits.
func (b *HexBytes) UnmarshalText(t []byte) error {
	v, err := hex.DecodeString(string(t))
	if err != nil {
		return fmt.Errorf("facts: bytes: %w", err)
	}
	*b = v
	return nil
}
