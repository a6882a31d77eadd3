package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
