package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// validProject writes a minimal valid project (with a stand-in venv) and
// returns its spec file.
func validProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"src", "venv/lib/python3.11/site-packages"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.11.7\n",
		"wsgipack.yaml": "name: demo\nversion: 1.0\nsummary: Demo\nmaintainer: Ops <ops@example.com>\nlicense: MIT\n" +
			"app: {source: src, wsgi: demo:app}\nvenv: venv\ntargets: [debian-12]\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
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
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"version", []string{"version"}, exitOK, "wsgipack dev"},
		{"help", []string{"build", "--help"}, exitOK, "wsgipack build -f deploy/wsgipack.yaml"},
		{"unknown command", []string{"bogus"}, exitUsage, `unknown command "bogus"`},
		{"unknown flag", []string{"build", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{"extra argument", []string{"check", "x"}, exitUsage, `unknown command "x"`},
		{"invalid spec", []string{"check", "-f", bad}, exitUsage, "wsgipack.yaml:2:1: colour: unknown key"},
		{"missing spec", []string{"check", "-f", filepath.Join(dir, "none.yaml")}, exitFailed, "cannot read spec"},
		{"unknown target", []string{"check", "-f", good, "--target", "centos-7"}, exitUsage, `unknown target "centos-7"`},
		{"bad version flag", []string{"check", "-f", good, "--version", "x.y"}, exitUsage, `version "x.y" is neither SemVer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
	if err := cmd.Flags().Parse([]string{"-f", "x.yaml", "--target", "el9", "-t", "debian-12", "--version", "2.0", "--out", "o", "--no-bytecode"}); err != nil {
		t.Fatal(err)
	}
	if o.specFile != "x.yaml" || strings.Join(o.targets, ",") != "el9,debian-12" || o.version != "2.0" || o.outDir != "o" || !o.noBytecode {
		t.Errorf("parsed %+v", o)
	}
}
