package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(p("small"), []byte("home = /usr/bin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("big"), make([]byte, 2000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"zero": "/dev/zero", "dangling": "missing", "tofifo": "fifo", "tosmall": "small"} {
		if err := os.Symlink(target, p(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(p("dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string // error text; empty: reads "home = /usr/bin\n"
	}{
		{"regular", p("small"), ""},
		{"symlink to a regular file", p("tosmall"), ""},
		{"over the limit", p("big"), "larger than 1 KiB"},
		{"fifo", p("fifo"), "is a named pipe (FIFO), not a regular file"},
		{"symlink to a fifo", p("tofifo"), "is a named pipe (FIFO), not a regular file"},
		{"symlink to /dev/zero", p("zero"), "is a character device, not a regular file"},
		{"device", "/dev/null", "/dev/null is a character device, not a regular file"},
		{"directory", p("dir"), "is a directory, not a regular file"},
		{"dangling symlink", p("dangling"), "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() { data, err = Read(tt.path, 1024); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Read blocked")
			}
			if tt.want == "" {
				if err != nil || string(data) != "home = /usr/bin\n" {
					t.Fatalf("Read = %q, %v", data, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("Read error = %v; want one naming %s and saying %q", err, tt.path, tt.want)
			}
			if tt.name == "over the limit" && !errors.Is(err, ErrTooLarge) {
				t.Error("not ErrTooLarge")
			}
		})
	}
}
