package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/spec"
)

func newInitCommand() *cobra.Command {
	var file string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented wsgipack.yaml for the app in the current directory",
		Long: `Init writes a commented wsgipack.yaml for the project in the spec file's
directory: name, version, summary, license, maintainer and homepage from
pyproject.toml, setup.cfg or setup.py; the venv (.venv, venv or env with a
pyvenv.cfg) and targets for its Python; and, for Flask (app = Flask(...), a
wsgi.py with app = create_app(), or a create_app() factory) and Django
(manage.py and wsgi.py, the settings with what they star-import), the entry
point, environment, static files, secret key and deploy hooks. Tests are excluded as pytest finds them. What it cannot tell
is a "# TODO:" comment, also printed. Edit it, then run 'wsgipack check'.`,
		Example: "  cd myapp && wsgipack init && wsgipack check",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sk, err := spec.Init(file, force)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			what := "no framework recognised: a plain WSGI app"
			if sk.Framework != "" {
				what = sk.Framework + " app"
			}
			if sk.WSGI != "" {
				what += ", entry point " + sk.WSGI
			}
			fmt.Fprintf(w, "wrote %s (%s)\n", file, what)
			if len(sk.TODOs) > 0 {
				fmt.Fprintf(w, "%d TODO(s) in it:\n", len(sk.TODOs))
				for _, t := range sk.TODOs {
					fmt.Fprintf(w, "  - %s\n", t)
				}
			}
			fmt.Fprintf(w, "edit it, then run 'wsgipack check -f %s'\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "wsgipack.yaml", "the spec file to write")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}
