package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/inspect"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// validProject writes a minimal valid project (with a stand-in venv of
// the system's Python 3.11, which check imports the app with) and returns
// its spec file.
func validProject(t *testing.T) string {
	t.Helper()
	testtool.Need(t, "python3.11")
	dir := t.TempDir()
	for _, d := range []string{"src", "venv/bin", "venv/lib/python3.11/site-packages"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.11.7\n",
		"src/demo.py":     "def app(environ, start_response):\n    return []\n",
		"src/broken.py":   "import not_installed_anywhere\n",
		"wsgipack.yaml": "name: demo\nversion: 1.0\nsummary: Web app for the tests\ndescription: Shows the exit codes.\nmaintainer: Ops <ops@example.com>\nlicense: MIT\n" +
			"app: {source: src, wsgi: demo:app}\nvenv: venv\ntargets: [debian-12]\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/usr/bin/python3.11", filepath.Join(dir, "venv/bin/python")); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "wsgipack.yaml")
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := validProject(t)
	bad := filepath.Join(dir, "wsgipack.yaml")
	if err := os.WriteFile(bad, []byte("name: Bad Name\ncolour: blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noVersion := filepath.Join(filepath.Dir(good), "noversion.yaml")
	data, _ := os.ReadFile(good)
	if err := os.WriteFile(noVersion, bytes.Replace(data, []byte("version: 1.0\n"), nil, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	project := filepath.Dir(good)
	if err := os.Symlink(filepath.Join(project, "venv", "lib"), filepath.Join(dir, "venvlib")); err != nil {
		t.Fatal(err)
	}
	fifoOut := filepath.Join(dir, "fifo-out")
	if err := os.Mkdir(fifoOut, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoOut, "SHA256SUMS"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(filepath.Dir(good), "broken.yaml")
	if err := os.WriteFile(broken, bytes.Replace(data, []byte("wsgi: demo:app"), []byte("wsgi: broken:app"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(filepath.Dir(good), "missing.yaml")
	if err := os.WriteFile(missing, bytes.Replace(data, []byte("wsgi: demo:app"), []byte("wsgi: demo.web:app"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	notPackage := filepath.Join(dir, "notes.deb")
	if err := os.WriteFile(notPackage, []byte("just some notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
		env  string // SOURCE_DATE_EPOCH
	}{
		{"version", []string{"version"}, exitOK, "wsgipack dev", ""},
		{"help", []string{"build", "--help"}, exitOK, "wsgipack build -f deploy/wsgipack.yaml", ""},
		{"unknown command", []string{"bogus"}, exitUsage, `unknown command "bogus"`, ""},
		{"unknown flag", []string{"build", "--bogus"}, exitUsage, "unknown flag: --bogus", ""},
		{"extra argument", []string{"check", "x"}, exitUsage, `unknown command "x"`, ""},
		{"invalid spec", []string{"check", "-f", bad}, exitUsage, "wsgipack.yaml:2:1: colour: unknown key", ""},
		{"missing spec", []string{"check", "-f", filepath.Join(dir, "none.yaml")}, exitFailed, "cannot read spec", ""},
		{"unknown target", []string{"check", "-f", good, "--target", "centos-7"}, exitUsage, `unknown target "centos-7"`, ""},
		{"bad version flag", []string{"check", "-f", good, "--version", "x.y"}, exitUsage, `version "x.y" is neither SemVer`, ""},
		{"bad flag value", []string{"build", "--no-bytecode=maybe"}, exitUsage, `invalid argument "maybe"`, ""},
		{"bad SOURCE_DATE_EPOCH", []string{"check", "-f", good}, exitUsage, `SOURCE_DATE_EPOCH="yesterday" is not a number`, "yesterday"},
		{"SOURCE_DATE_EPOCH past 2106", []string{"check", "-f", good}, exitUsage, `SOURCE_DATE_EPOCH="4294967296" is 2106-02-07T06:28:16Z (4294967296), outside what .deb and .rpm files can hold (1970-01-01 to 2106-02-07T06:28:15Z`, "4294967296"},
		{"SOURCE_DATE_EPOCH overflowing int64", []string{"check", "-f", good}, exitUsage, `SOURCE_DATE_EPOCH="99999999999999999999" is not a number`, "99999999999999999999"},
		{"SOURCE_DATE_EPOCH negative", []string{"check", "-f", good}, exitUsage, `SOURCE_DATE_EPOCH="-1" is not a number`, "-1"},
		{"SOURCE_DATE_EPOCH last second rpm holds", []string{"check", "-f", good}, exitOK, "check passed", "4294967295"},
		{"no version anywhere", []string{"check", "-f", noVersion}, exitUsage, "noversion.yaml:1:1: version: is not set: add 'version:' to the spec or pass --version", ""},
		{"empty --version", []string{"check", "-f", good, "--version", ""}, exitUsage, `--version is empty (an unset variable in --version "$TAG"?)`, ""},
		{"version from the flag", []string{"check", "-f", noVersion, "--version", "1.0"}, exitOK, "check passed", ""},
		{"entry point does not import", []string{"check", "-f", broken}, exitFailed, "broken.yaml:7:26: app.wsgi: broken:app: importing broken with the venv's Python failed: ModuleNotFoundError", ""},
		{"entry point not imported", []string{"check", "-f", broken, "--no-import"}, exitOK, "check passed", ""},
		{"build imports the entry point", []string{"build", "-f", broken, "--out", filepath.Join(dir, "dist")}, exitFailed, "needs not_installed_anywhere, which the venv does not have", ""},
		{"entry point missing", []string{"check", "-f", missing, "--no-import"}, exitFailed, "missing.yaml:7:26: app.wsgi: demo.web:app: module demo.web not found: expected src/demo/web.py or src/demo/web/__init__.py", ""},
		{"build fails", []string{"build", "-f", good, "--out", "/proc/version/dist"}, exitFailed, "cannot create the output directory", ""},
		{"--out inside the venv", []string{"build", "-f", good, "--out", filepath.Join(project, "venv", "dist")}, exitFailed,
			"--out " + filepath.Join(project, "venv", "dist") + " is inside the venv (venv: venv), which is packaged: the packages would end up in the next build's payload; pass an --out outside it", ""},
		{"--out equal to app.source", []string{"build", "-f", good, "--out", filepath.Join(project, "src")}, exitFailed, "is inside app.source (src), which is packaged", ""},
		{"--out inside app.source", []string{"build", "-f", good, "--out", filepath.Join(project, "src", "a", "b")}, exitFailed, `or add "a/b/" to app.exclude`, ""},
		{"--out in the venv through a symlink", []string{"build", "-f", good, "--out", filepath.Join(dir, "venvlib", "new")}, exitFailed, "is inside the venv (venv: venv)", ""},
		{"SHA256SUMS a FIFO in --out", []string{"build", "-f", good, "--out", fifoOut, "--no-bytecode"}, exitFailed,
			"cannot update the output directory's SHA256SUMS: " + filepath.Join(fifoOut, "SHA256SUMS") + " is a named pipe (FIFO), not a regular file", ""},
		{"publish without --to", []string{"publish", notPackage}, exitUsage, "--to: name the repository directory", ""},
		{"publish without a key", []string{"publish", "--to", filepath.Join(dir, "repo"), notPackage}, exitUsage, "no signing key: set WSGIPACK_SIGNING_KEY", ""},
		{"publish not a package", []string{"publish", "--unsigned", "--to", filepath.Join(dir, "repo"), notPackage}, exitFailed, "not a .deb or .rpm package", ""},
		{"publish nothing", []string{"publish", "--to", filepath.Join(dir, "repo")}, exitUsage, "requires at least 1 arg(s)", ""},
		{"inspect help", []string{"inspect", "--help"}, exitOK, "wsgipack inspect --json", ""},
		{"inspect without a file", []string{"inspect"}, exitUsage, "accepts 1 arg(s), received 0", ""},
		{"inspect not a package", []string{"inspect", notPackage}, exitFailed, notPackage + `: not a .deb or .rpm package: it starts with "just som"`, ""},
		{"inspect missing file", []string{"inspect", filepath.Join(dir, "none.rpm")}, exitFailed, "none.rpm: no such file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", tt.env)
			t.Setenv("WSGIPACK_SIGNING_KEY", "")
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			if out := stdout.String() + stderr.String(); !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestBuildFlags checks flag parsing apart from the work it triggers.
func TestBuildFlags(t *testing.T) {
	var o buildOptions
	cmd := &cobra.Command{Use: "build"}
	o.addFlags(cmd, true)
	if err := cmd.Flags().Parse([]string{"-f", "x.yaml", "--target", "el9", "-t", "debian-12", "--version", "2.0", "--out", "o", "--no-bytecode", "--no-import"}); err != nil {
		t.Fatal(err)
	}
	if o.specFile != "x.yaml" || strings.Join(o.targets, ",") != "el9,debian-12" || o.version != "2.0" || o.outDir != "o" || !o.noBytecode || !o.noImport {
		t.Errorf("parsed %+v", o)
	}
}

// TestInit runs init on a fixture project: the spec it writes and the
// TODOs it prints (internal/spec tests the spec's fields).
func TestInit(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "testdata", "init", "flaskr"))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "wsgipack.yaml")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"init", "-f", file}, &stdout, &stderr); code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, &stdout, &stderr)
	}
	for _, want := range []string{"wrote " + file + " (Flask app, entry point flaskr:create_app())", "1 TODO(s) in it:\n  - no venv found", "then run 'wsgipack check -f " + file + "'"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("init's output lacks %q:\n%s", want, &stdout)
		}
	}
	if data, err := os.ReadFile(file); err != nil || !strings.Contains(string(data), "wsgi: flaskr:create_app()") {
		t.Errorf("the spec: %v\n%s", err, data)
	}
	if code := run([]string{"init", "-f", file}, &stdout, &stderr); code != exitFailed || !strings.Contains(stderr.String(), "pass --force to overwrite it") {
		t.Errorf("init over an existing spec: exit %d\n%s", code, &stderr)
	}
}

// TestInspect runs inspect on a package that build writes, in both output
// forms.
func TestInspect(t *testing.T) {
	spec := validProject(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-f", spec, "--out", out, "--no-bytecode"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("build: exit %d\n%s%s", code, &stdout, &stderr)
	}
	deb := filepath.Join(out, "demo_1.0-1+deb12_all.deb")

	stdout.Reset()
	if code := run([]string{"inspect", "--json", deb}, &stdout, &stderr); code != exitOK {
		t.Fatalf("inspect --json: exit %d\n%s", code, &stderr)
	}
	var p inspect.Package
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, &stdout)
	}
	if p.Format != "deb" || p.Name != "demo" || p.Version != "1.0-1+deb12" || len(p.Files) == 0 || p.File != deb || len(p.Scripts) != 4 {
		t.Errorf("inspect --json: %+v", p)
	}

	stdout.Reset()
	if code := run([]string{"inspect", "--files=false", "--scripts=false", deb}, &stdout, &stderr); code != exitOK {
		t.Fatalf("inspect: exit %d\n%s", code, &stderr)
	}
	text := stdout.String()
	for _, want := range []string{"[metadata]\nFormat: deb\nPackage: demo\nVersion: 1.0-1+deb12\n", "\n[depends]\nDepends: python3.11\n", "\n[config files]\n/etc/apache2/conf-available/demo.conf\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[files]") || strings.Contains(text, "[scripts]") {
		t.Errorf("--files=false --scripts=false still print those sections:\n%s", text)
	}
}

// TestPublish publishes what build writes (unsigned: the signed path is
// tested in internal/publish) and again: the second publish adds nothing.
func TestPublish(t *testing.T) {
	spec := validProject(t)
	out, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-f", spec, "--out", out, "--no-bytecode"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("build: exit %d\n%s%s", code, &stdout, &stderr)
	}
	for i, want := range []string{"published 1 package(s)", "published 0 package(s) to " + repo + "; 1 already there"} {
		stdout.Reset()
		if code := run([]string{"publish", "--unsigned", "--to", repo, "--base-url", "https://repo.example.com/apps", out}, &stdout, &stderr); code != exitOK {
			t.Fatalf("publish %d: exit %d\n%s%s", i+1, code, &stdout, &stderr)
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("publish %d: output lacks %q:\n%s", i+1, want, &stdout)
		}
	}
	for _, f := range []string{"dists/bookworm/Release", "pool/main/d/demo/demo_1.0-1+deb12_all.deb", "wsgipack-bookworm.sources"} {
		if _, err := os.Stat(filepath.Join(repo, f)); err != nil {
			t.Errorf("repository lacks %s", f)
		}
	}
}

// TestBuildSign: build --sign signs the rpm in place (rpm -Kv verifies it
// with the key imported), leaves the deb as it is, and SHA256SUMS names
// the signed bytes.
func TestBuildSign(t *testing.T) {
	testtool.Need(t, "rpm", "rpmkeys", "sha256sum")
	private, public := testtool.GPGKey(t, "CI <ci@example.com>")
	home := t.TempDir()
	key, pub := filepath.Join(home, "key.asc"), filepath.Join(home, "key.pub")
	if err := os.WriteFile(key, private, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, public, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WSGIPACK_SIGNING_KEY", "@"+key)
	spec, out := validProject(t), t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-f", spec, "--out", out, "--no-bytecode", "--target", "debian-12", "--target", "el9", "--sign"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("build --sign: exit %d\n%s%s", code, &stdout, &stderr)
	}
	db := t.TempDir()
	testtool.Run(t, "rpmkeys", "--dbpath", db, "--import", pub)
	rpm := filepath.Join(out, "demo-1.0-1.el9.noarch.rpm")
	if k := testtool.Run(t, "rpm", "--dbpath", db, "-Kv", rpm); !strings.Contains(k, "Header V4 RSA/SHA256 Signature, key ID") || !strings.Contains(k, ": OK") {
		t.Errorf("rpm -Kv:\n%s", k)
	}
	testtool.Run(t, "sh", "-c", "cd "+out+" && sha256sum -c SHA256SUMS")
	stdout.Reset()
	if code := run([]string{"inspect", "--files=false", "--scripts=false", rpm}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "Signature: RSA/SHA256, key ID ") {
		t.Errorf("inspect: exit %d\n%s", code, &stdout)
	}
}
