package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// writeAtomic writes a file through write into a temporary file beside it
// and renames it into place only when complete, so that the output
// directory never holds a half-written package. write gets an
// io.WriteSeeker: packagers that fill in sizes and digests once the payload
// is written may seek back. It returns the size and SHA-256 of what was
// written.
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
	out := &hashingFile{f: tmp, h: sha256.New()}
	if err := write(out); err != nil {
		return 0, "", err
	}
	synced := make(chan error, 1)
	go func() { synced <- tmp.Sync() }() // while hashing
	size, sum := out.n, out.h.Sum(nil)
	if out.seeked { // hash what was written instead
		h := sha256.New()
		size, err = io.CopyBuffer(h, io.NewSectionReader(tmp, 0, 1<<62), make([]byte, 1<<20))
		if err != nil {
			<-synced
			return 0, "", err
		}
		sum = h.Sum(nil)
	}
	if err := <-synced; err != nil {
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
	return size, hex.EncodeToString(sum), nil
}

// hashingFile hashes what is written to f as long as it is written in
// sequence; after a seek (other than asking for the position) the hash is
// void and writeAtomic reads the file back.
type hashingFile struct {
	f      *os.File
	h      hash.Hash
	n      int64
	seeked bool
}

func (w *hashingFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if !w.seeked {
		w.h.Write(p[:n])
		w.n += int64(n)
	}
	return n, err
}

func (w *hashingFile) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekCurrent {
		w.seeked = true
	}
	return w.f.Seek(offset, whence)
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
