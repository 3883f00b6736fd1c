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
		Long: `Init writes a commented wsgipack.yaml, guessing the name from the directory
and the venv from venv/ or .venv/. Edit it, then run 'wsgipack check'.`,
		Example: "  cd myapp && wsgipack init && wsgipack check",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := spec.WriteSkeleton(file, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s; edit it, then run 'wsgipack check -f %s'\n", file, file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "wsgipack.yaml", "the spec file to write")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}
