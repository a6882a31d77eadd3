package inventory

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fleetport/fleetport/internal/hclguard"
)

// MaxFileSize caps the size of one inventory file. An inventory of tens of
// thousands of hosts fits well within it.
const MaxFileSize = 32 << 20

// Parse decodes one inventory file from src; filename names it in
// diagnostics and is the folder that relative paths (ca_file, file()) are
// resolved against. Parse checks the structure of each block and every
// value that does not depend on the host; what depends on other files
// (duplicates, group references, inheritance) is checked by [Merge].
//
// Parse always returns a non-nil File. On errors it holds what could be
// decoded, which is safe for careful analysis.
func Parse(src []byte, filename string) (f *File, diags hcl.Diagnostics) {
	f, diags, _ = parse(src, filename, newBudget(), hclguard.DefaultLimits.MaxTokens)
	return f, diags
}

// MaxTokens caps the tokens of all the files of one inventory together:
// the parser keeps each token and its syntax tree in memory. Two million
// tokens is an inventory of about 120,000 hosts.
const MaxTokens = 2 << 20

// Evaluation budget of one inventory. A value that refers to host.name is
// evaluated for every host it applies to, so the calls and the bytes
// they return grow with the fleet: two million calls is a few function
// calls per host of a large fleet, 128 MiB of results bounds the memory
// the values keep, and 200,000 iterations of for expressions take HCL a
// few seconds at most.
const (
	maxCalls       = 2_000_000
	maxResultTotal = 128 << 20
	maxIterations  = 200_000
)

func newBudget() *hclguard.Budget {
	b := hclguard.NewBudget()
	b.MaxCalls, b.MaxTotal, b.MaxIterations = maxCalls, maxResultTotal, maxIterations
	return b
}

// parse is [Parse] drawing on a budget shared with other files: the
// evaluation budget b, and at most maxTokens tokens. It returns the tokens
// the file holds.
func parse(src []byte, filename string, b *hclguard.Budget, maxTokens int) (f *File, diags hcl.Diagnostics, tokens int) {
	f = &File{Name: filename}
	if len(src) > MaxFileSize {
		f.hcl = &hcl.File{Body: hcl.EmptyBody()}
		return f, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Inventory file too large",
			Detail:   fmt.Sprintf("%s is %d bytes; an inventory file may have at most %d. Split it into several files in a folder.", filename, len(src), MaxFileSize),
			Subject:  &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}, 0
	}
	lim := hclguard.DefaultLimits
	lim.MaxTokens = min(lim.MaxTokens, maxTokens)
	tokens, diags = hclguard.Scan(src, filename, lim)
	if diags.HasErrors() {
		// Nothing past the first limit is read: the parser would recurse
		// or allocate without bound.
		f.hcl = &hcl.File{Body: hcl.EmptyBody(), Bytes: src}
		return f, diags, tokens
	}
	hf, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if hf == nil || hf.Body == nil {
		f.hcl = &hcl.File{Body: hcl.EmptyBody(), Bytes: src}
		return f, shieldPasswordLines(src, nil, diags), tokens
	}
	f.hcl = hf
	defer func() { diags = shieldPasswordLines(src, hf.Body, hintPassword(diags)) }()
	if body, ok := hf.Body.(*hclsyntax.Body); ok {
		if ld := hclguard.CheckLoops(body); ld.HasErrors() {
			return f, append(diags, ld...), tokens
		}
		// Every value is evaluated with the budget's functions, which
		// count the for expressions' iterations.
		hclguard.InstrumentLoops(body)
	}
	fsrc := newEvalSource(filename, b)
	content, cd := hf.Body.Content(topLevelSchema)
	diags = append(diags, cd...)
	for _, a := range sortedAttributes(content.Attributes) {
		spec := specByName[a.Name]
		diags = append(diags, errorDiag(a.NameRange, "Argument outside a block", fmt.Sprintf(
			"%s must be set inside a block: %s.", a.Name, whereToSet(spec))))
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "defaults":
			d, dd := decodeDefaultsBlock(b, fsrc)
			diags = append(diags, dd...)
			f.Defaults = append(f.Defaults, d)
		case "group":
			g, gd := decodeGroupBlock(b, fsrc)
			diags = append(diags, gd...)
			if g != nil {
				f.Groups = append(f.Groups, g)
			}
		case "host":
			h, hd := decodeHostBlock(b, fsrc)
			diags = append(diags, hd...)
			if h != nil {
				f.Hosts = append(f.Hosts, h)
			}
		case "source":
			s, sd := decodeSourceBlock(b, fsrc)
			diags = append(diags, sd...)
			if s != nil {
				f.Sources = append(f.Sources, s)
			}
		}
	}
	return f, diags, tokens
}

// whereToSet names the blocks a setting may appear in.
func whereToSet(spec *settingSpec) string {
	switch spec.where {
	case inHost:
		return "a host block"
	case inDefaults | inGroup:
		return "defaults or a group block"
	}
	return "defaults, a group block or a host block"
}

func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}

// Options says how [Load] names the files it reads.
type Options struct {
	// Dir is the operating-system folder the fs.FS stands for, as in
	// os.DirFS(Dir). When set, file names in diagnostics, in
	// [Inventory.Files] and in resolved paths (ca_file, file()) are
	// filepath.Join(Dir, name), so that the caller can open them and the
	// user recognises them. When empty, they are the slash-separated
	// paths within the fs.FS.
	Dir string
	// Sources lists the inventory's source blocks. When nil, source
	// blocks are checked but list no host.
	Sources SourceLister
}

// LoadDir loads an inventory from root within fsys, with the zero
// [Options]. See [Load].
func LoadDir(fsys fs.FS, root string) (*Inventory, hcl.Diagnostics) {
	return Load(fsys, root, Options{})
}

// Load loads an inventory from root within fsys: a single file (whatever
// its name), or a folder whose *.hcl files are read recursively in lexical
// order, skipping names that start with a dot. The files are parsed with
// [Parse] and merged with [Merge].
//
// Load always returns a non-nil Inventory. On errors it holds what could be
// decoded, which is safe for careful analysis; its Files map has every file
// read, for rendering the diagnostics.
func Load(fsys fs.FS, root string, opts Options) (*Inventory, hcl.Diagnostics) {
	name := func(p string) string {
		if opts.Dir == "" {
			return p
		}
		return filepath.Join(opts.Dir, filepath.FromSlash(p))
	}
	fail := func(summary, detail string) (*Inventory, hcl.Diagnostics) {
		inv, _ := Merge()
		return inv, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}
	}
	root = path.Clean(root)
	if !fs.ValidPath(root) {
		return fail("Invalid inventory path", fmt.Sprintf("%q is not a valid path within the inventory file system.", root))
	}
	st, err := fs.Stat(fsys, root)
	if err != nil {
		return fail("Cannot read the inventory", fmt.Sprintf("%s: %v.", name(root), unwrapPathError(err)))
	}

	var paths []string
	var diags hcl.Diagnostics
	if !st.IsDir() {
		paths = []string{root}
	} else {
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the inventory",
					Detail: fmt.Sprintf("%s: %v.", name(p), unwrapPathError(err))})
				return nil
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".hcl") {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the inventory", Detail: err.Error()})
		}
		if len(paths) == 0 && !diags.HasErrors() {
			return fail("No inventory files", fmt.Sprintf("%s has no .hcl files. Put the inventory in files named *.hcl, or name a file.", name(root)))
		}
	}

	var files []*File
	budget := newBudget()
	tokens := 0
	for _, p := range paths {
		src, err := readCapped(fsys, p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read an inventory file",
				Detail: fmt.Sprintf("%s: %v.", name(p), unwrapPathError(err))})
			continue
		}
		if tokens >= MaxTokens {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Inventory too large",
				Detail: fmt.Sprintf("The inventory's files hold more than %d tokens together; fleetport reads at most %d. %s and the files after it were not read.",
					MaxTokens, MaxTokens, name(p)),
				Subject: &hcl.Range{Filename: name(p), Start: hcl.InitialPos, End: hcl.InitialPos}})
			break
		}
		f, fd, n := parse(src, name(p), budget, MaxTokens-tokens)
		tokens += n
		diags = append(diags, fd...)
		files = append(files, f)
	}
	var sources []*Source
	for _, f := range files {
		sources = append(sources, f.Sources...)
	}
	var listings map[string]*Listing
	if len(sources) > 0 && !diags.HasErrors() {
		var ld hcl.Diagnostics
		listings, ld = listSources(sources, opts.Sources)
		diags = append(diags, ld...)
	}
	inv, md := merge(files, listings)
	return inv, append(diags, md...)
}

// readCapped reads a file, refusing one larger than MaxFileSize.
func readCapped(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d bytes; split it into several files", MaxFileSize)
	}
	return b, nil
}

// unwrapPathError drops the operation and path of an *fs.PathError, which
// the message names already.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// passwordLiteralLine matches a line that sets a password to a literal.
var passwordLiteralLine = regexp.MustCompile(`^\s*password\s*=\s*"`)

// shieldPasswordLines moves diagnostics about a line that sets a literal
// password (the parser's own, such as "Attribute redefined", as well as
// the decoders') to the enclosing block, or drops their subject when there
// is none, so that a rendered snippet never shows the password. The detail
// names the line instead.
func shieldPasswordLines(src []byte, body hcl.Body, diags hcl.Diagnostics) hcl.Diagnostics {
	var lines [][]byte
	for i, d := range diags {
		if d.Subject == nil {
			continue
		}
		if lines == nil {
			lines = bytes.Split(src, []byte("\n"))
		}
		ln := d.Subject.Start.Line
		if ln < 1 || ln > len(lines) || !passwordLiteralLine.Match(lines[ln-1]) {
			continue
		}
		c := *d
		c.Detail = strings.TrimSpace(fmt.Sprintf("%s (password at %s)", c.Detail, at(*d.Subject)))
		c.Subject, c.Context, c.Expression, c.EvalContext = nil, nil, nil, nil
		if b, ok := body.(*hclsyntax.Body); ok {
			for _, blk := range b.Blocks {
				if r := blk.Range(); r.ContainsOffset(d.Subject.Start.Byte) {
					c.Subject = blk.DefRange().Ptr()
					break
				}
			}
		}
		diags[i] = &c
	}
	return diags
}

// unsupportedArg is HCL's detail for an argument no schema has.
var unsupportedArg = regexp.MustCompile(`^An argument named "([^"]*)" is not expected here\.`)

// hintPassword adds "Did you mean "password"?" to the unsupported
// arguments that are password misspelt or in another case (PASSWORD,
// pass_word, pwd), which HCL's own suggestion, case-sensitive, misses.
func hintPassword(diags hcl.Diagnostics) hcl.Diagnostics {
	for i, d := range diags {
		if d.Summary != "Unsupported argument" || strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		m := unsupportedArg.FindStringSubmatch(d.Detail)
		if m == nil || !hclguard.LooksLikePassword(m[1]) {
			continue
		}
		c := *d
		c.Detail += ` Did you mean "password"?`
		diags[i] = &c
	}
	return diags
}
