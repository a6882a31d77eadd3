package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/fleetport/fleetport/internal/adsource"
	"github.com/fleetport/fleetport/internal/hclguard"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// Exists reports whether a path exists.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// SplitPath turns a file or folder path into the folder an os.DirFS stands
// for and the root within it. what names the input ("inventory",
// "policies") for the error when the path does not exist.
func SplitPath(path, what string) (dir, root string, err error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", WithHint(fmt.Errorf("no %s at %s", what, path),
			"name the file or folder with -"+what[:1]+" PATH (an HCL file or a folder of them)")
	}
	if err != nil {
		return "", "", err
	}
	if st.IsDir() {
		return path, ".", nil
	}
	return filepath.Dir(path), filepath.Base(path), nil
}

// WriteDiagnostics renders diagnostics with source snippets to ErrOut, in
// colour only where colour is allowed: at most
// hclguard.DefaultMaxDiagnostics of them, never showing a line that sets
// a secret (hclguard.Writer).
func WriteDiagnostics(io *IOStreams, files map[string]*hcl.File, diags hcl.Diagnostics) {
	WriteDiagnosticsWidth(io, files, diags, 100)
}

// WriteDiagnosticsWidth is WriteDiagnostics with details wrapped at width.
func WriteDiagnosticsWidth(io *IOStreams, files map[string]*hcl.File, diags hcl.Diagnostics, width uint) {
	if len(diags) == 0 {
		return
	}
	wr := &hclguard.Writer{Out: io.ErrOut, Files: files, Width: width, Color: io.ColorEnabled()}
	_ = wr.WriteDiagnostics(diags)
}

// LoadOptions say how an inventory's sources are listed.
type LoadOptions struct {
	// Refresh lists every source from its directory, failing rather than
	// using the stored listing when the directory cannot be reached.
	Refresh bool
}

// ReadInventory loads the inventory at path (a file or a folder), its files
// named by their operating-system paths, and returns its diagnostics
// unprinted. Its sources are listed, and their listings kept in the
// default store (DefaultStore) for when a directory cannot be reached.
func ReadInventory(path string) (*inventory.Inventory, hcl.Diagnostics, error) {
	return ReadInventoryWith(path, LoadOptions{})
}

// ReadInventoryWith is ReadInventory with options.
func ReadInventoryWith(path string, o LoadOptions) (*inventory.Inventory, hcl.Diagnostics, error) {
	dir, root, err := SplitPath(path, "inventory")
	if err != nil {
		return nil, nil, err
	}
	lister := &adsource.Lister{StorePath: DefaultStore(), Refresh: o.Refresh, Credentials: sourceCredentials{}}
	inv, diags := inventory.Load(os.DirFS(dir), root, inventory.Options{Dir: dir, Sources: lister})
	return inv, diags, nil
}

// sourceCredentials resolves a source's bind credentials from the
// environment and files; a directory is listed before any prompt could be
// answered.
type sourceCredentials struct{}

func (sourceCredentials) Env(name string) (string, bool)       { return os.LookupEnv(name) }
func (sourceCredentials) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
func (sourceCredentials) Prompt(host, what string) (string, error) {
	return "", fmt.Errorf("prompt() cannot give the %s of %s: set it with env() or file()", what, host)
}

// LoadInventory loads the inventory at path, prints every diagnostic
// (warnings too), and returns ErrSilent when there are errors.
func LoadInventory(io *IOStreams, path string) (*inventory.Inventory, error) {
	return LoadInventoryWith(io, path, LoadOptions{})
}

// LoadInventoryWith is LoadInventory with options.
func LoadInventoryWith(io *IOStreams, path string, o LoadOptions) (*inventory.Inventory, error) {
	inv, diags, err := ReadInventoryWith(path, o)
	if err != nil {
		return nil, err
	}
	WriteDiagnostics(io, inv.Files(), diags)
	if diags.HasErrors() {
		return inv, ErrSilent
	}
	return inv, nil
}

// ReadPolicies loads a policy file or folder and names its files by their
// operating-system paths, as the user typed them, in its sources and
// diagnostics. The returned rename maps the loader's names to those paths
// ("" for a name that is not the user's), for diagnostics made later from
// the same files (merging with the built-in pack).
func ReadPolicies(path string) (*policies.Set, map[string]*hcl.File, hcl.Diagnostics, func(string) string, error) {
	dir, root, err := SplitPath(path, "policies")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, diags := policies.LoadDir(os.DirFS(dir), root)
	srcs := map[string]*hcl.File{}
	own := map[string]string{}
	for name, f := range s.Sources() {
		own[name] = filepath.Join(dir, filepath.FromSlash(name))
		srcs[own[name]] = f
	}
	rename := func(name string) string { return own[name] }
	RenameDiags(diags, rename)
	return s, srcs, diags, rename, nil
}

// RenameDiags rewrites the file names of diagnostics that rename knows.
func RenameDiags(diags hcl.Diagnostics, rename func(string) string) {
	for _, d := range diags {
		for _, r := range []*hcl.Range{d.Subject, d.Context} {
			if r != nil {
				if n := rename(r.Filename); n != "" {
					r.Filename = n
				}
			}
		}
	}
}

// releases are the release names policies know, for PolicyHost.
var releases = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range policies.ReleaseNames() {
		m[r] = true
	}
	return m
}()

// PolicyHost is the policies' view of an inventory host: what a policy may
// know before anything is collected. A tag "os" naming a release counts as
// the host's release.
func PolicyHost(h *inventory.Host) policies.Host {
	ph := policies.Host{
		Name: h.Name, Address: h.Address, ManagementAddress: h.ManagementAddress, Site: h.Site,
		Groups: h.Groups, Tags: h.Tags, Vars: h.Vars,
	}
	if os := h.Tags["os"]; releases[os] {
		ph.OS = os
	}
	return ph
}

// IsDir reports whether path is an existing folder.
func IsDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// OverrideBuiltin leaves out of the built-in pack's files the policies the
// user's files declare under the same name (compared without regard to
// case), so that a user's copy of a built-in policy, edited, replaces it.
// It returns the built-in files to merge and the names replaced, sorted.
// The built-in files are copied, never changed.
func OverrideBuiltin(builtin, user []*policies.File) ([]*policies.File, []string) {
	own := map[string]bool{}
	for _, f := range user {
		for _, p := range f.Policies {
			own[strings.ToLower(p.Name)] = true
		}
	}
	var replaced []string
	out := make([]*policies.File, 0, len(builtin))
	for _, f := range builtin {
		c := *f
		c.Policies = nil
		for _, p := range f.Policies {
			if own[strings.ToLower(p.Name)] {
				replaced = append(replaced, p.Name)
				continue
			}
			c.Policies = append(c.Policies, p)
		}
		out = append(out, &c)
	}
	sort.Strings(replaced)
	return out, replaced
}

// ReplacedNote is the note printed when user policies replace built-in
// ones.
func ReplacedNote(replaced []string) string {
	if len(replaced) == 1 {
		return fmt.Sprintf("note: your policy %q replaces the built-in one of that name", replaced[0])
	}
	return fmt.Sprintf("note: %d of your policies replace the built-in ones of the same names: %s", len(replaced), strings.Join(replaced, ", "))
}
