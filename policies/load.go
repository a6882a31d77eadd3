package policies

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Set is the merged policies of one or more files: what validate checks,
// collection asks for and drift judges.
type Set struct {
	// Files are the files merged, in load order.
	Files []*File
	// Policies are every file's policies, in load order (files in lexical
	// path order, then source order).
	Policies []*Policy
	// Rollout is the set's rollout block, nil when no file declares one.
	Rollout *RolloutSettings
	// Waivers are every file's waivers, in load order; check them
	// against the merged set with [Set.CheckWaivers].
	Waivers []*Waiver
	byName  map[string]*Policy
}

// NewSet merges files into a set. A policy name declared twice (names
// compare case-insensitively, as they key reports) is an error located at
// the later declaration whose detail names the earlier one; the later
// policy is left out. Waiver names are unique in the same way.
func NewSet(files ...*File) (*Set, hcl.Diagnostics) {
	s := &Set{byName: map[string]*Policy{}}
	var diags hcl.Diagnostics
	waivers := map[string]*Waiver{}
	for _, f := range files {
		if f == nil {
			continue
		}
		s.Files = append(s.Files, f)
		if f.Rollout != nil {
			if s.Rollout != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate rollout block",
					Detail:  fmt.Sprintf("A rollout block is already declared at %s; a policy set has one.", s.Rollout.DeclRange),
					Subject: f.Rollout.DeclRange.Ptr(),
				})
			} else {
				s.Rollout = f.Rollout
			}
		}
		for _, p := range f.Policies {
			key := strings.ToLower(p.Name)
			if prev, ok := s.byName[key]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate policy",
					Detail: fmt.Sprintf("A policy named %q is already declared at %s. Policy names must be unique across "+
						"all policy files; rename or remove one of them.", prev.Name, prev.DeclRange),
					Subject: p.NameRange.Ptr(),
				})
				continue
			}
			s.byName[key] = p
			s.Policies = append(s.Policies, p)
		}
		for _, w := range f.Waivers {
			key := strings.ToLower(w.Name)
			if prev, ok := waivers[key]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate waiver",
					Detail:  fmt.Sprintf("A waiver named %q is already declared at %s. Waiver names must be unique across all policy files; rename or merge them.", prev.Name, prev.DeclRange),
					Subject: w.NameRange.Ptr(),
				})
				continue
			}
			waivers[key] = w
			s.Waivers = append(s.Waivers, w)
		}
	}
	return s, diags
}

// Policy returns the policy named name (case-insensitively), or nil.
func (s *Set) Policy(name string) *Policy { return s.byName[strings.ToLower(name)] }

// Sources maps each file name to its parsed file, for
// hcl.NewDiagnosticTextWriter to print source snippets.
func (s *Set) Sources() map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(s.Files))
	for _, f := range s.Files {
		if f.HCL != nil {
			out[f.Filename] = f.HCL
		}
	}
	return out
}

// LoadDir loads the policies under root in fsys: root may be one file
// (loaded whatever its name) or a folder, whose own *.hcl files are
// loaded in lexical order; its sub-folders are not read (so a folder that
// holds a Go package, tests, or a copy of examples/policies/builtin next
// to the user's files loads only the user's files), and hidden files (a
// leading dot) and editor leftovers (a trailing ~, a leading #) are
// skipped. Files and folders
// merge into one set as [NewSet] does. It reads only through fsys:
// os.DirFS in the CLI, fstest.MapFS in tests. File names in diagnostics
// are root-relative paths as fsys spells them.
func LoadDir(fsys fs.FS, root string) (*Set, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var files []*File
	rootRange := &hcl.Range{Filename: root, Start: hcl.InitialPos, End: hcl.InitialPos}
	info, err := fs.Stat(fsys, root)
	if err != nil {
		s, _ := NewSet()
		return s, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Cannot read policies",
			Detail:  fmt.Sprintf("%v. Give a policy file or a folder of .hcl files.", err),
			Subject: rootRange,
		}}
	}
	load := func(name string) {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Cannot read policy file",
				Detail:  fmt.Sprintf("%v. Check the file's permissions.", err),
				Subject: &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
			})
			return
		}
		f, d := Parse(src, name)
		diags = append(diags, d...)
		files = append(files, f)
	}
	if !info.IsDir() {
		load(root)
	} else {
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Cannot read policies",
					Detail:  fmt.Sprintf("%v. Check the folder's permissions.", err),
					Subject: &hcl.Range{Filename: p, Start: hcl.InitialPos, End: hcl.InitialPos},
				})
				return nil
			}
			name := d.Name()
			if p != root && d.IsDir() {
				// Only the folder's own files: a sub-folder may hold a
				// copy of the built-in pack, tests or anything else.
				return fs.SkipDir
			}
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") || strings.HasSuffix(name, "~")) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.IsDir() && path.Ext(name) == ".hcl" {
				load(p)
			}
			return nil
		})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Cannot read policies",
				Detail: fmt.Sprintf("%v.", err), Subject: rootRange,
			})
		}
		if len(files) == 0 && !diags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning, Summary: "No policy files",
				Detail:  fmt.Sprintf("%s holds no .hcl file, so there is nothing to check. Add policies, or point -p elsewhere.", root),
				Subject: rootRange,
			})
		}
	}
	s, d := NewSet(files...)
	return s, append(diags, d...)
}
