package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/inspect"
)

// inspectOptions are the flags of inspect.
type inspectOptions struct {
	json    bool
	files   bool
	scripts bool
}

func (o *inspectOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print JSON (the inspect.Package struct) instead of text")
	f.BoolVar(&o.files, "files", true, "list the files of the payload")
	f.BoolVar(&o.scripts, "scripts", true, "print the maintainer scripts")
}

func newInspectCommand() *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect PACKAGE",
		Short: "Print a built package's metadata, dependencies, scripts and file list",
		Long: `Inspect reads a .deb or .rpm (told by its content, not its name) and prints
what it will do once installed: its metadata, what it depends on, its config
files, its maintainer scripts in full and its file list. It reads the file
with Go only: dpkg and rpm are not needed.

The text output has the sections [metadata], [depends], [config files],
[scripts] and [files], the same for both formats, one greppable item per line.
--json prints the same data as one JSON object.`,
		Example: `  wsgipack inspect dist/inventory_1.4.2-1+deb12_amd64.deb
  wsgipack inspect --files=false dist/inventory-1.4.2-1.el9.x86_64.rpm
  wsgipack inspect dist/inventory_1.4.2-1+deb12_amd64.deb | grep '^Depends:'
  wsgipack inspect --json dist/inventory-1.4.2-1.el9.x86_64.rpm | jq -r '.files[].path'`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := inspect.Read(args[0])
			if err != nil {
				return err
			}
			if !o.files {
				p.Files = nil
			}
			if !o.scripts {
				p.Scripts = nil
			}
			if o.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(p)
			}
			return inspect.WriteText(cmd.OutOrStdout(), p, inspect.TextOptions{NoFiles: !o.files, NoScripts: !o.scripts})
		},
	}
	o.addFlags(cmd)
	return cmd
}
