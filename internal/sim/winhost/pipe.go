package winhost

// findstr and find, for pipelines such as `netstat -ano | findstr :80`.
// They read their input as bytes in the OEM code page and print the
// matching lines unchanged. findstr: /I, /V, /C:"literal", /L, /B, /E;
// without /C every blank-separated word is a search string, any one
// matching (/R regular expressions are taken literally). find: "string",
// /I, /V, /C (count). Exit code 0 when a line matched, 1 when none did.

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
)

func readLines(r io.Reader) []string {
	if r == nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	return lines
}

func runFindstr(e *execEnv, args []string, _ string) int {
	var (
		ignore, invert, begin, end bool
		needles                    []string
	)
	for _, a := range args {
		if isSwitch(a) && len(a) >= 2 {
			sw := strings.ToLower(a[1:])
			switch {
			case strings.HasPrefix(sw, "c:"):
				needles = append(needles, a[3:])
			case sw == "i":
				ignore = true
			case sw == "v":
				invert = true
			case sw == "b":
				begin = true
			case sw == "e":
				end = true
			case sw == "l", sw == "r", sw == "n", sw == "s":
			default:
				e.err.print("FINDSTR: Bad command line\r\n")
				return 2
			}
			continue
		}
		if len(needles) == 0 || !strings.HasPrefix(strings.ToLower(args[0]), "/c:") {
			needles = append(needles, strings.Fields(a)...)
		}
	}
	if len(needles) == 0 {
		e.err.print("FINDSTR: Bad command line\r\n")
		return 2
	}
	var out bytes.Buffer
	matched := false
	for _, line := range readLines(e.stdin) {
		hit := false
		l := line
		if ignore {
			l = strings.ToLower(l)
		}
		for _, n := range needles {
			if ignore {
				n = strings.ToLower(n)
			}
			switch {
			case begin && strings.HasPrefix(l, n), end && strings.HasSuffix(l, n),
				!begin && !end && strings.Contains(l, n):
				hit = true
			}
		}
		if hit != invert {
			matched = true
			out.WriteString(line + "\r\n")
		}
	}
	_, _ = e.rawOut.Write(out.Bytes())
	if matched {
		return 0
	}
	return 1
}

func runFind(e *execEnv, args []string, _ string) int {
	var ignore, invert, count bool
	needle := ""
	have := false
	for _, a := range args {
		if isSwitch(a) {
			switch strings.ToLower(a[1:]) {
			case "i":
				ignore = true
			case "v":
				invert = true
			case "c":
				count = true
			case "n":
			default:
				e.err.print("FIND: Parameter format not correct\r\n")
				return 2
			}
			continue
		}
		if !have {
			needle, have = a, true
		}
	}
	if !have {
		e.err.print("FIND: Parameter format not correct\r\n")
		return 2
	}
	if ignore {
		needle = strings.ToLower(needle)
	}
	var out bytes.Buffer
	n := 0
	for _, line := range readLines(e.stdin) {
		l := line
		if ignore {
			l = strings.ToLower(l)
		}
		if strings.Contains(l, needle) != invert {
			n++
			if !count {
				out.WriteString(line + "\r\n")
			}
		}
	}
	if count {
		out.WriteString(strconv.Itoa(n) + "\r\n")
	}
	_, _ = e.rawOut.Write(out.Bytes())
	if n > 0 {
		return 0
	}
	return 1
}
