package parse

// cscript //nologo adsutil.vbs get PATH (and set PATH VALUE): one IIS
// metabase property.
//
// The layout is adsutil.vbs's own (its source; the simulator's cscript.go
// quotes it): the property name as typed, padded with blanks to 32
// columns, ": (", the schema syntax (BOOLEAN, INTEGER, STRING, EXPANDSZ,
// LIST), ") ", the value as VBScript writes it:
//
//	disablesocketpooling            : (BOOLEAN) True
//
// (KB 238131 shows the same line). A STRING value is in double quotes; a
// LIST prints "(N Items)" and then one quoted item per line (get) or the
// quoted items on the line (set). A name of 32 characters or more is
// followed by ": (" at once and VBScript's type name ("Boolean"). A GET of
// a property that is not set at exactly that node (inherited values do
// not count) prints `The parameter "NAME" is not set at this node.` and
// exits -2147463162 (0x80005006): that is a value with Set false, not an
// error. adsutil's error report (a description, "ErrNumber: N (0xHEX)",
// and what it was trying) and its argument errors ("Error: ...",
// "Command not recognized: ...") are [ErrFailed] errors. The Windows
// Script Host banner (cscript without //nologo) is skipped.
//
// adsutil's texts are English on every host the simulator plays; IIS 6's
// adsutil can load translations from an .ini beside it. The value line is
// read by structure, the "not set" sentence and the error report too
// (ErrNumber's line by its "N (0xHEX)" shape); a translated "not set"
// sentence is an ErrUnknownFormat error, so a caller that sees one should
// go by adsutil's exit code (-2147463162 means not set).

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// AdsutilValue is one metabase property as adsutil.vbs printed it.
type AdsutilValue struct {
	// Name is the property as adsutil echoed it, which is as typed on its
	// command line ("disablesocketpooling").
	Name string `json:"name"`
	// Set is false when adsutil said the property is not set at the node
	// (for DisableSocketPooling that means false: socket pooling on).
	Set bool `json:"set"`
	// Type is the syntax in the parentheses, upper case as adsutil writes
	// it (BOOLEAN, INTEGER, STRING, EXPANDSZ, LIST), or VBScript's type
	// name for a name of 32 characters or more ("Boolean"). Empty when not
	// set.
	Type string `json:"type,omitempty"`
	// Value is the value as printed: "True" or "False", a number, a
	// string without its quotes. Empty for a LIST and when not set.
	Value string `json:"value,omitempty"`
	// Values are a LIST's items, without their quotes.
	Values []string `json:"values,omitempty"`
}

// Bool returns a BOOLEAN property's value. A property that is not set is
// false (the metabase default the property falls back to is the caller's
// business: for DisableSocketPooling it is false). Another type or value
// is an error wrapping [ErrInvalidValue].
func (v AdsutilValue) Bool() (bool, error) {
	if !v.Set {
		return false, nil
	}
	if !strings.EqualFold(v.Type, "BOOLEAN") {
		return false, fmt.Errorf("%w: %s is %s, not BOOLEAN", ErrInvalidValue, v.Name, v.Type)
	}
	switch strings.ToLower(v.Value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: %s is %q, not True or False", ErrInvalidValue, v.Name, v.Value)
}

// ParseAdsutil reads the output of `cscript //nologo adsutil.vbs get
// PATH` (or of set PATH VALUE, which prints the same line).
func ParseAdsutil(r io.Reader, opts Options) (AdsutilValue, error) {
	in, err := readInput(KindAdsutil, r, opts)
	if err != nil {
		return AdsutilValue{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return AdsutilValue{}, err
	}
	// adsutil's error report, wherever it stands.
	for i, l := range lines {
		if code, ok := adsErrNumber(l); ok {
			desc := ""
			if i > 0 {
				desc = strings.TrimSpace(lines[i-1])
			}
			what := ""
			if i+1 < len(lines) {
				what = strings.TrimSpace(lines[i+1])
			}
			msg := "adsutil failed with " + code
			if desc != "" {
				msg += ": " + desc
			}
			if what != "" {
				msg += " (" + what + ")"
			}
			return AdsutilValue{}, lineErr(KindAdsutil, i+1, l, ErrFailed, "%s", msg)
		}
	}
	var v AdsutilValue
	found, content := false, false
	items := -1 // a LIST's announced count
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if !content && isWSHBanner(t) {
			continue
		}
		content = true
		if found && items >= 0 && strings.HasPrefix(t, `"`) {
			item, ok := unquoteAds(t)
			if !ok {
				return AdsutilValue{}, lineErr(KindAdsutil, i+1, l, ErrUnknownFormat, "a LIST item that is not quoted")
			}
			v.Values = append(v.Values, item)
			continue
		}
		if found {
			return AdsutilValue{}, lineErr(KindAdsutil, i+1, l, ErrUnknownFormat, "adsutil get prints one property; this is more")
		}
		if name, ok := adsNotSet(t); ok {
			v, found = AdsutilValue{Name: name}, true
			continue
		}
		if !strings.Contains(t, ": (") && (strings.HasPrefix(t, "Error") || strings.HasPrefix(t, "Command not recognized")) {
			return AdsutilValue{}, lineErr(KindAdsutil, i+1, l, ErrFailed, "adsutil failed: %s", t)
		}
		val, n, err := adsValueLine(i+1, l)
		if err != nil {
			return AdsutilValue{}, err
		}
		v, found, items = val, true, n
	}
	if !content {
		return AdsutilValue{}, inputErr(KindAdsutil, ErrEmpty, "no adsutil output")
	}
	if !found {
		return AdsutilValue{}, inputErr(KindAdsutil, ErrUnknownFormat, "no property line")
	}
	if items >= 0 && len(v.Values) != items {
		return AdsutilValue{}, inputErr(KindAdsutil, ErrUnknownFormat, "the LIST announces %d items and has %d", items, len(v.Values))
	}
	return v, nil
}

// isWSHBanner reports whether t is a line of the Windows Script Host
// banner (cscript without //nologo).
func isWSHBanner(t string) bool {
	return strings.HasPrefix(t, "Microsoft (R) Windows Script Host") || strings.HasPrefix(t, "Copyright (C) Microsoft") ||
		strings.HasPrefix(t, "Copyright © Microsoft")
}

// adsErrNumber recognises ReportError's number line, "LABEL: N (0xHEX)",
// and returns its hex part.
func adsErrNumber(l string) (string, bool) {
	f := strings.Fields(l)
	if len(f) < 3 {
		return "", false
	}
	hex, num := f[len(f)-1], f[len(f)-2]
	if !strings.HasPrefix(hex, "(0x") || !strings.HasSuffix(hex, ")") || len(hex) < 5 {
		return "", false
	}
	if _, err := strconv.ParseUint(hex[3:len(hex)-1], 16, 32); err != nil {
		return "", false
	}
	if _, err := strconv.ParseInt(num, 10, 64); err != nil {
		return "", false
	}
	return hex[1 : len(hex)-1], strings.HasSuffix(f[len(f)-3], ":")
}

// adsNotSet recognises `The parameter "NAME" is not set at this node.`.
func adsNotSet(t string) (string, bool) {
	rest, ok := strings.CutPrefix(t, `The parameter "`)
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, `" is not set at this node.`)
	if !ok || name == "" || strings.Contains(name, `"`) {
		return "", false
	}
	return name, true
}

// adsValueLine reads "NAME<blanks>: (TYPE) VALUE". items is a LIST's
// announced count for get's form, -1 otherwise.
func adsValueLine(n int, l string) (v AdsutilValue, items int, err error) {
	name, rest, ok := strings.Cut(l, ": (")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return v, -1, lineErr(KindAdsutil, n, l, ErrUnknownFormat, "not adsutil output: expected \"NAME : (TYPE) VALUE\"")
	}
	typ, val, ok := strings.Cut(rest, ")")
	if !ok || typ == "" || strings.ContainsAny(typ, " \t") {
		return v, -1, lineErr(KindAdsutil, n, l, ErrUnknownFormat, "not adsutil output: expected a type in parentheses")
	}
	v = AdsutilValue{Name: name, Set: true, Type: typ}
	val = strings.TrimPrefix(val, " ")
	items = -1
	switch strings.ToUpper(typ) {
	case "STRING", "EXPANDSZ":
		s, ok := unquoteAds(strings.TrimRight(val, " "))
		if !ok {
			return AdsutilValue{}, -1, valueErr(KindAdsutil, n, l, nil, "a %s value that is not quoted", typ)
		}
		v.Value = s
	case "LIST":
		t := strings.TrimSpace(val)
		if c, ok := strings.CutPrefix(t, "("); ok {
			// get: "(N Items)", the items on the following lines.
			f := strings.Fields(c)
			if len(f) != 2 || !strings.HasSuffix(c, ")") {
				return AdsutilValue{}, -1, valueErr(KindAdsutil, n, l, nil, "a LIST count that is not \"(N Items)\"")
			}
			k, err := strconv.Atoi(f[0])
			if err != nil || k < 0 {
				return AdsutilValue{}, -1, valueErr(KindAdsutil, n, l, err, "a LIST count that is not \"(N Items)\"")
			}
			return v, k, nil
		}
		vals, err := splitAdsList(t)
		if err != nil {
			return AdsutilValue{}, -1, valueErr(KindAdsutil, n, l, err, "LIST items")
		}
		v.Values = vals
	default:
		v.Value = strings.TrimSpace(val)
	}
	return v, items, nil
}

// unquoteAds removes the double quotes adsutil writes around a string.
func unquoteAds(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	return s[1 : len(s)-1], true
}

// splitAdsList reads set's `"a" "b" ` form.
func splitAdsList(s string) ([]string, error) {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] != '"' {
			return nil, errors.New("an item that is not quoted")
		}
		end := strings.Index(s[1:], `" `)
		if end < 0 {
			if !strings.HasSuffix(s, `"`) || len(s) < 2 {
				return nil, errors.New("an unterminated item")
			}
			out = append(out, s[1:len(s)-1])
			break
		}
		out = append(out, s[1:end+1])
		s = s[end+2:]
	}
	return out, nil
}
