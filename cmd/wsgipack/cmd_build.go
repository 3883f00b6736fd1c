package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/builder"
	"github.com/wsgipack/wsgipack/internal/distro"
	appversion "github.com/wsgipack/wsgipack/internal/version"
)

// buildOptions are the flags of build and check.
type buildOptions struct {
	specFile   string
	targets    []string
	version    string
	outDir     string
	noBytecode bool
	noImport   bool
	// versionGiven is whether --version was on the command line, even empty.
	versionGiven bool
	sign         bool
	signing      signingOptions
}

func (o *buildOptions) addFlags(cmd *cobra.Command, withOutput bool) {
	f := cmd.Flags()
	f.StringVarP(&o.specFile, "file", "f", "wsgipack.yaml", "the spec file")
	f.StringSliceVarP(&o.targets, "target", "t", nil, "build only for this target (repeatable; default: the spec's targets)")
	f.StringVar(&o.version, "version", "", "the app version, overriding the spec's")
	f.BoolVar(&o.noImport, "no-import", false, "do not import app.wsgi with the venv's Python (its module is still looked for under app.source)")
	if withOutput {
		f.StringVarP(&o.outDir, "out", "o", "dist", "directory for the packages")
		f.BoolVar(&o.noBytecode, "no-bytecode", false, "do not ship .pyc files, whatever the spec says")
		f.BoolVar(&o.sign, "sign", false, "sign the rpm packages (header signature) with WSGIPACK_SIGNING_KEY or --gpg; debs are trusted through the signed repository")
		o.signing.addFlags(cmd)
	}
	_ = cmd.RegisterFlagCompletionFunc("target", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return distro.Names(), cobra.ShellCompDirectiveNoFileComp
	})
}

// options checks the flags (and $SOURCE_DATE_EPOCH) and returns them as
// the builder's options; a bad value is a usage error.
func (o *buildOptions) options(stderr io.Writer) (builder.Options, error) {
	b := builder.Options{
		SpecFile: o.specFile, OutDir: o.outDir, NoBytecode: o.noBytecode, NoImport: o.noImport,
		Warn: func(w string) { fmt.Fprintf(stderr, "warning: %s\n", w) },
	}
	var errs []error
	for _, name := range o.targets {
		t, err := distro.Lookup(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("--target: %w", err))
			continue
		}
		if !slices.ContainsFunc(b.Targets, func(x distro.Release) bool { return x.Name == name }) {
			b.Targets = append(b.Targets, t)
		}
	}
	if o.versionGiven && strings.TrimSpace(o.version) == "" {
		// --version "$TAG" with TAG unset must not build the spec's version.
		errs = append(errs, fmt.Errorf("--version is empty (an unset variable in --version \"$TAG\"?): give the version, or leave the flag out to use the spec's"))
	} else if o.version != "" {
		v, err := appversion.Parse(o.version)
		if err != nil {
			errs = append(errs, fmt.Errorf("--version: %w", err))
		}
		b.Version = &v
	}
	if sde, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok && sde != "" {
		t, err := builder.ParseSourceDateEpoch(sde)
		if err != nil {
			errs = append(errs, err)
		}
		b.Time = &t
	}
	if o.sign && len(errs) == 0 {
		s, err := o.signing.signer(stderr)
		if err != nil {
			return b, err
		}
		b.Sign = func(data []byte) ([]byte, error) { return s.DetachSign(data, false) }
	}
	if isTerminal(stderr) {
		b.Progress = func(step string) { fmt.Fprintf(stderr, "... %s\n", step) }
	}
	return b, usage(errors.Join(errs...))
}

func newBuildCommand() *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build one package per target",
		Long: `Build checks the spec, the venv and its native code against every target,
imports app.wsgi with the venv's own Python (without calling a factory;
--no-import skips that), relocates the venv to /opt/<name>/venv, and writes one .deb or .rpm per target
into the output directory, with a SHA256SUMS file beside them.`,
		Example: `  wsgipack build
  wsgipack build -f deploy/wsgipack.yaml --target el9 --version 1.4.3 --out out/
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) wsgipack build`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.versionGiven = cmd.Flags().Changed("version")
			opts, err := o.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			res, err := builder.Build(ctx, opts)
			if err != nil {
				return err
			}
			printResult(cmd.OutOrStdout(), res, o.outDir)
			return nil
		},
	}
	o.addFlags(cmd, true)
	return cmd
}

func newCheckCommand() *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run every validation of build, writing nothing",
		Long: `Check runs every validation of build and writes nothing: the spec, the venv
and its native code against every target, and the entry point: the module of
app.wsgi must exist under app.source, and it is imported with the venv's own
Python (venv/bin/python -E -s -B, app.source first on sys.path, the spec's
environment set, each secret set to a placeholder, 60 s at most) to prove
that the callable or factory exists and is callable. A factory is not
called. --no-import skips the import.`,
		Example: `  wsgipack check
  wsgipack check -f deploy/wsgipack.yaml --target debian-12`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.versionGiven = cmd.Flags().Changed("version")
			opts, err := o.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			res, err := builder.Check(ctx, opts)
			if err != nil {
				return err
			}
			printResult(cmd.OutOrStdout(), res, "")
			return nil
		},
	}
	o.addFlags(cmd, false)
	return cmd
}

func printResult(w io.Writer, r *builder.Result, outDir string) {
	if outDir != "" {
		fmt.Fprintf(w, "built %d package(s) in %s: %d files, %s, Python %s, arch %s; timestamp %s (%s)\n",
			len(r.Packages), outDir, r.Files, size(r.Bytes), r.Python, r.Arch, r.Time.Format("2006-01-02T15:04:05Z"), r.TimeSource)
	} else {
		fmt.Fprintf(w, "check passed: %d files, %s, Python %s, arch %s\n", r.Files, size(r.Bytes), r.Python, r.Arch)
	}
	for _, p := range r.Packages {
		line := fmt.Sprintf("  %-12s %s", p.Target.Name, p.Name)
		if p.Size > 0 {
			line += "  " + size(p.Size)
		}
		fmt.Fprintf(w, "%s\n      depends: %s\n", line, strings.Join(p.Depends, ", "))
	}
	if r.Compiled > 0 || len(r.NotCompiled) > 0 {
		fmt.Fprintf(w, "bytecode: %d .pyc files; %d source(s) do not compile and ship without bytecode\n", r.Compiled, len(r.NotCompiled))
	}
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
