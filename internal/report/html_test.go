package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/fleetport/fleetport/internal/drift"
)

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

var cssURL = regexp.MustCompile(`(?i)url\(\s*['"]?\s*([^)'"\s]*)`)

// checkOffline fails on anything that would fetch over the network: a
// src, href, srcset, action, poster or data attribute or a CSS url() that
// is not a fragment or a data: URL, an @import, or an external script.
func checkOffline(t *testing.T, name string, doc *html.Node, raw []byte) {
	t.Helper()
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch strings.ToLower(a.Key) {
			case "src", "href", "srcset", "action", "poster", "data", "xlink:href", "formaction", "background":
				v := strings.TrimSpace(a.Val)
				if !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
					t.Errorf("%s: <%s %s=%q> points outside the page", name, n.Data, a.Key, a.Val)
				}
			case "style":
				for _, m := range cssURL.FindAllStringSubmatch(a.Val, -1) {
					t.Errorf("%s: <%s style> has url(%s)", name, n.Data, m[1])
				}
			}
		}
		if n.Data == "script" && attr(n, "src") != "" {
			t.Errorf("%s: external script", name)
		}
		if n.Data == "link" {
			t.Errorf("%s: <link> element (stylesheets and fonts must be inline)", name)
		}
		if n.Data == "style" {
			css := textOf(n)
			for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
				if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
					t.Errorf("%s: CSS url(%s)", name, m[1])
				}
			}
			if strings.Contains(css, "@import") || strings.Contains(css, "@font-face") {
				t.Errorf("%s: CSS @import or @font-face", name)
			}
		}
	}
	if bytes.Contains(raw, []byte("http://")) || bytes.Contains(raw, []byte("https://")) {
		t.Errorf("%s: the page holds an http(s) URL", name)
	}
}

func TestHTML(t *testing.T) {
	for _, in := range inputs(t) {
		t.Run(in.name, func(t *testing.T) {
			raw := render(t, HTML, in.r, Options{})
			doc, err := html.Parse(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			checkOffline(t, in.name, doc, raw)

			byID := map[string]*html.Node{}
			for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
				if byID[attr(n, "id")] != nil {
					t.Errorf("duplicate id %q", attr(n, "id"))
				}
				byID[attr(n, "id")] = n
			}
			for _, id := range []string{"summary", "policies", "matrix", "hosts", "chart-hosts", "chart-severity"} {
				if byID[id] == nil {
					t.Errorf("no element with id %q", id)
				}
			}
			// The charts are inline SVG with shapes.
			for _, id := range []string{"chart-hosts", "chart-severity"} {
				if fig := byID[id]; fig != nil {
					svgs := findAll(fig, func(n *html.Node) bool { return n.Data == "svg" })
					if len(svgs) != 1 || len(findAll(svgs[0], func(n *html.Node) bool { return n.Data == "rect" || n.Data == "circle" })) < 2 {
						t.Errorf("%s: no SVG chart with shapes", id)
					}
				}
			}
			if in.r.Summary.Hosts > 0 {
				segs := findAll(byID["chart-hosts"], func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "seg ") })
				if len(segs) == 0 {
					t.Error("the hosts donut has no segment")
				}
			}
			// The matrix: a row per policy, a cell per shown host.
			if m := byID["matrix"]; m != nil && len(in.r.Policies) > 0 && len(in.r.Hosts) > 0 {
				rows := findAll(m, func(n *html.Node) bool { return n.Data == "tr" })
				if len(rows) != len(in.r.Policies)+1 {
					t.Errorf("matrix has %d rows, want %d", len(rows), len(in.r.Policies)+1)
				}
				shown := min(len(in.r.Hosts), maxMatrixHosts)
				for _, tr := range rows[1:] {
					cells := findAll(tr, func(n *html.Node) bool { return n.Data == "td" })
					if len(cells) != shown {
						t.Fatalf("matrix row has %d cells, want %d", len(cells), shown)
					}
					for _, td := range cells {
						if attr(td, "title") == "" {
							t.Fatal("matrix cell without a title")
						}
					}
				}
			}
			// Every host with findings has a section with every evidence
			// line; every link points at an element.
			for _, h := range in.r.Hosts {
				if len(h.Findings) == 0 {
					continue
				}
				var sec *html.Node
				for _, s := range findAll(byID["hosts"], func(n *html.Node) bool { return n.Data == "section" && strings.Contains(attr(n, "class"), "host") }) {
					if h3 := findAll(s, func(n *html.Node) bool { return n.Data == "h3" }); len(h3) > 0 && strings.HasPrefix(textOf(h3[0]), h.Name+" ") {
						sec = s
					}
				}
				if sec == nil {
					t.Errorf("host %s has findings but no section", h.Name)
					continue
				}
				text := textOf(sec)
				if !strings.Contains(text, string(h.Status.String())) && h.Status.String() != "ok" {
					t.Errorf("host %s: section lacks its status", h.Name)
				}
				if notReached(&h) {
					continue
				}
				for _, f := range h.Findings {
					for _, e := range f.Evidence {
						if want := evidenceHTMLText(e.Text); !strings.Contains(text, want) {
							t.Errorf("host %s: section lacks evidence %q", h.Name, want)
						}
						if e.Command != "" && !strings.Contains(text, e.Command) {
							t.Errorf("host %s: section lacks evidence command %q", h.Name, e.Command)
						}
					}
					if !strings.Contains(text, f.Expected) || !strings.Contains(text, f.Actual) {
						t.Errorf("host %s: section lacks expected or actual of %s", h.Name, f.Rule)
					}
				}
			}
			for _, a := range findAll(doc, func(n *html.Node) bool { return n.Data == "a" }) {
				if href := attr(a, "href"); byID[strings.TrimPrefix(href, "#")] == nil {
					t.Errorf("link %q points at no element", href)
				}
			}
			if in.r.Changes != nil && byID["changes"] == nil {
				t.Error("no changes section")
			}
		})
	}
}

// TestHTMLEscapes checks that data cannot inject markup.
func TestHTMLEscapes(t *testing.T) {
	r := handReport()
	r.Hosts[0].Findings[0].Actual = `<script>alert(1)</script>`
	r.Hosts[0].Findings[0].Evidence[0].Text = `"><img src=x onerror=alert(1)>`
	r.Policies[0].Description = `<a href="https://example.invalid/">x</a>`
	raw := render(t, HTML, r, Options{})
	for _, bad := range []string{"<script>alert", "<img src=x", `<a href="https://example`} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(findAll(doc, func(n *html.Node) bool { return n.Data == "script" })); n != 1 {
		t.Errorf("%d script elements, want 1", n)
	}
}

// TestHTMLMatrixCap checks the matrix caps its hosts, shows the hosts that
// are not compliant first and says how many it left out.
func TestHTMLMatrixCap(t *testing.T) {
	r := handReport()
	pass := r.Hosts[6]
	var hosts []drift.HostReport
	for i := 0; i < 700; i++ {
		h := pass
		h.Name = fmt.Sprintf("pass%04d", i)
		hosts = append(hosts, h)
	}
	r.Hosts = append(hosts, r.Hosts...)
	finish(r)
	raw := render(t, HTML, r, Options{})
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var matrix *html.Node
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") == "matrix" }) {
		matrix = n
	}
	heads := findAll(matrix, func(n *html.Node) bool { return n.Data == "th" && attr(n, "class") == "host" })
	if len(heads) != maxMatrixHosts {
		t.Fatalf("%d host columns, want %d", len(heads), maxMatrixHosts)
	}
	names := map[string]bool{}
	for _, th := range heads {
		names[textOf(th)] = true
	}
	for _, h := range []string{"app01", "db07", "dc01", "lb02", "mail01", "web01", "web03"} {
		if !names[h] {
			t.Errorf("host %s is not compliant but is not in the matrix", h)
		}
	}
	if !strings.Contains(textOf(matrix), "Showing 500 of 708 hosts") || !strings.Contains(textOf(matrix), "208 compliant or not-applicable hosts are omitted") {
		t.Error("the matrix does not say how many hosts it omits")
	}
}
