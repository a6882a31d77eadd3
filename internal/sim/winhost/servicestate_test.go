package winhost

import (
	"net/netip"
	"strings"
	"testing"
)

// maskState reduces a servicestate output to its structure: trailing
// blanks and the author's notes go, the values that differ between hosts
// (IDs, URLs, the number of URLs, versions, PIDs) become placeholders.
func maskState(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if i := strings.Index(l, " **"); i >= 0 {
			l = l[:i]
		}
		l = strings.TrimRight(l, " ")
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		t := strings.TrimSpace(l)
		f := strings.Fields(t)
		switch {
		case t == "":
		case strings.HasPrefix(strings.ToUpper(t), "HTTP"):
			t = "<URL>"
		case strings.Trim(t, "0123456789") == "":
			t = "<PID>"
		case len(f) > 1 && len(f[len(f)-1]) == 16 && strings.Trim(f[len(f)-1], "0123456789ABCDEF") == "":
			t = strings.Join(f[:len(f)-1], " ") + " <ID>"
		case strings.HasPrefix(t, "Version: "), strings.HasPrefix(t, "Number of registered URLs: "):
			t = t[:strings.IndexByte(t, ':')] + ": <N>"
		}
		if t == "<URL>" && len(out) > 0 && out[len(out)-1] == indent+t {
			continue // one placeholder for a list of URLs
		}
		out = append(out, indent+t)
	}
	return out
}

// block returns the lines from the first one equal to start up to the next
// empty line.
func block(lines []string, start string, nth int) []string {
	for i, l := range lines {
		if l != start {
			continue
		}
		if nth > 0 {
			nth--
			continue
		}
		for j := i; j < len(lines); j++ {
			if lines[j] == "" {
				return lines[i:j]
			}
		}
		return lines[i:]
	}
	return nil
}

func TestServiceStateLayoutMatchesCorpus(t *testing.T) {
	// The corpus session (Windows 10, netsh's interactive prompt cut):
	// two server sessions whose URL groups inherit their timeouts, as
	// WinRM's does, and two request queues listing "Process IDs:".
	capture := outputsOf(string(corpus(t, "netsh-http-show-servicestate-win10-iotbay.txt")), "netsh http>")
	if len(capture) != 2 {
		t.Fatalf("corpus file has %d outputs", len(capture))
	}
	want := maskState(capture[0])
	spec := baseSpec(Server2019)
	spec.WithoutIIS = true
	got := maskState(mustRun(t, newHost(t, spec, Options{}), "netsh http show servicestate"))
	// The title and the dashes (the capture, copied from a console
	// window, lost the blank after each) and the empty lines around them.
	if strings.Join(got[:4], "|") != strings.Join(want[:4], "|") {
		t.Errorf("head:\n got %q\nwant %q", got[:4], want[:4])
	}
	for _, cmp := range []struct{ start string }{{"Server session ID: <ID>"}, {"    Request queue name: Request queue is unnamed."}} {
		g, w := block(got, cmp.start, 0), block(want, cmp.start, 0)
		if len(w) == 0 || strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("block %q:\n got %q\nwant %q", cmp.start, g, w)
		}
	}
	// The queues follow the sessions after an empty line, and one empty
	// line ends the output.
	if i := indexOf(got, "Request queues:"); i < 0 || got[i-1] != "" || indexOf(want, "Request queues:") < 0 ||
		strings.Join(got[len(got)-3:], "|") != strings.Join(want[len(want)-3:], "|") {
		t.Errorf("the queues do not follow the sessions as in the capture:\n got %q\nwant %q", got, want)
	}
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

// registered returns the URLs a servicestate output lists, in order, each
// time it lists them.
func registered(out string) []string {
	var urls []string
	for _, l := range strings.Split(out, "\r\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "HTTP") {
			urls = append(urls, t)
		}
	}
	return urls
}

func TestServiceStateRegistrations(t *testing.T) {
	spec := baseSpec(Server2019)
	spec.WinRMHTTPS = true
	spec.Interfaces[0].Addrs = append(spec.Interfaces[0].Addrs, netip.MustParseAddr("10.1.2.9"))
	spec.ListenOnlyList = []netip.Addr{netip.MustParseAddr("127.0.10.1"), netip.MustParseAddr("10.1.2.3")}
	spec.Sites = []Site{
		{Name: "Default Web Site", Bindings: []string{"HTTP://10.1.2.3:80/"}},
		{Name: "intranet", Bindings: []string{"http://10.1.2.9:8080/", "https://intranet.corp.example/"}},
	}
	h := newHost(t, spec, Options{})
	out := mustRun(t, h, "netsh http show servicestate")
	want := "HTTP://+:5985/WSMAN/ HTTPS://+:5986/WSMAN/ HTTP://+:47001/WSMAN/ HTTP://10.1.2.3:80:10.1.2.3/ " +
		"HTTP://10.1.2.9:8080:10.1.2.9/ HTTPS://INTRANET.CORP.EXAMPLE:443/"
	if got := strings.Join(registered(out), " "); got != want {
		t.Errorf("registered\n got %s\nwant %s", got, want)
	}
	for _, s := range []string{"    URL group ID: FF00000040000002\r\n", `Log directory: C:\inetpub\logs\LogFiles\W3SVC2` + "\r\n",
		"            Number of registered URLs: 2\r\n", "        Controller process ID: 2268\r\n        Process IDs:\r\n\r\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	// http.sys listens on the sites' ports and WinRM's HTTPS port, on the
	// listed addresses only: nothing answers on 10.1.2.9.
	ns := mustRun(t, h, "netstat -ano")
	for _, ep := range []string{"10.1.2.3:8080", "127.0.10.1:8080", "10.1.2.3:5986", "127.0.10.1:5986"} {
		if !strings.Contains(ns, "  TCP    "+ep+" ") {
			t.Errorf("netstat lacks http.sys on %s", ep)
		}
	}
	if strings.Contains(ns, "10.1.2.9:80") || strings.Contains(ns, "0.0.0.0:8080") {
		t.Errorf("http.sys listens on an address the list lacks:\n%s", ns)
	}
	// Options: unique prefixes; verbose is accepted, the request queue
	// view is not modelled.
	if o := mustRun(t, h, "netsh http sh servicestate view=session verbose=no"); o != out {
		t.Errorf("view=session verbose=no differs")
	}
	if o, _, code := run(t, h, "netsh http show servicestate view=requestq"); code != 1 || o != netshBadParam {
		t.Errorf("view=requestq: %d %q", code, o)
	}

	// What runs decides what is registered.
	mustRun(t, h, "net stop w3svc")
	if got := strings.Join(registered(mustRun(t, h, "netsh http show servicestate")), " "); got != "HTTP://+:5985/WSMAN/ HTTPS://+:5986/WSMAN/ HTTP://+:47001/WSMAN/" {
		t.Errorf("W3SVC stopped: %s", got)
	}
	if strings.Contains(mustRun(t, h, "netstat -an"), ":8080 ") {
		t.Error("http.sys still listens on the site's port with W3SVC stopped")
	}
	mustRun(t, h, "net stop winrm")
	mustRun(t, h, "net start w3svc")
	if got := strings.Join(registered(mustRun(t, h, "netsh http show servicestate")), " "); got != "HTTP://10.1.2.3:80:10.1.2.3/ HTTP://10.1.2.9:8080:10.1.2.9/ HTTPS://INTRANET.CORP.EXAMPLE:443/" {
		t.Errorf("WinRM stopped: %s", got)
	}
	mustRun(t, h, "net stop http /y")
	if got := mustRun(t, h, "netsh http show servicestate"); got != "\r\nSnapshot of HTTP service state (Server Session View): \r\n----------------------------------------------------- \r\n\r\n" {
		t.Errorf("HTTP stopped: %q", got)
	}
}

func TestServiceStateReleases(t *testing.T) {
	// 2003 has no http context in netsh, as for iplisten.
	if o, _, code := run(t, newHost(t, baseSpec(Server2003), Options{}), "netsh http show servicestate"); code != 1 ||
		o != "The following command was not found: http show servicestate.\r\n" {
		t.Errorf("2003: %d %q", code, o)
	}
	// Without Sites, IIS's Default Web Site on every address; without IIS,
	// WinRM alone.
	if got := strings.Join(registered(mustRun(t, newHost(t, baseSpec(Server2012R2), Options{}), "netsh http show servicestate")), " "); got != "HTTP://+:5985/WSMAN/ HTTP://+:47001/WSMAN/ HTTP://*:80/" {
		t.Errorf("default site: %s", got)
	}
	noIIS := baseSpec(Server2016)
	noIIS.WithoutIIS = true
	if out := mustRun(t, newHost(t, noIIS, Options{}), "netsh http show servicestate"); strings.Contains(out, "FD00000120000001") || strings.Contains(out, "DefaultAppPool") {
		t.Errorf("a host without IIS shows an IIS session:\n%s", out)
	}
	// 2022 lists "Processes:" and each queue's URLs again.
	spec := baseSpec(Server2022)
	spec.Sites = []Site{{Name: "Default Web Site", Bindings: []string{"HTTP://10.1.2.3:80/"}}}
	out := mustRun(t, newHost(t, spec, Options{}), "netsh http show servicestate")
	if got := strings.Join(registered(out), " "); got != "HTTP://+:5985/WSMAN/ HTTP://+:47001/WSMAN/ HTTP://10.1.2.3:80:10.1.2.3/ "+
		"HTTP://+:5985/WSMAN/ HTTP://+:47001/WSMAN/ HTTP://10.1.2.3:80:10.1.2.3/" {
		t.Errorf("2022 registered: %s", got)
	}
	for _, s := range []string{"        Processes:\r\n            ID: 1492, image: <?>\r\n        Registered URLs:\r\n            HTTP://+:5985/WSMAN/\r\n",
		"        Controller process ID: 2268\r\n        Processes:\r\n        Registered URLs:\r\n            HTTP://10.1.2.3:80:10.1.2.3/\r\n\r\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("2022 output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "Process IDs:") {
		t.Error("2022 lists Process IDs")
	}
}

func TestSiteValidation(t *testing.T) {
	for _, tc := range []struct {
		sites      []Site
		withoutIIS bool
		want       string
	}{
		{[]Site{{Name: "a", Bindings: []string{"10.1.2.3:80"}}}, false, "is not a URL"},
		{[]Site{{Name: "a", Bindings: []string{"ftp://*:21/"}}}, false, "neither http nor https"},
		{[]Site{{Name: "a", Bindings: []string{"http://*:0/"}}}, false, "is not 1 to 65535"},
		{[]Site{{Name: "a", Bindings: []string{"http://*:80/x"}}}, false, "must end in a slash"},
		{[]Site{{Name: "a", Bindings: []string{"http://bad host:80/"}}}, false, "is not +, *, an IP address or a name"},
		{[]Site{{Name: "a", Bindings: []string{"http://[fe80::1:80/"}}}, false, "unterminated IPv6"},
		{[]Site{{Name: "a", Bindings: []string{"http://[10.0.0.1]:80/"}}}, false, "is not an IPv6 address"},
		{[]Site{{Name: "a"}, {Name: "A"}}, false, "used twice"},
		{[]Site{{Name: " "}}, false, "is empty"},
		{[]Site{{Name: "a"}}, true, "sites need IIS"},
	} {
		spec := baseSpec(Server2019)
		spec.Sites, spec.WithoutIIS = tc.sites, tc.withoutIIS
		if _, err := New(spec, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.sites, err, tc.want)
		}
	}
	for _, ok := range []string{"HTTP://*:80/", "http://+:8080/vroot/", "HTTPS://[fe80::1]/", "http://www.example.com/", "https://10.0.0.5:443/"} {
		if _, err := parseBinding(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if b, _ := parseBinding("https://[fe80::1]/a/"); b.registered() != "HTTPS://[FE80::1]:443:[FE80::1]/A/" {
		t.Errorf("IPv6 binding registers as %s", b.registered())
	}
}
