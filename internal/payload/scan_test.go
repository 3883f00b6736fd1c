package payload

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wsgipack/wsgipack/internal/archive"
)

// TestScanFileRefuses: a file that grew since it was listed is read no
// further than one byte past its size, and a file replaced by a FIFO is
// refused without blocking.
func TestScanFileRefuses(t *testing.T) {
	dir := t.TempDir()
	grown := filepath.Join(dir, "app.log")
	if err := os.WriteFile(grown, []byte("line 1\nline 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	for _, tt := range []struct {
		e    archive.Entry
		want string
	}{
		{archive.Entry{Path: "/opt/x/app.log", Kind: archive.File, Source: grown, Size: 7, Origin: "src/app.log"}, "src/app.log changed during the build: it is no longer 7 bytes"},
		{archive.Entry{Path: "/opt/x/pipe", Kind: archive.File, Source: fifo, Size: 0, Origin: "src/pipe"}, "cannot read src/pipe: " + fifo + " is a named pipe (FIFO), not a regular file"},
	} {
		_, _, err := scanFile(&tt.e, []string{"/ci/build"}, buf, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", tt.e.Origin, err, tt.want)
		}
	}
}
