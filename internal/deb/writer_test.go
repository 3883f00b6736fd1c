package deb

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

var (
	need = testtool.Need
	run  = testtool.Run
)

// testPackage returns a package with every kind of entry, an odd-sized
// file (ar pads members to even sizes) and a file larger than the read
// buffer and than several of libzstd's multi-threaded jobs (dpkg must read
// the whole single frame they make).
func testPackage(t *testing.T, compression string) *debFile {
	t.Helper()
	dir := t.TempDir()
	var big []byte
	for x := uint64(1); len(big) < 12<<20; { // 12 MB of varied, compressible text
		x = x*6364136223846793005 + 1442695040888963407
		big = fmt.Appendf(big, "%016x %d\n", x, x%1000)
	}
	big = append(big, 'x')
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	control := "debFile: demo\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Ops <ops@example.com>\n" +
		"Installed-Size: 1100\nDescription: demo\n test package\n"
	return &debFile{
		Control: []byte(control),
		Scripts: maintainerScripts{Postinst: "#!/bin/sh\nset -e\necho configured\n", Prerm: "#!/bin/sh\nexit 0\n"},
		Entries: []archive.Entry{
			{Path: "/opt/demo/big.bin", Kind: archive.File, Mode: 0o644, Size: int64(len(big)), Source: filepath.Join(dir, "big")},
			// An MD5 the caller computed (wsgipack's leak scan does).
			{Path: "/opt/demo/bin/tool", Kind: archive.File, Mode: 0o755, Size: 18, Source: filepath.Join(dir, "tool"), MD5: toolMD5[:]},
			{Path: "/opt/demo/bin/link", Kind: archive.Symlink, Mode: 0o777, Link: "tool"},
			{Path: "/opt/demo/empty", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/demo/odd.txt", Kind: archive.File, Mode: 0o644, Size: 3, Data: []byte("odd")},
			{Path: "/etc/demo/demo.conf", Kind: archive.File, Mode: 0o640, Size: 6, Data: []byte("a = 1\n"), Config: true},
		},
		Compression: compression,
		MTime:       time.Unix(1700000000, 0),
	}
}

var toolMD5 = md5.Sum([]byte("#!/bin/sh\necho hi\n"))

func write(t *testing.T, p *debFile) (string, []byte) {
	t.Helper()
	return testtool.Output(t, "demo.deb", func(w io.WriteSeeker) error { return writeDeb(w, p) })
}

func TestWriteReadByDpkg(t *testing.T) {
	need(t, "dpkg-deb", "md5sum")
	for _, c := range []string{"zstd:fastest", "gzip:6"} {
		t.Run(c, func(t *testing.T) {
			deb, data := write(t, testPackage(t, c))
			_, again := write(t, testPackage(t, c))
			if !bytes.Equal(data, again) {
				t.Error("two writes of the same package differ")
			}
			members := run(t, "ar", "t", deb)
			want := "debian-binary\ncontrol.tar.gz\ndata.tar." + map[string]string{"zstd:fastest": "zst", "gzip:6": "gz"}[c] + "\n"
			if members != want {
				t.Errorf("members:\n%s\nwant:\n%s", members, want)
			}
			info := run(t, "dpkg-deb", "--info", deb)
			for _, w := range []string{"debFile: demo", "Installed-Size: 1100", "conffiles", "postinst", "prerm"} {
				if !strings.Contains(info, w) {
					t.Errorf("dpkg-deb --info lacks %q:\n%s", w, info)
				}
			}
			ctrl := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -tvf -")
			modes := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(ctrl), "\n") {
				f := strings.Fields(l)
				modes[f[len(f)-1]] = f[0] + " " + f[1]
			}
			for name, mode := range map[string]string{"./control": "-rw-r--r-- root/root", "./md5sums": "-rw-r--r-- root/root",
				"./conffiles": "-rw-r--r-- root/root", "./postinst": "-rwxr-xr-x root/root", "./prerm": "-rwxr-xr-x root/root"} {
				if modes[name] != mode {
					t.Errorf("control member: %s is %q, want %q", name, modes[name], mode)
				}
			}
			if len(modes) != 5 {
				t.Errorf("control member:\n%s", ctrl)
			}
			if got := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xOf - ./conffiles"); got != "/etc/demo/demo.conf\n" {
				t.Errorf("conffiles = %q", got)
			}
			contents := run(t, "dpkg-deb", "--contents", deb)
			for _, w := range []string{
				"drwxr-xr-x root/root         0 2023-11-14 22:13 ./etc/\n",
				"-rw-r----- root/root         6 2023-11-14 22:13 ./etc/demo/demo.conf\n",
				"drwxr-xr-x root/root         0 2023-11-14 22:13 ./opt/demo/\n",
				"lrwxrwxrwx root/root         0 2023-11-14 22:13 ./opt/demo/bin/link -> tool\n",
				"-rwxr-xr-x root/root        18 2023-11-14 22:13 ./opt/demo/bin/tool\n",
				"drwxr-xr-x root/root         0 2023-11-14 22:13 ./opt/demo/empty/\n",
				"-rw-r--r-- root/root  12582927 2023-11-14 22:13 ./opt/demo/big.bin\n",
			} {
				if !strings.Contains(contents, w) {
					t.Errorf("contents lack %q:\n%s", w, contents)
				}
			}
			root := t.TempDir()
			run(t, "dpkg-deb", "-x", deb, root)
			run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xOf - ./md5sums > "+root+"/../md5sums")
			run(t, "sh", "-c", "cd "+root+" && md5sum --quiet -c ../md5sums")
			if got, _ := os.ReadFile(filepath.Join(root, "opt/demo/odd.txt")); string(got) != "odd" {
				t.Errorf("odd.txt = %q", got)
			}
		})
	}
}

func TestWriteRefusesChangedFile(t *testing.T) {
	p := testPackage(t, "zstd:fastest")
	p.Entries[1].Size++ // the file is now shorter than it was
	f, err := os.Create(filepath.Join(t.TempDir(), "x.deb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeDeb(f, p); err == nil || !strings.Contains(err.Error(), "changed during the build") {
		t.Errorf("err = %v", err)
	}
}

func TestWriteRefusesBadEntries(t *testing.T) {
	for name, entries := range map[string][]archive.Entry{
		"duplicate":    {{Path: "/a", Kind: archive.Dir}, {Path: "/a", Kind: archive.Dir}},
		"relative":     {{Path: "a", Kind: archive.Dir}},
		"file parent":  {{Path: "/a", Kind: archive.File, Data: []byte{}}, {Path: "/a/b", Kind: archive.Dir}},
		"unclean path": {{Path: "/a/../b", Kind: archive.Dir}},
		"newline":      {{Path: "/a\nb", Kind: archive.File, Data: []byte{}}},
		"carriage ret": {{Path: "/a\rb", Kind: archive.Dir}},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "x.deb"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p := &debFile{Control: []byte("debFile: x\n"), Entries: entries, Compression: "zstd", MTime: time.Unix(1700000000, 0)}
			if err := writeDeb(f, p); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestWriteRefusesTimes: ar and tar could hold a later time, but rpm's
// header and cpio cannot; a deb refuses the same range.
func TestWriteRefusesTimes(t *testing.T) {
	for _, sec := range []int64{-1, 1 << 32, 1<<62 + 5} {
		p := testPackage(t, "zstd:fastest")
		p.MTime = time.Unix(sec, 0)
		f, err := os.Create(filepath.Join(t.TempDir(), "x.deb"))
		if err != nil {
			t.Fatal(err)
		}
		err = writeDeb(f, p)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "outside what .deb and .rpm files can hold") {
			t.Errorf("time %d: %v", sec, err)
		}
	}
}

// TestGhostLeftOut: an rpm %ghost entry (owned, not shipped) is neither in
// the data member, nor in md5sums or conffiles, nor counted.
func TestGhostLeftOut(t *testing.T) {
	need(t, "dpkg-deb")
	p := testPackage(t, "gzip:6")
	plain, _ := write(t, p)
	p.Entries = append(p.Entries, archive.Entry{Path: "/etc/demo/environment", Kind: archive.File, Mode: 0o640, Size: 7, Data: []byte("ignored"), Config: true, Ghost: true},
		archive.Entry{Path: "/etc/ghostdir/secrets", Kind: archive.File, Mode: 0o640, Config: true, Ghost: true})
	deb, _ := write(t, p)
	want := run(t, "dpkg-deb", "--contents", plain)
	if got := run(t, "dpkg-deb", "--contents", deb); got != want {
		t.Errorf("contents with ghosts:\n%s\nwant:\n%s", got, want)
	}
	for _, member := range []string{"./conffiles", "./md5sums"} {
		if got := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xOf - "+member); strings.Contains(got, "environment") || strings.Contains(got, "ghostdir") {
			t.Errorf("%s names a ghost:\n%s", member, got)
		}
	}
}
