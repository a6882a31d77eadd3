package drift

import (
	"sort"
)

// Compare says what changed between an earlier report and a later one of
// the same fleet, and sets later.Changes. Only drift and unknowns are
// compared (findings); a host absent from one of the runs contributes its
// findings as new or fixed. Judge both runs with the same policy set, so
// that a change means the hosts changed, not the policies.
func Compare(earlier, later *Report) *Changes {
	ch := &Changes{Since: earlier.Run, Items: []Change{}}
	before := map[string]*Finding{}
	for i := range earlier.Hosts {
		for j := range earlier.Hosts[i].Findings {
			f := &earlier.Hosts[i].Findings[j]
			before[f.Key()] = f
		}
	}
	seen := map[string]bool{}
	for i := range later.Hosts {
		for _, f := range later.Hosts[i].Findings {
			k := f.Key()
			seen[k] = true
			b, ok := before[k]
			switch {
			case !ok:
				ch.Items = append(ch.Items, Change{Kind: "new", Finding: f})
			case b.Result != f.Result || b.Actual != f.Actual:
				ch.Items = append(ch.Items, Change{Kind: "changed", Finding: f, BeforeResult: b.Result, BeforeActual: b.Actual})
			}
		}
	}
	for i := range earlier.Hosts {
		for _, f := range earlier.Hosts[i].Findings {
			if !seen[f.Key()] {
				ch.Items = append(ch.Items, Change{Kind: "fixed", Finding: f})
			}
		}
	}
	order := map[string]int{"new": 0, "changed": 1, "fixed": 2}
	sort.SliceStable(ch.Items, func(i, j int) bool {
		a, b := ch.Items[i], ch.Items[j]
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		if a.Finding.Host != b.Finding.Host {
			return a.Finding.Host < b.Finding.Host
		}
		if a.Finding.Policy != b.Finding.Policy {
			return a.Finding.Policy < b.Finding.Policy
		}
		return a.Finding.Rule < b.Finding.Rule
	})
	for _, c := range ch.Items {
		switch c.Kind {
		case "new":
			ch.New++
		case "changed":
			ch.Changed++
		case "fixed":
			ch.Fixed++
		}
	}
	later.Changes = ch
	return ch
}
