package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// mapResolver resolves credentials from maps, as a test double.
type mapResolver struct {
	env     map[string]string
	files   map[string]string
	prompts map[string]string // by host + "/" + what
}

func (r mapResolver) Env(name string) (string, bool) {
	v, ok := r.env[name]
	return v, ok
}

func (r mapResolver) ReadFile(path string) ([]byte, error) {
	v, ok := r.files[path]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return []byte(v), nil
}

func (r mapResolver) Prompt(host, what string) (string, error) {
	v, ok := r.prompts[host+"/"+what]
	if !ok {
		return "", errors.New("no terminal")
	}
	return v, nil
}

// The canary must never show up anywhere but in Reveal.
const canary = "CANARY-7f3a9c-do-not-print"

func TestCredentialsNeverLeak(t *testing.T) {
	src := `
defaults {
  user     = env("FLEETPORT_USER")
  password = env("CANARY_ENV")
}
host "from-env" {
  address = "10.0.0.1"
}
host "from-file" {
  address  = "10.0.0.2"
  password = file("secret.txt")
}
host "from-prompt" {
  address  = "10.0.0.3"
  password = prompt()
}
host "literal" {
  address                = "10.0.0.4"
  allow_password_literal = true
  password               = "` + canary + `"
}
host "literal-denied" {
  address  = "10.0.0.5"
  password = "` + canary + `"
}
host "literal-wrong-type" {
  address  = "10.0.0.6"
  password = ["` + canary + `"]
}
host "group-conflict" {
  address = "10.0.0.7"
  groups  = ["a", "b"]
}
group "a" {
  allow_password_literal = true
  password               = "` + canary + `"
}
group "b" {
  allow_password_literal = true
  password               = "` + canary + `-2"
}
`
	f, diags := Parse([]byte(src), "inv/canary.hcl")
	inv, md := Merge(f)
	diags = append(diags, md...)
	if !diags.HasErrors() {
		t.Fatal("the denied literal should be an error")
	}

	r := mapResolver{
		env:     map[string]string{"FLEETPORT_USER": "admin", "CANARY_ENV": canary},
		files:   map[string]string{"inv/secret.txt": canary + "\n"},
		prompts: map[string]string{"from-prompt/password": canary},
	}
	var out bytes.Buffer
	check := func(what string, s string) {
		t.Helper()
		if strings.Contains(s, canary) {
			t.Errorf("%s shows the canary: %s", what, s)
		}
		out.WriteString(s)
	}

	// Diagnostics, as data and rendered with source snippets.
	for _, d := range diags {
		check("diagnostic", d.Error())
		check("diagnostic %#v", fmt.Sprintf("%#v", *d))
	}
	var rendered bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&rendered, inv.Files(), 100, false)
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	check("rendered diagnostics", rendered.String())

	var resolved []*Host
	for _, h := range inv.Hosts() {
		rh, err := h.ResolveCredentials(r)
		if err != nil {
			check("resolve error", err.Error())
			check("resolve error %+v", fmt.Sprintf("%+v", err))
		}
		resolved = append(resolved, rh)
		if h.Name != "literal-wrong-type" && h.Name != "literal-denied" && rh.Password.Reveal() != canary && h.Name != "group-conflict" {
			t.Errorf("%s: Reveal() = %q, want the canary", h.Name, rh.Password.Reveal())
		}
	}

	for _, v := range []any{resolved, inv, f} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
			check(verb, fmt.Sprintf(verb, v))
		}
	}
	for _, h := range resolved {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			check("host "+verb, fmt.Sprintf(verb, *h))
			check("password "+verb, fmt.Sprintf(verb, h.Password))
			check("password pointer "+verb, fmt.Sprintf(verb, &h.Password))
		}
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		check("json", string(b))
		b, _ = json.Marshal(*h)
		check("json value", string(b))
		b, _ = json.Marshal(h.Password)
		check("password json", string(b))
		b, _ = h.Password.MarshalText()
		check("password text", string(b))
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("host", "password", h.Password, "host", h)
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("host", "password", h.Password)
		check("slog", logged.String())
	}
	b, _ := json.Marshal(resolved)
	check("json list", string(b))

	// The references themselves are shown.
	if !strings.Contains(out.String(), "(env CANARY_ENV)") || !strings.Contains(out.String(), `"kind":"file"`) {
		t.Error("the output should describe the references")
	}
}

func TestSecretFormatting(t *testing.T) {
	s := Secret{ref: Reference{Source: SourceEnv, Name: "FLEETPORT_PASSWORD"}, value: &secretBox{"hunter2"}}
	for verb, want := range map[string]string{
		"%v":  "(env FLEETPORT_PASSWORD)",
		"%s":  "(env FLEETPORT_PASSWORD)",
		"%q":  `"(env FLEETPORT_PASSWORD)"`,
		"%#v": "inventory.Secret(env FLEETPORT_PASSWORD)",
		"%d":  "(env FLEETPORT_PASSWORD)",
	} {
		if got := fmt.Sprintf(verb, s); got != want {
			t.Errorf("%s: %q, want %q", verb, got, want)
		}
	}
	b, _ := json.Marshal(s)
	if string(b) != `{"kind":"env","name":"FLEETPORT_PASSWORD"}` {
		t.Errorf("json: %s", b)
	}
	for _, c := range []struct {
		s    Secret
		want string
	}{
		{Secret{}, "(none)"},
		{Secret{ref: Reference{Source: SourcePrompt}}, "(prompt)"},
		{Secret{ref: Reference{Source: SourceLiteral}, literal: &secretBox{"x"}}, "(literal)"},
		{Secret{ref: Reference{Source: SourceFile, Name: "a/b"}}, "(file a/b)"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestResolveCredentials(t *testing.T) {
	inv, diags := LoadDir(mapFS(map[string]string{"inv/a.hcl": `
defaults {
  user     = env("U")
  password = env("P")
}
host "env" { address = "10.0.0.1" }
host "file" {
  address  = "10.0.0.2"
  password = file("pw.txt")
}
host "crlf" {
  address  = "10.0.0.3"
  password = file("crlf.txt")
}
host "missing-file" {
  address  = "10.0.0.4"
  password = file("nope.txt")
}
host "prompt" {
  address  = "10.0.0.5"
  user     = prompt()
  password = prompt()
}
host "empty" {
  address  = "10.0.0.6"
  password = env("EMPTY")
}
host "unset" {
  address  = "10.0.0.7"
  password = env("UNSET")
}
host "null-inherits" {
  address  = "10.0.0.8"
  user     = null
  password = null
}
`}), "inv")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	r := mapResolver{
		env:     map[string]string{"U": "admin", "P": "pw-env", "EMPTY": ""},
		files:   map[string]string{"inv/pw.txt": "pw-file\n", "inv/crlf.txt": "pw-crlf\r\n"},
		prompts: map[string]string{"prompt/user": "u-prompt", "prompt/password": "pw-prompt"},
	}
	for _, c := range []struct {
		host, user, password string
		err                  error
		errText              string
	}{
		{host: "env", user: "admin", password: "pw-env"},
		{host: "file", user: "admin", password: "pw-file"},
		{host: "crlf", user: "admin", password: "pw-crlf"},
		{host: "missing-file", err: fs.ErrNotExist, errText: "password of host missing-file (file inv/nope.txt): open inv/nope.txt: file does not exist"},
		{host: "prompt", user: "u-prompt", password: "pw-prompt"},
		{host: "empty", err: ErrEmpty, errText: "password of host empty (env EMPTY): credential is empty"},
		{host: "unset", err: ErrNotSet, errText: "password of host unset (env UNSET): environment variable is not set"},
		{host: "null-inherits", user: "admin", password: "pw-env"},
	} {
		h := host(t, inv, c.host)
		got, err := h.ResolveCredentials(r)
		if c.err != nil {
			var ce *CredentialError
			if !errors.Is(err, c.err) || !errors.As(err, &ce) || ce.Host != c.host || err.Error() != c.errText {
				t.Errorf("%s: error %v, want %q", c.host, err, c.errText)
			}
			continue
		}
		if err != nil || got.User.Reveal() != c.user || got.Password.Reveal() != c.password {
			t.Errorf("%s: %v, user %q password %q", c.host, err, got.User.Reveal(), got.Password.Reveal())
		}
		if h.Password.Resolved() {
			t.Errorf("%s: resolving changed the inventory's host", c.host)
		}
	}
	if _, err := host(t, inv, "env").ResolveCredentials(nil); !errors.Is(err, ErrNoResolver) {
		t.Errorf("nil resolver: %v", err)
	}
}

func TestParserDiagnosticsDoNotShowPasswordLines(t *testing.T) {
	src := "host \"a\" {\n  address  = \"10.0.0.1\"\n  password = env(\"P\")\n  password = \"" + canary + "\"\n}\nhost \"b\" {\n  password = \"" + canary + "\" \"x\"\n}\n"
	f, diags := Parse([]byte(src), "dup.hcl")
	if len(diags) == 0 {
		t.Fatal("want diagnostics")
	}
	var rendered bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&rendered, map[string]*hcl.File{"dup.hcl": f.HCL()}, 100, false)
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rendered.String(), canary) {
		t.Errorf("a rendered diagnostic shows the password:\n%s", rendered.String())
	}
	if !strings.Contains(rendered.String(), "Attribute redefined") || !strings.Contains(rendered.String(), "(password at dup.hcl:4)") {
		t.Errorf("the diagnostic should still say what and where:\n%s", rendered.String())
	}
}
