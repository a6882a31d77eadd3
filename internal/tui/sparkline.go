package tui

import "strings"

// ring keeps the last values of a series (a sparkline's data).
type ring struct {
	vals []int
	next int
	full bool
}

func newRing(n int) ring { return ring{vals: make([]int, max(n, 1))} }

func (r *ring) push(v int) {
	r.vals[r.next] = v
	r.next++
	if r.next == len(r.vals) {
		r.next, r.full = 0, true
	}
}

// len is the number of values held.
func (r *ring) len() int {
	if r.full {
		return len(r.vals)
	}
	return r.next
}

// last returns the newest n values, oldest first, appended to dst.
func (r *ring) last(n int, dst []int) []int {
	have := r.len()
	n = min(n, have)
	for i := have - n; i < have; i++ {
		j := i
		if r.full {
			j = (r.next + i) % len(r.vals)
		}
		dst = append(dst, r.vals[j])
	}
	return dst
}

// sparkLevels are the glyphs of a sparkline, lowest first: block
// elements in colour, ASCII without.
var (
	sparkColor = []rune("▁▂▃▄▅▆▇█")
	sparkASCII = []rune("_.-=+*#@")
)

// sparkline draws the newest values of r, width cells at most, scaled
// from zero to the largest value shown (all-zero series draw the lowest
// glyph). It ends with the newest value.
func sparkline(st *Styles, r *ring, width int, buf []int) string {
	vals := r.last(width, buf[:0])
	levels := sparkASCII
	if st.Color {
		levels = sparkColor
	}
	hi := 0
	for _, v := range vals {
		hi = max(hi, v)
	}
	var b strings.Builder
	b.Grow(len(vals) * 3)
	for _, v := range vals {
		i := 0
		if hi > 0 && v > 0 {
			i = min(1+(v*(len(levels)-1)-1)/hi, len(levels)-1)
		}
		b.WriteRune(levels[i])
	}
	return b.String()
}
