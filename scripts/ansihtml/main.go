// Command ansihtml turns a terminal screen captured with escape codes
// (tmux capture-pane -e -p) into a self-contained HTML page that a
// headless browser can screenshot: scripts/tui-screenshots uses it for
// the TUI's pictures in docs/.
//
// Usage: ansihtml [-title T] [-cols N] < screen.ansi > screen.html
//
// It understands SGR sequences (bold, dim, italic, underline, reverse,
// the 16 colours, the 256-colour palette and 24-bit colours) and drops
// every other escape sequence.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	title := flag.String("title", "fleetport", "page title")
	cols := flag.Int("cols", 80, "terminal width in cells")
	flag.Parse()
	in, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fmt.Fprintln(os.Stderr, "ansihtml:", err)
		os.Exit(1)
	}
	if _, err := io.WriteString(os.Stdout, Page(*title, *cols, string(in))); err != nil {
		fmt.Fprintln(os.Stderr, "ansihtml:", err)
		os.Exit(1)
	}
}

// The 16 colours, as a dark terminal theme draws them.
var palette16 = [16]string{
	"#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
	"#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea",
}

const (
	defaultFG = "#c5c8c6"
	defaultBG = "#1d1f21"
)

// style is the SGR state.
type style struct {
	fg, bg                               string
	bold, dim, italic, underline, invert bool
}

func (s style) css() string {
	fg, bg := s.fg, s.bg
	if s.invert {
		if fg == "" {
			fg = defaultFG
		}
		if bg == "" {
			bg = defaultBG
		}
		fg, bg = bg, fg
	}
	var b strings.Builder
	if fg != "" {
		b.WriteString("color:" + fg + ";")
	}
	if bg != "" {
		b.WriteString("background:" + bg + ";")
	}
	if s.bold {
		b.WriteString("font-weight:bold;")
	}
	if s.dim {
		b.WriteString("opacity:0.7;")
	}
	if s.italic {
		b.WriteString("font-style:italic;")
	}
	if s.underline {
		b.WriteString("text-decoration:underline;")
	}
	return b.String()
}

func color256(n int) string {
	switch {
	case n < 16:
		return palette16[n]
	case n < 232:
		n -= 16
		lv := func(v int) int {
			if v == 0 {
				return 0
			}
			return 55 + 40*v
		}
		return fmt.Sprintf("#%02x%02x%02x", lv(n/36), lv(n/6%6), lv(n%6))
	}
	g := 8 + 10*(n-232)
	return fmt.Sprintf("#%02x%02x%02x", g, g, g)
}

// apply reads one SGR parameter list.
func (s *style) apply(params string) {
	if params == "" {
		*s = style{}
		return
	}
	ps := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	for i := 0; i < len(ps); i++ {
		n, err := strconv.Atoi(ps[i])
		if err != nil {
			continue
		}
		switch {
		case n == 0:
			*s = style{}
		case n == 1:
			s.bold = true
		case n == 2:
			s.dim = true
		case n == 3:
			s.italic = true
		case n == 4:
			s.underline = true
		case n == 7:
			s.invert = true
		case n == 22:
			s.bold, s.dim = false, false
		case n == 23:
			s.italic = false
		case n == 24:
			s.underline = false
		case n == 27:
			s.invert = false
		case n >= 30 && n <= 37:
			s.fg = palette16[n-30]
		case n >= 90 && n <= 97:
			s.fg = palette16[n-90+8]
		case n == 39:
			s.fg = ""
		case n >= 40 && n <= 47:
			s.bg = palette16[n-40]
		case n >= 100 && n <= 107:
			s.bg = palette16[n-100+8]
		case n == 49:
			s.bg = ""
		case n == 38 || n == 48:
			var c string
			if i+2 < len(ps) && ps[i+1] == "5" {
				v, _ := strconv.Atoi(ps[i+2])
				c, i = color256(v&255), i+2
			} else if i+4 < len(ps) && ps[i+1] == "2" {
				r, _ := strconv.Atoi(ps[i+2])
				g, _ := strconv.Atoi(ps[i+3])
				b, _ := strconv.Atoi(ps[i+4])
				c, i = fmt.Sprintf("#%02x%02x%02x", r&255, g&255, b&255), i+4
			}
			if n == 38 {
				s.fg = c
			} else {
				s.bg = c
			}
		}
	}
}

// Body renders the screen as spans, one line per line.
func Body(screen string) string {
	var b strings.Builder
	var st style
	text := func(s string) {
		if s == "" {
			return
		}
		css := st.css()
		if css != "" {
			b.WriteString(`<span style="` + css + `">`)
		}
		b.WriteString(html.EscapeString(s))
		if css != "" {
			b.WriteString("</span>")
		}
	}
	var run strings.Builder
	for i := 0; i < len(screen); i++ {
		c := screen[i]
		if c != 0x1b {
			run.WriteByte(c)
			continue
		}
		text(run.String())
		run.Reset()
		if i+1 >= len(screen) {
			break
		}
		switch screen[i+1] {
		case '[':
			j := i + 2
			for j < len(screen) && (screen[j] < 0x40 || screen[j] > 0x7e) {
				j++
			}
			if j < len(screen) && screen[j] == 'm' {
				st.apply(screen[i+2 : j])
			}
			i = j
		case ']':
			// OSC: up to BEL or ST.
			j := i + 2
			for j < len(screen) && screen[j] != 0x07 && !(screen[j] == 0x1b && j+1 < len(screen) && screen[j+1] == '\\') {
				j++
			}
			if j < len(screen) && screen[j] == 0x1b {
				j++
			}
			i = j
		default:
			i++
		}
	}
	text(run.String())
	return b.String()
}

// Page is a whole HTML page: the screen on a dark terminal background,
// cols cells wide.
func Page(title string, cols int, screen string) string {
	screen = strings.TrimRight(screen, "\n")
	return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title>
<style>
html, body { margin: 0; padding: 0; background: ` + defaultBG + `; }
pre { margin: 0; padding: 12px 14px; color: ` + defaultFG + `; background: ` + defaultBG + `;
  font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 15px; line-height: 19px;
  width: ` + strconv.Itoa(cols) + `ch; white-space: pre; }
</style></head>
<body><pre>` + Body(screen) + `</pre></body></html>
`
}
