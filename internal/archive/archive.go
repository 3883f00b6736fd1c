// Package archive holds what both package writers (internal/deb,
// internal/rpm) take as a package's contents: files, directories and
// symlinks with their install paths, modes and where their bytes come from.
package archive

import (
	"fmt"
	"io"
	"io/fs"

	"github.com/wsgipack/wsgipack/internal/readahead"
)

// Kind is the type of an entry.
type Kind int

// The kinds of entries.
const (
	File Kind = iota
	Dir
	Symlink
)

// Entry is one file, directory or symlink a package owns.
type Entry struct {
	Path   string      // absolute path once installed
	Kind   Kind        // file, directory or symlink
	Mode   fs.FileMode // permission bits
	Size   int64       // files: size in bytes; the file must still have it when read
	Source string      // files: where to read the content...
	Data   []byte      // ...or the content itself, when Source is empty
	Link   string      // symlinks: the target
	Config bool        // an admin-editable config file: deb conffile, rpm %config(noreplace)
	Doc    bool        // rpm %doc (a deb has no such mark)
	// Ghost is a file the package owns but does not ship (rpm %ghost): it
	// is in the rpm header, with its mode and group, and not in the
	// payload; the install scripts make it. With Config, rpm keeps it when
	// an older package that shipped it is erased by an upgrade, and on
	// erase (no .rpmsave). The deb writer leaves it out: dpkg has no such
	// thing. Size and content are unused.
	Ghost bool
	// MD5 of the content when the caller already read the file (wsgipack's
	// leak scan does); the deb writer trusts it (checking only the size)
	// and computes the missing ones. The rpm writer does not use it.
	MD5 []byte
	// Group is the owning group when it is not root: the app's group for
	// /etc/<name> and its config files, as the install scripts set them.
	// The rpm declares it (its %pre creates the group before the files are
	// unpacked), so that rpm -V finds nothing changed; a .deb owns
	// everything as root:root and its postinst changes the group.
	Group string
	// Origin names where the entry comes from (a path of the project or
	// the venv, "generated wsgi.tmpl"...), for messages.
	Origin string
}

// WriteContent writes a file entry's content: the next file of ra when the
// entry has a Source (ra reads the entries' sources in order), else Data.
func (e *Entry) WriteContent(w io.Writer, ra *readahead.Reader) error {
	if e.Source != "" {
		return ra.WriteNext(w)
	}
	return e.WriteData(w)
}

// WriteData writes Data, which must be Size bytes.
func (e *Entry) WriteData(w io.Writer) error {
	if int64(len(e.Data)) != e.Size {
		return fmt.Errorf("%s: %d bytes of data, size says %d", e.Path, len(e.Data), e.Size)
	}
	_, err := w.Write(e.Data)
	return err
}

// Counter is a writer that counts the bytes written through it to W.
type Counter struct {
	W io.Writer
	N int64
}

func (c *Counter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
