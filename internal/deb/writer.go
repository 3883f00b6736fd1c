package deb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5" //nolint:gosec // md5sums is dpkg's format
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/compression"
	"github.com/wsgipack/wsgipack/internal/inputfile"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/readahead"
)

// maintainerScripts are the maintainer scripts; empty ones are left out.
type maintainerScripts struct {
	Preinst, Postinst, Prerm, Postrm string
}

// debFile is everything a .deb holds.
type debFile struct {
	// Control is the text of the control file, ending in a newline.
	Control []byte
	Scripts maintainerScripts
	// Entries are the files, directories and symlinks, in any order.
	// Parent directories that are not listed are added (mode 0755).
	Entries []archive.Entry
	// Compression of the data member, e.g. "zstd:fastest" or "gzip:6".
	Compression string
	// MTime is stamped on every member and entry.
	MTime time.Time
}

// installedSize is the Installed-Size of the control file, in KiB: the
// sum of the file sizes, rounded up.
func installedSize(entries []archive.Entry) int64 {
	var n int64
	for _, e := range entries {
		if e.Kind == archive.File && !e.Ghost {
			n += e.Size
		}
	}
	return (n + 1023) / 1024
}

// writeDeb writes the package to w, which must be at its start position.
func writeDeb(w io.WriteSeeker, p *debFile) error {
	if !bytes.HasSuffix(p.Control, []byte("\n")) {
		return errors.New("the control file must end in a newline")
	}
	if err := packager.CheckTime(p.MTime, "the time stamp"); err != nil {
		return err
	}
	entries, err := complete(p.Entries)
	if err != nil {
		return err
	}
	dataName := "data.tar"
	switch compression.Algorithm(p.Compression) {
	case "zstd":
		dataName += ".zst"
	case "gzip":
		dataName += ".gz"
	}
	// The control member comes first and holds the md5sums: they are
	// computed first, reading the files in parallel.
	md5sums, err := sums(entries)
	if err != nil {
		return err
	}
	control, err := controlMember(p, entries, md5sums)
	if err != nil {
		return err
	}

	if _, err := io.WriteString(w, "!<arch>\n"); err != nil {
		return err
	}
	if err := arMember(w, "debian-binary", p.MTime, 4, []byte("2.0\n")); err != nil {
		return err
	}
	if err := arMember(w, "control.tar.gz", p.MTime, int64(len(control)), control); err != nil {
		return err
	}
	// The data member's header, with its size once known.
	dataAt, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if err := arHeader(w, dataName, p.MTime, 0); err != nil {
		return err
	}
	cw := &archive.Counter{W: w}
	zw, err := compression.New(p.Compression, cw)
	if err != nil {
		return err
	}
	err = writeData(zw, entries, p.MTime)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if cw.N%2 == 1 {
		if _, err := w.Write([]byte{'\n'}); err != nil {
			return err
		}
	}
	end, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := w.Seek(dataAt, io.SeekStart); err != nil {
		return err
	}
	if err := arHeader(w, dataName, p.MTime, cw.N); err != nil {
		return err
	}
	_, err = w.Seek(end, io.SeekStart)
	return err
}

// arHeader writes the header of one member of a common ar archive (as
// dpkg-deb does: no symbol table, names of at most 16 bytes, uid and gid 0,
// mode 0644).
func arHeader(w io.Writer, name string, mtime time.Time, size int64) error {
	if len(name) > 16 {
		return fmt.Errorf("ar member name %q is longer than 16 bytes", name)
	}
	hdr := fmt.Sprintf("%-16s%-12d%-6d%-6d%-8o%-10d`\n", name, mtime.Unix(), 0, 0, 0o100644, size)
	if len(hdr) != 60 {
		return fmt.Errorf("ar header of %s does not fit", name)
	}
	_, err := io.WriteString(w, hdr)
	return err
}

// arMember writes a member held in memory, padded to an even length.
func arMember(w io.Writer, name string, mtime time.Time, size int64, data []byte) error {
	if err := arHeader(w, name, mtime, size); err != nil {
		return err
	}
	if len(data)%2 == 1 {
		data = append(data[:len(data):len(data)], '\n')
	}
	_, err := w.Write(data)
	return err
}

// tarName is the name of an entry in the data member: "./etc/x" for files
// and symlinks, "./etc/" for directories. Sorting by it puts every
// directory before its contents.
func tarName(e *archive.Entry) string {
	if e.Kind == archive.Dir {
		return "." + strings.TrimSuffix(e.Path, "/") + "/"
	}
	return "." + e.Path
}

// complete checks the entries, adds missing parent directories and sorts
// them by tar name.
func complete(in []archive.Entry) ([]*archive.Entry, error) {
	byPath := make(map[string]*archive.Entry, len(in))
	out := make([]*archive.Entry, 0, len(in)+8)
	for i := range in {
		e := &in[i]
		if e.Ghost {
			continue // rpm only: dpkg has no owned-but-not-shipped file
		}
		if !path.IsAbs(e.Path) || path.Clean(e.Path) != e.Path || e.Path == "/" {
			return nil, fmt.Errorf("entry path %q is not a clean absolute path", e.Path)
		}
		if strings.ContainsFunc(e.Path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			// md5sums and conffiles hold one path per line.
			return nil, fmt.Errorf("entry path %q holds a control character, which dpkg's md5sums cannot list", e.Path)
		}
		if _, dup := byPath[e.Path]; dup {
			return nil, fmt.Errorf("%s is in the package twice", e.Path)
		}
		byPath[e.Path] = e
		out = append(out, e)
	}
	for _, e := range out {
		for dir := path.Dir(e.Path); dir != "/"; dir = path.Dir(dir) {
			if p, ok := byPath[dir]; ok {
				if p.Kind != archive.Dir {
					return nil, fmt.Errorf("%s is not a directory but %s is inside it", dir, e.Path)
				}
				break
			}
			d := &archive.Entry{Path: dir, Kind: archive.Dir, Mode: 0o755}
			byPath[dir] = d
			out = append(out, d)
		}
	}
	names := make(map[*archive.Entry]string, len(out))
	for _, e := range out {
		names[e] = tarName(e)
	}
	sort.Slice(out, func(i, j int) bool { return names[out[i]] < names[out[j]] })
	return out, nil
}

// writeData writes the data tar to w.
func writeData(w io.Writer, entries []*archive.Entry, mtime time.Time) error {
	tw := tar.NewWriter(w)
	ra := readahead.New(sources(entries))
	defer ra.Close()
	for _, e := range entries {
		hdr := &tar.Header{
			Name: tarName(e), Mode: int64(e.Mode.Perm()), ModTime: mtime,
			Uname: "root", Gname: "root", Format: tar.FormatGNU,
		}
		switch e.Kind {
		case archive.Dir:
			hdr.Typeflag = tar.TypeDir
		case archive.Symlink:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.Link
		case archive.File:
			hdr.Typeflag, hdr.Size = tar.TypeReg, e.Size
		default:
			return fmt.Errorf("%s: unknown entry kind %d", e.Path, e.Kind)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
		if e.Kind == archive.File {
			if err := e.WriteContent(tw, ra); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// sources are the files to read, in order.
func sources(entries []*archive.Entry) []readahead.File {
	var out []readahead.File
	for _, e := range entries {
		if e.Kind == archive.File && e.Source != "" {
			out = append(out, readahead.File{Path: e.Source, Size: e.Size})
		}
	}
	return out
}

// sums returns the md5sums file of the entries. The MD5s not given are
// computed, reading the files with one goroutine per CPU.
func sums(entries []*archive.Entry) ([]byte, error) {
	var files []*archive.Entry
	for _, e := range entries {
		if e.Kind == archive.File {
			files = append(files, e)
		}
	}
	digests := make([][md5.Size]byte, len(files))
	errs := make([]error, len(files))
	var todo []int
	for i, e := range files {
		if len(e.MD5) == md5.Size {
			copy(digests[i][:], e.MD5)
		} else {
			todo = append(todo, i)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := md5.New() //nolint:gosec
			buf := make([]byte, 256<<10)
			for i := range next {
				h.Reset()
				if errs[i] = copyContent(h, files[i], buf); errs[i] == nil {
					h.Sum(digests[i][:0])
				}
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	var out bytes.Buffer
	for i, e := range files {
		if errs[i] != nil {
			return nil, errs[i]
		}
		fmt.Fprintf(&out, "%x  %s\n", digests[i], e.Path[1:])
	}
	return out.Bytes(), nil
}

// copyContent copies exactly e.Size bytes of the entry's content to w.
func copyContent(w io.Writer, e *archive.Entry, buf []byte) error {
	if e.Source == "" {
		return e.WriteData(w)
	}
	f, err := inputfile.Open(e.Source)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.CopyBuffer(w, io.LimitReader(f, e.Size), buf)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Source, err)
	}
	if k, _ := f.Read(buf[:1]); n != e.Size || k > 0 {
		return fmt.Errorf("%s changed during the build: it is no longer %d bytes", e.Source, e.Size)
	}
	return nil
}

// controlMember returns control.tar.gz.
func controlMember(p *debFile, entries []*archive.Entry, md5sums []byte) ([]byte, error) {
	var conffiles bytes.Buffer
	for _, e := range entries {
		if e.Config {
			if e.Kind != archive.File {
				return nil, fmt.Errorf("conffile %s is not a file", e.Path)
			}
			conffiles.WriteString(e.Path + "\n")
		}
	}
	type member struct {
		name string
		mode int64
		data []byte
	}
	members := []member{{"control", 0o644, p.Control}, {"md5sums", 0o644, md5sums}}
	if conffiles.Len() > 0 {
		members = append(members, member{"conffiles", 0o644, conffiles.Bytes()})
	}
	for _, s := range []struct{ name, text string }{
		{"preinst", p.Scripts.Preinst}, {"postinst", p.Scripts.Postinst},
		{"prerm", p.Scripts.Prerm}, {"postrm", p.Scripts.Postrm},
	} {
		if s.text != "" {
			members = append(members, member{s.name, 0o755, []byte(s.text)})
		}
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression) // no name, no time
	tw := tar.NewWriter(zw)
	for _, m := range members {
		hdr := &tar.Header{Name: "./" + m.name, Mode: m.mode, Size: int64(len(m.data)), ModTime: p.MTime,
			Typeflag: tar.TypeReg, Uname: "root", Gname: "root", Format: tar.FormatGNU}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
