package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wsgipack/wsgipack/internal/inputfile"
	"github.com/wsgipack/wsgipack/internal/scratch"
)

// output writes a build's files into the output directory all or nothing:
// each package goes to a temporary file beside its final name, and only
// commit, once every package is written, renames them into place together
// with the updated SHA256SUMS. A failed build leaves the directory as it
// was, and no half-written package is ever visible under its own name.
type output struct {
	dir     string
	area    *scratch.Area // the temporary files, swept by a later build if this one is killed
	pending []pendingFile
}

// pendingFile is a complete file waiting under a temporary name.
type pendingFile struct {
	tmp, name string
	written
}

// written is what was written to one file.
type written struct {
	size   int64
	sha256 string
}

func newOutput(dir string) (*output, error) {
	area, err := scratch.New(dir, ".wsgipack-")
	if err != nil {
		return nil, fmt.Errorf("cannot write to the output directory: %w", err)
	}
	return &output{dir: dir, area: area}, nil
}

// add writes the file called name through write into a temporary file.
// write gets the file itself: packagers fill in sizes and digests by
// seeking back once the payload is written, so the SHA-256 is computed by
// reading the file back (while fsync runs).
func (o *output) add(name string, write func(*os.File) error) (written, error) {
	tmp, err := os.OpenFile(o.area.Path(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return written{}, fmt.Errorf("cannot write to the output directory: %w", err)
	}
	pf := pendingFile{tmp: tmp.Name(), name: name}
	o.pending = append(o.pending, pf) // removed by discard if anything fails
	if pf.written, err = finish(tmp, write); err != nil {
		return written{}, err
	}
	o.pending[len(o.pending)-1] = pf
	return pf.written, nil
}

// finish writes f through write, syncs it and closes it.
func finish(f *os.File, write func(*os.File) error) (written, error) {
	defer f.Close()
	if err := write(f); err != nil {
		return written{}, err
	}
	synced := make(chan error, 1)
	go func() { synced <- f.Sync() }()
	h := sha256.New()
	size, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, 1<<62), make([]byte, 1<<20))
	if serr := <-synced; err == nil {
		err = serr
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return written{}, err
	}
	return written{size, hex.EncodeToString(h.Sum(nil))}, nil
}

// maxSums bounds the SHA256SUMS read back: 160,000 lines of 100 bytes.
const maxSums = 16 << 20

// commit writes the updated SHA256SUMS (sha256sum's format: lines of the
// packages written are replaced or added, lines of files no longer in the
// directory are dropped) to a temporary file, then renames every package
// and the sums into place.
func (o *output) commit() error {
	sums := map[string]string{}
	data, err := inputfile.Read(filepath.Join(o.dir, "SHA256SUMS"), maxSums)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot update the output directory's SHA256SUMS: %w (remove it, or pass another --out)", err)
	}
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			sum, name, ok := strings.Cut(line, "  ")
			if !ok || name != filepath.Base(name) || name == ".." {
				continue // not a file of this directory
			}
			if _, err := os.Stat(filepath.Join(o.dir, name)); err == nil {
				sums[name] = sum
			}
		}
	}
	for _, pf := range o.pending {
		sums[pf.name] = pf.sha256
	}
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	if _, err := o.add("SHA256SUMS", func(w *os.File) error {
		for _, n := range names {
			if _, err := fmt.Fprintf(w, "%s  %s\n", sums[n], n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for i, pf := range o.pending {
		if err := os.Rename(pf.tmp, filepath.Join(o.dir, pf.name)); err != nil {
			o.pending = o.pending[i:]
			return err
		}
	}
	o.pending = nil
	return nil
}

// discard removes the temporary files not committed and the lock of the
// scratch area.
func (o *output) discard() {
	for _, pf := range o.pending {
		os.Remove(pf.tmp)
	}
	o.pending = nil
	o.area.Release()
}
