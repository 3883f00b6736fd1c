package rpm

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

func testPackage(t *testing.T, compression string) *rpmFile {
	t.Helper()
	dir := t.TempDir()
	big := append(bytes.Repeat([]byte("0123456789abcdef"), 70000), 'x') // 1.1 MB, odd size
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &rpmFile{
		Name: "demo", Version: "1.0", Release: "1.el9", Epoch: 2,
		Summary: "Demo package", Description: "A package to test rpmwriter.",
		License: "MIT", Group: "Applications/Internet", URL: "https://example.com/",
		Packager: "Ops <ops@example.com>", BuildHost: "wsgipack", Arch: "noarch",
		BuildTime: time.Unix(1700000000, 0),
		Requires:  []relation{{Name: "python3.11"}, {Name: "libpq", Op: ">=", Version: "13"}},
		Scripts:   scriptlets{Pre: "echo pre\n", Post: "echo post\n", PreUn: "echo preun\n", PostUn: "echo postun\n"},
		Changelog: []change{{Time: time.Unix(1700000000, 0), Author: "Ops <ops@example.com> - 1.0-1.el9", Text: "- First."}},
		Entries: []archive.Entry{
			{Path: "/opt/demo/big.bin", Kind: archive.File, Mode: 0o644, Size: int64(len(big)), Source: filepath.Join(dir, "big")},
			{Path: "/opt/demo", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/demo/bin", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/demo/bin/tool", Kind: archive.File, Mode: 0o755, Size: 18, Source: filepath.Join(dir, "tool")},
			{Path: "/opt/demo/bin/link", Kind: archive.Symlink, Mode: 0o777, Link: "tool"},
			{Path: "/opt/demo/empty", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/demo/odd.txt", Kind: archive.File, Mode: 0o644, Size: 3, Data: []byte("odd")},
			{Path: "/etc/demo", Kind: archive.Dir, Mode: 0o755},
			{Path: "/etc/demo/demo.conf", Kind: archive.File, Mode: 0o640, Size: 6, Data: []byte("a = 1\n"), Config: true},
			{Path: "/usr/share/doc/demo/copyright", Kind: archive.File, Mode: 0o644, Size: 4, Data: []byte("MIT\n"), Doc: true},
		},
		Compression: compression,
	}
}

func write(t *testing.T, p *rpmFile) (string, []byte) {
	t.Helper()
	return testtool.Output(t, "demo.rpm", func(w io.WriteSeeker) error { return writeRPM(w, p) })
}

func TestWriteReadByRPM(t *testing.T) {
	need(t, "rpm", "rpmlint")
	for _, c := range []string{"zstd:fastest", "gzip:6"} {
		t.Run(c, func(t *testing.T) {
			rpm, data := write(t, testPackage(t, c))
			_, again := write(t, testPackage(t, c))
			if !bytes.Equal(data, again) {
				t.Error("two writes of the same package differ")
			}
			k := run(t, "rpm", "-K", "-v", rpm)
			for _, w := range []string{"Header SHA256 digest: OK", "Header SHA1 digest: OK", "Payload SHA256 digest: OK"} {
				if !strings.Contains(k, w) {
					t.Errorf("rpm -K lacks %q:\n%s", w, k)
				}
			}
			q := run(t, "rpm", "-qp", "--info", "--requires", "--provides", "--scripts", "--changelog", rpm)
			for _, w := range []string{"Name        : demo", "Epoch       : 2", "Version     : 1.0", "Release     : 1.el9",
				"Size        : 1120036", "Group       : Applications/Internet", "Build Host  : wsgipack",
				"Summary     : Demo package", "A package to test rpmwriter.", "python3.11\n", "libpq >= 13\n",
				"demo = 2:1.0-1.el9", "preinstall scriptlet (using /bin/sh):\necho pre",
				"postuninstall scriptlet (using /bin/sh):\necho postun", "- First."} {
				if !strings.Contains(q, w) {
					t.Errorf("rpm -qp lacks %q:\n%s", w, q)
				}
			}
			if got := run(t, "rpm", "-qp", "--configfiles", rpm); got != "/etc/demo/demo.conf\n" {
				t.Errorf("config files = %q", got)
			}
			if got := run(t, "rpm", "-qp", "--docfiles", rpm); got != "/usr/share/doc/demo/copyright\n" {
				t.Errorf("doc files = %q", got)
			}
			dump := run(t, "rpm", "-qp", "--dump", rpm)
			for _, w := range []string{
				"/etc/demo/demo.conf 6 1700000000 ",
				" 0100640 root root 1 0 0 X\n",
				"/opt/demo/bin/link 4 1700000000 0000000000000000000000000000000000000000000000000000000000000000 0120777 root root 0 0 0 tool\n",
				"/opt/demo/empty 4096 1700000000 0000000000000000000000000000000000000000000000000000000000000000 040755 root root 0 0 0 X\n",
			} {
				if !strings.Contains(dump, w) {
					t.Errorf("rpm --dump lacks %q:\n%s", w, dump)
				}
			}
			if strings.Contains(dump, "/etc ") || strings.Contains(dump, "/usr/share/doc/demo ") {
				t.Errorf("the package owns directories it was not given:\n%s", dump)
			}
			out, _ := exec.Command("rpmlint", "-c", filepath.Join("..", "..", "specs", "rpmlint.toml"), rpm).CombinedOutput()
			if !regexp.MustCompile(`\b0 errors\b`).Match(out) {
				t.Errorf("rpmlint found errors:\n%s", out)
			}
			if os.Geteuid() != 0 {
				t.Skip("installing with rpm --root needs root")
			}
			root := t.TempDir()
			run(t, "rpm", "--root", root, "--dbpath", "/rpmdb", "-i", "--nodeps", "--noscripts", rpm)
			run(t, "rpm", "--root", root, "--dbpath", "/rpmdb", "-V", "--nodeps", "--noscripts", "demo")
			if got, _ := os.ReadFile(filepath.Join(root, "opt/demo/odd.txt")); string(got) != "odd" {
				t.Errorf("installed odd.txt = %q", got)
			}
			if fi, err := os.Stat(filepath.Join(root, "opt/demo/big.bin")); err != nil || fi.Size() != 1120001 {
				t.Errorf("installed big.bin: %v %v", fi, err)
			}
			if l, err := os.Readlink(filepath.Join(root, "opt/demo/bin/link")); err != nil || l != "tool" {
				t.Errorf("installed link -> %q, %v", l, err)
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	for name, change := range map[string]func(p *rpmFile){
		"changed file":  func(p *rpmFile) { p.Entries[0].Size-- },
		"duplicate":     func(p *rpmFile) { p.Entries = append(p.Entries, p.Entries[1]) },
		"relative path": func(p *rpmFile) { p.Entries[1].Path = "opt/demo" },
		"bad relation":  func(p *rpmFile) { p.Requires = append(p.Requires, relation{Name: "x", Op: "~", Version: "1"}) },
		"compression":   func(p *rpmFile) { p.Compression = "lz4" },
		"newline":       func(p *rpmFile) { p.Entries[4].Path = "/opt/demo/bin/li\nnk" },
		// rpm's header and cpio hold 32-bit seconds: refused, not wrapped.
		"build time past 2106":   func(p *rpmFile) { p.BuildTime = time.Unix(1<<32, 0) },
		"build time before 1970": func(p *rpmFile) { p.BuildTime = time.Unix(-1, 0) },
		"changelog past 2106":    func(p *rpmFile) { p.Changelog[0].Time = time.Unix(1<<40, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			p := testPackage(t, "zstd")
			change(p)
			f, err := os.Create(filepath.Join(t.TempDir(), "x.rpm"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := writeRPM(f, p); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestGhostConfig: a %ghost %config(noreplace) file is in the header (flags,
// mode, group; no size, digest or payload entry), rpm does not create it,
// rpm -V accepts whatever content the server gives it, and it survives both
// the erase of an older package that shipped it (the upgrade) and the
// erase of the package itself, where a file the package does not own is
// removed or moved to .rpmsave.
func TestGhostConfig(t *testing.T) {
	need(t, "rpm")
	ghost := archive.Entry{Path: "/etc/demo/environment", Kind: archive.File, Mode: 0o640, Config: true, Ghost: true}
	pkg := func(version string, env archive.Entry) string {
		p := testPackage(t, "zstd")
		p.Version = version
		p.Entries = append(p.Entries, env)
		file, _ := write(t, p)
		dst := filepath.Join(t.TempDir(), "demo-"+version+".rpm")
		if err := os.Rename(file, dst); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	shipped := pkg("1.0", archive.Entry{Path: "/etc/demo/environment", Kind: archive.File, Mode: 0o640, Size: 4, Data: []byte("A=1\n"), Config: true})
	owned := pkg("2.0", ghost)
	if k := run(t, "rpm", "-K", owned); !strings.Contains(k, "digests OK") {
		t.Errorf("rpm -K: %s", k)
	}
	q := run(t, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILESIZES} %{FILEVERIFYFLAGS}\n]", owned)
	if !strings.Contains(q, "/etc/demo/environment cng -rw-r----- 0 4294967256\n") {
		t.Errorf("the ghost's header entry (rpmbuild's: flags cng, no size, verify neither digest, size, link nor mtime):\n%s", q)
	}
	if got := run(t, "rpm", "-qp", "--configfiles", owned); got != "/etc/demo/demo.conf\n/etc/demo/environment\n" {
		t.Errorf("config files = %q", got)
	}
	if os.Geteuid() != 0 {
		t.Skip("installing with rpm --root needs root")
	}
	rpmIn := func(root string, args ...string) string {
		t.Helper()
		return run(t, "rpm", append([]string{"--root", root, "--dbpath", "/rpmdb", "--nodeps", "--noscripts"}, args...)...)
	}
	env := func(root string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, "etc/demo/environment"))
		if err != nil {
			return "missing"
		}
		return string(b)
	}

	root := t.TempDir()
	rpmIn(root, "-i", owned)
	if got := env(root); got != "missing" {
		t.Errorf("rpm -i made the ghost: %q", got)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/demo/environment"), []byte("B=2\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if v := rpmIn(root, "-V", "demo"); v != "" {
		t.Errorf("rpm -V with the server's own content:\n%s", v)
	}
	rpmIn(root, "-e", "demo")
	if got := env(root); got != "B=2\n" {
		t.Errorf("after rpm -e the ghost config is %q, want it kept", got)
	}

	// Without the ghost, erasing the older package at the end of the
	// upgrade takes the file: removed, or moved to .rpmsave once edited.
	unowned := pkg("3.0", archive.Entry{Path: "/etc/demo/other", Kind: archive.File, Mode: 0o640, Size: 2, Data: []byte("x\n")})
	for _, edited := range []bool{false, true} {
		root := t.TempDir()
		rpmIn(root, "-i", shipped)
		if edited {
			if err := os.WriteFile(filepath.Join(root, "etc/demo/environment"), []byte("A=2\n"), 0o640); err != nil {
				t.Fatal(err)
			}
		}
		rpmIn(root, "-U", unowned)
		_, saved := os.Stat(filepath.Join(root, "etc/demo/environment.rpmsave"))
		if got := env(root); got != "missing" || (saved == nil) != edited {
			t.Errorf("edited %v, upgrade to a package without it: the file is %q, .rpmsave %v", edited, got, saved == nil)
		}
	}

	for _, edited := range []bool{false, true} {
		root := t.TempDir()
		rpmIn(root, "-i", shipped)
		want := "A=1\n"
		if edited {
			want = "A=1\nADMIN=1\n"
			if err := os.WriteFile(filepath.Join(root, "etc/demo/environment"), []byte(want), 0o640); err != nil {
				t.Fatal(err)
			}
		}
		rpmIn(root, "-U", owned)
		if got := env(root); got != want {
			t.Errorf("edited %v: after the upgrade to the ghost the file is %q, want %q", edited, got, want)
		}
		if _, err := os.Stat(filepath.Join(root, "etc/demo/environment.rpmsave")); err == nil {
			t.Errorf("edited %v: the upgrade saved an .rpmsave", edited)
		}
	}
}
