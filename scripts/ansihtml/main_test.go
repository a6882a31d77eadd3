package main

import (
	"strings"
	"testing"
)

func TestBody(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain <text> & more", "plain &lt;text&gt; &amp; more"},
		{"\x1b[1;36mhead\x1b[0m tail", `<span style="color:#8abeb7;font-weight:bold;">head</span> tail`},
		{"\x1b[7mcursor\x1b[27m", `<span style="color:#1d1f21;background:#c5c8c6;">cursor</span>`},
		{"\x1b[38;5;196mred\x1b[39m", `<span style="color:#ff0000;">red</span>`},
		{"\x1b[38;2;1;2;3mrgb\x1b[m", `<span style="color:#010203;">rgb</span>`},
		{"\x1b[91mbright\x1b[0m", `<span style="color:#d54e53;">bright</span>`},
		{"\x1b]0;title\x07x\x1b[?25ly", "xy"},
		{"cut\x1b", "cut"},
	}
	for _, c := range cases {
		if got := Body(c.in); got != c.want {
			t.Errorf("Body(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestPage(t *testing.T) {
	p := Page("fleet <1>", 80, "a\nb\n\n")
	for _, want := range []string{"<title>fleet &lt;1&gt;</title>", "width: 80ch", "<pre>a\nb</pre>"} {
		if !strings.Contains(p, want) {
			t.Errorf("page lacks %q:\n%s", want, p)
		}
	}
}
