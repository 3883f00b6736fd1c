package inspect

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/wsgipack/wsgipack/internal/archive"
	_ "github.com/wsgipack/wsgipack/internal/deb"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/docs"
	"github.com/wsgipack/wsgipack/internal/golden"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/packager"
	wrpm "github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/testtool"
	"github.com/wsgipack/wsgipack/internal/version"
)

var (
	need = testtool.Need
	run  = testtool.Run
)

// These tests build small real packages with internal/packager and compare
// what inspect reports with dpkg-deb and rpm. In CI a missing tool fails the
// test (make test installs them).

// The fixture's scripts: every one of the four, with an empty line and a
// line that looks like a section header.
var fixtureScripts = packager.Scripts{
	PreInstall:  "#!/bin/sh\nset -e\ngetent passwd demo >/dev/null || useradd --system demo\n",
	PostInstall: "#!/bin/sh\nset -e\n\n# [files]\nchown demo /var/lib/demo\n",
	PreRemove:   "#!/bin/sh\nset -e\necho stopping demo\n",
	PostRemove:  "#!/bin/sh\nset -e\nif [ \"$1\" = purge ]; then rm -rf /var/lib/demo; fi\n",
}

// buildPackage writes a small package for target tname into dir and
// returns its path. A deb's compression is replaced when compression is not
// empty; wsgipack writes only zstd and gzip, so dpkg-deb repacks the deb for
// "xz" and "none".
func buildPackage(t testing.TB, dir, tname, compression string) string {
	t.Helper()
	tg, err := distro.Lookup(tname)
	if err != nil {
		t.Fatal(err)
	}
	repack := compression == "xz" || compression == "none"
	if compression != "" && !repack {
		tg.Compression = compression
	}
	v, err := version.Parse("2!1.0.3")
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src-"+tname+compression)
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	file := func(name, data string) (string, int64) {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p, int64(len(data))
	}
	hello, helloSize := file("hello.py", "def app(environ, start_response):\n    pass\n")
	runScript, runSize := file("run", "#!/bin/sh\nexec /opt/demo/venv/bin/python3 -m demo\n")
	env, envSize := file("environment", "DEMO_DEBUG=0\n")
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	copyright, err := docs.Copyright(docs.App{Layout: layout.For("demo"), Maintainer: "Ops <ops@example.com>",
		License: "MIT", Homepage: "https://example.com/demo", Time: mtime})
	if err != nil {
		t.Fatal(err)
	}
	entries := []archive.Entry{
		{Path: "/etc/demo", Kind: archive.Dir, Mode: 0o755},
		{Path: "/etc/demo/environment", Kind: archive.File, Mode: 0o640, Source: env, Size: envSize, Config: true},
		{Path: "/opt/demo", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/app", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/app/hello.py", Kind: archive.File, Mode: 0o644, Source: hello, Size: helloSize},
		{Path: "/opt/demo/bin", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/bin/run", Kind: archive.File, Mode: 0o755, Source: runScript, Size: runSize},
		{Path: "/opt/demo/venv", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/venv/bin", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/venv/bin/python3", Kind: archive.Symlink, Mode: 0o777, Link: "/usr/bin/python3.11"},
		copyright,
	}
	system, depends := []string{"python3.11"}, []string{"apache2 (>= 2.4)"}
	if tg.Format == "rpm" {
		depends = []string{"httpd >= 2.4"}
	}
	p := &packager.Package{
		Name: "demo", Summary: "Demo web app", Description: "A demo app for the inspect tests.\n\nIt has two paragraphs.",
		Maintainer: "Ops <ops@example.com>", License: "MIT", Homepage: "https://example.com/demo",
		Version: v, Release: 1, Distro: tg, Machine: "all", System: system, Depends: depends,
		MTime: mtime, Scripts: fixtureScripts, Entries: entries,
	}
	pk, err := packager.Get(tg.Format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pk.Write(p, &buf); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, compression+pk.FileName(p))
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if repack {
		raw := filepath.Join(dir, "raw-"+compression)
		run(t, "dpkg-deb", "-R", out, raw)
		run(t, "dpkg-deb", "--root-owner-group", "-Z"+compression, "-b", raw, out)
	}
	return out
}

func read(t *testing.T, file string) *Package {
	t.Helper()
	p, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fileLines are the file list as "mode owner/group size path[ -> link]".
func fileLines(p *Package) []string {
	var out []string
	for _, f := range p.Files {
		l := fmt.Sprintf("%s %s/%s %d %s", f.Mode, f.Owner, f.Group, f.Size, f.Path)
		if f.Link != "" {
			l += " -> " + f.Link
		}
		out = append(out, l)
	}
	return out
}

func relations(p *Package, kind string) []string {
	var out []string
	for _, r := range p.Relations {
		if r.Kind == kind {
			out = append(out, r.Value)
		}
	}
	return out
}

func script(p *Package, name string) *Script {
	for i := range p.Scripts {
		if p.Scripts[i].Name == name {
			return &p.Scripts[i]
		}
	}
	return nil
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if !bytes.Equal(g, w) {
		t.Errorf("%s: inspect says\n%s\nthe tool says\n%s", what, g, w)
	}
}

func TestDebAgainstDpkgDeb(t *testing.T) {
	need(t, "dpkg-deb", "tar", "ar")
	dir := t.TempDir()
	for _, c := range []struct{ target, compression, member string }{
		{"debian-12", "", "data.tar.zst"},
		{"debian-11", "", "data.tar.gz"},
		{"debian-12", "xz", "data.tar.xz"},
		{"debian-12", "none", "data.tar"},
	} {
		t.Run(c.member, func(t *testing.T) {
			deb := buildPackage(t, dir, c.target, c.compression)
			if ar := run(t, "ar", "t", deb); !strings.Contains(ar, c.member+"\n") {
				t.Fatalf("the fixture has no %s member:\n%s", c.member, ar)
			}
			p := read(t, deb)
			if p.Format != "deb" {
				t.Errorf("format %q", p.Format)
			}
			field := func(name string) string {
				return strings.TrimSuffix(run(t, "dpkg-deb", "--field", deb, name), "\n")
			}
			equal(t, "Package", p.Name, field("Package"))
			equal(t, "Version", p.Version, field("Version"))
			equal(t, "Architecture", p.Arch, field("Architecture"))
			equal(t, "Maintainer", p.Maintainer, field("Maintainer"))
			equal(t, "Homepage", p.Homepage, field("Homepage"))
			equal(t, "Installed-Size", fmt.Sprint(p.InstalledKiB), field("Installed-Size"))
			equal(t, "Section", p.Extra[0], Field{"Section", field("Section")})
			equal(t, "Depends", strings.Join(relations(p, "Depends"), ", "), field("Depends"))
			desc := strings.Split(field("Description"), "\n")
			equal(t, "Description synopsis", p.Summary, desc[0])
			for i := range desc[1:] {
				desc[i+1] = strings.TrimPrefix(desc[i+1], " ")
				if desc[i+1] == "." {
					desc[i+1] = ""
				}
			}
			equal(t, "Description", p.Description, strings.Join(desc[1:], "\n"))

			var contents []string
			for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "--contents", deb)), "\n") {
				// -rw-r--r-- root/root  49 2024-05-06 07:08 ./opt/demo/app/hello.py
				f := strings.Fields(line)
				l := fmt.Sprintf("%s %s %s %s", f[0], f[1], f[2], absPath(f[5]))
				if len(f) > 6 {
					l += " " + strings.Join(f[6:], " ")
				}
				contents = append(contents, l)
			}
			equal(t, "dpkg-deb --contents", fileLines(p), contents)

			ctrl := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -t")
			for _, name := range []string{"preinst", "postinst", "prerm", "postrm"} {
				s := script(p, name)
				if s == nil {
					t.Errorf("no %s script; control.tar has:\n%s", name, ctrl)
					continue
				}
				equal(t, name, s.Text, run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xO ./"+name))
				equal(t, name+" interpreter", s.Interpreter, "/bin/sh")
			}
			equal(t, "script texts", []string{script(p, "preinst").Text, script(p, "postinst").Text, script(p, "prerm").Text, script(p, "postrm").Text},
				[]string{fixtureScripts.PreInstall, fixtureScripts.PostInstall, fixtureScripts.PreRemove, fixtureScripts.PostRemove})
			conffiles := strings.Fields(run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xO ./conffiles"))
			equal(t, "conffiles", p.ConfigFiles, conffiles)
			for _, f := range p.Files {
				if (f.Config == "conffile") != (f.Path == "/etc/demo/environment") {
					t.Errorf("%s is marked %q", f.Path, f.Config)
				}
			}
		})
	}
}

func TestRPMAgainstRpm(t *testing.T) {
	need(t, "rpm")
	rpmFile := buildPackage(t, t.TempDir(), "el9", "")
	p := read(t, rpmFile)
	q := func(format string) string {
		return run(t, "rpm", "-qp", "--nosignature", "--nodigest", "--queryformat", format, rpmFile)
	}
	lines := func(args ...string) []string {
		out := strings.TrimSpace(run(t, "rpm", append([]string{"-qp", "--nosignature", "--nodigest"}, append(args, rpmFile)...)...))
		if out == "" || out == "(contains no files)" {
			return nil
		}
		return strings.Split(out, "\n")
	}
	equal(t, "format", p.Format, "rpm")
	equal(t, "name", p.Name, q("%{NAME}"))
	equal(t, "epoch:version-release", p.Version, q("%{EPOCH}:%{VERSION}-%{RELEASE}"))
	equal(t, "arch", p.Arch, q("%{ARCH}"))
	equal(t, "summary", p.Summary, q("%{SUMMARY}"))
	equal(t, "description", p.Description, strings.TrimRight(q("%{DESCRIPTION}"), "\n"))
	equal(t, "license", p.License, q("%{LICENSE}"))
	equal(t, "url", p.Homepage, q("%{URL}"))
	equal(t, "packager", p.Maintainer, q("%{PACKAGER}"))
	equal(t, "requires", relations(p, "Requires"), lines("--requires"))
	equal(t, "provides", relations(p, "Provides"), lines("--provides"))
	equal(t, "config files", p.ConfigFiles, lines("--configfiles"))
	var paths []string
	for _, f := range p.Files {
		paths = append(paths, f.Path)
	}
	equal(t, "--list", paths, lines("--list"))
	files := lines("--queryformat", `[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILESIZES} %{FILENAMES} -> %{FILELINKTOS}\n]`)
	for i := range files {
		files[i] = strings.TrimSuffix(strings.TrimSpace(files[i]), " ->")
	}
	equal(t, "files", fileLines(p), files)
	// rpm's fflags letters: c config, m missingok, n noreplace, d doc, l license, g ghost.
	var marks []string
	for _, f := range p.Files {
		m := f.Config
		for _, r := range []struct{ mark, letters string }{
			{"%config(missingok,noreplace)", "cmn"}, {"%config(noreplace)", "cn"}, {"%config(missingok)", "cm"},
			{"%config", "c"}, {"%doc", "d"}, {"%license", "l"}, {"%ghost", "g"}, {" ", ""},
		} {
			m = strings.ReplaceAll(m, r.mark, r.letters)
		}
		marks = append(marks, f.Path+" "+m)
	}
	equal(t, "%config marks", marks, lines("--queryformat", `[%{FILENAMES} %{FILEFLAGS:fflags}\n]`))

	scripts := run(t, "rpm", "-qp", "--scripts", rpmFile)
	for _, s := range []struct{ name, tag, prog, want string }{
		{"%pre", "PREIN", "PREINPROG", fixtureScripts.PreInstall},
		{"%post", "POSTIN", "POSTINPROG", fixtureScripts.PostInstall},
		{"%preun", "PREUN", "PREUNPROG", fixtureScripts.PreRemove},
		{"%postun", "POSTUN", "POSTUNPROG", fixtureScripts.PostRemove},
	} {
		sc := script(p, s.name)
		if sc == nil {
			t.Errorf("no %s scriptlet", s.name)
			continue
		}
		equal(t, s.name, sc.Text, q("%{"+s.tag+"}"))
		equal(t, s.name+" interpreter", sc.Interpreter, q("%{"+s.prog+"}"))
		if !strings.Contains(scripts, sc.Text) || !strings.Contains(scripts, "(using "+sc.Interpreter+")") {
			t.Errorf("rpm --scripts does not show %s as inspect does:\n%s", s.name, scripts)
		}
		if !strings.Contains(s.want, strings.TrimPrefix(sc.Text, "#!/bin/sh\n")) {
			t.Errorf("%s is %q, the fixture's is %q", s.name, sc.Text, s.want)
		}
	}
}

// The text layout of one small deb and one small rpm.
func TestTextGolden(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ target, golden string }{{"debian-12", "inspect-deb"}, {"el9", "inspect-rpm"}} {
		t.Run(c.golden, func(t *testing.T) {
			p := read(t, buildPackage(t, dir, c.target, ""))
			var out bytes.Buffer
			if err := WriteText(&out, p, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("..", "..", "testdata", "golden", c.golden+".golden"), out.Bytes())

			out.Reset()
			if err := WriteText(&out, p, TextOptions{NoFiles: true, NoScripts: true}); err != nil {
				t.Fatal(err)
			}
			if s := out.String(); strings.Contains(s, "[files]") || strings.Contains(s, "[scripts]") || !strings.Contains(s, "[config files]") {
				t.Errorf("sections not left out:\n%s", s)
			}
		})
	}
}

// ar builds an ar archive of the members (name, data pairs).
func ar(members ...string) []byte {
	var b bytes.Buffer
	b.WriteString(arMagic)
	for i := 0; i+1 < len(members); i += 2 {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", members[i], 0, 0, 0, "100644", len(members[i+1]))
		b.WriteString(members[i+1])
		if len(members[i+1])%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	deb, err := os.ReadFile(buildPackage(t, dir, "debian-12", ""))
	if err != nil {
		t.Fatal(err)
	}
	rpmData, err := os.ReadFile(buildPackage(t, dir, "el9", ""))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "empty file: not a .deb or .rpm package"},
		{"text file", []byte("hello, world\n"), `not a .deb or .rpm package: it starts with "hello, w"`},
		{"binary file", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, "not a .deb or .rpm package: it starts with 7f 45 4c 46"},
		{"ar magic only", []byte("!<arch>"), "truncated: the file has only 7 bytes"},
		{"truncated deb", deb[:len(deb)/2], "truncated deb: ar member data.tar.zst should have"},
		{"truncated deb header", deb[:80], "truncated deb: the ar header at byte 72 is cut off"},
		{"deb without control.tar", ar("debian-binary", "2.0\n", "data.tar", ""), "not a valid deb: no control.tar member (members: debian-binary, data.tar)"},
		{"deb without data.tar", ar("debian-binary", "2.0\n", "control.tar", ""), "not a valid deb: no data.tar member"},
		{"deb with unknown compression", ar("debian-binary", "2.0\n", "control.tar.bz2", "BZh9"), "control.tar.bz2: unknown compression"},
		{"deb with corrupt control.tar.gz", ar("debian-binary", "2.0\n", "control.tar.gz", "this is not gzip data", "data.tar", ""), "control.tar.gz: gzip: invalid header"},
		{"deb with empty control.tar", ar("debian-binary", "2.0\n", "control.tar", "", "data.tar", ""), "control.tar has no control file"},
		{"ar that is not a deb", ar("hello.o", "xx"), "an ar archive but not a .deb: its first member is not debian-binary (members: hello.o)"},
		{"deb version 3", ar("debian-binary", "3.0\n"), `unsupported deb format version "3.0"`},
		{"truncated rpm lead", rpmData[:50], "truncated rpm: the 96-byte lead is cut off after 50 bytes"},
		{"truncated rpm header", rpmData[:200], "truncated rpm: the signature header should have"},
		{"truncated rpm payload", rpmData[:len(rpmData)-10], "truncated rpm: header and payload should have"},
		{"rpm with bad header magic", append(append([]byte{}, rpmData[:96]...), make([]byte, 64)...), "corrupt rpm: the signature header does not start with the header magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".deb")
			if err := os.WriteFile(file, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(file)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), file+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q after the file name", err, tt.want)
			}
		})
	}
	if _, err := Read(filepath.Join(dir, "none.deb")); err == nil || !strings.Contains(err.Error(), "none.deb") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

// FuzzRead feeds bytes to the parsers, seeded with small real packages of
// every deb compression and an rpm: they must return a package or an error,
// never panic, and a package must render.
func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	for _, c := range []struct{ target, compression string }{
		{"debian-12", ""}, {"debian-11", ""}, {"debian-12", "xz"}, {"debian-12", "none"}, {"el9", ""},
	} {
		data, err := os.ReadFile(buildPackage(f, dir, c.target, c.compression))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(signedRPM(f, dir))
	f.Add([]byte{})
	f.Add([]byte(arMagic))
	f.Add(ar("debian-binary", "2.0\n", "control.tar", "", "data.tar", ""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadFrom(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if p != nil {
				t.Error("a package and an error")
			}
			return
		}
		if err := WriteText(&bytes.Buffer{}, p, TextOptions{}); err != nil {
			t.Error(err)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Error(err)
		}
	})
}

// An rpm's header signature, as rpm shows it, in the text and the JSON.
func TestRPMSignature(t *testing.T) {
	need(t, "rpm")
	dir := t.TempDir()
	keyTime := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	sigTime := time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, algorithm, tag string
		algo                 packet.PublicKeyAlgorithm
	}{
		{"RSA", "RSA/SHA256", "RSAHEADER", packet.PubKeyAlgoRSA},
		{"EdDSA", "EdDSA/SHA256", "DSAHEADER", packet.PubKeyAlgoEdDSA},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := buildPackage(t, t.TempDir(), "el9", "")
			key, err := openpgp.NewEntity("wsgipack test", "", "test@example.com", &packet.Config{
				DefaultHash: crypto.SHA256, Algorithm: c.algo, RSABits: 2048, Time: func() time.Time { return keyTime },
			})
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(file, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			err = wrpm.Sign(f, func(data []byte) ([]byte, error) {
				var b bytes.Buffer
				err := openpgp.DetachSign(&b, key, bytes.NewReader(data), &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return sigTime }})
				return b.Bytes(), err
			})
			if err != nil {
				t.Fatal(err)
			}
			p := read(t, file)
			keyID := fmt.Sprintf("%016x", key.PrimaryKey.KeyId)
			equal(t, "signature", p.Signature, &Signature{Algorithm: c.algorithm, KeyID: keyID, Time: "2026-12-02T16:00:00Z"})
			// rpm: "RSA/SHA256, Wed Dec  2 16:00:00 2026, Key ID 0123456789abcdef"
			pgpsig := run(t, "rpm", "-qp", "--nosignature", "--nodigest", "--qf", "%{"+c.tag+":pgpsig}", file)
			if !strings.HasPrefix(pgpsig, c.algorithm+", ") || !strings.HasSuffix(pgpsig, ", Key ID "+keyID) {
				t.Errorf("rpm shows the signature as %q", pgpsig)
			}

			var text bytes.Buffer
			if err := WriteText(&text, p, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			want := "\nSignature: " + c.algorithm + ", key ID " + keyID + ", 2026-12-02 16:00:00 UTC\nDescription:\n"
			if !strings.Contains(text.String(), want) {
				t.Errorf("the text lacks %q:\n%s", want, text.String())
			}
			js, _ := json.Marshal(p)
			if want := `"signature":{"algorithm":"` + c.algorithm + `","key_id":"` + keyID + `","time":"2026-12-02T16:00:00Z"}`; !strings.Contains(string(js), want) {
				t.Errorf("the JSON lacks %s:\n%s", want, js)
			}

			// A signature packet inspect cannot read is an error, as any
			// other corrupt tag is.
			data, _ := os.ReadFile(file)
			i := bytes.Index(data, []byte{0x04, 0x00, byte(c.algo), 8}) // version 4, binary, algorithm, SHA-256
			if i < 0 {
				t.Fatal("no signature packet in the file")
			}
			data[i] = 9
			if _, err := ReadFrom(bytes.NewReader(data), int64(len(data))); err == nil || !strings.Contains(err.Error(), "unsupported OpenPGP signature version 9") {
				t.Errorf("a version 9 signature: %v", err)
			}
		})
	}

	unsigned := read(t, buildPackage(t, dir, "el9", ""))
	if unsigned.Signature != nil {
		t.Errorf("unsigned package: %+v", unsigned.Signature)
	}
	if js, _ := json.Marshal(unsigned); strings.Contains(string(js), `"signature"`) {
		t.Errorf("the JSON of an unsigned package has a signature: %s", js)
	}
	var text bytes.Buffer
	if err := WriteText(&text, read(t, buildPackage(t, dir, "debian-12", "")), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "Signature:") {
		t.Errorf("a deb has a Signature line:\n%s", text.String())
	}
}

// signedRPM is a small rpm signed with a new EdDSA key.
func signedRPM(t testing.TB, dir string) []byte {
	t.Helper()
	dir = filepath.Join(dir, "signed")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := buildPackage(t, dir, "el9", "")
	key, err := openpgp.NewEntity("fuzz", "", "fuzz@example.com", &packet.Config{DefaultHash: crypto.SHA256, Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := wrpm.Sign(f, func(data []byte) ([]byte, error) {
		var b bytes.Buffer
		err := openpgp.DetachSign(&b, key, bytes.NewReader(data), nil)
		return b.Bytes(), err
	}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
