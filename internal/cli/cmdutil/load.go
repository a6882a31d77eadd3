package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/fleetport/fleetport/inventory"
)

// splitPath turns a file or folder path into the folder an os.DirFS stands
// for and the root within it.
func splitPath(path string) (dir, root string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if st.IsDir() {
		return path, ".", nil
	}
	return filepath.Dir(path), filepath.Base(path), nil
}

// WriteDiagnostics renders diagnostics with source snippets to ErrOut, in
// colour only where colour is allowed.
func WriteDiagnostics(io *IOStreams, files map[string]*hcl.File, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	wr := hcl.NewDiagnosticTextWriter(io.ErrOut, files, 100, io.ColorEnabled())
	_ = wr.WriteDiagnostics(diags)
}

// LoadInventory loads the inventory at path (a file or a folder), prints
// every diagnostic (warnings too), and returns ErrSilent when there are
// errors.
func LoadInventory(io *IOStreams, path string) (*inventory.Inventory, error) {
	dir, root, err := splitPath(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, WithHint(fmt.Errorf("no inventory at %s", path), "name one with -i PATH (an HCL file or a folder of them)")
	}
	if err != nil {
		return nil, err
	}
	inv, diags := inventory.Load(os.DirFS(dir), root, inventory.Options{Dir: dir})
	WriteDiagnostics(io, inv.Files(), diags)
	if diags.HasErrors() {
		return inv, ErrSilent
	}
	return inv, nil
}
