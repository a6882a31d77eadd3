package tui

import "strings"

// overlay draws a confirmation box over the middle of body (height lines,
// width cells): the lines under the box are replaced, the others kept.
// The box is ASCII (+-|) without colour, rounded with it.
func overlay(st *Styles, body string, box []string, width, height int) string {
	if len(box) == 0 {
		return body
	}
	lines := strings.Split(body, "\n")
	for len(lines) < height {
		lines = append(lines, "")
	}
	inner := 0
	for _, l := range box {
		inner = max(inner, len(l))
	}
	inner = min(inner+2, max(width-4, 1))
	tl, tr, bl, br, h, v := "+", "+", "+", "+", "-", "|"
	if st.Color {
		tl, tr, bl, br, h, v = "╭", "╮", "╰", "╯", "─", "│"
	}
	drawn := []string{tl + strings.Repeat(h, inner) + tr}
	for _, l := range box {
		drawn = append(drawn, v+" "+fit(l, inner-2, false, st.Tail)+" "+v)
	}
	drawn = append(drawn, bl+strings.Repeat(h, inner)+br)
	left := max((width-inner-2)/2, 0)
	top := max((height-len(drawn))/2, 0)
	pad := strings.Repeat(" ", left)
	for i, d := range drawn {
		if top+i >= len(lines) {
			break
		}
		lines[top+i] = clip(pad+st.render(st.Dialog, d), width)
	}
	return strings.Join(lines, "\n")
}
