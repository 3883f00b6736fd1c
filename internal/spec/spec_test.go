package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/golden"
)

// project makes a minimal valid project and returns its directory.
func project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"src/app", "venv/lib/python3.11/site-packages", "config", "static"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{
		"venv/pyvenv.cfg":     "home = /usr/bin\nversion = 3.11.7\n",
		"config/settings.ini": "[app]\n",
		"src/app/__init__.py": "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const validSpec = `name: inventory
version: 1.4.2
summary: Web service that tracks stock
description: Tracks stock levels for the warehouse team.
maintainer: Ops Team <ops@example.com>
license: MIT
app:
  source: src
  wsgi: app.web:application
venv: venv
targets: [debian-12, el9]
`

func load(t *testing.T, dir, spec string) (*Spec, error) {
	t.Helper()
	file := filepath.Join(dir, "wsgipack.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(file)
}

func TestLoadValid(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"apache:\n  static:\n    /static: app/static\n")
	if err != nil {
		t.Fatalf("valid spec rejected:\n%v", err)
	}
	if s.Release != 1 || s.User != "inventory" || s.Apache.Mount != "/" || s.Apache.Processes != 2 ||
		s.Apache.Threads != 15 || !s.CompileBytecode() {
		t.Errorf("defaults not applied: %+v", s)
	}
}

// TestOddButValidText: values that are odd but harmless reach the spec
// unchanged: quotes at both ends or one, leading spaces, a tab, non-ASCII
// text, shell syntax (the environment file quotes each value as one sh
// word; roundtrip_test.go reads them back).
func TestOddButValidText(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"environment:\n  QUOTED: \"'both ends'\"\n  SPACED: \"  leading\"\n  ONE: \"'one end\"\n  TAB: \"a\\tb\"\n  UNICODE: \"Grüße – ok\"\n  SHELL: \"$(id) `id` $HOME\"\n")
	if err != nil {
		t.Fatalf("rejected:\n%v", err)
	}
	for k, want := range map[string]string{"QUOTED": "'both ends'", "SPACED": "  leading", "ONE": "'one end", "TAB": "a\tb", "UNICODE": "Grüße – ok", "SHELL": "$(id) `id` $HOME"} {
		if s.Environment[k] != want {
			t.Errorf("%s = %q, want %q", k, s.Environment[k], want)
		}
	}
}

// TestAppDirectives: directives that stay within the app are accepted:
// in a snippet of the main server, sections on the app's own URLs (its
// mount and static URLs); in its own virtual host, directives outside
// sections too, and redirects.
func TestAppDirectives(t *testing.T) {
	dir := project(t)
	for name, apache := range map[string]string{
		"snippet": "apache:\n  mount: /inventory\n  static: {/assets: static}\n  directives:\n" +
			"    - <Location /inventory/admin>\n    - Require ip 10.0.0.0/8\n    - </Location>\n" +
			"    - <Location /inventory/reports>\n    - AuthType Basic\n    - AuthName \"Inventory reports\"\n" +
			"    - AuthBasicProvider file\n    - AuthUserFile /etc/inventory/htpasswd\n    - Require valid-user\n    - </Location>\n" +
			"    - <LocationMatch \"^/inventory/(a|b)/\">\n    - Header set X-A b\n    - </LocationMatch>\n" +
			"    - <LocationMatch \"^/inventory/[|x]\\\\|y\">\n    - AddType image/webp .webp\n    - </LocationMatch>\n" +
			"    - <Location ~ \"^/inventory$\">\n    - </Location>\n" +
			"    - <location \"/assets\">\n    - <If \"-T %{HTTPS}\">\n    - Header set X-B c\n    - </If>\n    - <Else>\n    - Header set X-B d\n    - </Else>\n    - </location>\n",
		"snippet mounted at /": "apache:\n  directives:\n    - <Location /admin>\n    - Require all denied\n    - </Location>\n",
		"site": "apache:\n  mount: /inventory\n  server_name: inv.example.com\n  directives:\n" +
			"    - Header always set X-Content-Type-Options nosniff\n    - LimitRequestBody 1048576\n    - LimitRequestLine 4094\n" +
			"    - RewriteEngine on\n    - RewriteRule ^/old(.*) /inventory$1 [R=301,L]\n    - RewriteRule ^/gone - [G]\n" +
			"    - <Location /anything>\n    - RewriteRule ^ /inventory/\n    - </Location>\n",
	} {
		if _, err := load(t, dir, validSpec+apache); err != nil {
			t.Errorf("%s: rejected:\n%v", name, err)
		}
	}
}

// TestLongestArgument: an environment variable and a hook of the longest
// size Linux passes to a program (MAX_ARG_STRLEN) are accepted.
func TestLongestArgument(t *testing.T) {
	dir := project(t)
	spec := validSpec + "environment:\n  BIG: " + strings.Repeat("x", 131067) + "\nhooks:\n  post_install: [\"echo " + strings.Repeat("x", 131066) + "\"]\n"
	if _, err := load(t, dir, spec); err != nil {
		t.Fatalf("rejected:\n%.500v", err)
	}
}

// TestDependsInEachFormatsSyntax: each target's depends are written in
// its format's relation syntax.
func TestDependsInEachFormatsSyntax(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"depends:\n  debian-12: [\"libpq5 (>= 13)\", libssl3]\n  el9: [\"libpq >= 13\", \"perl(DBI)\"]\n")
	if err != nil {
		t.Fatalf("relations in each format's syntax rejected:\n%v", err)
	}
	if len(s.Depends["debian-12"]) != 2 || len(s.Depends["el9"]) != 2 {
		t.Errorf("depends: %v", s.Depends)
	}
}

// TestLoadInvalid is the bad-spec table: each broken spec must be refused
// with a message that names the place and says what to do.
func TestLoadInvalid(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validSpec, old) {
			panic(old)
		}
		return strings.Replace(validSpec, old, new, 1)
	}
	deb := func(s string) string {
		return strings.Replace(s, "targets: [debian-12, el9]", "targets: [debian-12]", 1)
	}
	rpm := func(s string) string { return strings.Replace(s, "targets: [debian-12, el9]", "targets: [el9]", 1) }
	summary := func(v string) string { return replace("summary: Web service that tracks stock", "summary: "+v) }
	description := func(v string) string {
		return replace("description: Tracks stock levels for the warehouse team.", "description: "+v)
	}
	config := func(dests ...string) string {
		s := validSpec + "config:\n"
		for _, d := range dests {
			s += "  - source: config/settings.ini\n    dest: " + d + "\n"
		}
		return s
	}
	const spec1MiB = MaxSize
	tests := []struct {
		name string
		spec string
		want []string // substrings of the error, in order of appearance
	}{
		// YAML itself.
		{"unknown top-level key", validSpec + "colour: blue\n", []string{`wsgipack.yaml:12:1: colour: unknown key "colour"; known keys here:`}},
		{"unknown nested key", validSpec + "apache:\n  port: 80\n", []string{`:13:3: apache.port: unknown key "port"`}},
		{"unknown key in a config entry", validSpec + "config:\n  - source: config/settings.ini\n    dest: /etc/inventory/a\n    mode: 0600\n", []string{`:15:5: config[0].mode: unknown key "mode"`}},
		{"duplicate top-level key", validSpec + "name: other\n", []string{`:12:1: name: the key "name" is written twice (first at line 1:1): keep one`}},
		{"files over app", validSpec + "app:\n  files:\n    app: config\n", []string{`:12:1: app: the key "app" is written twice (first at line 7:1)`}},
		{"duplicate environment key", validSpec + "environment:\n  A: 1\n  A: 2\n", []string{`:14:3: environment.A: the key "A" is written twice (first at line 13:3)`}},
		{"duplicate static URL", validSpec + "apache:\n  static:\n    /s: static\n    /s: app\n", []string{`:15:5: apache.static./s: the key "/s" is written twice`}},
		{"second document", validSpec + "---\nname: evil\n", []string{`:12:1: a second YAML document starts here ('---')`}},
		{"empty second document", validSpec + "---\n", []string{`:12:1: a second YAML document starts here`}},
		{"second document after an end marker", validSpec + "...\n---\nuser: root\n", []string{`:13:1: a second YAML document`}},
		{"invalid UTF-8", replace("license: MIT", "license: MIT \xff"), []string{`wsgipack.yaml:6:14: the byte 0xFF is not UTF-8: save the file as UTF-8`}},
		{"Latin-1 file", replace("maintainer: Ops Team", "maintainer: J\xfcrgen"), []string{`:5:14: the byte 0xFC is not UTF-8`}},
		{"alias", validSpec + "depends:\n  debian-12: &d [libpq5]\n  el9: *d\n", []string{`:13:14: anchors and aliases (&name, *name, <<) are not allowed`}},
		{"billion laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n", []string{`:1:4: anchors and aliases`}},
		{"merge key", validSpec + "apache: &a {mount: /x}\nhooks: {<<: *a}\n", []string{`:12:9: anchors and aliases`}},
		{"parse and validation problems together", replace("name: inventory", "name: Bad") + "colour: blue\napache: {processes: 100}\nname: again\n", []string{`:1:7: name: "Bad" is not a valid name`, `:12:1: colour: unknown key`, `:13:21: apache.processes: 100 is out of range`, `:14:1: name: the key "name" is written twice`}},
		{"yaml syntax", validSpec + "app: [\n", []string{`:12:1: invalid YAML`}},
		{"empty first document", "---\n---\n" + validSpec, []string{`:2:1: a second YAML document starts here`}},
		{"control character in the file", replace("license: MIT", "license: M\x01IT"), []string{`:6:11: invalid YAML: control characters are not allowed`}},
		{"too many environment variables", validSpec + "environment:\n" + manyVars(1001), []string{`:13:3: environment: has 1001 entries: a spec needs far fewer, and at most 1000 are taken`}},
		{"file over 1 MiB", validSpec + "# " + strings.Repeat("x", spec1MiB) + "\n", []string{`wsgipack.yaml:1:1: the file is larger than 1048576 bytes (1 MiB)`}},
		{"tab indentation", validSpec + "apache:\n\tmount: /x\n", []string{`:13:1: invalid YAML`}},
		{"empty file", "", []string{`wsgipack.yaml:1:1: the file is empty`}},
		{"only a comment", "# nothing\n", []string{`:1:1: the file is empty`}},
		{"not a mapping", "- a\n- b\n", []string{`wsgipack.yaml:1:1: the file must be a mapping`}},
		{"scalar file", "just text\n", []string{`:1:1: the file must be a mapping`}},
		{"missing required", "name: inventory\n", []string{"summary: is required", "maintainer: is required", "license: is required", "app.source: is required", "app.wsgi: is required", "venv: is required", "targets: is required"}},
		{"null list items", replace("targets: [debian-12, el9]", "targets: [debian-12, ~, el9]") + "hooks:\n  post_install:\n    -\n    - make migrate\nsecrets: [null]\n", []string{`:11:22: targets[1]: is empty (~, null or a bare '-'): write a value or remove the item`, `:14:6: hooks.post_install[0]: is empty`, `:16:11: secrets[0]: is empty`}},
		{"binary tag hiding a hook", validSpec + "hooks:\n  post_install: [!!binary cm0gLXJmIC8=]\n", []string{`:13:18: the tag !!binary is not allowed in a spec (!!binary would hide the value a reviewer reads)`}},
		{"str tag", replace("version: 1.4.2", "version: !!str 1.10"), []string{`:2:10: the tag !!str is not allowed in a spec`}},
		{"null key", validSpec + "environment:\n  ~: x\n", []string{`:13:3: environment.~: keys must be plain strings`}},
		// Types and numbers.
		{"wrong type list", replace("targets: [debian-12, el9]", "targets: debian-12"), []string{`:11:10: targets: must be a list`}},
		{"wrong type int", validSpec + "apache:\n  processes: many\n", []string{`:13:14: apache.processes: must be a whole number from 1 to 64 (each process holds a copy of the app; more belongs on another server), not "many"`}},
		{"wrong type bool", validSpec + "bytecode: sometimes\n", []string{`:12:11: bytecode: must be true or false`}},
		{"mapping for string", replace("license: MIT", "license: {name: MIT}"), []string{`:6:10: license: must be a single value`}},
		// venv: one path or one per Python X.Y.
		{"venv key not a Python", replace("venv: venv", "venv: {path: venv}"), []string{`:10:8: venv.path: "path" is not a Python version`}},
		{"venv key Python 2", replace("venv: venv", `venv: {"2.7": venv}`), []string{`:10:8: venv.2.7: "2.7" is not a Python version`}},
		{"venv key without minor", replace("venv: venv", `venv: {"3": venv}`), []string{`"3" is not a Python version`}},
		{"venv per Python missing", replace("venv: venv", `venv: {"3.11": venv, "3.9": nothere}`), []string{`:10:29: venv.3.9: nothere does not exist`}},
		{"venv per Python not a venv", replace("venv: venv", "venv:\n  \"3.11\": src"), []string{`:11:11: venv.3.11: src has no pyvenv.cfg`}},
		{"venv per Python empty path", replace("venv: venv", `venv: {"3.11": ""}`), []string{`venv.3.11: is empty: name the venv's directory`}},
		{"venv per Python outside", replace("venv: venv", `venv: {"3.11": ../venv}`), []string{`venv.3.11: "../venv" must be a path inside the project`}},
		{"venv empty mapping", replace("venv: venv", "venv: {}"), []string{`venv: is required`}},
		{"venv list", replace("venv: venv", "venv: [venv]"), []string{`:10:7: venv: must be a single value, not a list`}},
		{"venv path with newline", replace("venv: venv", `venv: {"3.11": "ve\nnv"}`), []string{`venv.3.11: holds the control character or line break U+000A`}},
		{"list for string", replace("license: MIT", "license: [MIT, BSD]"), []string{`:6:10: license: must be a single value, not a list`}},
		{"processes uint64 max", validSpec + "apache:\n  processes: 18446744073709551615\n", []string{`:13:14: apache.processes: 18446744073709551615 is out of range: it must be a whole number from 1 to 64`}},
		{"processes beyond uint64", validSpec + "apache:\n  processes: 99999999999999999999999\n", []string{`:13:14: apache.processes: 99999999999999999999999 is out of range: it must be a whole number from 1 to 64`}},
		{"too many processes", validSpec + "apache:\n  processes: 500\n", []string{":13:14: apache.processes: 500 is out of range: it must be a whole number from 1 to 64"}},
		{"negative threads", validSpec + "apache:\n  threads: -1\n", []string{`:13:12: apache.threads: -1 is out of range: it must be a whole number from 1 to 256`}},
		{"zero processes", validSpec + "apache:\n  processes: 0\n", []string{`:13:14: apache.processes: 0 is out of range`}},
		{"hex threads too many", validSpec + "apache:\n  threads: 0x1000\n", []string{`:13:12: apache.threads: 0x1000 is out of range: it must be a whole number from 1 to 256`}},
		{"fractional threads", validSpec + "apache:\n  threads: 2.5\n", []string{`:13:12: apache.threads: must be a whole number from 1 to 256`, `not "2.5"`}},
		{"timeout above a day", validSpec + "apache:\n  request_timeout: 86401\n", []string{`:13:20: apache.request_timeout: 86401 is out of range: it must be a whole number from 1 to 86400 (seconds, at most a day)`}},
		{"negative release", validSpec + "release: -3\n", []string{`:12:10: release: -3 is out of range: it must be a whole number from 1 to 999999`}},
		{"release overflow", validSpec + "release: 9223372036854775808\n", []string{`:12:10: release: 9223372036854775808 is out of range`}},
		{"release as text", validSpec + "release: one\n", []string{`:12:10: release: must be a whole number from 1 to 999999`}},
		// Names and versions.
		{"bad name", replace("name: inventory", "name: Inventory_App"), []string{`:1:7: name: "Inventory_App" is not a valid name`}},
		{"name too long", replace("name: inventory", "name: "+strings.Repeat("a", 33)), []string{`:1:7: name: "aaaa`, "2 to 32"}},
		{"name ending in a dash", replace("name: inventory", "name: inv-"), []string{`:1:7: name: "inv-" is not a valid name`}},
		{"name of a system directory", replace("name: inventory", "name: ssl"), []string{`:1:7: name: "ssl" belongs to the system`, "would take over /etc/ssl"}},
		{"name of an Apache package", replace("name: inventory", "name: apache2"), []string{`:1:7: name: "apache2" belongs to the system`}},
		{"name of an account", replace("name: inventory", "name: backup"), []string{`:1:7: name: "backup" belongs to the system`}},
		{"name root blamed on name only", replace("name: inventory", "name: root"), []string{`:1:7: name: "root" belongs to the system`}},
		{"reserved user", validSpec + "user: www-data\n", []string{`:12:7: user: "www-data" is a system account`}},
		{"user named as a group of root's power", validSpec + "user: docker\n", []string{`:12:7: user: "docker" is a system account`}},
		{"user of a cloud image's sudoer", validSpec + "user: ubuntu\n", []string{`:12:7: user: "ubuntu" is a system account`}},
		{"bad user", validSpec + "user: Bad.User\n", []string{`:12:7: user: "Bad.User" is not a valid name`}},
		{"bad version", replace("version: 1.4.2", "version: 1.4.x"), []string{`:2:10: version: version "1.4.x" is neither SemVer`}},
		// Text fields and the linters' rules on them.
		{"bad maintainer", replace("maintainer: Ops Team <ops@example.com>", "maintainer: ops"), []string{`:5:13: maintainer: "ops" is not 'Name <email>'`}},
		{"maintainer without name", replace("maintainer: Ops Team <ops@example.com>", "maintainer: <ops@example.com>"), []string{`:5:13: maintainer: "<ops@example.com>" is not 'Name <email>'`}},
		{"maintainer is root", replace("maintainer: Ops Team <ops@example.com>", "maintainer: Ops Team <root@example.com>"), []string{`:5:13: maintainer: "Ops Team <root@example.com>" names root (lintian error root-in-contact)`}},
		{"maintainer at localhost", replace("maintainer: Ops Team <ops@example.com>", "maintainer: Ops Team <ops@localhost>"), []string{`:5:13: maintainer: "Ops Team <ops@localhost>": "localhost" is not a domain name (lintian error bogus-mail-host)`}},
		{"maintainer with trailing space", replace("maintainer: Ops Team <ops@example.com>", `maintainer: "Ops Team <ops@example.com> "`), []string{`:5:13: maintainer: "Ops Team <ops@example.com> " has spaces at the start or end`}},
		{"summary with leading space", summary(`"  Web service"`), []string{`:3:10: summary: "  Web service" has spaces at the start or end: dpkg drops them and rpmlint refuses them`}},
		{"license with leading space", replace("license: MIT", `license: " MIT"`), []string{`:6:10: license: " MIT" has spaces at the start or end`}},
		{"long summary", summary(strings.Repeat("word ", 16) + "x"), []string{":3:10: summary: is 81 characters long: it must be one line of at most 80"}},
		{"80 characters for rpm", summary(strings.Repeat("word ", 15) + "word1"), []string{":3:10: summary: is 80 characters long: rpm targets take at most 79 (rpmlint error summary-too-long)"}},
		{"summary starts with the name", summary("Inventory web service"), []string{`:3:10: summary: "Inventory web service" starts with the package name "inventory" (lintian error description-starts-with-package-name)`}},
		{"summary starts with the name, dash", summary("inventory-web service"), []string{`:3:10: summary: "inventory-web service" starts with the package name`}},
		{"summary is the name", summary("Inventory"), []string{`:3:10: summary: "Inventory" is the package name (lintian error description-is-pkg-name)`}},
		{"summary is one word", summary("Stocktaking"), []string{`:3:10: summary: "Stocktaking" is one word (lintian error description-too-short)`}},
		{"summary with a tab", summary(`"Web\tservice"`), []string{`:3:10: summary: holds a tab (lintian error description-contains-tabs)`}},
		{"description with a tab", description(`"Tracks\tstock."`), []string{`:4:14: description: holds a tab (lintian error description-contains-tabs)`}},
		{"description left out on deb", strings.Replace(validSpec, "description: Tracks stock levels for the warehouse team.\n", "", 1), []string{`:3:10: description: defaults to summary (line 3:10), so a .deb has no extended description (lintian error extended-description-is-empty)`}},
		{"description same as summary", description("Web service that tracks stock"), []string{`:4:14: description: is the summary again, so a .deb has no extended description (lintian error extended-description-is-empty)`}},
		{"description repeats the summary", description("\"Web service that tracks stock.\\nMore.\""), []string{`:4:14: description: its first line repeats the summary (lintian error description-synopsis-is-duplicated)`}},
		{"description line starting with a dot", description("\"Tracks stock.\\n.hidden files are skipped\""), []string{`:4:14: description: line 2 starts with '.' (lintian error description-contains-invalid-control-statement)`}},
		{"description line too long for rpm", description(strings.Repeat("word ", 15) + "word1"), []string{`:4:14: description: line 1 is 80 characters long: rpm targets take at most 79 (rpmlint error description-line-too-long and lintian warning`}},
		{"newline in maintainer", replace("maintainer: Ops Team <ops@example.com>", `maintainer: "Ops <ops@example.com>\nEssential: yes"`), []string{":5:13: maintainer: holds the control character or line break U+000A: it must be one line"}},
		{"newline in license", replace("license: MIT", `license: "MIT\n\nFiles: *"`), []string{":6:10: license: holds the control character or line break U+000A"}},
		{"carriage return in summary", summary(`"Inventory\rweb"`), []string{":3:10: summary: holds the control character or line break U+000D"}},
		{"NUL in summary", summary(`"Web\0service"`), []string{":3:10: summary: holds the control character or line break U+0000"}},
		{"next line in summary", summary(`"Web\u0085service"`), []string{":3:10: summary: holds the control character or line break U+0085"}},
		{"carriage return in description", description("\"one\\rtwo\""), []string{":4:14: description: holds the control character or line break U+000D: it must be text with newlines only"}},
		{"escape sequence in description", description("\"Tracks \\e[31mstock\""), []string{":4:14: description: holds the control character or line break U+001B"}},
		{"bidirectional override in a hook", validSpec + "hooks:\n  post_install: [\"echo ok \\u202e; rm -rf ~ \\u202c\"]\n", []string{`:13:18: hooks.post_install[0]: holds U+202E, a bidirectional control`}},
		{"bidirectional isolate in the description", description("\"Tracks \\u2067stock\\u2069 levels.\""), []string{`:4:14: description: holds U+2067, a bidirectional control`}},
		{"homepage not http", replace("license: MIT", "license: MIT\nhomepage: ftp://example.com/"), []string{`:7:11: homepage: "ftp://example.com/" is not an http(s) URL`}},
		{"homepage with a space", replace("license: MIT", "license: MIT\nhomepage: https://example.com/a b"), []string{`:7:11: homepage: "https://example.com/a b" is not an http(s) URL (write spaces as %20)`}},
		{"homepage with a newline", replace("license: MIT", "license: MIT\nhomepage: \"https://example.com/\\nURL: x\""), []string{`:7:11: homepage: holds the control character or line break U+000A`}},
		// The app.
		{"source missing", replace("source: src", "source: nowhere"), []string{`:8:11: app.source: nowhere does not exist`}},
		{"source escapes", replace("source: src", "source: ../src"), []string{`:8:11: app.source: "../src" must be a path inside the project`}},
		{"source absolute", replace("source: src", "source: /etc"), []string{`:8:11: app.source: "/etc" must be a path inside the project`}},
		{"wsgi not module:callable", replace("wsgi: app.web:application", "wsgi: app/web.py"), []string{`:9:9: app.wsgi: "app/web.py" is neither module:callable`}},
		{"wsgi factory with args", replace("wsgi: app.web:application", "wsgi: app.web:create(1)"), []string{`:9:9: app.wsgi: "app.web:create(1)" is neither`}},
		{"wsgi with code", replace("wsgi: app.web:application", `wsgi: "os:system('id')"`), []string{`:9:9: app.wsgi: "os:system('id')" is neither`}},
		{"bad exclude glob", replace("wsgi: app.web:application", "wsgi: app.web:application\n  exclude: [\"[\"]"), []string{`:10:13: app.exclude[0]: "[" is not a valid glob pattern`}},
		{"exclude pattern with a leading slash", replace("wsgi: app.web:application", "wsgi: app.web:application\n  exclude: [\"/app/tests\"]"), []string{`:10:13: app.exclude[0]: "/app/tests" never matches: patterns are matched against paths relative to app.source`}},
		{"exclude pattern leaving app.source", replace("wsgi: app.web:application", "wsgi: app.web:application\n  exclude: [\"**/*.orig\", \"../secrets\"]"), []string{`:10:26: app.exclude[1]: "../secrets" never matches`}},
		{"files dest escapes", replace("wsgi: app.web:application", "wsgi: app.web:application\n  files:\n    ../../etc/cron.d/x: config/settings.ini"), []string{`:11:5: app.files.../../etc/cron.d/x: "../../etc/cron.d/x" must be a clean path relative to /opt/inventory`}},
		{"files dest is the venv", replace("wsgi: app.web:application", "wsgi: app.web:application\n  files:\n    venv/x: config/settings.ini"), []string{`:11:5: app.files.venv/x: "venv/x": /opt/inventory/package/venv is filled by wsgipack`}},
		{"files inside a file", replace("wsgi: app.web:application", "wsgi: app.web:application\n  files:\n    extra: config/settings.ini\n    extra/x: config/settings.ini"), []string{`:12:14: app.files.extra/x: "extra/x" is inside "extra", which is the file config/settings.ini, not a directory`}},
		{"venv not a venv", replace("venv: venv", "venv: src"), []string{`:10:7: venv: src has no pyvenv.cfg`}},
		{"venv_keep unknown", validSpec + "venv_keep: [requests]\n", []string{`:12:13: venv_keep[0]: "requests" is not one of pip, setuptools, wheel`}},
		// Targets and depends.
		{"unknown target", replace("[debian-12, el9]", "[debian-12, centos-7]"), []string{`:11:22: targets[1]: unknown target "centos-7"; known targets:`}},
		{"duplicate target", replace("[debian-12, el9]", "[el9, el9]"), []string{`:11:16: targets[1]: el9 is listed twice`}},
		{"depends for other target", validSpec + "depends:\n  el8: [libpq]\n", []string{`:13:3: depends.el8: "el8" is not in targets`}},
		{"rpm syntax for a deb target", validSpec + "depends:\n  debian-12: [\"libpq5 >= 13\"]\n", []string{`:13:15: depends.debian-12[0]: "libpq5 >= 13" is not a Debian package name, optionally with a version as 'libpq5 (>= 13)' (debian-12 is a deb target)`}},
		{"Debian syntax for an rpm target", validSpec + "depends:\n  el9: [\"libpq (>= 13)\"]\n", []string{`:13:9: depends.el9[0]: "libpq (>= 13)" is Debian's syntax; rpm's is 'name >= version'`}},
		// Secrets and Apache directives.
		{"secret not a name", validSpec + "secrets: [SECRET-KEY]\n", []string{`:12:11: secrets[0]: "SECRET-KEY" is not a variable name`}},
		{"secret twice", validSpec + "secrets: [KEY, KEY]\n", []string{`:12:16: secrets[1]: KEY is listed twice`}},
		{"secret with a value", validSpec + "environment:\n  KEY: in the package\nsecrets: [KEY]\n", []string{`:14:11: secrets[0]: KEY also has a value under environment`}},
		{"directive acting as root", validSpec + "apache:\n  directives:\n    - LoadModule evil_module /tmp/evil.so\n", []string{`:14:7: apache.directives[0]: LoadModule is not allowed in an app's config (it acts as root or on the whole server); allowed: Header,`}},
		{"directive: piped log", validSpec + "apache:\n  directives:\n    - CustomLog \"|/bin/sh -c id\" common\n", []string{`:14:7: apache.directives[0]: CustomLog is not allowed`}},
		{"directive: include", validSpec + "apache:\n  directives:\n    - Include /etc/shadow\n", []string{`:14:7: apache.directives[0]: Include is not allowed`}},
		{"directive: section not closed", validSpec + "apache:\n  directives:\n    - <Location /admin>\n    - Require ip 10.0.0.0/8\n", []string{`apache.directives: <Location> is not closed: add </Location>`}},
		{"directive: section not open", validSpec + "apache:\n  directives:\n    - </Location>\n", []string{`:14:7: apache.directives[0]: </Location> closes a section that is not open`}},
		{"directive: two lines", validSpec + "apache:\n  directives:\n    - \"Header set A b\\nLoadModule x /tmp/x.so\"\n", []string{`:14:7: apache.directives[0]: holds the control character or line break U+000A`}},
		{"directive continued on the next line", validSpec + "apache:\n  directives:\n    - <Location /x>\n    - Header set A b \\\n    - </Location>\n", []string{`:15:7: apache.directives[1]: "Header set A b \\" ends with a backslash, which continues an Apache line`}},
		{"directive of the whole server (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - Header set X-A b\n", []string{`:15:7: apache.directives[0]: Header outside a <Location> acts on every request of the server, not just the app's`, "put it inside <Location /inventory>"}},
		{"directive: Location beyond the app (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - <Location />\n    - Require all granted\n    - </Location>\n", []string{`:15:7: apache.directives[0]: <Location /> is not one of the app's URLs (/inventory) nor below one`}},
		{"directive: Location beside the mount (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - <Location /inventory-admin>\n    - </Location>\n", []string{`<Location /inventory-admin> is not one of the app's URLs`}},
		{"directive: LocationMatch not anchored (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - <LocationMatch \"/admin\">\n    - </LocationMatch>\n", []string{`:15:7: apache.directives[0]: <LocationMatch /admin> is not anchored at one of the app's URLs (/inventory): start it with ^/inventory/`}},
		{"directive: Location ~ not anchored (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - <Location ~ \"^/inventoryx\">\n    - </Location>\n", []string{`<Location ^/inventoryx> is not anchored`}},
		{"directive: If of the whole server (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - <If \"true\">\n    - </If>\n", []string{`:15:7: apache.directives[0]: <If> outside a <Location> acts on every request of the server`}},
		{"directive: server limit in a snippet", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - LimitRequestLine 100\n", []string{`:15:7: apache.directives[0]: LimitRequestLine sets a limit of the whole server`}},
		{"directive: server limit in a section", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <Location /x>\n    - LimitRequestFields 10\n    - </Location>\n", []string{`:16:7: apache.directives[1]: LimitRequestFields sets a limit`}},
		{"directive: Require in the virtual host", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - Require all granted\n", []string{`:15:7: apache.directives[0]: Require is taken only inside a section`}},
		{"directive: Location inside If", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <If \"true\">\n    - <Location /x>\n    - </Location>\n    - </If>\n", []string{`:16:7: apache.directives[1]: <Location> cannot be inside <If>`}},
		{"directive: Location on Apache's own URL (site)", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <Location /server-status>\n    - Require all granted\n    - </Location>\n", []string{`:15:7: apache.directives[0]: <Location /server-status> is /server-status, which Apache's own configuration serves on every host`}},
		{"directive: Else without If", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <Else>\n    - </Else>\n", []string{`:15:7: apache.directives[0]: <Else> must come right after the </If>`}},
		{"directive: section without >", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <Location /a\n    - </Location>\n", []string{`:15:7: apache.directives[0]: "<Location /a" does not end with '>'`}},
		{"directive: rewrite to a file of the server", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - RewriteEngine on\n    - RewriteRule ^/x /etc/passwd\n", []string{`:16:7: apache.directives[1]: RewriteRule to "/etc/passwd" outside a <Location>: Apache reads it as a file of the server`}},
		{"directive: rewrite as a proxy", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - RewriteRule ^/m http://169.254.169.254/ [P,L]\n", []string{`:15:7: apache.directives[0]: RewriteRule with [P] makes Apache a proxy`}},
		{"directive: LocationMatch alternation beyond the app (snippet)", validSpec + "apache:\n  mount: /inventory\n  directives:\n    - <LocationMatch \"^/inventory/|^/admin\">\n    - Require all granted\n    - </LocationMatch>\n", []string{`:15:7: apache.directives[0]: <LocationMatch ^/inventory/|^/admin> is not anchored at one of the app's URLs`}},
		{"directive: type of a handler", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <Location /media>\n    - AddType application/x-httpd-php .jpg\n    - RewriteRule \\.png$ - [T=application/x-httpd-php]\n    - </Location>\n", []string{`:16:7: apache.directives[1]: AddType application/x-httpd-php .jpg names a handler's type`, `:17:7: apache.directives[2]: RewriteRule with [H] makes Apache run files with another handler (as code), as does [T=application/x-httpd-...]`}},
		{"directive: rewrite to a handler", validSpec + "apache:\n  server_name: inv.example.com\n  directives:\n    - <Location /u>\n    - RewriteRule \\.txt$ - [H=cgi-script]\n    - </Location>\n", []string{`:16:7: apache.directives[1]: RewriteRule with [H] makes Apache run files`}},
		{"directive list as text", validSpec + "apache:\n  directives: Header set A b\n", []string{`:13:15: apache.directives: must be a list`}},
		{"pass_authorization not a bool", validSpec + "apache:\n  pass_authorization: sometimes\n", []string{`:13:23: apache.pass_authorization: must be true or false`}},
		{"bad rpm relation", validSpec + "depends:\n  el9: [\"libpq >= \"]\n", []string{`depends.el9[0]: "libpq >= " is not an rpm dependency`}},
		{"relation with a comma", validSpec + "depends:\n  debian-12: [\"libpq5, sudo\"]\n", []string{`:13:15: depends.debian-12[0]: "libpq5, sudo" is not a Debian package name`}},
		// Apache.
		{"bad mount", validSpec + "apache:\n  mount: inventory/\n", []string{`:13:10: apache.mount: "inventory/" must be a URL path`}},
		{"mount with a quote", validSpec + "apache:\n  mount: '/a\" b'\n", []string{`:13:10: apache.mount: "/a\" b" must be a URL path`}},
		{"server name wildcard", validSpec + "apache:\n  server_name: \"*.example.com\"\n", []string{`:13:16: apache.server_name: "*.example.com" is a wildcard: Apache's ServerName takes one host name`}},
		{"server name with a space", validSpec + "apache:\n  server_name: \"a.example.com evil.example.com\"\n", []string{`:13:16: apache.server_name: "a.example.com evil.example.com" is not a host name`}},
		{"static outside", validSpec + "apache:\n  static:\n    /static: ../etc\n", []string{`:14:14: apache.static./static: "../etc" must be a clean path relative to /opt/inventory`}},
		{"static URL not a path", validSpec + "apache:\n  static:\n    \"static files\": static\n", []string{`:14:5: apache.static.static files: "static files" must be a URL path such as /static`}},
		{"static directory with an Apache variable", validSpec + "apache:\n  static:\n    /static: \"app/${APACHE_LOG_DIR}\"\n", []string{`:14:14: apache.static./static: "app/${APACHE_LOG_DIR}" holds ${, which Apache replaces`}},
		{"newline in a static directory", validSpec + "apache:\n  static:\n    /static: \"app\\nSetEnv INJECTED 1\"\n", []string{":14:14: apache.static./static: holds the control character or line break U+000A"}},
		{"mount with a dot segment", validSpec + "apache:\n  mount: /inventory/../admin\n", []string{`:13:10: apache.mount: "/inventory/../admin" holds a . or .. segment`}},
		{"mount with a %-escape", validSpec + "apache:\n  mount: /%7Einventory\n", []string{`:13:10: apache.mount: "/%7Einventory" holds %, but Apache matches the decoded path`}},
		{"static URL with a dot segment", validSpec + "apache:\n  static:\n    /s/./x: static\n", []string{`:14:5: apache.static./s/./x: "/s/./x" holds a . or .. segment`}},
		{"static URL is the mount", validSpec + "apache:\n  mount: /inventory\n  static:\n    /inventory: static\n", []string{`:15:5: apache.static./inventory: "/inventory" is apache.mount (/inventory) or above it: Apache's Alias would take the app's requests`}},
		{"mount on Apache's own URL", validSpec + "apache:\n  mount: /server-status\n", []string{`:13:10: apache.mount: "/server-status" is /server-status, which Apache's own configuration serves on every host`}},
		{"static URL below Apache's own URL", validSpec + "apache:\n  static:\n    /icons/app: static\n", []string{`:14:5: apache.static./icons/app: "/icons/app" is /icons, which Apache's own configuration serves`}},
		{"static URL above the mount", validSpec + "apache:\n  mount: /shop/inventory\n  static:\n    /shop: static\n", []string{`:15:5: apache.static./shop: "/shop" is apache.mount (/shop/inventory) or above it`}},
		{"static URL at the root", validSpec + "apache:\n  static:\n    /: static\n", []string{`:14:5: apache.static./: "/" is apache.mount (/) or above it`}},
		{"static directory with a wildcard", validSpec + "apache:\n  static:\n    /s: \"app/*\"\n", []string{`:14:9: apache.static./s: "app/*" holds a wildcard`}},
		// Environment.
		{"bad env key", validSpec + "environment:\n  1BAD: x\n", []string{`:13:3: environment.1BAD: "1BAD" is not a variable name`}},
		{"env key with a space", validSpec + "environment:\n  \"A B\": x\n", []string{`environment.A B: "A B" is not a variable name`}},
		{"line separator in an environment value", validSpec + "environment:\n  A: \"x\\u2028LD_PRELOAD=/tmp/evil.so\"\n", []string{":13:6: environment.A: holds the control character or line break U+2028"}},
		{"environment: a variable bash keeps read-only", validSpec + "environment:\n  UID: \"5\"\n", []string{`:13:3: environment.UID: UID belongs to the shell that reads the environment files`}},
		{"environment: a variable the shell sets itself", validSpec + "environment:\n  SHLVL: \"3\"\n  RANDOM: \"4\"\n  BASH_ENV: /tmp/x\n  IFS: x\n", []string{`environment.SHLVL: SHLVL belongs to the shell`, `environment.RANDOM: RANDOM belongs`, `environment.BASH_ENV: BASH_ENV belongs`, `environment.IFS: IFS belongs`}},
		{"environment: the dynamic loader", validSpec + "environment:\n  LD_PRELOAD: /tmp/evil.so\n", []string{`:13:3: environment.LD_PRELOAD: LD_PRELOAD is read by the dynamic loader`}},
		{"environment: the hooks' search paths", validSpec + "environment:\n  PATH: /tmp\n  PYTHONPATH: /tmp\n  PYTHONHOME: /tmp\n", []string{`environment.PATH: PATH is set by the install scripts for the hooks`, `environment.PYTHONPATH: PYTHONPATH is set`, `environment.PYTHONHOME: PYTHONHOME is set`}},
		{"secret named PATH", validSpec + "secrets: [PATH]\n", []string{`:12:11: secrets[0]: PATH is set by the install scripts for the hooks`}},
		{"secret for the loader", validSpec + "secrets: [APP_KEY, LD_PRELOAD]\n", []string{`:12:20: secrets[1]: LD_PRELOAD is read by the dynamic loader`}},
		{"secret the shell owns", validSpec + "secrets: [EUID]\n", []string{`secrets[0]: EUID belongs to the shell`}},
		{"environment value too long to pass to a program", validSpec + "environment:\n  BIG: " + strings.Repeat("x", 131068) + "\n", []string{`:13:8: environment.BIG: is 131072 bytes as BIG=value: Linux passes at most 131071 to a program (MAX_ARG_STRLEN)`}},
		{"hook too long to pass to sh", validSpec + "hooks:\n  post_install: [\"echo " + strings.Repeat("x", 131067) + "\"]\n", []string{`:13:18: hooks.post_install[0]: is 131072 bytes: Linux passes at most 131071 in one argument`}},
		// Config files and writable paths.
		{"config over a system file", config("/etc/passwd"), []string{`:14:11: config[0].dest: "/etc/passwd" must be a clean absolute file path under /etc/inventory/`}},
		{"config as a cron job", config("/etc/cron.d/x"), []string{`config[0].dest: "/etc/cron.d/x" must be a clean absolute file path under /etc/inventory/`}},
		{"config with a space", config("/etc/inventory/a b"), []string{`config[0].dest: "/etc/inventory/a b" must be a clean absolute file path under /etc/inventory/ without spaces`}},
		{"config is the app's config directory", config("/etc/inventory"), []string{`:14:11: config[0].dest: "/etc/inventory" must be a clean absolute file path under /etc/inventory/`}},
		{"config dest with a trailing slash", config("/etc/inventory/conf.d/"), []string{`config[0].dest: "/etc/inventory/conf.d/" must be a clean absolute file path`}},
		{"config dest unclean", config("/etc/inventory/../passwd"), []string{`config[0].dest: "/etc/inventory/../passwd" must be a clean absolute file path`}},
		{"config on environment file", config("/etc/inventory/environment"), []string{`:14:11: config[0].dest: /etc/inventory/environment is already used`}},
		{"config twice", config("/etc/inventory/a.ini", "/etc/inventory/a.ini"), []string{`:16:11: config[1].dest: /etc/inventory/a.ini is already used`}},
		{"config inside another config file", config("/etc/inventory/a", "/etc/inventory/a/b"), []string{`:16:11: config[1].dest: /etc/inventory/a/b is inside /etc/inventory/a, the file config[0] installs`}},
		{"config around another config file", config("/etc/inventory/a/b", "/etc/inventory/a"), []string{`:16:11: config[1].dest: /etc/inventory/a/b is inside /etc/inventory/a`}},
		{"config outside etc", config("/opt/x.ini"), []string{`config[0].dest: "/opt/x.ini" must be a clean absolute file path under /etc`}},
		{"config missing source", validSpec + "config:\n  - source: config/nope.ini\n    dest: /etc/inventory/x.ini\n", []string{`:13:13: config[0].source: config/nope.ini does not exist`}},
		{"config missing dest", validSpec + "config:\n  - source: config/settings.ini\n", []string{`:13:5: config[0].dest: is required`}},
		{"writable in venv", validSpec + "writable: [venv/cache]\n", []string{`:12:12: writable[0]: "venv/cache": the code, the venv and the entry script stay read-only`}},
		{"writable is the code", validSpec + "writable: [app]\n", []string{`:12:12: writable[0]: "app": the code, the venv and the entry script stay read-only`}},
		{"writable escapes", validSpec + "writable: [../../var/spool]\n", []string{`:12:12: writable[0]: "../../var/spool" must be a clean path relative to /opt/inventory`}},
		{"writable nested", validSpec + "writable: [app/data, app/data/cache]\n", []string{`:12:22: writable[1]: "app/data/cache" and writable[0] "app/data" overlap`}},
		{"files inside writable", replace("wsgi: app.web:application", "wsgi: app.web:application\n  files:\n    media/a.txt: config/settings.ini") + "writable: [media]\n", []string{`:14:12: writable[0]: "media" is a symlink into /var/lib/inventory, so app.files "media/a.txt" cannot be shipped inside it`}},
		{"writable is the environment file", validSpec + "writable: [environment]\n", []string{`:12:12: writable[0]: "environment": the code, the venv and the entry script stay read-only, as does the environment file`}},
		{"writable is the install scripts' marker", validSpec + "writable: [.wsgipack-first-install-done]\n", []string{`:12:12: writable[0]: ".wsgipack-first-install-done": /var/lib/inventory/.wsgipack* are the install scripts' own files`}},
		{"config inside the environment file", config("/etc/inventory/environment/x"), []string{`:14:11: config[0].dest: /etc/inventory/environment/x is inside /etc/inventory/environment, a file the install scripts make`}},
		{"config inside the secrets file", config("/etc/inventory/secrets/x"), []string{`config[0].dest: /etc/inventory/secrets/x is inside /etc/inventory/secrets, a file the install scripts make`}},
		{"config on the legacy environment's backup", config("/etc/inventory/environment.wsgipack-legacy"), []string{`:14:11: config[0].dest: /etc/inventory/environment.wsgipack-legacy is already used`}},
		{"venv under an empty key", replace("venv: venv", `venv: {"": venv}`), []string{`:10:8: venv.: an empty key is not a Python version`}},
		{"venv under an empty key beside a Python", replace("venv: venv", `venv: {"3.11": venv, "": venv}`), []string{`:10:22: venv.: an empty key is not a Python version`}},
		{"depends on itself", validSpec + "depends:\n  debian-12: [\"inventory (>= 1.0)\"]\n", []string{`:13:15: depends.debian-12[0]: "inventory (>= 1.0)" is the package itself (lintian error package-depends-on-itself)`}},
		{"depends on an essential package", validSpec + "depends:\n  debian-12: [libpq5, bash, \"coreutils (>= 9)\"]\n  el9: [bash]\n", []string{`:13:23: depends.debian-12[1]: "bash" is an essential package, on every Debian system (lintian error depends-on-essential-package-without-using-version)`}},
		{"name of a systemd account", replace("name: inventory", "name: systemd-coredump"), []string{`:1:7: name: "systemd-coredump" belongs to the system`}},
		{"user of a Python package", validSpec + "user: python3-requests\n", []string{`:12:7: user: "python3-requests" is a system account`}},
		// Hooks.
		{"empty hook", validSpec + "hooks:\n  post_install: [\"  \"]\n", []string{":13:18: hooks.post_install[0]: must be one non-empty command line"}},
		{"hook with a newline", validSpec + "hooks:\n  pre_remove: [\"true\\nrm -rf /\"]\n", []string{":13:16: hooks.pre_remove[0]: holds the control character or line break U+000A"}},
		{"hook with an unterminated quote", validSpec + "hooks:\n  post_install: [\"python -m inventory.migrate 'migrations\"]\n", []string{`:13:18: hooks.post_install[0]: "python -m inventory.migrate 'migrations" is not a command sh can run (the install scripts run it with sh -c):`}},
		{"hook with an unclosed if", validSpec + "hooks:\n  first_install: [\"true\", \"if [ -e x ]; then make db\"]\n", []string{`:13:27: hooks.first_install[1]: "if [ -e x ]; then make db" is not a command sh can run`}},
		{"hook list as text", validSpec + "hooks:\n  first_install: make db\n", []string{":13:18: hooks.first_install: must be a list"}},
		// Per-format rules only apply to their format.
		{"deb only: one word summary", deb(summary("Stocktaking")), []string{"description-too-short"}},
		{"rpm only: long description line", rpm(description(strings.Repeat("word ", 15) + "word1")), []string{"rpmlint error description-line-too-long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := project(t)
			_, err := load(t, dir, tt.spec)
			if err == nil {
				t.Fatal("accepted; want an error")
			}
			if !errors.As(err, new(Problems)) {
				t.Fatalf("error is %T, want Problems (exit code 2): %v", err, err)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error does not contain %q (in order):\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestAt: the checks after Load (a venv's contents, a config source)
// place their messages as the spec's own problems are: file:line:col of
// the field, or of its nearest written parent.
func TestAt(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"config:\n  - source: config/settings.ini\n    dest: /etc/inventory/a.ini\n")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "wsgipack.yaml")
	for field, want := range map[string]string{
		"venv":               file + ":10:7: venv",
		"config[0].source":   file + ":13:13: config[0].source",
		"app.wsgi":           file + ":9:9: app.wsgi",
		"hooks.post_install": file + ":1:1: hooks.post_install", // not written: the top
		"app.exclude":        file + ":8:3: app.exclude",        // its parent, app
	} {
		if got := s.At(field); got != want {
			t.Errorf("At(%q) = %q, want %q", field, got, want)
		}
	}
	if got := (&Spec{}).At("venv"); got != "venv" {
		t.Errorf("At of a spec Load did not read: %q", got)
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	dir := project(t)
	spec := strings.NewReplacer("name: inventory", "name: X", "version: 1.4.2", "version: nope", "source: src", "source: missing").Replace(validSpec)
	_, err := load(t, dir, spec)
	if ps, ok := err.(Problems); !ok || len(ps) != 3 {
		t.Fatalf("want 3 problems in one report, got %v", err)
	}
}

func TestSchemaUpToDate(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("..", "..", "specs", "wsgipack.schema.json"), got)
}

// TestReferenceSpec keeps specs/wsgipack.yaml complete: it parses strictly
// and sets every field of the Spec type.
func TestReferenceSpec(t *testing.T) {
	file := filepath.Join("..", "..", "specs", "wsgipack.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, r := parse(file, data)
	if len(r.problems) > 0 {
		t.Fatalf("reference spec does not parse:\n%v", r.problems)
	}
	var missing []string
	for _, f := range allFields("", specType) {
		if _, ok := r.positions[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		t.Errorf("reference spec lacks fields: %s", strings.Join(missing, ", "))
	}
}

var specType = reflect.TypeOf(Spec{})

// allFields lists the dotted paths of every struct field below t.
func allFields(prefix string, t reflect.Type) []string {
	var out []string
	for name, f := range yamlFields(t) {
		p := join(prefix, name)
		out = append(out, p)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, allFields(p, ft)...)
		}
	}
	return out
}

// TestSpecFileNotRegular: a spec that is a FIFO or a directory is refused
// at once, not read until it ends.
func TestSpecFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, dir} {
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Load(%s): %v", p, err)
		}
	}
}

func TestSkeletonIsValid(t *testing.T) {
	dir := project(t)
	file := filepath.Join(dir, "wsgipack.yaml")
	if err := WriteSkeleton(file, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteSkeleton(file, false); err == nil {
		t.Error("overwrote an existing spec without --force")
	}
	// It passes every check, the linters' included; the project names no
	// homepage, so rpmlint's no-url-tag is the one warning left.
	_, warnings, err := LoadWarn(file)
	if err != nil || len(warnings) > 1 || (len(warnings) == 1 && !strings.Contains(warnings[0].String(), "no-url-tag")) {
		t.Fatalf("init writes a spec that check does not pass:\n%v\n%v", err, warnings)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validSpec))
	f.Add([]byte("app: {files: {a: b}}\napache: {static: {/s: x}}\nhooks: {post_install: [x]}\n"))
	f.Add([]byte("targets: &a [x]\ndepends: {x: *a}\n"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"))
	f.Add([]byte("name: x\n---\nname: y\n"))
	f.Add([]byte("apache: {processes: 18446744073709551615, threads: -1}\nrelease: 0x7fffffffffffffff\n"))
	f.Add([]byte("name: a\x01b\n"))
	f.Add([]byte("name: \xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, r := parse("fuzz.yaml", data)
		if len(r.problems) == 0 && s == nil {
			t.Fatal("nil spec without problems")
		}
		for _, p := range r.problems {
			if p.File != "fuzz.yaml" || p.Msg == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
			if p.Line < 1 || p.Col < 1 {
				t.Fatalf("problem without a line and column: %+v", p)
			}
		}
	})
}

// manyVars returns n lines of distinct environment variables.
func manyVars(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  V%d: x\n", i)
	}
	return b.String()
}

// TestParseTimeBounded: the slowest spec of at most MaxSize bytes found
// (mappings of MaxEntries keys, which yaml.v3 decodes in quadratic time,
// under unknown keys and as the environment) is parsed in well under a
// few seconds.
func TestParseTimeBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(validSpec + "environment:\n" + manyVars(MaxEntries))
	for i := 0; b.Len() < MaxSize-20000; i++ {
		fmt.Fprintf(&b, "x%d:\n%s", i, manyVars(MaxEntries))
	}
	data := []byte(b.String()[:min(b.Len(), MaxSize)])
	start := time.Now()
	_, r := parse("big.yaml", data)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("parsing %d bytes took %v", len(data), d)
	}
	if len(r.problems) == 0 {
		t.Error("unknown keys accepted")
	}
}

// TestSecretLookingEnvironment: check warns of environment values that
// look like secrets, by the variable's name (*KEY*, *SECRET*, *PASSWORD*,
// *PASSWD*, *TOKEN*) or as a URL with a password in it.
func TestSecretLookingEnvironment(t *testing.T) {
	dir := project(t)
	for _, c := range []struct {
		env  string
		warn string // "" for none
	}{
		{"API_KEY: abc", "environment.API_KEY: secrets do not belong in a package: API_KEY looks like one"},
		{"db_password: x", "db_password looks like one"},
		{"GITHUB_TOKEN: ghp_x", "GITHUB_TOKEN looks like one"},
		{"API_KEY: ''", ""},
		{"DATABASE_URL: postgres://shop:s3cret@db.example.com/shop", "DATABASE_URL is a URL with a password"},
		{"CACHE_URL: 'redis://:hunter2@localhost:6379/0'", "CACHE_URL is a URL with a password"},
		{"DATABASE_URL: postgres://shop@db.example.com/shop", ""},
		{"SITE_URL: https://example.com/a:b@c", ""},
		{"DJANGO_SETTINGS_MODULE: shop.settings", ""},
	} {
		file := filepath.Join(dir, "wsgipack.yaml")
		if err := os.WriteFile(file, []byte(validSpec+"environment: {"+c.env+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, warnings, err := LoadWarn(file)
		if err != nil {
			t.Fatalf("%s: %v", c.env, err)
		}
		var got []string
		for _, w := range warnings {
			if strings.HasPrefix(w.Field, "environment.") {
				got = append(got, w.String())
			}
		}
		if (c.warn == "") != (len(got) == 0) || (c.warn != "" && !strings.Contains(strings.Join(got, "\n"), c.warn)) {
			t.Errorf("%s: warnings %q, want %q", c.env, got, c.warn)
		}
	}
}
