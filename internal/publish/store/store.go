// Package store is where a repository's files live: a small interface
// (read a file, write a file atomically, remove one, lock the repository)
// that the apt and yum index logic writes through, and its implementation
// on a local directory. Other backends (an S3-compatible object store, a
// repository manager's API) implement the same interface.
package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Files are a repository's files, named by slash-separated paths relative
// to the repository's root: what the apt and yum index logic reads and
// writes through.
type Files interface {
	// ReadFile returns a file's content; an error wrapping fs.ErrNotExist
	// when there is none.
	ReadFile(name string) ([]byte, error)
	// WriteFile replaces a file atomically: a reader sees the old content
	// or the new, never a part, even if the writer is killed.
	WriteFile(name string, data []byte) error
	// Remove deletes a file; removing a missing file is not an error.
	Remove(name string) error
}

// Streamer is implemented by stores that write a file from a reader
// (atomically, as WriteFile), so that large files are not held in memory.
type Streamer interface {
	WriteFrom(name string, r io.Reader) error
}

// Store is a repository's Files and its lock.
type Store interface {
	Files
	// Lock waits until no other publisher holds the repository, then holds
	// it until the returned function is called.
	Lock() (unlock func() error, err error)
}

// Dir is a Store on a local directory. Its lock is flock(2) on
// Dir/.wsgipack.lock: it holds between processes on one machine and on
// local file systems; over NFS flock is emulated with fcntl locks on Linux
// (since 2.6.12) only when the server supports them, so do not share one
// repository directory between machines over NFS: publish from one place
// and sync the tree to the web server.
type Dir string

// lockFile is the lock's name inside the directory.
const lockFile = ".wsgipack.lock"

// path checks name and returns its path on disk.
func (d Dir) path(name string) (string, error) {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") || name == lockFile {
		return "", fmt.Errorf("store: %q is not a clean relative path in the repository", name)
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

// ReadFile reads name.
func (d Dir) ReadFile(name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// WriteFile writes data to a temporary file beside name, syncs it, renames
// it over name and syncs the directory, so that the new content survives
// a crash once WriteFile returns.
func (d Dir) WriteFile(name string, data []byte) error {
	return d.WriteFrom(name, bytes.NewReader(data))
}

// WriteFrom is WriteFile with the content streamed from r: packages are
// copied into the pool without being held in memory.
func (d Dir) WriteFrom(name string, r io.Reader) (err error) {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	return syncDir(dir)
}

// Remove deletes name.
func (d Dir) Remove(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Lock takes an exclusive flock on the directory's lock file, waiting for
// another publisher to finish.
func (d Dir) Lock() (func() error, error) {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(string(d), lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock %s: %w", f.Name(), err)
	}
	return func() error {
		defer f.Close()
		return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
