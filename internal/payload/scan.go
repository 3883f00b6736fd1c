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
	"sort"
	"strings"
	"sync"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/inputfile"
	"github.com/wsgipack/wsgipack/internal/native"
)

// leak is one file of the payload that names a build path.
type leak struct {
	entry  *archive.Entry
	needle string
	elf    bool
}

// scan reads every file of the payload once: it parses the ELF files,
// finds the files that still contain one of needles and, when withMD5 is
// set, records each file's MD5. Any such file fails the
// build: a shipped path of the build machine is at best a leak and at worst a
// file that breaks on the server.
func scan(ctx context.Context, entries []archive.Entry, needles []string, withMD5 bool) ([]*native.Binary, error) {
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
				bin, lk, err := scanFile(files[i], needles, buf, h)
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

// content is what scanFile reads: the file of e.Source, or e.Data.
type content interface {
	io.Reader
	io.ReaderAt
}

// scanFile streams one file (from its Source, or its Data) through buf,
// searching for the needles across chunk boundaries, and through h when not
// nil, setting e.MD5.
func scanFile(e *archive.Entry, needles []string, buf []byte, h hash.Hash) (*native.Binary, *leak, error) {
	var f content = bytes.NewReader(e.Data)
	if e.Source != "" {
		file, err := inputfile.Open(e.Source)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", e.Origin, err)
		}
		defer file.Close()
		f = file
	}
	overlap := 0
	for _, n := range needles {
		overlap = max(overlap, len(n)-1)
	}
	var bin *native.Binary
	var found *leak
	carry := 0
	first := true
	if h != nil {
		h.Reset()
	}
	var size int64
	for {
		n, err := io.ReadFull(f, buf[carry:])
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
		if found == nil {
			for _, nd := range needles {
				if bytes.Contains(chunk, []byte(nd)) {
					found = &leak{entry: e, needle: nd, elf: bin != nil}
					break
				}
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if h != nil && size == e.Size {
				e.MD5 = h.Sum(nil)
			}
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", e.Origin, err)
		}
		if found != nil {
			break
		}
		carry = min(overlap, len(chunk))
		copy(buf, chunk[len(chunk)-carry:])
	}
	return bin, found, nil
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
		hint := "exclude the file or make it path-free"
		if l.elf {
			hint = "native code with the path in debug info or RPATH: build it with CFLAGS='-g0' (or -ffile-prefix-map=" + l.needle + "=.) or strip it in CI"
		}
		fmt.Fprintf(&b, "\n  %s (%s) contains %s: %s", l.entry.Origin, l.entry.Path, l.needle, hint)
	}
	return errors.New(b.String())
}
