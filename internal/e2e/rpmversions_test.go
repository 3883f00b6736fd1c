//go:build e2e

package e2e

// The rpm of each EL release (EL8's 4.14.3, EL9's 4.16.1.3, EL10's
// 4.19.1.1, built from source by rpmversions.go) against the packages of
// its target: digests and a corrupted payload, queries compared with the
// host's rpm 4.18, the lifecycle in the EL stand-in root, and signatures.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/builder"
	"github.com/wsgipack/wsgipack/internal/sign"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// inventory312 is the example app with a bare Python 3.12 venv, el10's
// only mod_wsgi Python: the el10 package as it would be built. It is read,
// queried and signed, not installed (the stand-in root's mod_wsgi is
// Debian's, for 3.11).
var inventory312 = app{name: "inventory", version: "1.4.2", python: "3.12"}

var (
	rpmsMu sync.Mutex
	rpms   = map[string]string{}
)

// elRPM returns the rpm of a for target, built on first use. anyPython
// builds it for the venv's Python even when target does not offer it
// (builder.Options.AnyPython); key, when set, signs it as wsgipack build
// --sign does with WSGIPACK_SIGNING_KEY set to key.
func elRPM(t *testing.T, a app, target string, anyPython bool, key []byte) string {
	t.Helper()
	rpmsMu.Lock()
	defer rpmsMu.Unlock()
	id := fmt.Sprintf("%s-%s-py%s-%s-any%v-signed%v", a.name, a.version, a.python, target, anyPython, key != nil)
	if key != nil {
		id += fmt.Sprintf("-%x", key[len(key)-40:])
	}
	if f, ok := rpms[id]; ok {
		return f
	}
	builtMu.Lock() // a.project shares the work directory with app.pkg
	specFile := a.project(t)
	builtMu.Unlock()
	o := buildOptions(t, specFile, filepath.Join(workDir(t), "dist-"+id), a.version, target)
	o.AnyPython = anyPython
	// A bare venv of another Python (no example packages) cannot import the app.
	o.NoImport = a.python != ""
	if key != nil {
		s, err := sign.Load(sign.Options{Key: string(key)})
		if err != nil {
			t.Fatal(err)
		}
		o.Sign = func(data []byte) ([]byte, error) { return s.DetachSign(data, false) }
	}
	res, err := builder.Build(context.Background(), o)
	if err != nil {
		t.Fatalf("building %s: %v", id, err)
	}
	if len(res.Packages) != 1 {
		t.Fatalf("building %s: %d packages", id, len(res.Packages))
	}
	rpms[id] = res.Packages[0].File
	return rpms[id]
}

// readRPM returns the target's package of the example that rpm r reads
// (el10's with its Python 3.12 venv).
func readRPM(t *testing.T, r RPMRelease) string {
	t.Helper()
	if r.Target == "el10" {
		return elRPM(t, inventory312, r.Target, false, nil)
	}
	return elRPM(t, inventory1, r.Target, false, nil)
}

// lifecycleRPMs returns the two versions of the example for r's target
// that are installed in the stand-in root. Its mod_wsgi is Debian's, for
// Python 3.11, so el10's packages are built with the 3.11 venv
// (AnyPython): the same package but for python3.11 in its dependencies and
// scripts.
func lifecycleRPMs(t *testing.T, r RPMRelease) (v1, v2 string) {
	t.Helper()
	anyPython := r.Target == "el10"
	return elRPM(t, inventory1, r.Target, anyPython, nil), elRPM(t, inventory2, r.Target, anyPython, nil)
}

// TestRPMReleases runs, for each EL release's rpm and the packages of its
// target, in parallel: the digests, the queries, the lifecycle and the
// signatures (subtests below).
func TestRPMReleases(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("rpm"); err != nil { // the host's, to compare with
		if os.Getenv("CI") != "" {
			t.Fatal("rpm is missing: the test command must install it (make e2e-deps)")
		}
		t.Skip("rpm is missing (make e2e-deps)")
	}
	start := time.Now()
	for _, r := range RPMReleases {
		t.Run(r.Version, func(t *testing.T) {
			t.Parallel()
			b := BuiltRPM(t, r)
			how := "cached, built earlier in"
			if b.Built {
				how = "built now in"
			}
			report(t, "rpm %s for %s: %s %v; --version, librpm, macros, --querytags, zstd and Lua checked", r.Version, r.Target, how, b.Took.Round(time.Second))
			t.Run("digests", func(t *testing.T) { testRPMDigests(t, r, b) })
			t.Run("queries", func(t *testing.T) { testRPMQueries(t, r, b) })
			t.Run("lifecycle", func(t *testing.T) { testRPMLifecycle(t, r, b) })
			t.Run("signatures", func(t *testing.T) { testRPMSignatures(t, r, b) })
		})
	}
	t.Cleanup(func() { fmt.Printf("e2e TestRPMReleases: all releases in %v\n", time.Since(start).Round(time.Second)) })
}

// rpmDB returns an empty database made by b's rpm --initdb (the host's rpm
// when b is nil) in a temporary directory, for the commands that read no
// installed package: they must not open the host's /var/lib/rpm.
func rpmDB(t *testing.T, b *RPMBuild) string {
	t.Helper()
	db := t.TempDir()
	cmd := exec.Command("rpm", "--dbpath", db, "--initdb")
	if b != nil {
		cmd = b.Command("rpm", "--dbpath", db, "--initdb")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpm --initdb: %v\n%s", err, out)
	}
	return db
}

// hostRPM runs the host's rpm (Debian's 4.18) and returns its combined
// output and exit status.
func hostRPM(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("rpm", args...)
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return string(out), exit.ExitCode()
		}
		t.Fatal(err)
	}
	return string(out), 0
}

// payloadBad is what rpm -Kv says of a payload whose digest does not
// match: 4.14.3, 4.16.1.3 and 4.19.1.1 all word it so (and exit 1).
var payloadBad = regexp.MustCompile(`(?m)^\s*Payload SHA256 digest: BAD \(Expected [0-9a-f]{64} != [0-9a-f]{64}\)$`)

// testRPMDigests: rpm -Kv finds every digest of the package OK, and a copy
// with one payload byte changed BAD, with a non-zero exit status.
func testRPMDigests(t *testing.T, r RPMRelease, b *RPMBuild) {
	pkg := readRPM(t, r)
	db := rpmDB(t, b)
	out, code := b.Output(t, "rpm", "--dbpath", db, "-Kv", pkg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 3 || lines[0] != pkg+":" {
		t.Fatalf("rpm -Kv: exit %d\n%s", code, out)
	}
	for _, l := range lines[1:] {
		if !strings.HasSuffix(l, ": OK") {
			t.Errorf("rpm -Kv: %q is not OK\n%s", l, out)
		}
	}
	mustContain(t, "rpm -Kv", out, "Header SHA256 digest: OK", "Payload SHA256 digest: OK")
	report(t, "rpm -Kv: %s", strings.Join(trimAll(lines[1:]), ", "))

	data, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	// The payload is the end of the file: the byte 10 before the end is in
	// the compressed payload, which PAYLOADDIGEST covers.
	data[len(data)-10] ^= 0x01
	bad := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = b.Output(t, "rpm", "--dbpath", db, "-Kv", bad)
	if code == 0 {
		t.Errorf("rpm -Kv of a corrupted payload: exit 0\n%s", out)
	}
	if !payloadBad.MatchString(out) {
		t.Errorf("rpm -Kv of a corrupted payload does not match %s:\n%s", payloadBad, out)
	}
	mustContain(t, "rpm -Kv of a corrupted payload", out, "Header SHA256 digest: OK")
	report(t, "rpm -Kv, one payload byte changed: exit %d, %q", code, firstMatch(payloadBad, out))
}

// trimAll trims the space around each string.
func trimAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.TrimSpace(x)
	}
	return out
}

// firstMatch returns re's first match in s, trimmed.
func firstMatch(re *regexp.Regexp, s string) string {
	return strings.TrimSpace(re.FindString(s))
}

// queries are the query options compared with the host's rpm.
var queries = [][]string{{"-qi"}, {"-q", "--requires"}, {"-q", "--provides"}, {"-q", "--scripts"},
	{"-q", "--dump"}, {"-qlv"}, {"-q", "--conflicts"}, {"-q", "--obsoletes"}, {"-q", "--changelog"},
	{"-qc"}, {"-qd"}, {"-q", "--filesbypkg"}, {"-q", "--qf", queryFormat}}

// queryFormat asks for the header fields -qi does not show.
const queryFormat = "%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH} %{OS} %{PAYLOADFORMAT} %{PAYLOADCOMPRESSOR} " +
	"%{PAYLOADFLAGS} %{FILEDIGESTALGO} %{SIZE} %{ARCHIVESIZE:humaniec} %{PAYLOADDIGESTALGO}\n" +
	"[%{FILENAMES} %{FILEMODES:octal} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILEDIGESTS}\n]"

// testRPMQueries compares each query of the package by r's rpm with the
// host rpm 4.18's, field by field for -qi and line by line otherwise.
func testRPMQueries(t *testing.T, r RPMRelease, b *RPMBuild) {
	pkg := readRPM(t, r)
	db, hostDB := rpmDB(t, b), rpmDB(t, nil)
	for _, q := range queries {
		args := append(append([]string{}, q...), "-p", pkg)
		want, wcode := hostRPM(t, append([]string{"--dbpath", hostDB}, args...)...)
		got, gcode := b.Output(t, "rpm", append([]string{"--dbpath", db}, args...)...)
		name := strings.Join(q, " ")
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		if wcode != 0 || gcode != 0 {
			t.Errorf("rpm %s: exit %d (host %d)\n%s\nhost:\n%s", name, gcode, wcode, got, want)
			continue
		}
		if q[0] == "-qi" {
			compareInfo(t, r.Version, infoFields(want), infoFields(got))
			continue
		}
		if q[0] == "-qlv" {
			// ls -l's columns: 4.14 pads the owner and group one
			// character narrower than 4.16 and later.
			want, got = squeezeSpaces(want), squeezeSpaces(got)
		}
		if got != want {
			t.Errorf("rpm %s differs from the host rpm 4.18's:\n%s", name, lineDiff(want, got))
		}
	}
	report(t, "queries -qi (field by field), --requires, --provides, --scripts, --dump, -qlv, --changelog, ...: as the host rpm 4.18 prints them")
}

// infoFields reads rpm -qi's "Key : value" lines; the description is the
// value of Description.
func infoFields(out string) map[string]string {
	fields := map[string]string{}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "Description" {
			fields[k] = strings.Join(lines[i+1:], "\n")
			break
		}
		fields[k] = strings.TrimSpace(v)
	}
	return fields
}

// squeezeSpaces replaces each run of spaces with one.
func squeezeSpaces(s string) string {
	return regexp.MustCompile(` +`).ReplaceAllString(s, " ")
}

// infoOnly are the -qi fields that one release prints and the host's rpm
// 4.18 does not: 4.14 still prints "Relocations", which 4.16 dropped.
// Every other field must be there in both, with the same value.
var infoOnly = map[string][]string{"4.14.3": {"Relocations"}}

// compareInfo fails for every -qi field whose value differs, and for every
// field only one of them prints, but those infoOnly names.
func compareInfo(t *testing.T, version string, want, got map[string]string) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("rpm -qi: no %s (host: %q)", k, w)
		case g != w:
			t.Errorf("rpm -qi: %s = %q, host %q", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && !slices.Contains(infoOnly[version], k) {
			t.Errorf("rpm -qi: %s = %q, which the host does not print", k, g)
		}
	}
}

// lineDiff lists the lines only one of a and b has.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) == 0 {
		return "(the same lines in another order)"
	}
	return strings.Join(out, "\n")
}

// testRPMLifecycle: in the EL stand-in root with r's rpm and a database it
// made: install, rpm -V quiet, upgrade, rpm -V quiet, an admin's edit of
// the config file /etc/inventory/settings.ini is what rpm -V shows (the
// server's /etc/inventory/environment is not the package's: the scripts
// create it, so an edit there is not), and erase leaves no file of the
// package but that edit, saved as .rpmsave.
func testRPMLifecycle(t *testing.T, r RPMRelease, b *RPMBuild) {
	v1, v2 := lifecycleRPMs(t, r)
	c := NewEL(t)
	c.UseRPM(t, b)
	c.StartApache(t)
	verify := func() string {
		t.Helper()
		out, _ := c.RPM(t, "-V", "inventory")
		return strings.TrimSpace(out)
	}
	if db, code := c.RPM(t, "-qa"); code != 0 || strings.TrimSpace(db) != "" {
		t.Fatalf("rpm -qa on the new database: exit %d\n%s", code, db)
	}
	// The database is the release's own: Berkeley DB on EL8, sqlite after.
	if dbFile := map[string]string{"4.14.3": "Packages"}[r.Version]; dbFile != "" {
		if !c.Exists("/var/lib/rpm/" + dbFile) {
			t.Fatalf("rpm %s --initdb made no /var/lib/rpm/%s", r.Version, dbFile)
		}
	} else if !c.Exists("/var/lib/rpm/rpmdb.sqlite") {
		t.Fatalf("rpm %s --initdb made no /var/lib/rpm/rpmdb.sqlite", r.Version)
	}

	out := mustRPM(t, c, "-i", v1)
	mustContain(t, "rpm -i output", out, "inventory: user: created system user and group inventory",
		"inventory: applied migration 001_items.sql", "inventory: apache: reloaded gracefully")
	expect(t, "after rpm -i", answer(t, c, "/inventory/"), map[string]string{"version": "1.4.2", "user": "inventory"})
	if v := verify(); v != "" {
		t.Errorf("rpm -V after rpm -i:\n%s", v)
	}
	report(t, "rpm %s -i: scriptlets ran, app answers 1.4.2, rpm -V prints nothing", r.Version)

	out = mustRPM(t, c, "-U", v2)
	mustContain(t, "rpm -U output", out, "inventory: applied migration 002_gadget.sql", "inventory: installed 1.5.0")
	expect(t, "after rpm -U", answer(t, c, "/inventory/"), map[string]string{"version": "1.5.0"})
	if v := verify(); v != "" {
		t.Errorf("rpm -V after rpm -U:\n%s", v)
	}
	if q, _ := c.RPM(t, "-q", "inventory"); !strings.HasPrefix(strings.TrimSpace(q), "inventory-1.5.0-1.") || strings.Contains(strings.TrimSpace(q), "\n") {
		t.Errorf("rpm -q after rpm -U: %s", q)
	}
	report(t, "rpm %s -U: app answers 1.5.0, one version installed, rpm -V prints nothing", r.Version)

	env := c.ReadFile(t, "/etc/inventory/environment")
	c.WriteFile(t, "/etc/inventory/environment", env+"EXTRA='set by the admin'\n", 0o640)
	if v := verify(); v != "" {
		t.Errorf("rpm -V after an edit of /etc/inventory/environment, which is not the package's:\n%s", v)
	}
	ini := c.ReadFile(t, "/etc/inventory/settings.ini")
	c.WriteFile(t, "/etc/inventory/settings.ini", ini+"# edited by the admin\n", 0o640)
	v := verify()
	if !regexp.MustCompile(`^S\.5\.\.\.\.T\.? {1,2}c /etc/inventory/settings\.ini$`).MatchString(v) {
		t.Errorf("rpm -V after an edit of /etc/inventory/settings.ini, want that file alone (S.5....T. c):\n%s", v)
	}
	report(t, "admin's edits: rpm -V prints %q (and nothing for /etc/inventory/environment, a %%ghost: owner, group and mode checked, not content)", v)

	list, code := c.RPM(t, "-q", "--qf", "[%{FILENAMES}\t%{FILEFLAGS:fflags}\n]", "inventory")
	if code != 0 {
		t.Fatalf("rpm -q --qf: exit %d\n%s", code, list)
	}
	// The package's files, but the %ghost ones: the server's (environment,
	// secrets), which rpm -e keeps.
	var ghosts []string
	var files string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		name, flags, _ := strings.Cut(line, "\t")
		if strings.Contains(flags, "g") {
			ghosts = append(ghosts, name)
			continue
		}
		files += name + "\n"
	}
	if want := []string{"/etc/inventory/environment", "/etc/inventory/secrets"}; !slices.Equal(ghosts, want) {
		t.Errorf("%%ghost files %v, want %v", ghosts, want)
	}
	out = mustRPM(t, c, "-e", "inventory")
	mustContain(t, "rpm -e output", out, "inventory: removed; data in /var/lib/inventory and /var/log/inventory kept",
		"warning: /etc/inventory/settings.ini saved as /etc/inventory/settings.ini.rpmsave")
	if q, code := c.RPM(t, "-q", "inventory"); code == 0 {
		t.Errorf("rpm -q after rpm -e: %s", q)
	}
	var left []string
	for _, f := range strings.Split(strings.TrimSpace(files), "\n") {
		if f != "/etc/inventory" && c.Exists(f) {
			left = append(left, f)
		}
	}
	for _, p := range []string{"/opt/inventory", "/usr/share/doc/inventory", "/etc/httpd/conf.d/inventory.conf"} {
		if c.Exists(p) && !slices.Contains(left, p) {
			left = append(left, p)
		}
	}
	if len(left) > 0 {
		t.Errorf("rpm -e left files of the package: %s", strings.Join(left, " "))
	}
	// rpm keeps an edited config file as .rpmsave on erase, and the
	// server's files (environment, secrets) are kept until a purge, which
	// rpm does not have: the directory stays, holding those alone.
	ls := strings.Fields(c.MustRun(t, "ls", "-A", "/etc/inventory"))
	t.Logf("/etc/inventory after rpm -e: %v", ls)
	if !slices.Equal(ls, etcAfterErase) {
		t.Errorf("/etc/inventory after rpm -e holds %v, want %v", ls, etcAfterErase)
	}
	if code, _ := c.Get(t, "/inventory/"); code != 404 {
		t.Errorf("after rpm -e, /inventory/ answers %d", code)
	}
	report(t, "rpm %s -e: no file of the package left (%d checked), its %%ghost files %v kept in place, the admin's edit kept as settings.ini.rpmsave", r.Version, len(strings.Fields(files)), ghosts)
}

// etcAfterErase is what /etc/inventory holds after rpm -e: the server's
// files, which the package owns as %ghost %config(noreplace) but never
// shipped (rpm -e keeps them in place), and the admin's edit of its config
// file.
var etcAfterErase = []string{"environment", "secrets", "settings.ini.rpmsave"}

var (
	keysOnce         sync.Once
	keyA, pubA, pubB []byte
	keyAID           string
)

// signingKeys returns key A (private, public, 8-digit key id) and B's
// public key, made by gpg once per run.
func signingKeys(t *testing.T) (private, public, other []byte, id string) {
	t.Helper()
	keysOnce.Do(func() {
		keyA, pubA = testtool.GPGKey(t, "Signer A <a@example.com>")
		_, pubB = testtool.GPGKey(t, "Signer B <b@example.com>")
		s, err := sign.Load(sign.Options{Key: string(keyA)})
		if err != nil {
			t.Fatal(err)
		}
		keyAID = fmt.Sprintf("%08x", uint32(s.KeyID()))
	})
	if keyA == nil {
		t.Fatal("no signing keys (see the first test that made them)")
	}
	return keyA, pubA, pubB, keyAID
}

// testRPMSignatures: the package signed at build time with key A verifies
// with r's rpm once A is imported (rpm --import), and fails with B
// imported instead (NOKEY).
func testRPMSignatures(t *testing.T, r RPMRelease, b *RPMBuild) {
	private, public, other, id := signingKeys(t)
	a := inventory1
	if r.Target == "el10" {
		a = inventory312
	}
	pkg := elRPM(t, a, r.Target, false, private)
	dir := t.TempDir()
	for _, k := range []struct {
		name string
		key  []byte
		want string
		ok   bool
	}{
		{"signing key", public, "Header V4 RSA/SHA256 Signature, key ID " + id + ": OK", true},
		{"another key", other, "Header V4 RSA/SHA256 Signature, key ID " + id + ": NOKEY", false},
	} {
		db := rpmDB(t, b)
		keyFile := filepath.Join(dir, strings.ReplaceAll(k.name, " ", "-")+".asc")
		if err := os.WriteFile(keyFile, k.key, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, code := b.Output(t, "rpm", "--dbpath", db, "--import", keyFile); code != 0 {
			t.Fatalf("rpm --import (%s): exit %d\n%s", k.name, code, out)
		}
		if out, _ := b.Output(t, "rpm", "--dbpath", db, "-q", "gpg-pubkey"); !strings.HasPrefix(out, "gpg-pubkey-") {
			t.Errorf("rpm -q gpg-pubkey after the import of the %s: %s", k.name, out)
		}
		out, code := b.Output(t, "rpm", "--dbpath", db, "-Kv", pkg)
		if (code == 0) != k.ok {
			t.Errorf("rpm -Kv with the %s imported: exit %d\n%s", k.name, code, out)
		}
		mustContain(t, "rpm -Kv with the "+k.name+" imported", out, k.want, "Payload SHA256 digest: OK")
		report(t, "signed package, %s imported: rpm -Kv exit %d, %q", k.name, code, k.want)
	}
}

// TestRPMSources: each tarball in testdata/rpm-sources has the sha256 that
// RPMReleases and the README there give, and a changed byte is refused.
func TestRPMSources(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(rpmSources(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range RPMReleases {
		file := filepath.Join(rpmSources(), r.Tarball)
		if err := checkSHA256(file, r.SHA256); err != nil {
			t.Error(err)
		}
		if !strings.Contains(string(readme), "| `"+r.Tarball+"` |") || !strings.Contains(string(readme), "`"+r.SHA256+"`") {
			t.Errorf("testdata/rpm-sources/README.md does not list %s with its sha256 %s", r.Tarball, r.SHA256)
		}
	}
	data, err := os.ReadFile(filepath.Join(rpmSources(), RPMReleases[0].Tarball))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	bad := filepath.Join(t.TempDir(), RPMReleases[0].Tarball)
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkSHA256(bad, RPMReleases[0].SHA256); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("a changed tarball: %v", err)
	}
}

// TestRemoveStaleRPMs: an interrupted build and an older key of the same
// version go; the current key and the other versions' builds stay.
func TestRemoveStaleRPMs(t *testing.T) {
	cache := t.TempDir()
	for _, d := range []string{".build-123", "4.16.1.3-aaaaaaaaaaaa", "4.16.1.3-bbbbbbbbbbbb", "4.14.3-aaaaaaaaaaaa", "4.19.1.1-cccccccccccc"} {
		if err := os.MkdirAll(filepath.Join(cache, d, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeStaleRPMs(cache, "4.16.1.3", "4.16.1.3-bbbbbbbbbbbb"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"4.14.3-aaaaaaaaaaaa", "4.16.1.3-bbbbbbbbbbbb", "4.19.1.1-cccccccccccc"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
