package inventory

// Output policy for credentials, which this file exists to enforce:
//
//   - A credential is a Reference (env, file, prompt or a literal) until a
//     caller resolves it with its own Resolver; this package reads nothing.
//   - A Secret prints, marshals and logs as its reference, never as its
//     value, whatever the verb or encoder. The value sits behind a pointer
//     in an unexported field, so that even reflection-based printers that
//     ignore the methods show an address, not the text.
//   - Errors name the reference (the variable, the file), never a value,
//     and diagnostics about a literal password point at its block, so a
//     rendered source snippet does not show the line it is on.

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// CredentialSource says where a credential comes from.
type CredentialSource string

// Credential sources.
const (
	SourceNone    CredentialSource = ""        // not set
	SourceEnv     CredentialSource = "env"     // env("NAME"): an environment variable
	SourceFile    CredentialSource = "file"    // file("path"): a file's contents, less one final newline
	SourcePrompt  CredentialSource = "prompt"  // prompt(): asked for when used
	SourceLiteral CredentialSource = "literal" // written in the inventory
)

// Reference describes where a credential comes from, without its value.
type Reference struct {
	Source CredentialSource
	// Name is the environment variable for SourceEnv and the file path
	// (resolved against the declaring file's folder) for SourceFile.
	Name      string
	DeclRange hcl.Range // the user or password argument
}

// String describes the reference, as in "(env FLEETPORT_PASSWORD)".
func (r Reference) String() string {
	switch r.Source {
	case SourceNone:
		return "(none)"
	case SourceEnv, SourceFile:
		return fmt.Sprintf("(%s %s)", r.Source, r.Name)
	}
	return "(" + string(r.Source) + ")"
}

// Resolver gives credentials their values. The caller provides it; the
// package does no I/O of its own. Implementations must not put a
// credential's value into the errors they return.
type Resolver interface {
	// Env returns an environment variable and whether it is set.
	Env(name string) (string, bool)
	// ReadFile returns a file's contents. The path is as the Reference
	// names it: absolute, or relative to the folder the inventory was
	// loaded with.
	ReadFile(path string) ([]byte, error)
	// Prompt asks for a credential of host; what is "user" or "password".
	// It is called once per host and credential: a resolver that should
	// ask once for the fleet caches the answer by what.
	Prompt(host, what string) (string, error)
}

// Errors a credential resolution wraps.
var (
	ErrNotSet     = errors.New("environment variable is not set")
	ErrEmpty      = errors.New("credential is empty")
	ErrNoResolver = errors.New("no resolver")
)

// CredentialError is the error of a credential that could not be
// resolved. It names the host and the reference, never a value.
type CredentialError struct {
	Host string
	What string // "user" or "password"
	Ref  Reference
	Err  error
}

// Error names the credential, the host and the reference, never a value.
func (e *CredentialError) Error() string {
	return fmt.Sprintf("%s of host %s %s: %v", e.What, e.Host, e.Ref, e.Err)
}

// Unwrap returns the cause: ErrNotSet, ErrEmpty, ErrNoResolver or the
// resolver's error.
func (e *CredentialError) Unwrap() error { return e.Err }

// secretBox holds a credential's text. Secrets point to one, so that the
// text never sits in a struct a printer could walk.
type secretBox struct{ s string }

// Secret is a credential: a reference, and once resolved its value. Every
// way of printing or encoding a Secret shows the reference, never the
// value; [Secret.Reveal] is the one way to read it. The zero Secret is an
// unset credential.
type Secret struct {
	ref     Reference
	literal *secretBox // SourceLiteral: the text written in the inventory
	value   *secretBox // the resolved value
}

// Reference returns where the credential comes from.
func (s Secret) Reference() Reference { return s.ref }

// Source returns the kind of reference.
func (s Secret) Source() CredentialSource { return s.ref.Source }

// IsSet reports whether the inventory sets the credential.
func (s Secret) IsSet() bool { return s.ref.Source != SourceNone }

// Resolved reports whether the Secret holds a value.
func (s Secret) Resolved() bool { return s.value != nil }

// Reveal returns the resolved value, or "" when the Secret is not
// resolved. Pass it straight to the code that authenticates; never print,
// log or store it.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return s.value.s
}

// Resolve returns the Secret with its value, read through r for host;
// what is "user" or "password". An unset Secret resolves to an empty
// value. Errors are *CredentialError.
func (s Secret) Resolve(r Resolver, host, what string) (Secret, error) {
	fail := func(err error) (Secret, error) {
		return s, &CredentialError{Host: host, What: what, Ref: s.ref, Err: err}
	}
	var v string
	switch s.ref.Source {
	case SourceNone:
		s.value = &secretBox{}
		return s, nil
	case SourceLiteral:
		v = s.literal.s
	default:
		if r == nil {
			return fail(ErrNoResolver)
		}
	}
	switch s.ref.Source {
	case SourceEnv:
		var ok bool
		if v, ok = r.Env(s.ref.Name); !ok {
			return fail(ErrNotSet)
		}
	case SourceFile:
		b, err := r.ReadFile(s.ref.Name)
		if err != nil {
			return fail(err)
		}
		v = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	case SourcePrompt:
		var err error
		if v, err = r.Prompt(host, what); err != nil {
			return fail(err)
		}
	}
	if v == "" {
		return fail(ErrEmpty)
	}
	s.value = &secretBox{v}
	return s, nil
}

// String describes the reference, as in "(env FLEETPORT_PASSWORD)".
func (s Secret) String() string { return s.ref.String() }

// GoString describes the reference, for %#v.
func (s Secret) GoString() string { return "inventory.Secret" + s.ref.String() }

// Format prints the reference for every verb and flag.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalText returns the description of the reference.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON returns the reference as {"kind": "env", "name": "..."}.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.listing(false)) }

// LogValue logs the reference (log/slog).
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// CredentialJSON is how `inventory list --json` shows a credential: its
// kind ("none", "env", "file", "prompt", "literal"), the variable or file
// it names, and for a literal user name (not a password) the name.
type CredentialJSON struct {
	Kind  string `json:"kind"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// listing returns the JSON form; showUser shows a literal user name.
func (s Secret) listing(showUser bool) CredentialJSON {
	c := CredentialJSON{Kind: string(s.ref.Source), Name: s.ref.Name}
	if c.Kind == "" {
		c.Kind = "none"
	}
	if showUser && s.ref.Source == SourceLiteral && s.literal != nil {
		c.Value = s.literal.s
	}
	return c
}

// decodeCredential decodes user or password: a call to env, file or
// prompt as the whole value, or a literal string.
func (s *setting) decodeCredential(ctx *hcl.EvalContext) (any, valState, hcl.Diagnostics) {
	rng := s.attr.Range
	call := credentialCall(s.attr.Expr)
	if call == nil {
		v, diags := s.attr.Expr.Value(ctx)
		if diags.HasErrors() {
			return nil, invalid, diags
		}
		if v.IsNull() {
			return nil, unset, diags
		}
		if !v.IsWhollyKnown() || !v.Type().IsPrimitiveType() {
			return nil, invalid, append(diags, s.typeError("a string, or env(\"NAME\"), file(\"path\") or prompt()"))
		}
		sv, err := convert.Convert(v, cty.String)
		if err != nil {
			return nil, invalid, append(diags, s.typeError("a string"))
		}
		if sv.AsString() == "" {
			return nil, invalid, append(diags, s.errorf("Empty "+s.spec.noun,
				"%s is empty. Leave it out, or give a reference such as env(\"NAME\").", s.spec.name))
		}
		return Secret{ref: Reference{Source: SourceLiteral, DeclRange: rng}, literal: &secretBox{sv.AsString()}}, valid, diags
	}

	invalidRef := func(format string, args ...any) (any, valState, hcl.Diagnostics) {
		return nil, invalid, hcl.Diagnostics{errorDiag(call.Range(), "Invalid credential reference", fmt.Sprintf(format, args...))}
	}
	if call.ExpandFinal {
		return invalidRef("%s() takes its argument as is; the ... expansion is not supported.", call.Name)
	}
	if call.Name == funcPrompt {
		if len(call.Args) != 0 {
			return invalidRef("prompt() takes no arguments: fleetport asks for the %s of each host when it is needed.", s.spec.name)
		}
		return Secret{ref: Reference{Source: SourcePrompt, DeclRange: rng}}, valid, nil
	}
	what := map[string]string{funcEnv: "the name of an environment variable", funcFile: "a file path"}[call.Name]
	if len(call.Args) != 1 {
		return invalidRef("%s() takes one argument, %s, as in %s(%q).", call.Name, what, call.Name, exampleArg(call.Name))
	}
	v, diags := call.Args[0].Value(ctx)
	if diags.HasErrors() {
		return nil, invalid, diags
	}
	if v.IsNull() || !v.IsWhollyKnown() || v.Type() != cty.String {
		return invalidRef("The argument of %s() must be %s, as in %s(%q).", call.Name, what, call.Name, exampleArg(call.Name))
	}
	arg := v.AsString()
	switch call.Name {
	case funcEnv:
		if arg == "" || strings.ContainsAny(arg, "=\x00") {
			return invalidRef("%q is not an environment variable name.", arg)
		}
		return Secret{ref: Reference{Source: SourceEnv, Name: arg, DeclRange: rng}}, valid, diags
	default:
		if arg == "" || strings.ContainsRune(arg, 0) {
			return invalidRef("file() needs a file path.")
		}
		return Secret{ref: Reference{Source: SourceFile, Name: relativeTo(s.filename, arg), DeclRange: rng}}, valid, diags
	}
}

func exampleArg(fn string) string {
	if fn == funcEnv {
		return "FLEETPORT_PASSWORD"
	}
	return "secrets/password.txt"
}

// sameSecret reports whether two credentials have the same reference (and
// for literals the same text).
func sameSecret(a, b Secret) bool {
	if a.ref.Source != b.ref.Source || a.ref.Name != b.ref.Name {
		return false
	}
	if a.literal == nil || b.literal == nil {
		return a.literal == b.literal
	}
	return a.literal.s == b.literal.s
}
