package inventory

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

const limitInventory = `
defaults {
  user     = env("U")
  password = env("P")
}
group "web" {}
group "sql" {}
group "smtp" {}
group "dmz" {}
group "dc1" {}
group "dc2" {}
group "empty" {}

host "web01" {
  address = "10.0.0.1"
  groups  = ["web", "dc1"]
  tags    = { os = "2019", role = "iis" }
}
host "web02" {
  address = "10.0.0.2"
  groups  = ["web", "dc2"]
  tags    = { os = "2022" }
}
host "web10" {
  address = "10.0.0.10"
  groups  = ["web", "dmz", "dc2"]
  tags    = { os = "2019" }
}
host "sql01" {
  address = "10.0.0.21"
  groups  = ["sql", "dc1"]
  tags    = { os = "2016" }
}
host "mail01" {
  address = "10.0.0.31"
  groups  = ["smtp", "dc1"]
  tags    = { os = "2012r2" }
}
host "legacy" {
  address = "10.0.0.99"
  groups  = ["dc2"]
  tags    = { os = "2003" }
}
host "bare" {
  address = "10.0.0.100"
}
`

var limitFiles = map[string]string{
	"hosts.txt": "# hosts to patch\nweb01\n\nsql01, mail01\n",
	"dc.txt":    "dc2\n",
	"bad.txt":   "web01\n!web02\n",
	"empty.txt": "# nothing\n\n",
	"typo.txt":  "web01\nsql1\n",
}

func readLimitFile(name string) ([]byte, error) {
	src, ok := limitFiles[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(src), nil
}

func TestSelect(t *testing.T) {
	inv := mustLoad(t, map[string]string{"inv.hcl": limitInventory})
	all := []string{"bare", "legacy", "mail01", "sql01", "web01", "web02", "web10"}
	for _, c := range []struct {
		limit string
		want  []string
	}{
		{"", all},
		{" , ", all},
		{"all", all},
		{"*", all},
		{"group:all", all},
		{"web01", []string{"web01"}},
		{"WEB01", []string{"web01"}},
		{" web01 , sql01 ", []string{"sql01", "web01"}},
		{"web", []string{"web01", "web02", "web10"}},
		{"web0*", []string{"web01", "web02"}},
		{"web*", []string{"web01", "web02", "web10"}},
		{"web?1", []string{"web01"}},
		{"web[01]2", []string{"web02"}},
		{"dc*", []string{"legacy", "mail01", "sql01", "web01", "web02", "web10"}},
		{"group:web", []string{"web01", "web02", "web10"}},
		{"group:WEB", []string{"web01", "web02", "web10"}},
		{"group:dc*", []string{"legacy", "mail01", "sql01", "web01", "web02", "web10"}},
		{"tag:os=2019", []string{"web01", "web10"}},
		{"tag:OS=2019", []string{"web01", "web10"}},
		{"tag:os=201*", []string{"mail01", "sql01", "web01", "web10"}},
		{"tag:os=2012R2", []string{"mail01"}},
		{"tag:role", []string{"web01"}},
		{"web,sql", []string{"sql01", "web01", "web02", "web10"}},
		{"web,&dc2", []string{"web02", "web10"}},
		{"web,!dmz", []string{"web01", "web02"}},
		{"web, ! dmz", []string{"web01", "web02"}},
		{"!web", []string{"bare", "legacy", "mail01", "sql01"}},
		{"&dc1", []string{"mail01", "sql01", "web01"}},
		{"&dc1,!tag:os=2016", []string{"mail01", "web01"}},
		{"all,!tag:os=2003,!bare", []string{"mail01", "sql01", "web01", "web02", "web10"}},
		{"!dc2,web", []string{"web01"}}, // order does not matter
		{"web,&sql", []string{}},        // each term selects hosts; together none
		{"@hosts.txt", []string{"mail01", "sql01", "web01"}},
		{"!@hosts.txt", []string{"bare", "legacy", "web02", "web10"}},
		{"web,&@dc.txt", []string{"web02", "web10"}},
		{"@hosts.txt,web10", []string{"mail01", "sql01", "web01", "web10"}},
	} {
		t.Run(c.limit, func(t *testing.T) {
			got, err := inv.Select(c.limit, readLimitFile)
			if err != nil {
				t.Fatal(err)
			}
			if names := hostNames(got); !reflect.DeepEqual(names, c.want) {
				t.Errorf("Select(%q) = %v, want %v", c.limit, names, c.want)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	inv := mustLoad(t, map[string]string{"inv.hcl": limitInventory})
	for _, c := range []struct {
		limit    string
		readFile func(string) ([]byte, error)
		want     []string // the error messages, in order
		is       error
	}{
		{limit: "web9", want: []string{`limit term "web9" matches no host or group; did you mean "web"?`}},
		{limit: "sqll01", want: []string{`limit term "sqll01" matches no host or group; did you mean "sql01"?`}},
		{limit: "nothing-like-it", want: []string{`limit term "nothing-like-it" matches no host or group`}},
		{limit: "zz*", want: []string{`limit term "zz*" matches no host or group`}},
		{limit: "group:wbe", want: []string{`limit term "group:wbe" matches no group; did you mean "group:web"?`}},
		{limit: "group:empty", want: []string{`limit term "group:empty" matches only groups without hosts`}},
		{limit: "group:", want: []string{`limit term "group:" is malformed: write group:NAME, where NAME may have * ? and [...] wildcards`}},
		{limit: "tag:os=2O19", want: []string{`limit term "tag:os=2O19" matches no host; did you mean "tag:os=2019"?`}},
		{limit: "tag:rol=iis", want: []string{`limit term "tag:rol=iis" matches no host: no host has a tag "rol"; did you mean "tag:role=iis"?`}},
		{limit: "tag:location", want: []string{`limit term "tag:location" matches no host: no host has a tag "location"`}},
		{limit: "tag:=x", want: []string{`limit term "tag:=x" is malformed: write tag:KEY=VALUE, where VALUE may have * ? and [...] wildcards, or tag:KEY`}},
		{limit: "web,!web9", want: []string{`limit term "!web9" matches no host or group; did you mean "web"?`}},
		{limit: "web,&dc9", want: []string{`limit term "&dc9" matches no host or group; did you mean "dc1"?`}},
		{limit: "&", want: []string{`limit term "&" is malformed: give a host, a group or a tag after & or !, and at most one prefix`}},
		{limit: "!!web", want: []string{`limit term "!!web" is malformed: give a host, a group or a tag after & or !, and at most one prefix`}},
		{limit: "web[", want: []string{`limit term "web[" is malformed: a pattern may have * ? and [...] wildcards`}},
		{limit: "web9,sql9", want: []string{
			`limit term "web9" matches no host or group; did you mean "web"?`,
			`limit term "sql9" matches no host or group; did you mean "sql"?`}},
		{limit: "@", want: []string{`limit term "@" names no file: write @FILE`}},
		{limit: "@missing.txt", is: fs.ErrNotExist, want: []string{`limit term "@missing.txt" cannot be read: open missing.txt: file does not exist`}},
		{limit: "@hosts.txt", readFile: nil, want: []string{`limit term "@hosts.txt" cannot be read: @file terms are not supported here`}},
		{limit: "@bad.txt", want: []string{`limit term "!web02" (bad.txt:2) is not a plain term: a line of an @file names hosts, groups or tags, without & ! or @`}},
		{limit: "@empty.txt", want: []string{`limit term "@empty.txt" lists no hosts`}},
		{limit: "@typo.txt", want: []string{`limit term "sql1" (typo.txt:2) matches no host or group; did you mean "sql"?`}},
	} {
		t.Run(c.limit, func(t *testing.T) {
			readFile := c.readFile
			if readFile == nil && !strings.Contains(c.want[0], "not supported") {
				readFile = readLimitFile
			}
			got, err := inv.Select(c.limit, readFile)
			if err == nil {
				t.Fatalf("Select(%q) = %v, want an error", c.limit, hostNames(got))
			}
			if got != nil {
				t.Errorf("hosts returned with an error: %v", hostNames(got))
			}
			if msg := strings.Join(c.want, "\n"); err.Error() != msg {
				t.Errorf("error:\n got %s\nwant %s", err, msg)
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Errorf("not a *LimitError: %T", err)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error does not wrap %v", c.is)
			}
		})
	}
}

func TestSelectEmptyInventory(t *testing.T) {
	inv, _ := Merge()
	if got, err := inv.Select("", nil); err != nil || len(got) != 0 {
		t.Errorf("empty limit on an empty inventory: %v %v", got, err)
	}
	if _, err := inv.Select("all", nil); err == nil || !strings.Contains(err.Error(), "the inventory is empty") {
		t.Errorf("all on an empty inventory: %v", err)
	}
}

// TestMatching: a term that selects no host selects nothing (a pattern
// written for the whole fleet, judged on part of it); a malformed term is
// still an error.
func TestMatching(t *testing.T) {
	inv := OfHosts([]*Host{
		{Name: "web01", Groups: []string{"web"}, Tags: map[string]string{"site": "paris"}},
		{Name: "web02", Groups: []string{"web"}, Tags: map[string]string{"site": "lyon"}},
		{Name: "app01", Groups: []string{"app"}},
	})
	names := func(hs []*Host) string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return strings.Join(out, ",")
	}
	for limit, want := range map[string]string{
		"group:smtp,web01":          "web01",
		"group:smtp":                "",
		"web,&tag:site=paris":       "web01",
		"web,&tag:site=nice":        "",
		"web,!tag:rack=9,!smtp*":    "web01,web02",
		"all,!group:sql":            "app01,web01,web02",
		"group:smtp,&tag:site=lyon": "",
	} {
		got, err := inv.Matching(limit, nil)
		if err != nil || names(got) != want {
			t.Errorf("Matching(%q) = %q, %v; want %q", limit, names(got), err, want)
		}
		if _, err := inv.Select(limit, nil); want == "" && err == nil && !strings.Contains(limit, "&") {
			t.Errorf("Select(%q): no error", limit)
		}
	}
	for _, bad := range []string{"group:", "web[", "&&web", "@x"} {
		if _, err := inv.Matching(bad, nil); err == nil {
			t.Errorf("Matching(%q): no error", bad)
		}
	}
}
