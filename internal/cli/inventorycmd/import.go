package inventorycmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing/fstest"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/ansibleinv"
	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/inventory"
)

// NewCmdImport makes `inventory import`.
func NewCmdImport(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import <format>",
		Short: "Write a fleetport inventory from another tool's",
	}
	cmd.AddCommand(NewCmdImportAnsible(f, nil))
	return cmd
}

// ImportAnsibleOptions are the inputs of `inventory import ansible`.
type ImportAnsibleOptions struct {
	IO     *cmdutil.IOStreams
	Source string
	Out    string
	Force  bool
}

// NewCmdImportAnsible makes `inventory import ansible`; runF replaces the
// run function in tests.
func NewCmdImportAnsible(f *cmdutil.Factory, runF func(*ImportAnsibleOptions) error) *cobra.Command {
	opts := &ImportAnsibleOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "ansible PATH",
		Short: "Convert an Ansible inventory (INI or YAML) to fleetport HCL",
		Long: `Read an Ansible inventory as Ansible reads it (an INI or YAML file, or a
folder of them, with the group_vars and host_vars next to it) and write the
same hosts and groups as a fleetport inventory.

- Groups and their children become fleetport groups: a host is in every group
  Ansible puts it in, directly or through children (fleetport groups do not
  nest). "all" and "ungrouped" are implicit in both.
- ansible_host, ansible_port, ansible_winrm_scheme, ansible_winrm_transport,
  ansible_winrm_server_cert_validation, ansible_winrm_ca_trust_path,
  ansible_winrm_kerberos_hostname_override and the WinRM timeouts (and their
  psrp forms) become address, port, transport, auth, insecure_skip_verify,
  ca_file, kerberos_name and the timeouts, with Ansible's defaults (port 5986
  and https unless the port is 5985).
- Credentials are never written: ansible_user and ansible_password become
  env("FLEETPORT_USER…") and env("FLEETPORT_PASSWORD…") references named for
  where Ansible sets them; the list of variables to export is printed.
- Other variables go to vars, except those whose names look secret, vault
  values and Jinja templates, which are listed as not converted.
- Hosts whose ansible_connection is not winrm or psrp are left out and listed
  (when no host sets it, every host is taken as a WinRM host).

The file is checked by loading it as fleetport would before it is written.
Without -o it goes to standard output; the report goes to standard error.`,
		Example: `  fleetport inventory import ansible hosts.ini -o inventory/ansible.hcl
  fleetport inventory import ansible inventories/prod/ > prod.hcl
  ansible-inventory -i gcp.yml --list -y > hosts.yml && fleetport inventory import ansible hosts.yml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Source = args[0]
			if runF != nil {
				return runF(opts)
			}
			return importAnsibleRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "write the inventory to this file instead of standard output")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite the -o file if it exists")
	return cmd
}

func importAnsibleRun(opts *ImportAnsibleOptions) error {
	if opts.Out != "" && !opts.Force {
		if _, err := os.Stat(opts.Out); err == nil {
			return cmdutil.WithHint(fmt.Errorf("%s exists", opts.Out), "choose another file, or add --force to overwrite it")
		}
	}
	inv, err := ansibleinv.Load(opts.Source)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no Ansible inventory at %s", opts.Source)
		}
		return fmt.Errorf("reading the Ansible inventory: %w", err)
	}
	res, err := ansibleinv.Convert(inv, opts.Source)
	if err != nil {
		return err
	}
	if res.Hosts == 0 {
		report(opts, res)
		return fmt.Errorf("%s: no host to convert", opts.Source)
	}

	// Load the result as fleetport will, so that a file that does not
	// validate is never written.
	name := "ansible.hcl"
	if opts.Out != "" {
		name = filepath.Base(opts.Out)
	}
	fsys := fstest.MapFS{name: &fstest.MapFile{Data: res.HCL, Mode: 0o644}}
	loaded, diags := inventory.LoadDir(fsys, name)
	if diags.HasErrors() {
		cmdutil.WriteDiagnostics(opts.IO, loaded.Files(), diags)
		return fmt.Errorf("the converted inventory does not load; nothing was written")
	}

	if opts.Out == "" {
		if _, err := opts.IO.Out.Write(res.HCL); err != nil {
			return err
		}
	} else if err := writeNew(opts.Out, res.HCL, opts.Force); err != nil {
		return err
	}
	report(opts, res)
	return nil
}

// writeNew writes the file through a temporary one in the same folder, so
// that a failed write leaves no half file.
func writeNew(path string, data []byte, force bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if !force {
		// Link fails if the file appeared meanwhile.
		if err := os.Link(tmp.Name(), path); err != nil {
			return err
		}
		return nil
	}
	return os.Rename(tmp.Name(), path)
}

func report(opts *ImportAnsibleOptions, res *ansibleinv.Result) {
	w := opts.IO.ErrOut
	dest := "standard output"
	if opts.Out != "" {
		dest = opts.Out
	}
	fmt.Fprintf(w, "converted %d hosts in %d groups from %s to %s\n", res.Hosts, res.Groups, opts.Source, dest)
	if len(res.Left) > 0 {
		fmt.Fprintf(w, "\nleft out (%d):\n", len(res.Left))
		for _, l := range res.Left {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(res.Notes) > 0 {
		fmt.Fprintf(w, "\nnot converted, or converted differently:\n")
		for _, n := range res.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if len(res.Env) > 0 {
		fmt.Fprintf(w, "\nexport before running fleetport:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, e := range res.Env {
			fmt.Fprintf(tw, "  %s\t%s\n", e.Name, e.Holds)
		}
		_ = tw.Flush()
	}
}
