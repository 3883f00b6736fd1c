package scripts

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// legacyHeader is how the environment file of a package made before the
// config model (commit 1de2536) begins, for the app inventory.
const legacyHeader = "# Environment of inventory, loaded into os.environ by /opt/inventory/wsgi/inventory.wsgi\n" +
	"# and by the deploy hooks. KEY=value, one per line. Edits are kept on upgrade.\n"

// legacyLoad is the older entry script's reader of that file, as it was
// before commit 1de2536 (git show 1de2536^:internal/entrypoint/wsgi.tmpl),
// printing what it put into os.environ.
const legacyLoad = `import os, sys
def _load_environment(path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if sep and key:
            os.environ[key] = value
os.environ.clear()
_load_environment(sys.argv[1])
for k in sorted(os.environ):
    sys.stdout.buffer.write(os.fsencode(k) + b"=[" + os.fsencode(os.environ[k]) + b"]\n")
`

// legacyLines are lines an admin may have written: values sh would choke
// on or change, quotes, odd spacing, a key twice, lines that were never
// settings.
var legacyLines = []string{
	`QUOTED=a "b" c`,
	`DJANGO_SECRET_KEY=x(y)$z` + "`w`" + `!*&;|<>~{a,b}`,
	`DOUBLE="quoted value"`,
	`SINGLE='single'`,
	`MISMATCH="abc'`,
	`INNER='it'"'"'s'`,
	`APOS=it's`,
	`DOLLAR=$HOME/${USER}/$(id)`,
	`BACKSLASH=a\b\\c\`,
	`  SPACED  =   value with spaces   `,
	`export EXPORTED=1`,
	`export   WIDE=2`,
	`EQUALS=a=b==c`,
	`UNICODE=café ☃ 日本`,
	"CRLF=crlf value\r",
	`EMPTY=`,
	`QUOTE_ONLY="`,
	`HASH=a#b # not a comment`,
	`DUP=first`,
	`DUP=second`,
	`DUP2=x`,
	`DUP2=/var/lib/inventory`,
	`INVENTORY_STATE=/var/lib/inventory`,
	`INVENTORY_COLOR=red`,
	"TAB=\tx\ty\t",
	"NBSP=\u00a0padded\u00a0",
	"VT=a\vb",
	`MY-KEY=dash`,
	`not a setting`,
	`=novalue`,
	`# an admin's comment`,
	`   # an indented comment`,
	``,
	`LAST=no newline at the end`,
}

// The release's defaults the migration compares with (POSIX sh, as
// internal/entrypoint renders them).
const releaseDefaults = "# defaults\nINVENTORY_COLOR='blue'\nINVENTORY_NEW='new default'\nINVENTORY_STATE='/var/lib/inventory'\n"

type migration struct {
	dir, etc, env, backup, defaults string
	stubs                           string
}

func newMigration(t *testing.T, content string) *migration {
	t.Helper()
	dir := t.TempDir()
	m := &migration{dir: dir, etc: filepath.Join(dir, "etc"), defaults: filepath.Join(dir, "package", "environment"), stubs: filepath.Join(dir, "bin")}
	m.env = filepath.Join(m.etc, "environment")
	m.backup = m.env + ".wsgipack-legacy"
	for _, d := range []string{m.etc, filepath.Dir(m.defaults), m.stubs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for f, text := range map[string]string{m.env: content, m.defaults: releaseDefaults} {
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// stub puts a command on the scripts' PATH that prints out.
func (m *migration) stub(t *testing.T, name, out string) {
	t.Helper()
	text := "#!/bin/sh\ncat <<'EOF'\n" + out + "\nEOF\n"
	if err := os.WriteFile(filepath.Join(m.stubs, name), []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// run sources the target's postinst functions, points it at the test's directory and runs ensure_server_config
// twice, as a postinst run again would.
func (m *migration) run(t *testing.T, target string) string {
	t.Helper()
	sc, err := Render(testInput(t, target, false))
	if err != nil {
		t.Fatal(err)
	}
	// The functions only: an rpm %post runs post_install unconditionally.
	text := sc.PostInstall
	for _, tail := range []string{"\n# dpkg: postinst ", "\n# rpm %post: "} {
		if i := strings.LastIndex(text, tail); i > 0 {
			text = text[:i+1]
		}
	}
	script := filepath.Join(m.dir, "postinst")
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is missing")
	}
	cmd := exec.Command("sh", "-c", `. "$1"; etc=$2; package=$3; secrets=$2/secrets; python=$4; user=$(id -un)
ensure_server_config; echo "--- again"; ensure_server_config`, "sh", script, m.etc, filepath.Dir(m.defaults), py)
	cmd.Env = append(os.Environ(), "PATH="+m.stubs+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ensure_server_config: %v\n%s", err, out)
	}
	return string(out)
}

// shEnv is what the hooks, ctl and the entry script see: the release's
// defaults, then this server's file, read by sh with set -a.
func (m *migration) shEnv(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("env", "-i", "/bin/sh", "-c", `set -a; . "$1" || exit 1; . "$2" || exit 1; exec /usr/bin/env -0`, "sh", m.defaults, m.env).Output()
	if err != nil {
		t.Fatalf("sh cannot read the migrated file: %v", err)
	}
	env := map[string]string{}
	for _, item := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(item, "="); ok {
			env[k] = v
		}
	}
	return env
}

// legacyEnv is what the older entry script put into os.environ from the file.
func legacyEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	out, err := exec.Command("python3", "-c", legacyLoad, file).Output()
	if err != nil {
		t.Fatalf("the legacy reader: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "]\n"), "]\n") {
		if k, v, ok := strings.Cut(line, "=["); ok {
			env[k] = v
		}
	}
	return env
}

func mode(t *testing.T, file string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestMigrateEdited: an edited legacy file becomes POSIX sh that gives
// every variable the value the older entry script gave it, on both
// targets, whether the edit is known (the recorded digest differs) or not
// (no record).
func TestMigrateEdited(t *testing.T) {
	content := legacyHeader + strings.Join(legacyLines, "\n")
	for _, tt := range []struct {
		target, stub, stubOut, says string
	}{
		{"debian-12", "dpkg-query", " /etc/inventory/settings.ini 0123\n ENV 00000000000000000000000000000000 obsolete", "KEY=value file, edited: rewritten"},
		{"debian-12", "dpkg-query", "", "edited or not (no record to compare with)"},
		{"el9", "rpm", "0000000000000000000000000000000000000000000000000000000000000000 ENV\n ENV", "KEY=value file, edited: rewritten"},
		{"el9", "rpm", "package inventory is not installed", "edited or not (no record to compare with)"},
	} {
		t.Run(tt.target+"-"+tt.stub, func(t *testing.T) {
			m := newMigration(t, content)
			if tt.stub != "" {
				m.stub(t, tt.stub, strings.ReplaceAll(tt.stubOut, "ENV", m.env))
			}
			out := m.run(t, tt.target)
			for _, want := range []string{tt.says, "values unchanged (the old file: " + m.backup + ")",
				"inventory: config: kept: QUOTED, DJANGO_SECRET_KEY, DOUBLE, SINGLE, MISMATCH, INNER, APOS, DOLLAR, BACKSLASH, SPACED, EXPORTED, WIDE, EQUALS, UNICODE, CRLF, EMPTY, QUOTE_ONLY, HASH, DUP, DUP2, INVENTORY_COLOR, TAB, NBSP, VT, LAST\n",
				"inventory: config: commented out, as this release's defaults: INVENTORY_STATE\n",
				// VT=a\vb is two lines, as splitlines made it: VT=a and b.
				"inventory: config: warning: commented out line 30 (not KEY=value, ignored before too)\n",
				"inventory: config: warning: commented out line 31: 'MY-KEY' is not a sh variable name, so the app no longer gets it\n",
				"inventory: config: warning: commented out line 32 (not KEY=value, ignored before too)\n",
				"inventory: config: warning: commented out line 33 (not KEY=value, ignored before too)\n",
				"--- again\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if again := out[strings.Index(out, "--- again"):]; strings.Contains(again, "config:") {
				t.Errorf("the second run changed the file again:\n%s", again)
			}
			if b, _ := os.ReadFile(m.backup); string(b) != content || mode(t, m.backup) != 0o640 {
				t.Errorf("the backup (mode %v) is not the original:\n%s", mode(t, m.backup), b)
			}
			if mode(t, m.env) != 0o640 {
				t.Errorf("the migrated file has mode %v", mode(t, m.env))
			}
			migrated, _ := os.ReadFile(m.env)
			if strings.Contains(string(migrated), "\r") {
				t.Errorf("the migrated file keeps a CR:\n%s", migrated)
			}
			for _, want := range []string{"# Settings of inventory on this server: POSIX sh (KEY='value'), read after\n",
				"\nQUOTED='a \"b\" c'\n", "\nINNER='it'\\''\"'\\''\"'\\''s'\n", "\nAPOS='it'\\''s'\n", "\nBACKSLASH='a\\b\\\\c\\'\n",
				"\n# DUP='first'  # set again below\nDUP='second'\n", "\n# INVENTORY_STATE='/var/lib/inventory'  # as this release's default\n",
				"\n# MY-KEY=dash  # not a sh variable name: no longer set\n", "\n# an admin's comment\n# an indented comment\n\nLAST='no newline at the end'\n"} {
				if !strings.Contains(string(migrated), want) {
					t.Errorf("the migrated file lacks %q:\n%s", want, migrated)
				}
			}
			old := legacyEnv(t, m.backup)
			now := m.shEnv(t)
			for k, v := range old {
				if k == "MY-KEY" {
					continue // cannot be a sh variable
				}
				if now[k] != v {
					t.Errorf("%s: sh now reads %q, the older entry script read %q", k, now[k], v)
				}
			}
			for k, want := range map[string]string{"QUOTED": `a "b" c`, "DJANGO_SECRET_KEY": "x(y)$z`w`!*&;|<>~{a,b}", "DOUBLE": "quoted value",
				"SPACED": "value with spaces", "EXPORTED": "1", "WIDE": "2", "UNICODE": "café ☃ 日本", "CRLF": "crlf value", "EMPTY": "",
				"QUOTE_ONLY": `"`, "MISMATCH": `"abc'`, "DUP": "second", "DUP2": "/var/lib/inventory", "INVENTORY_COLOR": "red",
				"INVENTORY_NEW": "new default", "NBSP": "padded", "VT": "a", "TAB": "x\ty", "BACKSLASH": `a\b\\c\`} {
				if now[k] != want {
					t.Errorf("%s = %q, want %q", k, now[k], want)
				}
			}
			if len(old) != 27 {
				t.Errorf("the legacy reader found %d variables, want 27: %v", len(old), old)
			}
		})
	}
}

// TestMigrateUnedited: a legacy file whose digest is the one dpkg or rpm
// recorded holds only the older version's defaults: it makes way for an
// empty settings file, so that the release's new defaults apply.
func TestMigrateUnedited(t *testing.T) {
	content := legacyHeader + "INVENTORY_COLOR=red\nINVENTORY_STATE=/var/lib/inventory\n"
	md5sum, sha := md5.Sum([]byte(content)), sha256.Sum256([]byte(content))
	for target, stub := range map[string][2]string{
		"debian-12": {"dpkg-query", " ENV " + hex.EncodeToString(md5sum[:]) + " obsolete\n /etc/inventory/settings.ini 0123"},
		"el9":       {"rpm", " ENV\n" + hex.EncodeToString(sha[:]) + " ENV"},
	} {
		t.Run(target, func(t *testing.T) {
			m := newMigration(t, content)
			m.stub(t, stub[0], strings.ReplaceAll(stub[1], "ENV", m.env))
			out := m.run(t, target)
			if want := "inventory: config: " + m.env + " was the older package's KEY=value file, unedited: replaced by an empty settings file, so this release's defaults apply (the old file: " + m.backup + ")\n"; !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
			if strings.Contains(out, "config: created") {
				t.Errorf("the settings file was missing for a moment (replaced, not renamed over):\n%s", out)
			}
			if mode(t, m.env) != 0o640 {
				t.Errorf("the new file has mode %v", mode(t, m.env))
			}
			if b, _ := os.ReadFile(m.backup); string(b) != content {
				t.Errorf("the backup is not the original:\n%s", b)
			}
			if b, _ := os.ReadFile(m.env); strings.Contains(string(b), "INVENTORY") {
				t.Errorf("the new file sets something:\n%s", b)
			}
			if env := m.shEnv(t); env["INVENTORY_COLOR"] != "blue" || env["INVENTORY_NEW"] != "new default" {
				t.Errorf("the new defaults do not arrive: %v", env)
			}
		})
	}
}

// TestMigrateLeavesOthers: a settings file of the current format, or an
// admin's own that happens to mention the old header further down, is not
// touched.
func TestMigrateLeavesOthers(t *testing.T) {
	for _, content := range []string{"# Settings of inventory\nA='x y'\n", "A='1'\n" + legacyHeader} {
		m := newMigration(t, content)
		out := m.run(t, "debian-12")
		if strings.Contains(out, "config: ") {
			t.Errorf("ran on %q:\n%s", content, out)
		}
		if b, _ := os.ReadFile(m.env); string(b) != content {
			t.Errorf("changed %q to %q", content, b)
		}
		if _, err := os.Stat(m.backup); err == nil {
			t.Error("made a backup")
		}
	}
}
