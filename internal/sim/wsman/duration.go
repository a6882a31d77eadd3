package wsman

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseDuration parses a non-negative xs:duration such as PT60S, PT60.000S,
// PT5M0S or P1DT2H. Years and months count as 365 and 30 days (only used
// for timeouts, which are clamped far below that). It reports false for
// anything else, including negative durations and "PT-1S".
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != 'P' {
		return 0, false
	}
	s = s[1:]
	var (
		seconds float64
		rank    int // last unit seen: Y=1 M=2 D=3 H=4 M=5 S=6
		inTime  bool
		seen    bool
	)
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime || len(s) == 1 {
				return 0, false
			}
			inTime = true
			s = s[1:]
			continue
		}
		i, dot := 0, -1
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			if s[i] == '.' {
				if dot >= 0 {
					return 0, false
				}
				dot = i
			}
			i++
		}
		if i == 0 || i == len(s) || dot == 0 || dot == i-1 {
			return 0, false
		}
		num, unit := s[:i], s[i]
		s = s[i+1:]
		var r int
		var scale float64
		switch {
		case !inTime && unit == 'Y':
			r, scale = 1, 365*86400
		case !inTime && unit == 'M':
			r, scale = 2, 30*86400
		case !inTime && unit == 'D':
			r, scale = 3, 86400
		case inTime && unit == 'H':
			r, scale = 4, 3600
		case inTime && unit == 'M':
			r, scale = 5, 60
		case inTime && unit == 'S':
			r, scale = 6, 1
		default:
			return 0, false
		}
		if r <= rank || (dot >= 0 && r != 6) {
			return 0, false
		}
		rank = r
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsInf(v, 0) {
			return 0, false
		}
		seconds += v * scale
		seen = true
	}
	if !seen {
		return 0, false
	}
	if seconds >= float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(math.Round(seconds * float64(time.Second))), true
}

// formatSeconds renders d the way Windows writes rsp:IdleTimeOut:
// PT7200.000S.
func formatSeconds(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}
