// Package scratch makes the temporary files and directories of one run so
// that a later run can remove them when the run that made them was killed
// before it could (SIGKILL, the OOM killer, a power cut): each run holds an
// flock on a lock file beside its entries for as long as it lives, the
// kernel drops the lock when the process dies however it dies, and New
// first sweeps the entries whose lock nobody holds.
package scratch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// grace is how old an unlocked lock file must be before Sweep takes it for
// a dead run's: a run creates its lock file and then locks it.
const grace = 10 * time.Second

// Area is one run's claim on names <prefix><id>... in a directory.
type Area struct {
	dir, prefix, id string
	lock            *os.File
}

// New sweeps dir of dead runs' entries named prefix..., then claims a
// new area there.
func New(dir, prefix string) (*Area, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	Sweep(dir, prefix)
	b := make([]byte, 8)
	rand.Read(b)
	a := &Area{dir: dir, prefix: prefix, id: hex.EncodeToString(b)}
	f, err := os.OpenFile(a.lockPath(), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(a.lockPath())
		return nil, err
	}
	a.lock = f
	return a, nil
}

// Path is the path of the area's entry called name: dir/<prefix><id>-name,
// or dir/<prefix><id> for an empty name.
func (a *Area) Path(name string) string {
	if name == "" {
		return filepath.Join(a.dir, a.prefix+a.id)
	}
	return filepath.Join(a.dir, a.prefix+a.id+"-"+name)
}

// Release removes the area's entries that remain and its lock.
func (a *Area) Release() {
	removeEntries(a.dir, a.prefix+a.id)
	os.Remove(a.lockPath())
	a.lock.Close()
}

func (a *Area) lockPath() string { return filepath.Join(a.dir, a.prefix+a.id+".lock") }

// Sweep removes the entries of runs that died without releasing their
// area: those beside a lock file that nobody holds and that is older than
// a few seconds. It reports nothing: a failure leaves the entry to the
// next run.
func Sweep(dir, prefix string) {
	locks, err := filepath.Glob(filepath.Join(dir, globEscape(prefix)+"*.lock"))
	if err != nil {
		return
	}
	for _, l := range locks {
		fi, err := os.Lstat(l)
		if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < grace {
			continue
		}
		f, err := os.OpenFile(l, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			removeEntries(dir, strings.TrimSuffix(filepath.Base(l), ".lock"))
			os.Remove(l)
		}
		f.Close()
	}
}

// removeEntries removes dir/base and dir/base-*.
func removeEntries(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, globEscape(base)+"-*"))
	for _, m := range append(matches, filepath.Join(dir, base)) {
		if err := os.RemoveAll(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			continue
		}
	}
}

// globEscape quotes the glob metacharacters of s.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
