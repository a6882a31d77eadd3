package report

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
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
			// The matrix: a row per policy, a cell for all hosts and one per
			// group, each with a title.
			if m := byID["matrix"]; m != nil && len(in.r.Policies) > 0 && len(in.r.Hosts) > 0 {
				rows := findAll(m, func(n *html.Node) bool { return n.Data == "tr" })
				if len(rows) != len(in.r.Policies)+1 {
					t.Errorf("matrix has %d rows, want %d", len(rows), len(in.r.Policies)+1)
				}
				groups := map[string]bool{}
				for _, h := range in.r.Hosts {
					for _, g := range h.Groups {
						groups[g] = true
					}
					if len(h.Groups) == 0 {
						groups[noGroup] = true
					}
				}
				for _, tr := range rows[1:] {
					cells := findAll(tr, func(n *html.Node) bool { return n.Data == "td" })
					if len(cells) != 1+len(groups) {
						t.Fatalf("matrix row has %d cells, want %d", len(cells), 1+len(groups))
					}
					for _, td := range cells {
						if attr(td, "title") == "" {
							t.Fatal("matrix cell without a title")
						}
					}
				}
			}
			// Every reached host with findings has a folded section with
			// every evidence line; every host not reached is named in the
			// line of its status.
			hostSec := map[string]*html.Node{}
			for _, d := range findAll(byID["hosts"], func(n *html.Node) bool { return n.Data == "details" && attr(n, "class") == "host" }) {
				if b := findAll(d, func(n *html.Node) bool { return n.Data == "b" }); len(b) > 0 {
					hostSec[textOf(b[0])] = d
				}
			}
			for _, h := range in.r.Hosts {
				if notReached(&h) {
					u := byID["unreached-"+slug(h.Status.String())]
					if u == nil || !strings.Contains(textOf(u), h.Name) {
						t.Errorf("host %s (%s) is not in the line of hosts %s", h.Name, h.Status, h.Status)
					}
					continue
				}
				if len(h.Findings) == 0 {
					continue
				}
				sec := hostSec[h.Name]
				if sec == nil {
					t.Errorf("host %s has findings but no section", h.Name)
					continue
				}
				text := textOf(sec)
				if h.Status.String() != "ok" && !strings.Contains(text, h.Status.String()) {
					t.Errorf("host %s: section lacks its status", h.Name)
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

// TestHTMLMatrixGroups checks the matrix on a fleet of many groups: a
// column per group up to the cap, the groups with the most hosts drifting
// first, the others in one column that says how many they are, and every
// cell's drill-down listing the hosts of its column that did not pass.
func TestHTMLMatrixGroups(t *testing.T) {
	r := handReport()
	var hosts []drift.HostReport
	for i := 0; i < 40; i++ {
		for _, h := range r.Hosts {
			h.Name = fmt.Sprintf("%s-%02d", h.Name, i)
			h.Groups = []string{fmt.Sprintf("g%02d", i)}
			hosts = append(hosts, h)
		}
	}
	// g39 holds every host of g38 too, and more drift: it comes first.
	extra := r.Hosts[5] // web01: fail
	for i := 0; i < 3; i++ {
		extra.Name = fmt.Sprintf("extra%d", i)
		extra.Groups = []string{"g39"}
		hosts = append(hosts, extra)
	}
	r.Hosts = hosts
	r.Changes = nil
	finish(r)
	raw := render(t, HTML, r, Options{})
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*html.Node{}
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
		byID[attr(n, "id")] = n
	}
	heads := findAll(byID["matrix"], func(n *html.Node) bool { return n.Data == "th" && attr(n, "class") == "group" })
	if len(heads) != 1+maxMatrixGroups {
		t.Fatalf("%d group columns, want all hosts and %d", len(heads), maxMatrixGroups)
	}
	if got := textOf(heads[1]); !strings.HasPrefix(got, "g39") {
		t.Errorf("first group column %q, want g39 (the most hosts drifting)", got)
	}
	if got, want := textOf(heads[len(heads)-1]), fmt.Sprintf("%d other groups", 40-(maxMatrixGroups-1)); !strings.HasPrefix(got, want) {
		t.Errorf("last column %q, want %q", got, want)
	}
	// The http_listen_list row: web01 fails in every group; its cell
	// links to the drill-down, which names the group's failing hosts.
	var row *html.Node
	for _, tr := range findAll(byID["matrix"], func(n *html.Node) bool { return n.Data == "tr" }) {
		if strings.Contains(textOf(tr), "http_listen_list") {
			row = tr
		}
	}
	if row == nil {
		t.Fatal("no matrix row for http_listen_list")
	}
	cells := findAll(row, func(n *html.Node) bool { return n.Data == "td" })
	if !strings.Contains(textOf(cells[0]), "✗43") {
		t.Errorf("all hosts cell %q, want ✗43", textOf(cells[0]))
	}
	links := findAll(cells[1], func(n *html.Node) bool { return n.Data == "a" })
	if len(links) != 1 {
		t.Fatalf("the g39 cell has %d links, want 1", len(links))
	}
	drill := byID[strings.TrimPrefix(attr(links[0], "href"), "#")]
	if drill == nil {
		t.Fatalf("the g39 cell links to %q, which is no element", attr(links[0], "href"))
	}
	for _, want := range []string{"g39", "web01-39", "extra0", "extra2"} {
		if !strings.Contains(textOf(drill), want) {
			t.Errorf("the g39 drill-down lacks %s: %q", want, textOf(drill))
		}
	}
	if strings.Contains(textOf(drill), "web02-39") {
		t.Error("the drill-down lists a host that passes")
	}
	if !strings.Contains(attr(cells[1], "title"), "4 fail") {
		t.Errorf("the g39 cell's title %q does not say 4 fail", attr(cells[1], "title"))
	}
	last := findAll(cells[len(cells)-1], func(n *html.Node) bool { return n.Data == "a" })
	if len(last) != 1 || !strings.Contains(textOf(byID[strings.TrimPrefix(attr(last[0], "href"), "#")]), "web01-38") {
		t.Error("the other groups' drill-down does not list their failing hosts")
	}
}

// TestHTMLAnyStatus checks that a result the page knows nothing of (here
// one past the known ones) still shows, in words and with its own CSS
// class: in the legend, the cards, the matrix, the drill-down and on the
// host, so that a new result needs no more than a colour.
func TestHTMLAnyStatus(t *testing.T) {
	r := handReport()
	other := drift.Result(drift.Fail + 1)
	name := other.String()
	class := statusClass(other)
	h := &r.Hosts[6] // web02: compliant
	if h.Name != "web02" {
		t.Fatalf("host 6 is %s", h.Name)
	}
	for i := range h.Verdicts {
		if h.Verdicts[i].Policy == "tcp_timed_wait_delay" {
			h.Verdicts[i].Result = other
		}
	}
	h.Findings = []drift.Finding{{Host: "web02", Policy: "tcp_timed_wait_delay", Rule: `registry "TcpTimedWaitDelay"`, Severity: r.Policies[4].Severity,
		Result: other, Expected: "<= 30", Actual: "240 (accepted until 2026-04-01)"}}
	finish(r)
	raw := render(t, HTML, r, Options{})
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	withClass := func(where *html.Node) []*html.Node {
		return findAll(where, func(n *html.Node) bool { return slices.Contains(strings.Fields(attr(n, "class")), class) })
	}
	byID := map[string]*html.Node{}
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
		byID[attr(n, "id")] = n
	}
	if l := withClass(byID["legend"]); len(l) != 1 || !strings.Contains(textOf(l[0]), name+" 1 hosts") {
		t.Errorf("the legend does not show %s on 1 host", name)
	}
	if c := withClass(byID["summary"]); len(c) < 2 {
		t.Errorf("the summary shows %s %d times, want a card and a legend line", name, len(c))
	}
	cells := findAll(byID["matrix"], func(n *html.Node) bool { return n.Data == "td" && strings.Contains(attr(n, "title"), "1 "+name) })
	if len(cells) != 3 {
		t.Errorf("%d matrix cells count 1 %s, want 3 (all hosts, groups web and iis)", len(cells), name)
	}
	var drill bool
	for _, n := range withClass(byID["policies"]) {
		if strings.Contains(textOf(n.Parent), "web02") {
			drill = true
		}
	}
	if !drill {
		t.Errorf("the drill-down does not list web02 as %s", name)
	}
	if n := withClass(byID["host-web02"]); len(n) < 2 {
		t.Errorf("host web02 shows %s %d times, want on its line and its finding", name, len(n))
	}
}
