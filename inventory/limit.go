package inventory

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// LimitError is the error of a --limit term that is malformed, cannot be
// read (@file), or selects no host. Select joins one per bad term.
type LimitError struct {
	Term       string // the term as written, with its & or ! prefix
	Source     string // "file:line" for a term read from an @file, else ""
	Problem    string // what is wrong, as in "matches no host"
	Suggestion string // a term that would match, or ""
	Err        error  // the cause, for an @file that cannot be read
	noMatch    bool   // well-formed, selects no host
}

// Error says which term is wrong and why, as in
// `limit term "web9" matches no host or group; did you mean "web"?`.
func (e *LimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "limit term %q", e.Term)
	if e.Source != "" {
		fmt.Fprintf(&b, " (%s)", e.Source)
	}
	b.WriteString(" " + e.Problem)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Suggestion != "" {
		fmt.Fprintf(&b, "; did you mean %q?", e.Suggestion)
	}
	return b.String()
}

// Unwrap returns the error of reading an @file, or nil.
func (e *LimitError) Unwrap() error { return e.Err }

// limitTerm is one parsed term of a --limit pattern.
type limitTerm struct {
	op     byte   // '+' adds, '&' intersects, '!' excludes
	raw    string // as written
	text   string // without the prefix
	source string // "file:line" for a line of an @file
	lines  []limitTerm
	isFile bool
}

// Select returns the hosts a --limit pattern selects, sorted by name. The
// grammar is in the package documentation. readFile reads the files that
// @file terms name; it may be nil when the pattern has none.
//
// Every term must select at least one host; the error joins a
// *LimitError for each that does not, or is malformed, and then no hosts
// are returned. A pattern whose terms each select hosts may still select
// none in all (web,&db): that is an empty result, not an error.
func (inv *Inventory) Select(limit string, readFile func(string) ([]byte, error)) ([]*Host, error) {
	return inv.selectHosts(limit, readFile, true)
}

// Matching is Select where a well-formed term that selects no host
// selects nothing instead of failing: for patterns written for a larger
// inventory than the one at hand (a waiver's limit, judged on the hosts
// of one run). Malformed terms and @file terms that cannot be read are
// still errors.
func (inv *Inventory) Matching(limit string, readFile func(string) ([]byte, error)) ([]*Host, error) {
	return inv.selectHosts(limit, readFile, false)
}

func (inv *Inventory) selectHosts(limit string, readFile func(string) ([]byte, error), strict bool) ([]*Host, error) {
	terms, errs := parseLimit(limit, readFile)
	var le *LimitError
	tolerate := func(err error) bool { return !strict && errors.As(err, &le) && le.noMatch }
	n := len(inv.hosts)
	sets := make([][]bool, len(terms))
	for i, t := range terms {
		if t.isFile {
			union := make([]bool, n)
			for _, l := range t.lines {
				m, err := inv.matchTerm(l)
				if err != nil {
					if !tolerate(err) {
						errs = append(errs, err)
					}
					continue
				}
				for j := range union {
					union[j] = union[j] || m[j]
				}
			}
			sets[i] = union
			continue
		}
		m, err := inv.matchTerm(t)
		if err != nil {
			if !tolerate(err) {
				errs = append(errs, err)
			}
			m = make([]bool, n)
		}
		sets[i] = m
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	sel := make([]bool, n)
	plain := false
	for i, t := range terms {
		if t.op == '+' {
			plain = true
			for j := range sel {
				sel[j] = sel[j] || sets[i][j]
			}
		}
	}
	if !plain {
		for j := range sel {
			sel[j] = true
		}
	}
	for i, t := range terms {
		for j := range sel {
			switch t.op {
			case '&':
				sel[j] = sel[j] && sets[i][j]
			case '!':
				sel[j] = sel[j] && !sets[i][j]
			}
		}
	}
	out := []*Host{}
	for j, h := range inv.hosts {
		if sel[j] {
			out = append(out, h)
		}
	}
	return out, nil
}

// parseLimit splits a pattern into terms and reads its @files.
func parseLimit(limit string, readFile func(string) ([]byte, error)) ([]limitTerm, []error) {
	var terms []limitTerm
	var errs []error
	for _, raw := range strings.Split(limit, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		t := limitTerm{op: '+', raw: raw, text: raw}
		if raw[0] == '&' || raw[0] == '!' {
			t.op, t.text = raw[0], strings.TrimSpace(raw[1:])
		}
		if t.text == "" || strings.ContainsAny(t.text[:1], "&!") {
			errs = append(errs, &LimitError{Term: raw, Problem: "is malformed: give a host, a group or a tag after & or !, and at most one prefix"})
			continue
		}
		if t.text[0] != '@' {
			terms = append(terms, t)
			continue
		}
		name := t.text[1:]
		switch {
		case name == "":
			errs = append(errs, &LimitError{Term: raw, Problem: "names no file: write @FILE"})
			continue
		case readFile == nil:
			errs = append(errs, &LimitError{Term: raw, Problem: "cannot be read: @file terms are not supported here"})
			continue
		}
		src, err := readFile(name)
		if err != nil {
			errs = append(errs, &LimitError{Term: raw, Problem: "cannot be read", Err: err})
			continue
		}
		t.isFile = true
		for i, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			for _, item := range strings.Split(line, ",") {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				where := fmt.Sprintf("%s:%d", name, i+1)
				if strings.ContainsAny(item[:1], "&!@") {
					errs = append(errs, &LimitError{Term: item, Source: where, Problem: "is not a plain term: a line of an @file names hosts, groups or tags, without & ! or @"})
					continue
				}
				t.lines = append(t.lines, limitTerm{op: '+', raw: item, text: item, source: where})
			}
		}
		if len(t.lines) == 0 {
			errs = append(errs, &LimitError{Term: raw, Problem: "lists no hosts"})
			continue
		}
		terms = append(terms, t)
	}
	return terms, errs
}

// matchTerm returns which hosts (by index) one term selects.
func (inv *Inventory) matchTerm(t limitTerm) ([]bool, error) {
	m := make([]bool, len(inv.hosts))
	count := 0
	markIndex := func(j int) {
		if !m[j] {
			m[j] = true
			count++
		}
	}
	mark := func(name string) {
		if j, ok := inv.hostIndex[strings.ToLower(name)]; ok {
			markIndex(j)
		}
	}
	fail := func(problem, suggestion string) ([]bool, error) {
		return nil, &LimitError{Term: t.raw, Source: t.source, Problem: problem, Suggestion: suggestion,
			noMatch: strings.HasPrefix(problem, "matches")}
	}
	prefixed := func(prefix, s string) string {
		if s == "" {
			return ""
		}
		return prefix + s
	}
	text := t.text
	lower := strings.ToLower(text)
	badPattern := func(p string) bool {
		_, err := path.Match(p, "")
		return err != nil
	}
	isGlob := func(p string) bool { return strings.ContainsAny(p, "*?[") }

	switch {
	case lower == AllGroup || lower == "group:"+AllGroup:
		for j := range m {
			markIndex(j)
		}
		if count == 0 {
			return fail("matches no host: the inventory is empty", "")
		}
		return m, nil

	case strings.HasPrefix(lower, "group:"):
		pat := lower[len("group:"):]
		if pat == "" || badPattern(pat) {
			return fail("is malformed: write group:NAME, where NAME may have * ? and [...] wildcards", "")
		}
		found := false
		for _, g := range inv.groups {
			if ok, _ := path.Match(pat, strings.ToLower(g.Name)); ok {
				found = true
				for _, name := range g.Hosts {
					mark(name)
				}
			}
		}
		if count > 0 {
			return m, nil
		}
		if found {
			return fail("matches only groups without hosts", "")
		}
		var names []string
		for _, g := range inv.groups {
			names = append(names, g.Name)
		}
		if isGlob(pat) {
			return fail("matches no group", "")
		}
		return fail("matches no group", prefixed("group:", suggest(pat, names)))

	case strings.HasPrefix(lower, "tag:"):
		kv := text[len("tag:"):]
		key, val, hasVal := strings.Cut(kv, "=")
		key = strings.ToLower(key)
		val = strings.ToLower(val)
		if key == "" || hasVal && badPattern(val) {
			return fail("is malformed: write tag:KEY=VALUE, where VALUE may have * ? and [...] wildcards, or tag:KEY", "")
		}
		keys := map[string]bool{}
		values := map[string]bool{}
		for j, h := range inv.hosts {
			for k, v := range h.Tags {
				keys[k] = true
				if strings.ToLower(k) != key {
					continue
				}
				values[v] = true
				if ok, _ := path.Match(val, strings.ToLower(v)); !hasVal || ok {
					markIndex(j)
				}
			}
		}
		if count > 0 {
			return m, nil
		}
		if len(values) == 0 {
			s := suggest(key, sortedKeys(keys))
			if s != "" && hasVal {
				s = "tag:" + s + "=" + kv[strings.IndexByte(kv, '=')+1:]
			} else {
				s = prefixed("tag:", s)
			}
			return fail(fmt.Sprintf("matches no host: no host has a tag %q", key), s)
		}
		if isGlob(val) {
			return fail("matches no host", "")
		}
		return fail("matches no host", prefixed("tag:"+kv[:strings.IndexByte(kv, '=')]+"=", suggest(val, sortedKeys(values))))

	default:
		if badPattern(lower) {
			return fail("is malformed: a pattern may have * ? and [...] wildcards", "")
		}
		for j, h := range inv.hosts {
			if ok, _ := path.Match(lower, strings.ToLower(h.Name)); ok {
				markIndex(j)
			}
		}
		for _, g := range inv.groups {
			if ok, _ := path.Match(lower, strings.ToLower(g.Name)); ok {
				for _, name := range g.Hosts {
					mark(name)
				}
			}
		}
		if count > 0 {
			return m, nil
		}
		if isGlob(lower) {
			return fail("matches no host or group", "")
		}
		var names []string
		for _, h := range inv.hosts {
			names = append(names, h.Name)
		}
		for _, g := range inv.groups {
			names = append(names, g.Name)
		}
		return fail("matches no host or group", suggest(text, names))
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
