package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/sign"
)

// signingOptions are the flags that choose the signing key, shared by
// build --sign and publish.
type signingOptions struct {
	gpg   bool
	keyID string
}

func (o *signingOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.gpg, "gpg", false, "sign with the gpg binary (agent, smartcard) instead of WSGIPACK_SIGNING_KEY")
	f.StringVar(&o.keyID, "sign-key-id", "", "the (sub)key to sign with: key id or fingerprint")
}

// signer loads the key: the gpg binary's with --gpg, else
// WSGIPACK_SIGNING_KEY (an armored private key or @file) and
// WSGIPACK_SIGNING_PASSPHRASE. Its warnings go to stderr.
func (o *signingOptions) signer(stderr io.Writer) (sign.Signer, error) {
	var s sign.Signer
	var err error
	if o.gpg {
		s, err = sign.GPG(o.keyID)
	} else {
		key := os.Getenv("WSGIPACK_SIGNING_KEY")
		if key == "" {
			return nil, usage(errors.New("no signing key: set WSGIPACK_SIGNING_KEY to an armored private key or @file (and WSGIPACK_SIGNING_PASSPHRASE), or pass --gpg"))
		}
		s, err = sign.Load(sign.Options{Key: key, Passphrase: os.Getenv("WSGIPACK_SIGNING_PASSPHRASE"), KeyID: o.keyID})
	}
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings() {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	return s, nil
}
