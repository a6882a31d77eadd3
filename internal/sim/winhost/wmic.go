package winhost

// wmic: `wmic os get LastBootUpTime` and a few neighbouring properties of
// Win32_OperatingSystem, on every release (2003 to 2022 all ship wmic).
//
// Sources. wmic ends every line with CR CR LF (it writes CR LF through a
// text-mode stream that adds another CR). The table form is a verbatim
// capture of `wmic os get LastBootUpTime` on Windows 10 19045 (code index
// id 60535344319, kept there as base64 so that the line endings survive):
// "LastBootUpTime" padded to the column width, CR CR LF, the value padded
// the same, CR CR LF, then one empty line; the column width is the longer
// of the name and the value plus two blanks. The /value form is a
// captured run_command result of `wmic csproduct get UUID /value` (code
// index id 6853577198; the same bytes in ids 21618161375 and 30212065244
// for other classes): two empty lines, Name=value, three empty lines. The
// value is a CIM datetime, yyyymmddHHMMSS.ffffff followed by the offset
// from UTC in minutes, signed, three digits ("20260621145108.500000-300"
// in the capture; "+000", "+060" elsewhere). Windows 10 and later print
// LastBootUpTime as the boot second plus .500000 (the capture and code
// index id 10162178905); a 2003 R2 capture prints microseconds
// ("20171019094424.510250+000", code index id 1457199496), and so does
// its LocalDateTime to the millisecond ("20171019114056.709000+000").
// Columns and /value lines come in alphabetical order of the property
// names, whatever order the command gives them in, and a property the
// class lacks fails the whole query with "Node - NAME", "ERROR:",
// "Description = Invalid query" (code index ids 67172681967, 44595162859,
// 2712304840).
//
// [chosen] .500000 from 2012 R2 on (seen on Windows 10 and later only);
// the error texts' stream (stderr) and exit code (44135); "<alias> -
// Alias not found." and "Invalid Verb." for other aliases and verbs;
// `wmic os get` without properties lists only the four the model knows
// (CSName, CurrentTimeZone, LastBootUpTime, LocalDateTime; real wmic lists
// about sixty); no global switches (/node:, /locale:, ...) and no first-run
// "Please wait while WMIC is being installed."

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// wmicError is the exit code of a failed wmic query [chosen].
const wmicError = 44135

// wmicOSProps are the Win32_OperatingSystem properties the model knows,
// by lower-case name.
var wmicOSProps = map[string]string{
	"csname": "CSName", "currenttimezone": "CurrentTimeZone",
	"lastbootuptime": "LastBootUpTime", "localdatetime": "LocalDateTime",
}

func runWmic(e *execEnv, args []string, _ string) int {
	const eol = "\r\r\n"
	if len(args) == 0 || isSwitch(args[0]) {
		// Interactive wmic, or global switches: not modelled.
		e.err.print("Invalid Global Switch." + eol)
		return wmicError
	}
	if !strings.EqualFold(args[0], "os") {
		e.err.print(args[0] + " - Alias not found." + eol)
		return wmicError
	}
	if len(args) < 2 || !strings.EqualFold(args[1], "get") {
		e.err.print("Invalid Verb." + eol)
		return wmicError
	}
	list := false
	var names []string
	for _, a := range args[2:] {
		if isSwitch(a) {
			switch strings.ToLower(a[1:]) {
			case "value", "format:list", "format:value", `format:"list"`:
				list = true
			case "format:table":
				list = false
			default:
				e.err.print("Invalid GET Expression." + eol)
				return wmicError
			}
			continue
		}
		for _, n := range strings.Split(a, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	var props []string
	if len(names) == 0 {
		for _, p := range wmicOSProps {
			props = append(props, p)
		}
	}
	for _, n := range names {
		p, ok := wmicOSProps[strings.ToLower(n)]
		if !ok {
			e.err.print("Node - " + e.h.name + eol + "ERROR:" + eol + "Description = Invalid query" + eol + eol)
			return wmicError
		}
		if !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	sort.Slice(props, func(i, j int) bool { return strings.ToLower(props[i]) < strings.ToLower(props[j]) })
	values := make([]string, len(props))
	for i, p := range props {
		values[i] = e.h.wmicOSValue(p)
	}

	var b strings.Builder
	if list {
		b.WriteString(eol + eol)
		for i, p := range props {
			b.WriteString(p + "=" + values[i] + eol)
		}
		b.WriteString(eol + eol + eol)
	} else {
		var head, row strings.Builder
		for i, p := range props {
			w := max(len(p), len(values[i])) + 2
			head.WriteString(p + strings.Repeat(" ", w-len(p)))
			row.WriteString(values[i] + strings.Repeat(" ", w-len(values[i])))
		}
		b.WriteString(head.String() + eol + row.String() + eol + eol)
	}
	e.out.print(b.String())
	return 0
}

// wmicOSValue is one property of Win32_OperatingSystem as wmic prints it.
func (h *Host) wmicOSValue(prop string) string {
	now := h.now().In(h.zone)
	switch prop {
	case "CSName":
		return h.name
	case "CurrentTimeZone":
		_, off := now.Zone()
		return strconv.Itoa(off / 60)
	case "LocalDateTime":
		return cimDateTime(now, now.Nanosecond()/1e6*1000)
	}
	h.mu.Lock()
	boot := h.bootTime.In(h.zone)
	h.mu.Unlock()
	if h.os >= Server2012R2 {
		return cimDateTime(boot, 500000)
	}
	return cimDateTime(boot, boot.Nanosecond()/1000)
}

// cimDateTime formats a CIM datetime: yyyymmddHHMMSS.ffffff and the
// offset from UTC in minutes, signed, three digits. micro replaces the
// fraction of t.
func cimDateTime(t time.Time, micro int) string {
	_, off := t.Zone()
	return t.Format("20060102150405") + fmt.Sprintf(".%06d%+04d", micro, off/60)
}
