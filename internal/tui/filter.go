package tui

import (
	"fmt"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
)

// filter is the parsed `/` filter: terms separated by spaces, all of which
// must match. A term is a plain substring of the host name
// (case-insensitive), or one of group:NAME, tag:KEY=VALUE,
// status:STATUS, result:RESULT and os:RELEASE; a leading ! inverts it.
type filter struct {
	raw   string
	terms []filterTerm
}

type filterTerm struct {
	kind  string // "name", "group", "tag", "status", "result", "os"
	key   string // the tag key
	value string // lower-case, except for status and result
	neg   bool
	// status and result are the parsed values of their kinds.
	status facts.Status
	result drift.Result
}

// parseFilter parses a filter. It returns the terms it could read along
// with an error naming the first it could not; an empty value (a term
// still being typed, such as "group:") matches everything.
func parseFilter(s string) (filter, error) {
	f := filter{raw: s}
	var firstErr error
	for _, w := range strings.Fields(s) {
		t := filterTerm{kind: "name"}
		if strings.HasPrefix(w, "!") {
			t.neg, w = true, w[1:]
		}
		if k, v, ok := strings.Cut(w, ":"); ok {
			t.kind, w = strings.ToLower(k), v
		}
		if w == "" {
			continue
		}
		var err error
		switch t.kind {
		case "name", "group", "os":
			t.value = strings.ToLower(w)
		case "tag":
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				t.key, t.value = k, ""
			} else {
				t.key, t.value = k, strings.ToLower(v)
			}
		case "status":
			t.status, err = facts.ParseStatus(strings.ToLower(w))
			if err != nil {
				err = fmt.Errorf("status:%s: not a collection status (ok, unreachable, timeout, auth, tls, quota, protocol, command-failed, parse-error, unknown)", w)
			}
		case "result":
			err = parseResult(strings.ToLower(w), &t.result)
		default:
			err = fmt.Errorf("%s: is not a filter (use group:, tag:, status:, result:, os: or a part of the name)", t.kind)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		f.terms = append(f.terms, t)
	}
	return f, firstErr
}

func parseResult(s string, r *drift.Result) error {
	switch s {
	case "n/a", "na":
		s = "not-applicable"
	case "drift":
		s = "fail"
	}
	if err := r.UnmarshalText([]byte(s)); err != nil {
		return fmt.Errorf("result:%s: not a result (fail, pending, unknown, waived, pass, n/a)", s)
	}
	return nil
}

// empty reports whether the filter matches every host.
func (f *filter) empty() bool { return len(f.terms) == 0 }

// match reports whether a host passes every term.
func (f *filter) match(r *hostRow, tags map[string]map[string]string) bool {
	for i := range f.terms {
		t := &f.terms[i]
		if t.matches(r, tags) == t.neg {
			return false
		}
	}
	return true
}

func (t *filterTerm) matches(r *hostRow, tags map[string]map[string]string) bool {
	h := r.h
	switch t.kind {
	case "name":
		return strings.Contains(r.lname, t.value)
	case "group":
		for _, g := range h.Groups {
			if strings.EqualFold(g, t.value) {
				return true
			}
		}
		return false
	case "os":
		return strings.EqualFold(h.OS, t.value)
	case "tag":
		v, ok := tags[h.Name][t.key]
		if !ok {
			return false
		}
		return t.value == "" || strings.EqualFold(v, t.value)
	case "status":
		return h.Status == t.status
	case "result":
		return h.Result == t.result
	}
	return false
}
