package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
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
		{"unknown target", []string{"check", "-f", "../../testdata/example/wsgipack.yaml", "--target", "centos-7"}, exitUsage, `unknown target "centos-7"`},
		{"bad version flag", []string{"check", "-f", "../../testdata/example/wsgipack.yaml", "--version", "x.y"}, exitUsage, `version "x.y" is neither SemVer`},
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
