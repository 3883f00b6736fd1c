package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// writeAtomic writes a file through write into a temporary file beside it
// and renames it into place only when complete, so that the output
// directory never holds a half-written package. write gets the file itself,
// an io.WriteSeeker: packagers fill in sizes and digests by seeking back
// once the payload is written, so the SHA-256 is computed by reading the
// file back (while fsync runs). It returns the size and SHA-256.
func writeAtomic(file string, write func(io.Writer) error) (int64, string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return 0, "", fmt.Errorf("cannot write to the output directory: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return 0, "", err
	}
	synced := make(chan error, 1)
	go func() { synced <- tmp.Sync() }()
	h := sha256.New()
	size, err := io.CopyBuffer(h, io.NewSectionReader(tmp, 0, 1<<62), make([]byte, 1<<20))
	if serr := <-synced; err == nil {
		err = serr
	}
	if err != nil {
		return 0, "", err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return 0, "", err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return 0, "", err
	}
	ok = true
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

// writeSums updates dir/SHA256SUMS (sha256sum's format): lines of the
// packages just written are replaced or added, lines of files no longer in
// dir are dropped.
func writeSums(dir string, pkgs []Package) error {
	sums := map[string]string{}
	if data, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			sum, name, ok := strings.Cut(line, "  ")
			if !ok {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				sums[name] = sum
			}
		}
	}
	for _, p := range pkgs {
		sums[p.Name] = p.SHA256
	}
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	_, _, err := writeAtomic(filepath.Join(dir, "SHA256SUMS"), func(w io.Writer) error {
		for _, n := range names {
			if _, err := fmt.Fprintf(w, "%s  %s\n", sums[n], n); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}
