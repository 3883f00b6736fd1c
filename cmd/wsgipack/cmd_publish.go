package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/publish"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"github.com/wsgipack/wsgipack/internal/sign"
)

// publishOptions are the flags of publish.
type publishOptions struct {
	to          string
	keep        int
	generations int
	dryRun      bool
	unsigned    bool
	signing     signingOptions
	codename    string
	elRelease   string
	baseURL     string
}

func (o *publishOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "the repository directory (created when missing)")
	f.IntVar(&o.keep, "keep", 0, "keep the newest N versions per name, arch and release (0: keep all)")
	f.IntVar(&o.generations, "generations", 3, "publishes whose index files stay for clients mid-update")
	f.BoolVar(&o.dryRun, "dry-run", false, "check everything and say what would change, writing nothing")
	f.BoolVar(&o.unsigned, "unsigned", false, "publish without signing (tests only: apt refuses unsigned repositories)")
	f.StringVar(&o.codename, "codename", "", "apt codename for .deb files whose version names none (e.g. bookworm)")
	f.StringVar(&o.elRelease, "el-release", "", "EL release for .rpm files whose release names none (e.g. el9)")
	f.StringVar(&o.baseURL, "base-url", "", "where clients reach the tree, for the .sources and .repo files written at its root")
	o.signing.addFlags(cmd)
}

func newPublishCommand() *cobra.Command {
	var o publishOptions
	cmd := &cobra.Command{
		Use:   "publish --to DIR [flags] PACKAGE|DIR...",
		Short: "Add packages to a signed apt and yum repository tree",
		Long: `Publish adds .deb and .rpm packages to a static repository tree that any web
server can serve: apt (pool/, dists/<codename>/ with signed InRelease and
by-hash indexes) and yum (<elN>/<arch>/ with repodata/ and a signed
repomd.xml), the public key and, with --base-url, client files at the root.
rpm packages get a header signature. Publishing is incremental (only the
indexes of the packages' releases are read and rewritten), waits for another
publisher, and never shows clients a broken view, even if killed.

The key: WSGIPACK_SIGNING_KEY (an armored private key, or @file),
WSGIPACK_SIGNING_PASSPHRASE, --sign-key-id for a subkey; or --gpg.`,
		Example: `  WSGIPACK_SIGNING_KEY=@ci-signing-key.asc wsgipack publish --to /srv/repo dist/
  wsgipack publish --to /srv/repo --keep 5 --base-url https://repo.example.com/apps dist/*.deb dist/*.rpm
  wsgipack publish --to /srv/repo --codename bookworm other-team_2.0-1_all.deb`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.to == "" {
				return usage(errors.New("--to: name the repository directory"))
			}
			if o.keep < 0 || o.generations < 1 {
				return usage(errors.New("--keep must be 0 or more, --generations 1 or more"))
			}
			var s sign.Signer
			if !o.unsigned {
				var err error
				if s, err = o.signing.signer(cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			res, err := publish.Publish(publish.Options{
				Store: store.Dir(o.to), Signer: s, Unsigned: o.unsigned, Keep: o.keep, Generations: o.generations,
				DryRun: o.dryRun, Codename: o.codename, ELRelease: o.elRelease, BaseURL: o.baseURL,
			}, args)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			verb := "published"
			if o.dryRun {
				verb = "would publish"
			}
			fmt.Fprintf(w, "%s %d package(s) to %s; %d already there; %d pruned; %d files written, %d removed\n",
				verb, len(res.Added), o.to, len(res.Unchanged), len(res.Pruned), res.Written, len(res.Removed))
			for _, p := range res.Added {
				fmt.Fprintf(w, "  + %s\n", p)
			}
			for _, p := range res.Pruned {
				fmt.Fprintf(w, "  - %s\n", p)
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}
