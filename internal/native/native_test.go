package native

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRealBinary(t *testing.T) {
	f, err := os.Open("/usr/bin/true")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	b, err := Read(f, "/opt/x/true", "true")
	if err != nil {
		t.Fatal(err)
	}
	if b.Arch != "amd64" && b.Arch != "arm64" {
		t.Errorf("arch %q", b.Arch)
	}
	if Compare(b.Glibc, "2.2") <= 0 || len(b.Needed) == 0 || b.Needed[0] != "libc.so.6" {
		t.Errorf("glibc %q needed %v", b.Glibc, b.Needed)
	}
	if errs := CheckGlibc([]*Binary{b}, "old", "2.0"); len(errs) != 1 || !strings.Contains(errs[0].Error(), "true needs glibc "+b.Glibc+" but old has 2.0") {
		t.Errorf("CheckGlibc = %v", errs)
	}
}

func TestCompare(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		sign int
	}{{"2.17", "2.34", -1}, {"2.34", "2.4", 1}, {"2.3.4", "2.3", 1}, {"2.28", "2.28", 0}} {
		got := Compare(tt.a, tt.b)
		if (got < 0 && tt.sign >= 0) || (got > 0 && tt.sign <= 0) || (got == 0 && tt.sign != 0) {
			t.Errorf("Compare(%s, %s) = %d", tt.a, tt.b, got)
		}
	}
}

func TestArch(t *testing.T) {
	amd := &Binary{Arch: "amd64", Origin: "a.so"}
	arm := &Binary{Arch: "arm64", Origin: "b.so"}
	if a, err := Arch(nil); a != "all" || err != nil {
		t.Errorf("no native code: %q %v", a, err)
	}
	if a, err := Arch([]*Binary{amd, amd}); a != "amd64" || err != nil {
		t.Errorf("amd64: %q %v", a, err)
	}
	if _, err := Arch([]*Binary{amd, arm}); err == nil || !strings.Contains(err.Error(), "amd64 (a.so), arm64 (b.so)") {
		t.Errorf("mixed: %v", err)
	}
}

func TestUnresolved(t *testing.T) {
	bins := []*Binary{{
		Path: "/opt/x/venv/lib/pkg/_ext.so", Origin: "venv/lib/pkg/_ext.so",
		Needed:  []string{"libc.so.6", "libbundled-1a2b.so.3", "libpq.so.5", "libsibling.so"},
		RunPath: []string{"/opt/x/venv/lib/pkg.libs"},
	}}
	files := []string{"/opt/x/venv/lib/pkg.libs/libbundled-1a2b.so.3", "/opt/x/venv/lib/pkg/libsibling.so"}
	got := Unresolved(bins, files)
	if len(got) != 1 || !strings.Contains(got[0], "needs libpq.so.5") || !strings.Contains(got[0], "debian-12: [libpq5]") {
		t.Errorf("Unresolved = %v", got)
	}
}

// TestMentionsOutsideRunPath: a prefix in the run path alone is not a
// mention; in a string of the code it is.
func TestMentionsOutsideRunPath(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("gcc is missing: make deps installs it")
		}
		t.Skip("gcc is missing")
	}
	dir := t.TempDir()
	prefix := "/ci/tools/python-3.11.7"
	build := func(name, code string, ldflags ...string) string {
		t.Helper()
		src := filepath.Join(dir, name+".c")
		if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		so := filepath.Join(dir, name+".so")
		args := append([]string{"-shared", "-fPIC", "-g0", "-o", so, src}, ldflags...)
		if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
			t.Fatalf("gcc: %v\n%s", err, out)
		}
		return so
	}
	tests := []struct {
		name string
		so   string
		want bool
	}{
		{"run path only", build("rp", "int f(void) { return 1; }\n", "-Wl,-rpath,"+prefix+"/lib"), false},
		{"rpath only", build("oldrp", "int f(void) { return 1; }\n", "-Wl,--disable-new-dtags,-rpath,"+prefix+"/lib"), false},
		{"string and run path", build("both", "const char *where = \""+prefix+"/include/python3.11/object.h\";\n", "-Wl,-rpath,"+prefix+"/lib"), true},
		{"neither", build("none", "int f(void) { return 2; }\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(tt.so)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := MentionsOutsideRunPath(f, prefix)
			if err != nil || got != tt.want {
				t.Errorf("MentionsOutsideRunPath = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
