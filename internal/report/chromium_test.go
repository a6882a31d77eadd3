package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
)

const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium on a page with no network: every host
// name resolves to nothing, and the background services are off.
func chromium(t *testing.T, dir string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
	}
	cmd := exec.CommandContext(ctx, chromiumPath, append(base, args...)...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes(), errb.Bytes()
}

// pageErrors returns the console lines Chromium logged for the page: the
// page logs nothing, so any message, error or uncaught exception from it is
// a failure.
func pageErrors(stderr []byte, page string) []string {
	var bad []string
	for _, line := range strings.Split(string(stderr), "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, "ERROR:CONSOLE") ||
			(strings.Contains(line, ":CONSOLE") && strings.Contains(line, page)) {
			bad = append(bad, line)
		}
	}
	return bad
}

// TestHTMLInChromium renders the HTML report in headless Chromium, with
// and without JavaScript, checks that the page's sections render and that
// the page logs no error, and takes a screenshot. With
// FLEETPORT_UPDATE_SCREENSHOT=1 the screenshot replaces
// docs/report-screenshot.png (of the simulator run when
// testdata/report.json exists, else of the hand-built report).
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the headless Chromium test in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping the headless Chromium test: %s is missing (apt-get install chromium)", chromiumPath)
	}
	ins := inputs(t)
	in := ins[len(ins)-1] // the simulator run when there is one
	dir := t.TempDir()
	page := filepath.Join(dir, "drift.html")
	if err := os.WriteFile(page, render(t, HTML, in.r, Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	// The console check catches an error on this Chromium.
	bad := filepath.Join(dir, "bad.html")
	if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><title>x</title><p>x</p><script>undefinedFunction();</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr := chromium(t, dir, "--dump-dom", "file://"+bad); len(pageErrors(stderr, "file://"+bad)) == 0 {
		t.Fatalf("Chromium logged no console error for a page that throws; the check cannot work:\n%s", stderr)
	}

	dom, stderr := chromium(t, dir, "--dump-dom", url)
	if bad := pageErrors(stderr, url); len(bad) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(bad, "\n"))
	}
	for _, want := range []string{`<section id="summary">`, `<figure id="chart-hosts">`, `<svg`, `<table class="matrix">`, `<section id="hosts">`} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("the rendered DOM lacks %s", want)
		}
	}
	// The script ran: it shows the filter box.
	if bytes.Contains(dom, []byte(`class="host"`)) && !bytes.Contains(dom, []byte(`<div class="filter" id="filter"><label>`)) {
		t.Error("the filter script did not run")
	}

	// Without JavaScript the page shows everything but the filter box.
	// (--dump-dom needs scripts, so the page runs without its script.)
	raw, _ := os.ReadFile(page)
	start, end := bytes.Index(raw, []byte("<script>")), bytes.LastIndex(raw, []byte("</script>"))
	if start < 0 || end < start {
		t.Fatal("the page has no inline script")
	}
	nojs := filepath.Join(dir, "nojs.html")
	if err := os.WriteFile(nojs, append(raw[:start:start], raw[end+len("</script>"):]...), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr = chromium(t, dir, "--dump-dom", "file://"+nojs)
	if bad := pageErrors(stderr, "file://"+nojs); len(bad) > 0 {
		t.Errorf("the page logged errors without JavaScript:\n%s", strings.Join(bad, "\n"))
	}
	for _, want := range []string{`<section id="summary">`, `<table class="matrix">`, `id="filter" hidden`} {
		if len(in.r.Hosts) > 0 && !bytes.Contains(dom, []byte(want)) {
			t.Errorf("without JavaScript the rendered DOM lacks %s", want)
		}
	}

	shot := filepath.Join(dir, "report.png")
	_, stderr = chromium(t, dir, "--hide-scrollbars", "--screenshot="+shot, "--window-size=1280,1600", url)
	if bad := pageErrors(stderr, url); len(bad) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(bad, "\n"))
	}
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Fatalf("the screenshot is not a plausible PNG (%d bytes)", len(png))
	}
	if os.Getenv("FLEETPORT_UPDATE_SCREENSHOT") == "1" {
		dst := filepath.Join("..", "..", "docs", "report-screenshot.png")
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s from the %q report", dst, in.name)
	}
}

// maxFleetPageHeight is the height, in CSS pixels at 1280 wide, the report
// of a 2,000-host fleet must stay under.
const maxFleetPageHeight = 10_000

// fleetHarness runs in the report page after the page's own script: it
// measures the page, then types each query into the search box as a
// person would (the value, then an input event) and records which hosts
// remain visible, and writes it all as JSON into the DOM for --dump-dom.
const fleetHarness = `<script>
(function () {
  var out = { queries: [] };
  try {
    var root = document.documentElement;
    out.height = root.scrollHeight;
    out.width = root.scrollWidth;
    out.ms = performance.now();
    var input = document.getElementById("filter-input");
    out.searchShown = !document.getElementById("filter").hidden;
    var visible = function () {
      var ids = [], items = document.querySelectorAll("#hosts [data-search]");
      for (var i = 0; i < items.length; i++) {
        if (items[i].checkVisibility() && items[i].getClientRects().length > 0) { ids.push(items[i].id); }
      }
      return ids;
    };
    out.initial = visible().length;
    QUERIES.forEach(function (q) {
      input.value = q;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      out.queries.push({ q: q, visible: visible(), count: document.getElementById("filter-count").textContent });
    });
    input.value = "";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    out.cleared = visible().length;
    out.heightCleared = root.scrollHeight;
    window.dispatchEvent(new Event("beforeprint"));
    out.printClosed = document.querySelectorAll("details.bucket:not([open]), details.policy:not([open]), details.unreached:not([open])").length;
    window.dispatchEvent(new Event("afterprint"));
    out.heightPrinted = root.scrollHeight;
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  var pre = document.createElement("pre");
  pre.id = "harness";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
`

type harnessQuery struct {
	Q       string   `json:"q"`
	Visible []string `json:"visible"`
	Count   string   `json:"count"`
}

type harnessResult struct {
	Height, Width, HeightCleared int
	PrintClosed, HeightPrinted   int
	MS                           float64 `json:"ms"`
	SearchShown                  bool
	Initial, Cleared             int
	Queries                      []harnessQuery
	Error                        string
}

// TestHTMLFleetInChromium renders the report of a 2,000-host fleet (the
// drift engine's results on a simulated fleet, spread over 13 groups, with
// hosts unreachable, timed out and refusing credentials) in headless
// Chromium at 1280 px wide, and checks that the page is under 10,000 px
// tall and no wider than the window, logs no error, and that its search
// box leaves visible exactly the hosts that match: one host by name (in a
// folded set), a host not reached, a group, a policy, and nothing; and
// that printing opens every folded set and puts them back after. It
// takes a screenshot of the whole page; with
// FLEETPORT_UPDATE_SCREENSHOT=1 it replaces docs/report-2000-hosts.png.
func TestHTMLFleetInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the headless Chromium test in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping the headless Chromium test: %s is missing (apt-get install chromium)", chromiumPath)
	}
	r := fleetReport(t, 2000)
	raw := render(t, HTML, r, Options{})
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	checkOffline(t, "fleet", doc, raw)
	t.Logf("the page of %d hosts is %d bytes", len(r.Hosts), len(raw))

	// What each query must leave visible, from the report itself.
	v := newView(r)
	anchors := hostAnchors(r)
	shown := map[*drift.HostReport]bool{} // hosts the page lists
	for _, g := range v.byHost() {
		shown[g.Host] = true
	}
	var byName, unreached *drift.HostReport
	for i := range r.Hosts {
		h := &r.Hosts[i]
		switch {
		case byName == nil && shown[h] && !notReached(h) && rankOf(v.hostRows[h]).worst.String() == "medium":
			byName = h // in a set that is folded when the page loads
		case unreached == nil && notReached(h) && h.Status == facts.StatusTimeout:
			unreached = h
		}
	}
	if byName == nil || unreached == nil {
		t.Fatal("the fleet lacks a host with medium drift or a host that timed out")
	}
	want := func(match func(h *drift.HostReport) bool) []string {
		var ids []string
		for i := range r.Hosts {
			if h := &r.Hosts[i]; shown[h] && match(h) {
				ids = append(ids, anchors[h])
			}
		}
		slices.Sort(ids)
		return ids
	}
	queries := []struct {
		q    string
		want []string
	}{
		{byName.Name, []string{anchors[byName]}},
		{strings.ToUpper(unreached.Name), []string{anchors[unreached]}},
		{"sql-ap", want(func(h *drift.HostReport) bool { return slices.Contains(h.Groups, "sql-ap") })},
		{"smtp_socket_pooling", want(func(h *drift.HostReport) bool {
			return slices.ContainsFunc(v.hostRows[h], func(rw row) bool { return rw.Policy == "smtp_socket_pooling" })
		})},
		{"canary timeout", want(func(h *drift.HostReport) bool {
			return slices.Contains(h.Groups, "canary") && h.Status == facts.StatusTimeout
		})},
		{"no-such-host", nil},
	}
	var qs []string
	for _, q := range queries {
		qs = append(qs, q.q)
	}
	qjson, err := json.Marshal(qs)
	if err != nil {
		t.Fatal(err)
	}
	harness := strings.Replace(fleetHarness, "QUERIES", string(qjson), 1)
	end := bytes.LastIndex(raw, []byte("</body>"))
	if end < 0 {
		t.Fatal("the page has no </body>")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "fleet.html")
	withHarness := filepath.Join(dir, "fleet-harness.html")
	if err := os.WriteFile(page, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withHarness, append(append(raw[:end:end], harness...), raw[end:]...), 0o644); err != nil {
		t.Fatal(err)
	}

	url := "file://" + withHarness
	start := time.Now()
	dom, stderr := chromium(t, dir, "--window-size=1280,1000", "--dump-dom", url)
	t.Logf("Chromium loaded, measured and searched the page in %s", time.Since(start).Round(time.Millisecond))
	if bad := pageErrors(stderr, url); len(bad) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(bad, "\n"))
	}
	m := regexp.MustCompile(`<pre id="harness">([^<]*)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the harness wrote no result; the DOM ends with:\n%s", dom[max(0, len(dom)-2000):])
	}
	var res harnessResult
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res); err != nil {
		t.Fatalf("harness result %q: %v", m[1], err)
	}
	if res.Error != "" {
		t.Fatalf("the harness failed: %s", res.Error)
	}
	t.Logf("page: %d × %d px, script done %.0f ms after navigation; %d hosts visible at load", res.Width, res.Height, res.MS, res.Initial)
	if res.Height <= 0 || res.Height >= maxFleetPageHeight {
		t.Errorf("the page is %d px tall at 1280 px wide, want under %d", res.Height, maxFleetPageHeight)
	}
	if res.Width > 1280 {
		t.Errorf("the page is %d px wide in a 1280 px window", res.Width)
	}
	if !res.SearchShown {
		t.Error("the search box is not shown")
	}
	if len(res.Queries) != len(queries) {
		t.Fatalf("the harness ran %d queries, want %d", len(res.Queries), len(queries))
	}
	total := len(shown)
	for i, q := range queries {
		got := slices.Clone(res.Queries[i].Visible)
		slices.Sort(got)
		if !slices.Equal(got, q.want) {
			t.Errorf("search %q: %d hosts visible, want %d\n got: %v\nwant: %v", q.q, len(got), len(q.want), firstN(got, 10), firstN(q.want, 10))
		}
		if wantCount := fmt.Sprintf("%d of %d hosts", len(q.want), total); res.Queries[i].Count != wantCount {
			t.Errorf("search %q: the count says %q, want %q", q.q, res.Queries[i].Count, wantCount)
		}
	}
	if len(queries[2].want) < 10 {
		t.Errorf("the group query matches %d hosts; the test needs more", len(queries[2].want))
	}
	if res.Cleared != res.Initial || res.HeightCleared != res.Height {
		t.Errorf("after clearing the search: %d hosts visible and %d px, want %d and %d as at load", res.Cleared, res.HeightCleared, res.Initial, res.Height)
	}

	if res.PrintClosed != 0 || res.HeightPrinted != res.Height {
		t.Errorf("printing left %d sets folded, and after it the page is %d px (want 0 and %d)", res.PrintClosed, res.HeightPrinted, res.Height)
	}

	// The page without the harness: no error, and a screenshot of all of it.
	shot := filepath.Join(dir, "fleet.png")
	_, stderr = chromium(t, dir, "--hide-scrollbars", "--force-device-scale-factor=0.5",
		fmt.Sprintf("--window-size=1280,%d", res.Height), "--screenshot="+shot, "file://"+page)
	if bad := pageErrors(stderr, "file://"+page); len(bad) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(bad, "\n"))
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() < res.Height/2 || b.Dy() > res.Height/2+1 {
		t.Errorf("the screenshot is %d × %d, want 640 × %d (the whole page at half scale)", b.Dx(), b.Dy(), res.Height/2)
	}
	if os.Getenv("FLEETPORT_UPDATE_SCREENSHOT") == "1" {
		dst := filepath.Join("..", "..", "docs", "report-2000-hosts.png")
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", dst, len(data))
	}
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }
