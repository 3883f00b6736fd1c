//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMirrorSources(t *testing.T) {
	deb822 := `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm-updates
Components: main

# disabled
Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm

Types: deb-src deb
URIs:
 cdrom:/media
 http://right.example/debian
Suites: bookworm bookworm-updates
Components: main
`
	if got := mirrorDeb822(deb822, "bookworm"); got != "http://right.example/debian" {
		t.Errorf("deb822: %q", got)
	}
	oneLine := `deb https://cloud.example/apt cloud-sdk-bookworm main
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [ arch=amd64 signed-by=/k.gpg ] http://right.example/debian bookworm main contrib
`
	if got := mirrorOneLine(oneLine, "bookworm"); got != "http://right.example/debian" {
		t.Errorf("one-line: %q", got)
	}
	if m, err := Mirror(); err != nil || !strings.Contains(m, "://") {
		t.Errorf("Mirror() on this machine: %q %v", m, err)
	} else {
		t.Logf("mirror: this machine's apt sources give %s", m)
	}
}

func TestNoCompilerCheck(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkNoCompiler(root); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/bin/x86_64-linux-gnu-gcc-12"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	err := checkNoCompiler(root)
	if err == nil || !strings.Contains(err.Error(), "x86_64-linux-gnu-gcc-12") {
		t.Fatalf("a root with gcc passed: %v", err)
	}
	t.Logf("compiler check: a root with /usr/bin/x86_64-linux-gnu-gcc-12 is refused")
}

func TestResolveIn(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"run/apache2", "etc/apache2/sites-available"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run", filepath.Join(root, "var/run")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sites-available", filepath.Join(root, "etc/apache2/conf")); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/var/run/apache2/apache2.pid":    "/run/apache2/apache2.pid",
		"/etc/apache2/conf/x":             "/etc/apache2/sites-available/x",
		"/var/run":                        "/var/run",
		"../../etc/passwd":                "/etc/passwd",
		"/var/run/../../../../etc/shadow": "/etc/shadow",
	} {
		if got := resolveIn(root, in); got != want {
			t.Errorf("resolveIn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMirrorOtherReleases(t *testing.T) {
	sources := []aptSource{
		{"/etc/apt/sources.list.d/security.sources", "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n"},
		{"/etc/apt/sources.list.d/debian.sources", "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"},
		{"/etc/apt/sources.list", "deb http://old.example/debian bullseye main\n"},
	}
	for suite, want := range map[string]string{
		"bookworm": "http://mirror.example/debian", // its own source
		"bullseye": "http://old.example/debian",    // its own source
		"trixie":   "http://old.example/debian",    // none: another release's
	} {
		if got := mirrorFrom(sources, suite); got != want {
			t.Errorf("mirror of %s: %q, want %q", suite, got, want)
		}
	}
	// Debian 12's sources: trixie's is bookworm's mirror, not -security's.
	if got := mirrorFrom(sources[:2], "trixie"); got != "http://mirror.example/debian" {
		t.Errorf("mirror of trixie from bookworm's sources: %q", got)
	}
	for _, r := range Releases {
		m, err := MirrorFor(r.Suite)
		if err != nil || !strings.Contains(m, "://") {
			t.Errorf("MirrorFor(%s) on this machine: %q %v", r.Suite, m, err)
		}
		key, err := cacheKey(r.Suite)
		if err != nil || !strings.HasPrefix(key, "debian-"+r.Number+"-") {
			t.Errorf("cacheKey(%s) = %q %v", r.Suite, key, err)
		}
		t.Logf("%s: mirror %s, cache key %s", r.Suite, m, key)
	}
	t.Setenv("WSGIPACK_E2E_MIRROR_BULLSEYE", "http://archive.example/debian")
	if m, _ := MirrorFor("bullseye"); m != "http://archive.example/debian" {
		t.Errorf("WSGIPACK_E2E_MIRROR_BULLSEYE: bullseye's mirror is %s", m)
	}
	if m, _ := MirrorFor("trixie"); m == "http://archive.example/debian" {
		t.Error("WSGIPACK_E2E_MIRROR_BULLSEYE is trixie's mirror too")
	}
	if _, err := cacheKey("sid"); err == nil {
		t.Error("a suite the harness does not make has a cache key")
	}
}

func TestDebootstrapScript(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"sid", "bookworm"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := debootstrapScript(dir, "bookworm"); got != "" {
		t.Errorf("a suite debootstrap knows: %q, want none", got)
	}
	if got := debootstrapScript(dir, "trixie"); got != filepath.Join(dir, "sid") {
		t.Errorf("a suite newer than debootstrap: %q, want sid's script", got)
	}
}

func TestRemoveStale(t *testing.T) {
	cache := t.TempDir()
	for _, d := range []string{".debootstrap-trixie-1", ".debootstrap-bullseye-2", ".debootstrap-bookworm-3", ".build-4", "debian-13-x"} {
		if err := os.MkdirAll(filepath.Join(cache, d, "root"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	left := func() string {
		names, _ := filepath.Glob(filepath.Join(cache, "*")) // dot files too
		var out []string
		for _, n := range names {
			out = append(out, filepath.Base(n))
		}
		return strings.Join(out, " ")
	}
	if err := removeStale(cache, "trixie"); err != nil {
		t.Fatal(err)
	}
	if got := left(); got != ".build-4 .debootstrap-bookworm-3 .debootstrap-bullseye-2 debian-13-x" {
		t.Errorf("after trixie's: %s", got)
	}
	// Bookworm's lock is the old harness's: its builds (.build-NNNN) too.
	if err := removeStale(cache, "bookworm"); err != nil {
		t.Fatal(err)
	}
	if got := left(); got != ".debootstrap-bullseye-2 debian-13-x" {
		t.Errorf("after bookworm's: %s", got)
	}
}
