package apt

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// writeFiles writes files into st in order.
func writeFiles(t testing.TB, st store.Files, files []File) {
	t.Helper()
	for _, f := range files {
		if err := st.WriteFile(f.Name, f.Data); err != nil {
			t.Fatal(err)
		}
	}
}

// testRelease is the Release every test publishes with.
var testRelease = Release{
	Origin: "wsgipack-test", Label: "wsgipack test", Description: "wsgipack test repository",
	Date: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
}

// dpkgDeb builds a .deb with dpkg-deb from control and one file, and returns
// its path.
func dpkgDeb(t testing.TB, control string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	p := Package{}
	paras, err := parseParagraphs([]byte(control), "control")
	if err != nil {
		t.Fatal(err)
	}
	p.Fields = paras[0]
	for file, data := range map[string]string{
		"DEBIAN/control":                      control,
		"opt/" + p.Name() + "/version.txt":    p.Version() + "\n",
		"usr/share/doc/" + p.Name() + "/note": "test package\n",
	} {
		file = filepath.Join(root, file)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "pkg.deb")
	testtool.Run(t, "dpkg-deb", "--build", "--root-owner-group", root, out)
	return out
}

// tinyGzip is reused by tinyDeb: a new gzip writer costs more than the
// compression of a tiny tar.
var (
	tinyMu   sync.Mutex
	tinyGzip = gzip.NewWriter(nil)
)

// tinyDeb writes a minimal .deb (what dpkg-deb reads) with this control
// file to file: for pools of thousands of packages, faster than dpkg-deb.
func tinyDeb(t testing.TB, file, control string) {
	t.Helper()
	tinyMu.Lock()
	defer tinyMu.Unlock()
	tgz := func(entries map[string]string) []byte {
		var b bytes.Buffer
		zw := tinyGzip
		zw.Reset(&b)
		tw := tar.NewWriter(zw)
		names := []string{"./"}
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			h := &tar.Header{Name: n, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(1e9, 0), Format: tar.FormatGNU}
			if n != "./" {
				h = &tar.Header{Name: n, Mode: 0o644, Size: int64(len(entries[n])), ModTime: time.Unix(1e9, 0), Format: tar.FormatGNU}
			}
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write([]byte(entries[n])); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var ar bytes.Buffer
	ar.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		data []byte
	}{
		{"debian-binary", []byte("2.0\n")},
		{"control.tar.gz", tgz(map[string]string{"./control": control})},
		{"data.tar.gz", tgz(nil)},
	} {
		fmt.Fprintf(&ar, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", m.name, 1000000000, 0, 0, 0o100644, len(m.data))
		ar.Write(m.data)
		if len(m.data)%2 == 1 {
			ar.WriteByte('\n')
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, ar.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyControl is the control file of generated package i.
func tinyControl(name, version, arch string) string {
	return fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Ops Team <ops@example.com>\n"+
		"Installed-Size: 4\nDepends: python3.11, libapache2-mod-wsgi-py3, apache2\nSection: web\nPriority: optional\n"+
		"Homepage: https://example.com/%s\nDescription: generated app %s\n A package of the benchmark pool.\n .\n Nothing in it.\n",
		name, version, arch, name, name)
}

// tinyPool writes n generated packages of bookworm (app0000..., half of
// them amd64, the others all, three versions per name) into root's pool and
// returns them.
func tinyPool(t testing.TB, root string, n int) []Package {
	t.Helper()
	var ps []Package
	for i := range n {
		arch := "all"
		if i%6 >= 3 {
			arch = "amd64"
		}
		name := fmt.Sprintf("app%04d", i/3)
		version := fmt.Sprintf("1.%d.%d-1+deb12", i%3, i/3)
		tmp := filepath.Join(root, "incoming.deb")
		tinyDeb(t, tmp, tinyControl(name, version, arch))
		p, err := ReadDeb(tmp)
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(root, filepath.FromSlash(p.Filename()))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, dest); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// stanzas splits a Packages file into its stanzas, by Filename.
func stanzas(t testing.TB, data []byte) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, s := range strings.SplitAfter(string(data), "\n\n") {
		if s == "" {
			continue
		}
		paras, err := parseParagraphs([]byte(s), "stanza")
		if err != nil || len(paras) != 1 {
			t.Fatalf("not one stanza (%v): %q", err, s)
		}
		fn := Package{Fields: paras[0]}.Filename()
		if _, dup := m[fn]; dup {
			t.Fatalf("%s twice", fn)
		}
		m[fn] = strings.TrimSuffix(s, "\n")
	}
	return m
}
