package parse

// ver.
//
// cmd's ver prints a blank line and "Microsoft Windows [Version
// 10.0.17763.1879]" (2012 R2 capture quoted in the simulator's text_en.go;
// windows-commands.md). The word before the number is localized ("version"
// in French, "版本" in Chinese), so the line is read by structure: one
// non-blank line whose bracketed part ends in a dotted number of three or
// four parts.

import (
	"io"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// ParseVer reads the output of `ver`.
func ParseVer(r io.Reader, opts Options) (facts.OSVersion, error) {
	in, err := readInput(KindVer, r, opts)
	if err != nil {
		return facts.OSVersion{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return facts.OSVersion{}, err
	}
	found := -1
	for i, l := range lines {
		if isBlank(l) {
			continue
		}
		if found >= 0 {
			return facts.OSVersion{}, lineErr(KindVer, i+1, l, ErrUnknownFormat, "ver prints one line; this is a second one")
		}
		found = i
	}
	if found < 0 {
		return facts.OSVersion{}, inputErr(KindVer, ErrEmpty, "no ver output")
	}
	line := lines[found]
	t := strings.TrimSpace(line)
	open := strings.LastIndexByte(t, '[')
	if open < 0 || !strings.HasSuffix(t, "]") {
		return facts.OSVersion{}, lineErr(KindVer, found+1, line, ErrUnknownFormat,
			"not ver output: expected \"Microsoft Windows [Version N.N.N.N]\"")
	}
	inner := strings.Fields(t[open+1 : len(t)-1])
	if len(inner) == 0 {
		return facts.OSVersion{}, lineErr(KindVer, found+1, line, ErrUnknownFormat, "no version number in brackets")
	}
	num := inner[len(inner)-1]
	parts := strings.Split(num, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return facts.OSVersion{}, valueErr(KindVer, found+1, line, nil, "%q is not a version N.N.N[.N]", num)
	}
	var n [4]uint32
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || !isDigits(p) {
			return facts.OSVersion{}, valueErr(KindVer, found+1, line, err, "%q is not a version N.N.N[.N]", num)
		}
		n[i] = uint32(v)
	}
	return facts.OSVersion{
		Version: strings.Clone(num), Major: n[0], Minor: n[1], Build: n[2], Revision: n[3],
		Release: facts.ServerRelease(n[0], n[1], n[2]),
	}, nil
}
