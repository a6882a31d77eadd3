package inventory

import (
	"sort"
	"strings"
)

// OfHosts is an inventory of hosts that were resolved before (the hosts a
// stored run carries), so that a --limit pattern can select among them
// with [Inventory.Select]: its groups are the ones the hosts name, and it
// has no files, defaults or caps. A host named twice (without regard to
// case) is kept once, the first time.
func OfHosts(hosts []*Host) *Inventory {
	inv := &Inventory{byName: map[string]*Host{}, hostIndex: map[string]int{}, groupByName: map[string]*Group{}}
	for _, h := range hosts {
		k := strings.ToLower(h.Name)
		if _, dup := inv.byName[k]; dup {
			continue
		}
		inv.byName[k] = h
		inv.hosts = append(inv.hosts, h)
	}
	sort.Slice(inv.hosts, func(i, j int) bool { return inv.hosts[i].Name < inv.hosts[j].Name })
	for i, h := range inv.hosts {
		inv.hostIndex[strings.ToLower(h.Name)] = i
		for _, g := range h.Groups {
			k := strings.ToLower(g)
			grp := inv.groupByName[k]
			if grp == nil {
				grp = &Group{Name: g}
				inv.groupByName[k] = grp
				inv.groups = append(inv.groups, grp)
			}
			grp.Hosts = append(grp.Hosts, h.Name)
		}
	}
	sort.Slice(inv.groups, func(i, j int) bool { return inv.groups[i].Name < inv.groups[j].Name })
	return inv
}
