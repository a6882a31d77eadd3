package hclguard

import (
	"bytes"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Redacted replaces a secret in a diagnostic's text.
const Redacted = "(redacted)"

// secretWords are names, separators and case aside, that hold secrets.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "passwort": true, "pwd": true, "pw": true, "pass": true, "passphrase": true,
	"secret": true, "token": true, "key": true, "apikey": true, "credential": true, "credentials": true,
	"creds": true, "privatekey": true, "secretkey": true, "accesskey": true, "auth": false,
}

// secretParts are substrings that make a name a secret's.
var secretParts = []string{"password", "passwd", "passwort", "secret", "token", "credential", "passphrase", "apikey", "privatekey"}

// normalName lowers a name and drops separators: "Pass_Word" is
// "password".
func normalName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r != '_' && r != '-' && r != ' ' && r != '.' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsSecretName reports whether an argument or key named name probably
// holds a secret: password and its misspellings in any case (pasword,
// passwd, Password, PASS_WORD), and names like secret, token, key,
// api_key or credential. It errs on the side of secrecy.
func IsSecretName(name string) bool {
	n := normalName(name)
	if n == "" {
		return false
	}
	if secretWords[n] || LooksLikePassword(name) {
		return true
	}
	for _, p := range secretParts {
		if strings.Contains(n, p) {
			return true
		}
	}
	lower := strings.ToLower(name)
	return strings.HasSuffix(lower, "_key") || strings.HasSuffix(lower, "-key") ||
		strings.HasSuffix(n, "pwd") || strings.HasSuffix(lower, "_pass")
}

// LooksLikePassword reports whether name is "password" misspelt, in
// another case, or under a common short form (passwd, pwd, pass).
func LooksLikePassword(name string) bool {
	n := normalName(name)
	switch n {
	case "password", "passwd", "passwort", "pwd", "pass", "pw", "passphrase", "passw", "pword":
		return true
	}
	return len(n) >= 5 && editDistance(n, "password") <= 2
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Redactor finds the secrets in a set of source files and removes them
// from diagnostics. A line sets a secret when an argument or object key
// on it is named like one ([IsSecretName]); the secret's lines run on
// while its brackets are open or its heredoc lasts. The values written on
// those lines (quoted strings, bare words, heredoc text) are the secrets
// removed from diagnostics' summaries and details.
type Redactor struct {
	files map[string]*hcl.File
	cache map[string]*fileSecrets
}

type fileSecrets struct {
	lineStarts []int        // byte offset of each line's start
	lines      map[int]bool // 1-based lines that hold a secret
	values     []string     // secret texts, longest first
}

// NewRedactor returns a redactor for files, keyed by name as diagnostics
// name them. It reads each file once, when first needed.
func NewRedactor(files map[string]*hcl.File) *Redactor {
	return &Redactor{files: files, cache: map[string]*fileSecrets{}}
}

func (r *Redactor) file(name string) *fileSecrets {
	if fs, ok := r.cache[name]; ok {
		return fs
	}
	var fs *fileSecrets
	if f := r.files[name]; f != nil && f.Bytes != nil {
		fs = scanSecrets(f.Bytes)
	}
	r.cache[name] = fs
	return fs
}

// SecretLine reports whether line (1-based) of the named file holds a
// secret.
func (r *Redactor) SecretLine(filename string, line int) bool {
	fs := r.file(filename)
	return fs != nil && fs.lines[line]
}

// Diagnostics returns diags with every secret of every file removed from
// their summaries and details; diagnostics that held none are returned
// as they are, the others as copies.
func (r *Redactor) Diagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	var values []string
	seen := map[string]bool{}
	names := make([]string, 0, len(r.files))
	for name := range r.files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if fs := r.file(name); fs != nil {
			for _, v := range fs.values {
				if !seen[v] {
					seen[v] = true
					values = append(values, v)
				}
			}
		}
	}
	if len(values) == 0 {
		return diags
	}
	sort.SliceStable(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	rep := scrubber(values)
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		s, dt := rep.Replace(d.Summary), rep.Replace(d.Detail)
		if s == d.Summary && dt == d.Detail {
			out[i] = d
			continue
		}
		c := *d
		c.Summary, c.Detail = s, dt
		out[i] = &c
	}
	return out
}

// Scrub removes each of secrets from text: quoted ("x", as %q writes it)
// everywhere, and bare where the secret is four bytes or longer (a
// shorter one would match ordinary words).
func Scrub(text string, secrets []string) string {
	return scrubber(secrets).Replace(text)
}

// scrubber replaces secrets, longest first, in one pass over a text.
func scrubber(secrets []string) *strings.Replacer {
	sorted := append([]string(nil), secrets...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	var pairs []string
	for _, s := range sorted {
		if s == "" {
			continue
		}
		pairs = append(pairs, `"`+s+`"`, Redacted)
		if q := quote(s); q != `"`+s+`"` {
			pairs = append(pairs, q, Redacted)
		}
	}
	for _, s := range sorted {
		if len(s) >= 4 {
			pairs = append(pairs, s, Redacted)
		}
	}
	return strings.NewReplacer(pairs...)
}

func quote(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// assignment finds "name =" and "name:" (an argument or an object key,
// quoted or not) on a line.
var assignment = regexp.MustCompile(`"?([A-Za-z_][A-Za-z0-9_-]*)"?\s*([=:])`)

// heredocStart finds the opening of a heredoc at the end of a value.
var heredocStart = regexp.MustCompile(`<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$`)

// maxSecretLines bounds how far one secret's value may run.
const maxSecretLines = 10000

func scanSecrets(src []byte) *fileSecrets {
	fs := &fileSecrets{lines: map[int]bool{}, lineStarts: []int{0}}
	for i, c := range src {
		if c == '\n' {
			fs.lineStarts = append(fs.lineStarts, i+1)
		}
	}
	line := func(n int) []byte { // 1-based, without the newline
		start := fs.lineStarts[n-1]
		end := len(src)
		if n < len(fs.lineStarts) {
			end = fs.lineStarts[n] - 1
		}
		return bytes.TrimSuffix(src[start:end], []byte("\r"))
	}
	seen := map[string]bool{}
	addValue := func(v string) {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		fs.values = append(fs.values, v)
	}
	nLines := len(fs.lineStarts)
	for n := 1; n <= nLines; n++ {
		text := line(n)
		if len(text) > 1<<16 {
			// A line this long is no configuration a person wrote; hide
			// it if it names a secret, without looking further.
			if bytes.Contains(bytes.ToLower(text), []byte("pass")) {
				fs.lines[n] = true
			}
			continue
		}
		for _, m := range assignment.FindAllSubmatchIndex(text, -1) {
			name := string(text[m[2]:m[3]])
			op := m[4]
			if text[op] == '=' && op+1 < len(text) && text[op+1] == '=' {
				continue
			}
			if op > 0 && strings.IndexByte("!<>=", text[op-1]) >= 0 {
				continue
			}
			if !IsSecretName(name) {
				continue
			}
			fs.lines[n] = true
			value := string(text[op+1:])
			if hm := heredocStart.FindStringSubmatch(value); hm != nil {
				marker := hm[1]
				for k := n + 1; k <= nLines && k <= n+maxSecretLines; k++ {
					fs.lines[k] = true
					if strings.TrimSpace(string(line(k))) == marker {
						break
					}
					addValue(string(line(k)))
				}
				continue
			}
			secretValues(value, addValue)
			depth := bracketBalance(value)
			for k := n + 1; depth > 0 && k <= nLines && k <= n+maxSecretLines; k++ {
				fs.lines[k] = true
				secretValues(string(line(k)), addValue)
				depth += bracketBalance(string(line(k)))
			}
		}
	}
	return fs
}

// credentialRef matches a credential reference that is a whole value:
// env("NAME"), file("path") or prompt(). Its argument is no secret.
var credentialRef = regexp.MustCompile(`^\s*(?:env|file)\(\s*"[^"]*"\s*\)\s*,?\s*(?:[#/].*)?$|^\s*prompt\(\s*\)\s*,?\s*(?:[#/].*)?$`)

// valueWord matches what a value is made of: a quoted string, or a run of
// other characters.
var valueWord = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"?|[^\s"(),{}\[\]#]+`)

var identPiece = regexp.MustCompile(`[A-Za-z0-9_]{4,}`)

// secretValues passes add the secrets written in a value's text: its
// quoted strings and bare words, but not the names of functions it calls,
// keywords, or the argument of a credential reference.
func secretValues(value string, add func(string)) {
	if credentialRef.MatchString(value) {
		return
	}
	for _, m := range valueWord.FindAllStringSubmatchIndex(value, -1) {
		w := value[m[0]:m[1]]
		if w[0] == '"' {
			inner := value[m[2]:m[3]]
			add(inner)
			if u := unescape(inner); u != inner {
				add(u)
			}
			for _, p := range identPiece.FindAllString(inner, -1) {
				add(p)
			}
			continue
		}
		rest := strings.TrimLeft(value[m[1]:], " \t")
		if strings.HasPrefix(rest, "(") {
			continue // a function's name
		}
		switch w {
		case "true", "false", "null", "=", ",", "...", "?", ":":
			continue
		}
		add(w)
		for _, p := range identPiece.FindAllString(w, -1) {
			add(p)
		}
	}
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\n`, "\n", `\t`, "\t", `\r`, "\r")
	return r.Replace(s)
}

// bracketBalance counts the brackets a line leaves open, outside quoted
// strings.
func bracketBalance(s string) int {
	n := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(' || c == '[' || c == '{':
			n++
		case c == ')' || c == ']' || c == '}':
			n--
		case c == '#':
			return n
		}
	}
	return n
}
