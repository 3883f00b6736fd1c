package spec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gobwas/glob"

	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/version"
)

// SetDefaults fills in what the spec leaves out.
func (s *Spec) SetDefaults() {
	if s.Release == 0 {
		s.Release = 1
	}
	if s.Description == "" {
		s.Description = s.Summary
	}
	if s.User == "" {
		s.User = s.Name
	}
	if s.Apache.Mount == "" {
		s.Apache.Mount = "/"
	}
	if s.Apache.Processes == 0 {
		s.Apache.Processes = 2
	}
	if s.Apache.Threads == 0 {
		s.Apache.Threads = 15
	}
	if s.Apache.Timeout == 0 {
		s.Apache.Timeout = 60
	}
}

var (
	// A name is a package name in both formats, a system user name and an
	// Apache daemon process name: the intersection of their rules.
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	wsgiRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\(\))?$`)
	envKeyRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	hostRE    = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	shPrefix  = regexp.MustCompile(`^/bin/sh: (-c: )?(line )?[0-9]+: `) // where dash and bash place an error
	urlPathRE = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
)

// validate checks a defaulted spec whose relative paths are relative to dir.
func validate(s *Spec, dir string, r *reporter) {
	lay := layout.For(s.Name)
	checkText(r, s)
	checkName(r, "name", s.Name, true)
	if isSystemName(s.Name) {
		r.add("name", "%q belongs to the system (an account, a directory of /etc or /opt, or a package of the distributions): the package would take over /etc/%s and /var/lib/%s and purge them; choose a name of the app's own, e.g. %s-app", s.Name, s.Name, s.Name, s.Name)
	}
	if s.Version != "" {
		if _, err := version.Parse(s.Version); err != nil {
			r.add("version", "%v", err)
		}
	}
	if s.Summary == "" {
		r.add("summary", "is required: one line that apt and dnf show")
	}
	for _, f := range []struct{ field, v string }{{"summary", s.Summary}, {"maintainer", s.Maintainer},
		{"license", s.License}, {"homepage", s.Homepage}} {
		if strings.TrimFunc(f.v, unicode.IsSpace) != f.v {
			r.add(f.field, "%q has spaces at the start or end: dpkg drops them and rpmlint refuses them (summary-has-leading-spaces); remove them", f.v)
		}
	}
	if s.Maintainer == "" {
		r.add("maintainer", "is required, as 'Name <email>'")
	} else if a, err := mail.ParseAddress(s.Maintainer); err != nil || a.Name == "" {
		r.add("maintainer", "%q is not 'Name <email>'", s.Maintainer)
	}
	if s.License == "" {
		r.add("license", "is required, e.g. MIT or Proprietary")
	}
	if s.Homepage != "" {
		if u, err := url.Parse(s.Homepage); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsFunc(s.Homepage, unicode.IsSpace) {
			r.add("homepage", "%q is not an http(s) URL (write spaces as %%20)", s.Homepage)
		}
	}

	// The app.
	if s.App.Source == "" {
		r.add("app.source", "is required: the directory of the app's code")
	} else {
		checkPath(r, dir, "app.source", s.App.Source, true)
	}
	if s.App.WSGI == "" {
		r.add("app.wsgi", "is required, as module:callable (e.g. inventory.web:app) or module:factory() (e.g. flaskr:create_app())")
	} else if !wsgiRE.MatchString(s.App.WSGI) {
		r.add("app.wsgi", "%q is neither module:callable (e.g. inventory.web:app) nor module:factory() (e.g. flaskr:create_app())", s.App.WSGI)
	}
	for i, p := range s.App.Exclude {
		if _, err := glob.Compile(p, '/'); err != nil || p == "" {
			r.add(index("app.exclude", i), "%q is not a valid glob pattern", p)
		} else if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") || slices.Contains(strings.Split(p, "/"), "..") {
			r.add(index("app.exclude", i), "%q never matches: patterns are matched against paths relative to app.source, such as inventory/tests/test_web.py (no leading / or ./, no ..)", p)
		}
	}
	for _, dest := range slices.Sorted(maps.Keys(s.App.Files)) {
		f := "app.files." + dest
		checkOptPath(r.keyed(), f, dest, s.Name)
		if first, _, _ := strings.Cut(dest, "/"); slices.Contains(lay.Filled(), first) {
			r.keyed().add(f, "%q: %s is filled by wsgipack; choose another destination", dest, lay.Shipped().Opt(first))
		}
		if checkPath(r, dir, f, s.App.Files[dest], false) {
			// A file's destination cannot hold another destination.
			if fi, err := os.Stat(filepath.Join(dir, s.App.Files[dest])); err == nil && !fi.IsDir() {
				for _, other := range slices.Sorted(maps.Keys(s.App.Files)) {
					if strings.HasPrefix(other, dest+"/") {
						r.add("app.files."+other, "%q is inside %q, which is the file %s, not a directory; choose another destination", other, dest, s.App.Files[dest])
					}
				}
			}
		}
	}

	// The venv.
	if p, ok := s.Venv.One(); len(s.Venv) == 0 || ok && p == "" {
		r.add("venv", "is required: the virtualenv CI built for the app")
	} else {
		for _, k := range s.Venv.Pythons() {
			if err := validVenvKey(k); err != nil {
				r.keyed().add("venv."+k, "%v", err)
			}
		}
		for _, f := range s.Venv.Fields() {
			field, p := f[0], f[1]
			if p == "" {
				r.add(field, "is empty: name the venv's directory")
			} else if checkPath(r, dir, field, p, true) {
				if _, err := os.Stat(filepath.Join(dir, p, "pyvenv.cfg")); err != nil {
					r.add(field, "%s has no pyvenv.cfg: it is not a virtualenv (create one with 'python3 -m venv %s')", p, p)
				}
			}
		}
	}
	for i, k := range s.VenvKeep {
		if !slices.Contains(Installers, k) {
			r.add(index("venv_keep", i), "%q is not one of %s (every other distribution is always shipped)", k, strings.Join(Installers, ", "))
		}
	}

	// Targets.
	if len(s.Targets) == 0 {
		r.add("targets", "is required: list the distribution releases to build for (%s)", strings.Join(distro.Names(), ", "))
	}
	seen := map[string]bool{}
	for i, t := range s.Targets {
		if _, err := distro.Lookup(t); err != nil {
			r.add(index("targets", i), "%v", err)
		} else if seen[t] {
			r.add(index("targets", i), "%s is listed twice", t)
		}
		seen[t] = true
	}
	for _, t := range slices.Sorted(maps.Keys(s.Depends)) {
		if !seen[t] {
			r.keyed().add("depends."+t, "%q is not in targets (%s)", t, strings.Join(s.Targets, ", "))
		}
		rel, err := distro.Lookup(t)
		if err != nil {
			continue // reported under targets, or above
		}
		format, err := packager.Get(rel.Format)
		if err != nil {
			r.add("depends."+t, "%v", err)
			continue
		}
		for i, d := range s.Depends[t] {
			if err := format.CheckRelation(d); err != nil {
				r.add(index("depends."+t, i), "%v (%s is a %s target)", err, t, rel.Format)
			} else if first, _, _ := strings.Cut(strings.TrimSpace(d), " "); first == s.Name {
				r.add(index("depends."+t, i), "%q is the package itself (lintian error package-depends-on-itself): remove it", d)
			} else if rel.Format == "deb" && slices.Contains(essential, first) && !strings.Contains(d, "(") {
				r.add(index("depends."+t, i), "%q is an essential package, on every Debian system (lintian error depends-on-essential-package-without-using-version): remove it, or give the version needed, e.g. '%s (>= X)'", d, first)
			}
		}
	}

	// Apache.
	a := s.Apache
	if !urlPathRE.MatchString(a.Mount) || (a.Mount != "/" && strings.HasSuffix(a.Mount, "/")) || strings.Contains(a.Mount, "//") {
		r.add("apache.mount", "%q must be a URL path such as / or /inventory (no trailing slash)", a.Mount)
	} else if why := urlPathProblem(a.Mount); why != "" {
		r.add("apache.mount", "%q %s", a.Mount, why)
	} else if u := serverURL(a.Mount); u != "" {
		r.add("apache.mount", "%q %s", a.Mount, u)
	}
	if strings.HasPrefix(a.ServerName, "*.") {
		r.add("apache.server_name", "%q is a wildcard: Apache's ServerName takes one host name (httpd refuses a wildcard there: AH00526); name the host the app answers on", a.ServerName)
	} else if a.ServerName != "" && !hostRE.MatchString(a.ServerName) {
		r.add("apache.server_name", "%q is not a host name", a.ServerName)
	}
	// processes, threads and request_timeout are checked against their
	// bounds (the struct tags) by parse, with the value as written.
	for _, u := range slices.Sorted(maps.Keys(a.Static)) {
		f := "apache.static." + u
		if !urlPathRE.MatchString(u) || (u != "/" && strings.HasSuffix(u, "/")) {
			r.keyed().add(f, "%q must be a URL path such as /static", u)
		} else if why := urlPathProblem(u); why != "" {
			r.keyed().add(f, "%q %s", u, why)
		} else if why := serverURL(u); why != "" {
			r.keyed().add(f, "%q %s", u, why)
		} else if u == a.Mount || strings.HasPrefix(a.Mount, strings.TrimSuffix(u, "/")+"/") {
			r.keyed().add(f, "%q is apache.mount (%s) or above it: Apache's Alias would take the app's requests, and the app would never answer; serve the files below the mount (e.g. %s/static) or mount the app elsewhere", u, a.Mount, strings.TrimSuffix(a.Mount, "/"))
		}
		dir := a.Static[u]
		checkOptPath(r, f, dir, s.Name)
		if strings.Contains(dir, "${") {
			r.add(f, "%q holds ${, which Apache replaces by a variable's value: rename the directory", dir)
		}
		if strings.ContainsAny(dir, "*?[") {
			r.add(f, "%q holds a wildcard (* ? [), which Apache's <Directory> matches against other directories too: rename the directory", dir)
		}
	}

	// Runtime. A user left out defaults to the name, whose problems are
	// reported at name: the same problem is not reported twice.
	if r.written("user") {
		if s.User != s.Name {
			checkName(r, "user", s.User, false)
		}
		if isSystemName(s.User) {
			r.add("user", "%q is a system account; the app needs its own user", s.User)
		}
	}
	checkEnvironment(r, s.Environment, lay.EnvFile)
	checkSecrets(r, s)
	checkDirectives(r, s)
	// The files of /etc/<name> that the install scripts make.
	made := []string{lay.EnvFile, lay.SecretsFile, lay.EnvFile + ".wsgipack-legacy"}
	dests := map[string]bool{}
	for _, m := range made {
		dests[m] = true
	}
	var files []string // config dests written so far
	for i, c := range s.Config {
		f := index("config", i)
		if c.Source == "" {
			r.add(f+".source", "is required")
		} else {
			checkPath(r, dir, f+".source", c.Source, false)
		}
		switch clean := path.Clean(c.Dest); {
		case c.Dest == "":
			r.add(f+".dest", "is required: an absolute path under /etc")
		case !strings.HasPrefix(c.Dest, lay.Etc+"/") || clean != c.Dest || strings.HasSuffix(c.Dest, "/") || strings.ContainsAny(c.Dest, " \t"):
			r.add(f+".dest", "%q must be a clean absolute file path under %s/ without spaces (the package owns that directory; anywhere else in /etc it would replace a file of the system)", c.Dest, lay.Etc)
		case dests[c.Dest]:
			r.add(f+".dest", "%s is already used (by another config file or a file the install scripts make: %s)", c.Dest, strings.Join(made, ", "))
		default:
			for _, m := range made {
				if o, _ := nested(m, c.Dest); o == m {
					r.add(f+".dest", "%s is inside %s, a file the install scripts make (a file cannot be a directory too); choose another path", c.Dest, m)
				}
			}
			for j, other := range files {
				if o, in := nested(other, c.Dest); o != "" {
					r.add(f+".dest", "%s is inside %s, the file config[%d] installs (a file cannot be a directory too); choose another path", in, o, j)
				}
			}
		}
		dests[c.Dest] = true
		files = append(files, c.Dest)
	}
	for i, w := range s.Writable {
		f := index("writable", i)
		checkOptPath(r, f, w, s.Name)
		if first, _, _ := strings.Cut(w, "/"); w == "app" || first != "app" && slices.Contains(lay.Filled(), first) {
			r.add(f, "%q: the code, the venv and the entry script stay read-only, as does the environment file; write under app/ or a path of your own", w)
		} else if strings.HasPrefix(first, ".wsgipack") {
			r.add(f, "%q: %s/.wsgipack* are the install scripts' own files; choose another name", w, lay.State)
		}
		// A writable path is shipped as a symlink into /var/lib/<name>:
		// nothing else of the package can be inside it.
		for j, o := range s.Writable[:i] {
			if p, in := nested(o, w); p != "" {
				r.add(f, "%q and writable[%d] %q overlap: %s is a symlink, so %s cannot be shipped inside it; keep the outer one", w, j, o, p, in)
			}
		}
		for _, dest := range slices.Sorted(maps.Keys(s.App.Files)) {
			if p, in := nested(w, dest); p == w {
				r.add(f, "%q is a symlink into %s, so app.files %q cannot be shipped inside it; choose another destination", w, lay.State, in)
			}
		}
	}
	for _, h := range []struct {
		field string
		cmds  []string
	}{{"hooks.first_install", s.Hooks.FirstInstall}, {"hooks.post_install", s.Hooks.PostInstall}, {"hooks.pre_remove", s.Hooks.PreRemove}} {
		for i, c := range h.cmds {
			if strings.TrimSpace(c) == "" || strings.ContainsAny(c, "\n\x00") {
				r.add(index(h.field, i), "must be one non-empty command line")
			} else if len(c) > maxArg {
				r.add(index(h.field, i), "is %d bytes: Linux passes at most %d in one argument (MAX_ARG_STRLEN), and the install scripts pass the command to sh as one; put it in a script of the app", len(c), maxArg)
			} else if err := shSyntax(c); err != "" {
				r.add(index(h.field, i), "%q is not a command sh can run (the install scripts run it with sh -c): %s", c, err)
			}
		}
	}
	lint(r, s)
}

// serverURLs are the URL paths the Apache packages of the targets answer
// on every virtual host (Debian's and EL's default config): an app there
// would take them over or never answer.
var serverURLs = []string{"/icons", "/cgi-bin", "/javascript", "/server-status", "/server-info", "/manual", "/noindex"}

// serverURL returns why URL path u is one of serverURLs or below one, or "".
func serverURL(u string) string {
	for _, s := range serverURLs {
		if u == s || strings.HasPrefix(u, s+"/") {
			return fmt.Sprintf("is %s, which Apache's own configuration serves on every host (Debian's or EL's): choose a path of the app's own", s)
		}
	}
	return ""
}

// urlPathProblem returns why a URL path that urlPathRE takes would not
// match the requests it names, or "": Apache matches its aliases and
// sections against the request's path decoded (%2F, %20) and without
// dot segments.
func urlPathProblem(u string) string {
	if strings.Contains(u, "%") {
		return "holds %, but Apache matches the decoded path, which a %-escape never matches: write the character itself"
	}
	for _, seg := range strings.Split(u, "/") {
		if seg == "." || seg == ".." {
			return "holds a . or .. segment, which no request path has once Apache has resolved it: remove it"
		}
	}
	return ""
}

// shSyntax returns sh's syntax error for the command line c (parsed,
// not run: sh -n), or "" when sh takes it or there is no /bin/sh to ask.
func shSyntax(c string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/bin/sh", "-n", "-c", c).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return "" // no sh here (or it ran too long): left to the server
	}
	msg, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return cmp.Or(shPrefix.ReplaceAllString(msg, ""), "a syntax error")
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// nested reports whether one of the paths a and b is the other or lies
// inside it; it returns the outer one and the inner one, or "" when
// neither holds the other.
func nested(a, b string) (outer, inner string) {
	switch {
	case a == b || strings.HasPrefix(b, a+"/"):
		return a, b
	case strings.HasPrefix(a, b+"/"):
		return b, a
	}
	return "", ""
}

// credentialURL is a URL with a password in it, such as a DATABASE_URL of
// postgres://shop:s3cret@db/shop.
var credentialURL = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:\s]*:[^/?#@\s]+@`)

// essential are Debian's essential packages (lintian's data/fields/essential):
// a dependency on one without a version is a lintian error.
var essential = []string{"base-files", "base-passwd", "bash", "bsdutils", "coreutils", "dash", "debianutils", "diffutils",
	"dpkg", "findutils", "grep", "gzip", "hostname", "hurd", "init-system-helpers", "libc-bin", "login", "ncurses-base",
	"ncurses-bin", "perl-base", "sed", "sysvinit-utils", "tar", "util-linux"}

// maxArg is the longest argument or NAME=value Linux passes to a
// program (MAX_ARG_STRLEN, 32 pages, less the final NUL).
const maxArg = 32*4096 - 1

// secretWords are the parts of a variable name that say it holds a secret.
var secretWords = []string{"KEY", "SECRET", "PASSWORD", "PASSWD", "TOKEN"}

// checkEnvironment checks the variables of the release's environment
// file (POSIX sh, each value quoted as one word, so any one-line value
// survives) and warns of values that look like secrets: the package ships
// them.
func checkEnvironment(r *reporter, env map[string]string, envFile string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		f, v := "environment."+k, env[k]
		if !envKeyRE.MatchString(k) {
			r.keyed().add(f, "%q is not a variable name (letters, digits and _, not starting with a digit)", k)
			continue
		}
		if why := reservedVar(k); why != "" {
			r.keyed().add(f, "%s %s; choose another name", k, why)
			continue
		}
		if n := len(k) + 1 + len(v); n > maxArg {
			r.add(f, "is %d bytes as %s=value: Linux passes at most %d to a program (MAX_ARG_STRLEN), so the hooks and the entry script could start none; ship it as a file (app.files) instead", n, k, maxArg)
		}
		upper := strings.ToUpper(k)
		if v != "" && slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(upper, w) }) {
			r.warn(f, "secrets do not belong in a package: %s looks like one, and its value ships in every copy of the package; list it under secrets: (generated on each server at first install) or set it on each server in %s, and remove it here", k, envFile)
		} else if credentialURL.MatchString(v) {
			r.warn(f, "secrets do not belong in a package: %s is a URL with a password (scheme://user:password@host), which ships in every copy of the package; set it on each server in %s, and remove it here (or keep a default without the password)", k, envFile)
		}
	}
}

func checkName(r *reporter, field, v string, required bool) {
	switch {
	case v == "" && required:
		r.add(field, "is required: lower case letters, digits and '-', e.g. inventory")
	case v == "":
	case len(v) > 32 || !nameRE.MatchString(v):
		r.add(field, "%q is not a valid name: use 2 to 32 lower case letters, digits and '-', starting with a letter and not ending with '-' (it names the package, /opt/%s, the system user and Apache's daemon)", v, v)
	}
}

// checkPath reports a path (relative to the spec's directory) that is
// absolute, escapes the project, or does not exist as the wanted kind. It
// returns whether the path is usable.
func checkPath(r *reporter, dir, field, p string, wantDir bool) bool {
	if filepath.IsAbs(p) || !filepath.IsLocal(p) {
		r.add(field, "%q must be a path inside the project, relative to the spec file", p)
		return false
	}
	full := filepath.Join(dir, p)
	fi, err := os.Stat(full)
	if err != nil {
		r.add(field, "%s does not exist (paths are relative to the spec file's directory)", p)
		return false
	}
	if real, err := filepath.EvalSymlinks(full); err == nil {
		if base, err := filepath.EvalSymlinks(dir); err == nil {
			if rel, err := filepath.Rel(base, real); err != nil || !filepath.IsLocal(rel) {
				r.add(field, "%s leads outside the project (to %s) through a symlink", p, real)
				return false
			}
		}
	}
	if wantDir && !fi.IsDir() {
		r.add(field, "%s is not a directory", p)
		return false
	}
	return true
}

// checkOptPath reports a destination that is not a clean relative path under
// /opt/<name>.
func checkOptPath(r *reporter, field, p, name string) {
	clean := path.Clean(p)
	if p == "" || path.IsAbs(p) || clean != p || clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
		r.add(field, "%q must be a clean path relative to %s", p, layout.For(name).Root)
	}
}

// lineBreaks are the characters that end a line for some reader of the
// files a spec value is written to: Python's str.splitlines (the entry
// script reads the environment file with it) ends lines at these besides
// the ASCII control characters.
const lineBreaks = "\u0085\u2028\u2029"

// bidiControls reorder how the text around them is displayed: a hook or
// directive holding one reads differently in review than it runs
// ("Trojan Source", CVE-2021-42574).
const bidiControls = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

// badRune returns the first control character, line break or
// bidirectional control in v (tab and, where allowed, newline excepted),
// or -1.
func badRune(v string, newline bool) rune {
	for _, c := range v {
		if (c == '\n' && newline) || c == '\t' {
			continue
		}
		if unicode.IsControl(c) || strings.ContainsRune(lineBreaks+bidiControls, c) {
			return c
		}
	}
	return -1
}

// checkText refuses control characters and line breaks in the spec's
// text: each value is written into a line of a control file, rpm header,
// Apache configuration, shell script or environment file, where a line
// break would start a field, directive or command of its own. Only the
// description may hold newlines.
func checkText(r *reporter, s *Spec) {
	check := func(field, v string, newline bool) {
		if c := badRune(v, newline); strings.ContainsRune(bidiControls, c) {
			r.add(field, "holds U+%04X, a bidirectional control: the text displays in another order than it is read by the programs it is written for; remove it", c)
		} else if c >= 0 {
			what := "one line"
			if newline {
				what = "text with newlines only"
			}
			r.add(field, "holds the control character or line break U+%04X: it must be %s (it is written into control files, scripts and configuration where it would start a line of its own)", c, what)
		}
	}
	for _, f := range []struct{ field, v string }{{"name", s.Name}, {"version", s.Version}, {"summary", s.Summary},
		{"maintainer", s.Maintainer}, {"license", s.License}, {"homepage", s.Homepage}, {"app.source", s.App.Source},
		{"app.wsgi", s.App.WSGI}, {"user", s.User}, {"apache.mount", s.Apache.Mount},
		{"apache.server_name", s.Apache.ServerName}} {
		check(f.field, f.v, false)
	}
	for _, f := range s.Venv.Fields() {
		check(f[0], f[1], false)
	}
	for i, v := range s.Secrets {
		check(index("secrets", i), v, false)
	}
	for i, v := range s.Apache.Directives {
		check(index("apache.directives", i), v, false)
	}
	if r.written("description") { // else it is the summary's copy
		check("description", s.Description, true)
	}
	for i, v := range s.App.Exclude {
		check(index("app.exclude", i), v, false)
	}
	for _, dest := range slices.Sorted(maps.Keys(s.App.Files)) {
		check("app.files."+dest, dest+s.App.Files[dest], false)
	}
	for _, u := range slices.Sorted(maps.Keys(s.Apache.Static)) {
		check("apache.static."+u, u+s.Apache.Static[u], false)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		check("environment."+k, k+s.Environment[k], false)
	}
	for i, c := range s.Config {
		check(index("config", i), c.Source+c.Dest, false)
	}
	for i, w := range s.Writable {
		check(index("writable", i), w, false)
	}
	for _, t := range slices.Sorted(maps.Keys(s.Depends)) {
		for i, d := range s.Depends[t] {
			check(index("depends."+t, i), d, false)
		}
	}
	for _, h := range []struct {
		field string
		cmds  []string
	}{{"hooks.first_install", s.Hooks.FirstInstall}, {"hooks.post_install", s.Hooks.PostInstall}, {"hooks.pre_remove", s.Hooks.PreRemove}} {
		for i, c := range h.cmds {
			check(index(h.field, i), c, false)
		}
	}
}

// isSystemName reports a name of systemNames or of a family of them.
func isSystemName(n string) bool {
	return slices.Contains(systemNames, n) || slices.ContainsFunc(systemPrefixes, func(p string) bool { return strings.HasPrefix(n, p) })
}

// systemPrefixes start the names of families of system accounts (systemd's
// own: systemd-coredump, systemd-oom...) and of the packages of Apache,
// mod_wsgi and Python, whose names the distributions keep adding to.
var systemPrefixes = []string{"systemd-", "apache2-", "httpd-", "libapache2-", "mod-wsgi-", "python3-", "python-"}

// systemNames are names an app must not take: the system accounts and
// groups of Debian (base-passwd) and EL (setup), directories of /etc that
// the distributions' packages own (the install scripts chmod /etc/<name>
// and purge removes it), and the packages an app's package would replace or
// clash with (Apache, Python, mod_wsgi and the base system's).
var systemNames = []string{
	// accounts and groups
	"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data",
	"backup", "list", "irc", "gnats", "nobody", "nogroup", "adm", "tty", "disk", "kmem", "dialout", "fax", "voice",
	"cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator", "src", "shadow", "utmp", "video", "sasl",
	"plugdev", "staff", "users", "input", "sgx", "kvm", "render", "crontab", "messagebus", "sshd", "systemd-journal",
	"systemd-network", "systemd-resolve", "systemd-timesync", "polkitd", "halt", "shutdown", "ftp", "wheel",
	"apache", "wwwrun", "httpd", "nginx", "postgres", "mysql", "redis", "memcached", "chrony", "ntp", "dbus",
	"tss", "rpc", "rpcuser", "nfsnobody", "lock", "mem", "dnsmasq", "avahi", "colord", "geoclue", "pulse",
	// groups that give root's power or its secrets (the app's group is its name)
	"docker", "lxd", "libvirt", "ssl-cert", "systemd-journal-remote", "netdev", "bluetooth", "sambashare",
	// the login accounts of cloud and VM images (sudoers, often without a password)
	"admin", "ubuntu", "debian", "ec2-user", "centos", "rocky", "almalinux", "fedora", "cloud-user", "vagrant", "pi",
	// directories of /etc owned by the system
	"ssl", "ssh", "pki", "apache2", "cron", "default", "init", "logrotate", "network", "networkd-dispatcher",
	"pam", "security", "selinux", "skel", "sudoers", "sysconfig", "systemd", "udev", "xdg", "alternatives", "apt",
	"dpkg", "yum", "dnf", "rpm", "profile", "ld", "opt", "python3", "ca-certificates", "fonts", "gnupg", "ldap",
	"iproute2", "kernel", "modprobe", "rsyslog", "sysctl", "tmpfiles", "update-motd", "environment", "hosts",
	// packages an app must not replace
	"python", "openssl", "bash", "coreutils", "glibc", "libc6", "perl", "curl", "wget",
	"mod-wsgi", "apache2-bin", "httpd-tools", "passwd", "login", "util-linux", "shadow-utils", "initscripts",
}
