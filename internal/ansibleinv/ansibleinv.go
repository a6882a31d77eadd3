// Package ansibleinv reads an Ansible inventory (INI or YAML, with its
// group_vars and host_vars folders) the way Ansible reads it, and turns it
// into fleetport's inventory language.
//
// Reading follows ansible-core's ini and yaml inventory plugins and its
// variable precedence (see [Inventory.HostVars]). The tests compare the result with
// `ansible-inventory --list` on the same files.
//
// Nothing here runs Ansible, evaluates a Jinja template or decrypts a vault
// value: those are kept as they are and reported by the conversion.
package ansibleinv

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Limits that keep a hostile or mistaken inventory from exhausting memory.
const (
	// MaxFileBytes is the largest inventory or variables file read.
	MaxFileBytes = 32 << 20
	// MaxHosts is the most hosts an inventory may expand to, ranges
	// included: as many as one fleetport inventory file loads.
	MaxHosts = 30_000
	// maxDepth bounds the nesting of children groups and of values.
	maxDepth = 64
)

// Vault is a value encrypted with ansible-vault. It is kept opaque: the
// conversion never writes it.
type Vault struct{}

// Template is a string holding a Jinja expression ("{{ … }}"), which only
// Ansible can evaluate.
func isTemplate(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

// Group is an Ansible group.
type Group struct {
	Name     string
	Vars     map[string]any // from the inventory file
	FileVars map[string]any // from group_vars
	Children []string
	Hosts    []string // direct members, in the order first declared
	Priority int      // ansible_group_priority
	depth    int
	parents  []string
}

// Host is an Ansible host.
type Host struct {
	Name     string
	Vars     map[string]any // from the inventory file
	FileVars map[string]any // from host_vars
	groups   []string       // direct groups
}

// Inventory is an Ansible inventory as Ansible reads it.
type Inventory struct {
	groups     map[string]*Group
	groupOrder []string
	hosts      map[string]*Host
	hostOrder  []string
}

func newInventory() *Inventory {
	inv := &Inventory{groups: map[string]*Group{}, hosts: map[string]*Host{}}
	inv.addGroup("all")
	inv.addGroup("ungrouped")
	return inv
}

// Error is a located error in an inventory file.
type Error struct {
	File string
	Line int // 0 when the error is about the whole file
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Load reads the inventory at path: an INI or YAML file, or a folder whose
// files are each read (as `ansible-inventory -i DIR` does). group_vars and
// host_vars next to the inventory are read too.
func Load(path string) (*Inventory, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	inv := newInventory()
	base := filepath.Dir(path)
	if st.IsDir() {
		base = path
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		read := 0
		for _, e := range entries {
			if e.IsDir() || ignoredInDir(e.Name()) {
				continue
			}
			if err := inv.loadFile(filepath.Join(path, e.Name())); err != nil {
				return nil, err
			}
			read++
		}
		if read == 0 {
			return nil, &Error{File: path, Msg: "the folder holds no inventory file"}
		}
	} else if err := inv.loadFile(path); err != nil {
		return nil, err
	}
	inv.reconcile()
	if err := inv.loadVarsDirs(base); err != nil {
		return nil, err
	}
	return inv, nil
}

// ignoredInDir reports the files Ansible skips in an inventory folder: its
// INVENTORY_IGNORE_EXTS default, which includes .ini (an INI inventory in a
// folder has no extension, or another one), and hidden files.
func ignoredInDir(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	for _, ext := range []string{".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("the file is more than the %d bytes an inventory file may have", MaxFileBytes)}
	}
	return b, nil
}

// loadFile reads one inventory file, YAML by its extension or its first
// significant line, INI otherwise.
func (inv *Inventory) loadFile(path string) error {
	src, err := readCapped(path)
	if err != nil {
		return err
	}
	if looksYAML(path, src) {
		return inv.parseYAML(path, src)
	}
	return inv.parseINI(path, src)
}

func looksYAML(path string, src []byte) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yml", ".yaml", ".json":
		return true
	case ".ini":
		return false
	}
	for _, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		return t == "---" || strings.HasPrefix(t, "{") || strings.HasSuffix(t, ":") && !strings.HasPrefix(t, "[")
	}
	return false
}

func (inv *Inventory) addGroup(name string) *Group {
	if g, ok := inv.groups[name]; ok {
		return g
	}
	g := &Group{Name: name, Vars: map[string]any{}}
	inv.groups[name] = g
	inv.groupOrder = append(inv.groupOrder, name)
	return g
}

func (inv *Inventory) addHost(name, group string) (*Host, error) {
	h, ok := inv.hosts[name]
	if !ok {
		if len(inv.hosts) >= MaxHosts {
			return nil, fmt.Errorf("more than %d hosts, the most one fleetport inventory file holds: import the inventory in parts", MaxHosts)
		}
		h = &Host{Name: name, Vars: map[string]any{}}
		inv.hosts[name] = h
		inv.hostOrder = append(inv.hostOrder, name)
	}
	g := inv.addGroup(group)
	if !slices.Contains(h.groups, group) {
		h.groups = append(h.groups, group)
		g.Hosts = append(g.Hosts, name)
	}
	return h, nil
}

// addChild makes child a child of parent. It refuses a loop, as Ansible
// does.
func (inv *Inventory) addChild(parent, child string) error {
	if parent == child {
		return fmt.Errorf("group %q cannot be its own child", parent)
	}
	p, c := inv.addGroup(parent), inv.addGroup(child)
	if inv.isAncestor(child, parent) {
		return fmt.Errorf("adding group %q as a child of %q makes a loop", child, parent)
	}
	if !slices.Contains(p.Children, child) {
		p.Children = append(p.Children, child)
		c.parents = append(c.parents, parent)
	}
	return nil
}

// isAncestor reports whether a is b or one of b's ancestors.
func (inv *Inventory) isAncestor(a, b string) bool {
	seen := map[string]bool{}
	stack := []string{b}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g == a {
			return true
		}
		if seen[g] {
			continue
		}
		seen[g] = true
		stack = append(stack, inv.groups[g].parents...)
	}
	return false
}

func (inv *Inventory) setGroupVar(group, key string, v any) {
	g := inv.addGroup(group)
	if key == "ansible_group_priority" {
		if n, ok := asInt(v); ok {
			g.Priority = n
		}
		return
	}
	g.Vars[key] = v
}

// reconcile does what Ansible's reconcile_inventory does: every group
// without a parent is a child of all, a host in no group other than all is
// in ungrouped, and depths follow the hierarchy.
func (inv *Inventory) reconcile() {
	for _, name := range inv.groupOrder {
		g := inv.groups[name]
		if name != "all" && len(g.parents) == 0 {
			_ = inv.addChild("all", name)
		}
	}
	u := inv.groups["ungrouped"]
	u.Hosts = u.Hosts[:0]
	for _, name := range inv.hostOrder {
		h := inv.hosts[name]
		real := false
		for _, g := range h.groups {
			real = real || g != "all" && g != "ungrouped"
		}
		if real {
			h.groups = remove(h.groups, "ungrouped")
		} else {
			h.groups = []string{"ungrouped"}
			u.Hosts = append(u.Hosts, name)
		}
	}
	// A group's depth is its longest path from all, as Ansible's
	// add_child keeps it: groups in order of their parents first.
	depth := map[string]int{"all": 0}
	var visit func(name string) int
	visiting := map[string]bool{}
	visit = func(name string) int {
		if d, ok := depth[name]; ok {
			return d
		}
		if visiting[name] {
			return 0 // a loop, which addChild refuses
		}
		visiting[name] = true
		d := 0
		for _, p := range inv.groups[name].parents {
			if pd := visit(p) + 1; pd > d {
				d = pd
			}
		}
		depth[name] = d
		return d
	}
	for _, name := range inv.groupOrder {
		inv.groups[name].depth = visit(name)
	}
}

// Hosts returns the host names in the order Ansible first read them.
func (inv *Inventory) Hosts() []string { return append([]string(nil), inv.hostOrder...) }

// Host returns a host.
func (inv *Inventory) Host(name string) *Host { return inv.hosts[name] }

// Group returns a group, or nil.
func (inv *Inventory) Group(name string) *Group { return inv.groups[name] }

// GroupNames returns every group name but all and ungrouped, sorted.
func (inv *Inventory) GroupNames() []string {
	var out []string
	for _, n := range inv.groupOrder {
		if n != "all" && n != "ungrouped" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// HostGroups returns every group the host is in, directly or through
// children, but all and ungrouped, sorted by name.
func (inv *Inventory) HostGroups(name string) []string {
	seen := map[string]bool{}
	for _, g := range inv.ancestors(name) {
		if g != "all" && g != "ungrouped" {
			seen[g] = true
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// ancestors returns the host's groups and all their ancestors.
func (inv *Inventory) ancestors(host string) []string {
	seen := map[string]bool{}
	var out []string
	var add func(g string)
	add = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		out = append(out, g)
		for _, p := range inv.groups[g].parents {
			add(p)
		}
	}
	for _, g := range inv.hosts[host].groups {
		add(g)
	}
	return out
}

// Var is a host's variable with the place that set it: "host", or the
// group's name.
type Var struct {
	Value any
	From  string
}

// HostVars resolves a host's variables with Ansible's precedence: the
// inventory's variables of all, then of the other groups by depth, priority
// and name; group_vars/all, then the other groups' group_vars in the same
// order; the host's inventory variables, then its host_vars.
func (inv *Inventory) HostVars(name string) map[string]Var {
	h := inv.hosts[name]
	out := map[string]Var{}
	put := func(m map[string]any, from string) {
		for k, v := range m {
			out[k] = Var{Value: v, From: from}
		}
	}
	all := inv.groups["all"]
	put(all.Vars, "all")
	var groups []*Group
	for _, g := range inv.ancestors(name) {
		if g != "all" {
			groups = append(groups, inv.groups[g])
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.depth != b.depth {
			return a.depth < b.depth
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.Name < b.Name
	})
	for _, g := range groups {
		put(g.Vars, g.Name)
	}
	// group_vars/all comes after every group's inventory variables
	// (VARIABLE_PRECEDENCE: all_inventory, groups_inventory,
	// all_plugins_inventory, groups_plugins_inventory).
	put(all.FileVars, "all")
	for _, g := range groups {
		put(g.FileVars, g.Name)
	}
	put(h.Vars, "host")
	put(h.FileVars, "host")
	return out
}

// loadVarsDirs reads group_vars and host_vars under base, as the
// host_group_vars plugin does: NAME, NAME.yml, NAME.yaml, NAME.json, or a
// folder NAME whose files are read in name order.
func (inv *Inventory) loadVarsDirs(base string) error {
	for _, kind := range []string{"group_vars", "host_vars"} {
		dir := filepath.Join(base, kind)
		entries, err := os.ReadDir(dir)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			entity := name
			if !e.IsDir() {
				ext := filepath.Ext(name)
				switch ext {
				case "", ".yml", ".yaml", ".json":
				default:
					continue
				}
				entity = strings.TrimSuffix(name, ext)
			}
			var target *map[string]any
			if kind == "group_vars" {
				g, ok := inv.groups[entity]
				if !ok {
					continue
				}
				target = &g.FileVars
			} else {
				h, ok := inv.hosts[entity]
				if !ok {
					continue
				}
				target = &h.FileVars
			}
			files := []string{filepath.Join(dir, name)}
			if e.IsDir() {
				files = files[:0]
				err := filepath.WalkDir(filepath.Join(dir, name), func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
						switch filepath.Ext(p) {
						case "", ".yml", ".yaml", ".json":
							files = append(files, p)
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
				sort.Strings(files)
			}
			for _, f := range files {
				vars, err := loadVarsFile(f)
				if err != nil {
					return err
				}
				if *target == nil {
					*target = map[string]any{}
				}
				for k, v := range vars {
					(*target)[k] = v
				}
			}
		}
	}
	return nil
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case int:
		return x, true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case string:
		n := 0
		if x == "" {
			return 0, false
		}
		for _, r := range x {
			if r < '0' || r > '9' || n > 1<<30 {
				return 0, false
			}
			n = n*10 + int(r-'0')
		}
		return n, true
	}
	return 0, false
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
