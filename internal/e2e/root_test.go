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
