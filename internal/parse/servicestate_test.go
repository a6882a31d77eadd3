package parse_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

// stateHead is the start of a Server Session View as netsh writes it over
// WinRM (with the blank after the title and the dashes).
const stateHead = "\r\nSnapshot of HTTP service state (Server Session View): \r\n----------------------------------------------------- \r\n\r\n"

func parseState(t *testing.T, in string) ([]facts.HTTPURL, error) {
	t.Helper()
	return parse.ParseServiceState(strings.NewReader(in), parse.Options{})
}

func urlTexts(us []facts.HTTPURL) string {
	var out []string
	for _, u := range us {
		out = append(out, u.URL)
	}
	return strings.Join(out, " ")
}

func TestServiceStateEdges(t *testing.T) {
	in := stateHead + crlf(`Server session ID: FF00000120000001
    Version: 1.0
    URL groups:
    URL group ID: FE00000140000001
        Request queue name: Request queue is unnamed.
            Number of registered URLs: 3
            Registered URLs:
                HTTP://+:5985/WSMAN/
                HTTPS://+:5986/WSMAN/
                HTTP://+:47001/WSMAN/

Server session ID: FD00000120000001
    URL groups:
    URL group ID: FF00000040000001
            Registered URLs:
                HTTP://10.0.0.5:80:10.0.0.5/
                HTTP://WWW.CORP.EXAMPLE:8080:10.0.0.6/
                HTTPS://[FE80::1]:443:[FE80::1]/X/
                http://*:80/
    URL group ID: FF00000040000002
            Registered URLs:
                HTTP://10.0.0.7:80/

Request queues:
    Request queue name: Request queue is unnamed.
        Processes:
            ID: 1492, image: <?>
        Registered URLs:
            HTTP://+:5985/WSMAN/
            HTTP://+:47001/wsman/
`)
	urls, err := parseState(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := "HTTP://+:5985/WSMAN/ HTTPS://+:5986/WSMAN/ HTTP://+:47001/WSMAN/ HTTP://10.0.0.5:80:10.0.0.5/ " +
		"HTTP://WWW.CORP.EXAMPLE:8080:10.0.0.6/ HTTPS://[FE80::1]:443:[FE80::1]/X/ http://*:80/ HTTP://10.0.0.7:80/"
	if got := urlTexts(urls); got != want {
		t.Fatalf("urls\n got %s\nwant %s", got, want)
	}
	check := func(i int, scheme, host string, port uint16, path, addr string) {
		t.Helper()
		u := urls[i]
		var a netip.Addr
		if addr != "" {
			a = netip.MustParseAddr(addr)
		}
		if u.Scheme != scheme || u.Host != host || u.Port != port || u.Path != path || u.Addr != a {
			t.Errorf("%s = %+v, want %s %s %d %s %v", u.URL, u, scheme, host, port, path, a)
		}
	}
	check(0, "http", "+", 5985, "/WSMAN/", "")
	check(1, "https", "+", 5986, "/WSMAN/", "")
	// The IP-bound form: the address after the port is where http.sys
	// serves the URL.
	check(3, "http", "10.0.0.5", 80, "/", "10.0.0.5")
	check(4, "http", "WWW.CORP.EXAMPLE", 8080, "/", "10.0.0.6")
	check(5, "https", "[FE80::1]", 443, "/X/", "fe80::1")
	check(6, "http", "*", 80, "/", "")
	check(7, "http", "10.0.0.7", 80, "/", "10.0.0.7")

	// Localized labels and the Request Queue View read the same: only the
	// structure counts.
	rq := "\r\nMomentaufnahme des HTTP-Dienststatus (Anforderungswarteschlangenansicht):\r\n" +
		"------------------------------------------------------------------------\r\n\r\n" + crlf(`Name der Anforderungswarteschlange: DefaultAppPool
    Version: 2.0
    Prozess-IDs:
        3248
    URL-Gruppen:
    URL-Gruppen-ID: FE00000040000001
        Registrierte URLs:
            HTTP://*:80/
        Serversitzungs-ID: FF00000020000001
            Version: 2.0
`)
	if urls, err := parseState(t, rq); err != nil || urlTexts(urls) != "HTTP://*:80/" {
		t.Errorf("localized request queue view: %s %v", urlTexts(urls), err)
	}
	// No URL at all, but a session: an empty list, not nil.
	if urls, err := parseState(t, stateHead+"Server session ID: FF00000120000001\r\n    Version: 1.0\r\n\r\n"); err != nil || urls == nil || len(urls) != 0 {
		t.Errorf("a session without URLs: %+v %v", urls, err)
	}

	for _, tc := range []struct {
		name, in string
		line     int
		cause    error
	}{
		{"empty", "\r\n\r\n", 0, parse.ErrEmpty},
		{"no dashes", "netsh http>show servicestate\r\n\r\n" + stateHead, 1, parse.ErrUnknownFormat},
		{"title alone", "\r\nSnapshot of HTTP service state (Server Session View):\r\n", 2, parse.ErrUnknownFormat},
		{"no session", stateHead, 2, parse.ErrUnknownFormat},
		{"unindented URL", stateHead + "Server session ID: FF00000120000001\r\nHTTP://+:80/\r\n", 6, parse.ErrUnknownFormat},
		{"bad port", stateHead + "Server session ID: FF00000120000001\r\n    HTTP://+:99999/\r\n", 6, parse.ErrInvalidValue},
		{"no host", stateHead + "Server session ID: FF00000120000001\r\n    HTTP://:80/\r\n", 6, parse.ErrInvalidValue},
		{"routing not an address", stateHead + "Server session ID: FF00000120000001\r\n    HTTP://A:80:B/\r\n", 6, parse.ErrInvalidValue},
		{"routing IPv6 unbracketed", stateHead + "Server session ID: FF00000120000001\r\n    HTTP://A:80:::1/\r\n", 6, parse.ErrInvalidValue},
		{"iplisten", "\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n    10.0.0.5\r\n\r\n", 2, parse.ErrUnknownFormat},
		{"urlacl", "\r\nURL Reservations: \r\n----------------- \r\n\r\n    Reserved URL            : http://+:80/Temporary_Listen_Addresses/ \r\n        User: \\Everyone\r\n", 2, parse.ErrUnknownFormat},
		{"not found", "The following command was not found: http show servicestate.\r\n", 1, parse.ErrUnknownFormat},
	} {
		_, err := parseState(t, tc.in)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		pe := asParseError(t, err, parse.KindServiceState)
		if pe.Line != tc.line || !errors.Is(err, tc.cause) {
			t.Errorf("%s: %v (line %d), want line %d %v", tc.name, err, pe.Line, tc.line, tc.cause)
		}
	}
}
