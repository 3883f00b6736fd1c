package payload

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/inputfile"
	"github.com/wsgipack/wsgipack/internal/native"
)

// needles are the strings no file of the payload may contain.
type needles struct {
	build []string // the venv's and the project's paths
	// base are the prefixes of CI's base interpreter (pyenv, a hosted
	// toolcache). In native code they are leaks too, but for the run path,
	// which is warned about on its own.
	base []string
}

func (n needles) all() []string { return append(slices.Clone(n.build), n.base...) }

// leak is one file of the payload that names a build path.
type leak struct {
	entry  *archive.Entry
	needle string // the most specific needle found
	base   bool   // needle is a base interpreter's prefix
	elf    bool
}

// scan reads every file of the payload once: it parses the ELF files,
// finds the files that still contain one of the needles and, when withMD5
// is set, records each file's MD5. Any such file fails the build: a
// shipped path of the build machine is at best a leak and at worst a file
// that breaks on the server.
func scan(ctx context.Context, entries []archive.Entry, nd needles, withMD5 bool) ([]*native.Binary, error) {
	var files []*archive.Entry
	for i := range entries {
		if entries[i].Kind == archive.File {
			files = append(files, &entries[i])
		}
	}
	type result struct {
		bin  *native.Binary
		leak *leak
		err  error
	}
	results := make([]result, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	all := nd.all()
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			var h hash.Hash
			if withMD5 {
				h = md5.New() //nolint:gosec // dpkg's md5sums
			}
			for i := range next {
				bin, found, err := scanFile(files[i], all, buf, h)
				var lk *leak
				if err == nil {
					lk, err = confirm(files[i], bin != nil, found, nd.base)
				}
				results[i] = result{bin, lk, err}
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}

	var bins []*native.Binary
	var leaks []*leak
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
		if r.bin != nil {
			bins = append(bins, r.bin)
		}
		if r.leak != nil {
			leaks = append(leaks, r.leak)
		}
	}
	if len(leaks) > 0 {
		errs = append(errs, leakError(leaks))
	}
	return bins, errors.Join(errs...)
}

// confirm turns the needles found in e into a leak, or nil: a base
// interpreter's prefix found in native code counts only outside its run
// path. The leak names the longest needle (the venv's path rather than
// the project's that holds it).
func confirm(e *archive.Entry, isELF bool, found, base []string) (*leak, error) {
	var out *leak
	for _, n := range found {
		isBase := slices.Contains(base, n)
		if isBase && isELF {
			r, closeFn, err := open(e)
			if err != nil {
				return nil, err
			}
			mentions, err := native.MentionsOutsideRunPath(r, n)
			closeFn()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.Origin, err)
			}
			if !mentions {
				continue
			}
		}
		if out == nil || len(n) > len(out.needle) {
			out = &leak{entry: e, needle: n, base: isBase, elf: isELF}
		}
	}
	return out, nil
}

// content is what scanFile reads: the file of e.Source, or e.Data.
type content interface {
	io.Reader
	io.ReaderAt
}

// open opens e's content: its Source file (refused unless a regular file:
// inputfile.Open) or its Data.
func open(e *archive.Entry) (content, func(), error) {
	if e.Source == "" {
		return bytes.NewReader(e.Data), func() {}, nil
	}
	file, err := inputfile.Open(e.Source)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", e.Origin, err)
	}
	return file, func() { file.Close() }, nil
}

// scanFile streams one file (from its Source, or its Data) through buf,
// searching for the needles across chunk boundaries, and through h when not
// nil, setting e.MD5. It returns the needles found, in needles' order.
func scanFile(e *archive.Entry, needles []string, buf []byte, h hash.Hash) (*native.Binary, []string, error) {
	f, closeFn, err := open(e)
	if err != nil {
		return nil, nil, err
	}
	defer closeFn()
	overlap := 0
	for _, n := range needles {
		overlap = max(overlap, len(n)-1)
	}
	var bin *native.Binary
	found := make([]bool, len(needles))
	nfound := 0
	carry := 0
	first := true
	if h != nil {
		h.Reset()
	}
	var size int64
	// A file that grows while the build reads it (a log being written) is
	// read no further than one byte past its size, and refused.
	stream := io.LimitReader(f, e.Size+1)
	for {
		n, err := io.ReadFull(stream, buf[carry:])
		chunk := buf[:carry+n]
		if h != nil {
			h.Write(chunk[carry:])
		}
		size += int64(n)
		if first {
			first = false
			if native.IsELF(chunk) {
				b, perr := native.Read(f, e.Path, e.Origin)
				if perr != nil {
					return nil, nil, perr
				}
				bin = b
			}
		}
		for i, nd := range needles {
			if !found[i] && bytes.Contains(chunk, []byte(nd)) {
				found[i] = true
				nfound++
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if size != e.Size {
				return nil, nil, fmt.Errorf("%s changed during the build: it is no longer %d bytes", e.Origin, e.Size)
			}
			if h != nil {
				e.MD5 = h.Sum(nil)
			}
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", e.Origin, err)
		}
		if nfound == len(needles) {
			break // the build fails: no need for the rest
		}
		carry = min(overlap, len(chunk))
		copy(buf, chunk[len(chunk)-carry:])
	}
	var out []string
	for i, ok := range found {
		if ok {
			out = append(out, needles[i])
		}
	}
	return bin, out, nil
}

func leakError(leaks []*leak) error {
	sort.Slice(leaks, func(i, j int) bool { return leaks[i].entry.Path < leaks[j].entry.Path })
	var b strings.Builder
	fmt.Fprintf(&b, "%d file(s) of the package still contain a build path; servers must not see it:", len(leaks))
	for i, l := range leaks {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(leaks)-20)
			break
		}
		what, hint := l.needle, "exclude the file or make it path-free"
		switch {
		case l.base && l.elf:
			what += " (the installation of CI's Python, from pyvenv.cfg)"
			hint = "native code compiled against CI's Python, with its include directory in debug info or assertion strings: build it with CFLAGS='-g0' (or -ffile-prefix-map=" + l.needle + "=/usr) or strip it in CI"
		case l.base:
			what += " (the installation of CI's Python, from pyvenv.cfg)"
			hint = "servers do not have that Python: exclude the file or make it path-free"
		case l.elf:
			hint = "native code with the path in debug info or RPATH: build it with CFLAGS='-g0' (or -ffile-prefix-map=" + l.needle + "=.) or strip it in CI"
		}
		fmt.Fprintf(&b, "\n  %s (%s) contains %s: %s", l.entry.Origin, l.entry.Path, what, hint)
	}
	return errors.New(b.String())
}
