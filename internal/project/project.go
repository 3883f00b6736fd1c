// Package project looks at a Python web app's directory and tells what
// 'wsgipack init' should write for it: the metadata of pyproject.toml or
// setup.cfg, the venv CI made (.venv, venv or env with a pyvenv.cfg), the
// source directory, and the framework with its entry point, settings and
// deploy steps: Flask (a module-level app = Flask(...), or a create_app()
// factory as in Flask's tutorial) and Django (manage.py's settings module,
// <project>/wsgi.py, STATIC_ROOT, the secret key). It only reads files,
// never imports the app, and says in Notes what it could not tell.
package project

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Info is what Detect found. Paths are relative to the project's
// directory (Source) or to Source (everything under app).
type Info struct {
	Metadata
	Venv string // .venv, venv or env; empty when there is none
	// VenvPython is the venv's Python X.Y from its pyvenv.cfg; empty
	// when it does not say. VenvNote is what to check about Venv.
	VenvPython, VenvNote string
	Source               string // the app's code: ".", "src" or Django's manage.py directory
	// Framework is "flask", "django" or "" (a plain WSGI app, or unknown).
	Framework string
	// WSGI is app.wsgi (module:callable or module:factory()); empty when
	// nothing was found, and WSGINote says what to write (also set when
	// WSGI needs a change: a factory that takes arguments). WSGIFrom says
	// where it came from.
	WSGI, WSGIFrom, WSGINote string
	// Exclude are app.exclude patterns: the tests as pytest finds them,
	// and what else lies in Source that is not the app.
	Exclude     []string
	Environment map[string]string
	// EnvironmentNote says where a value of Environment comes from, when
	// init chose between candidates.
	EnvironmentNote string
	// Secrets are generated on the server; SecretNote says how the app
	// reads them, SecretTODO what the app must change to read them.
	Secrets                []string
	SecretNote, SecretTODO string
	// SuggestedSecrets are secrets the framework can read but the app does
	// not seem to (written commented out).
	SuggestedSecrets []string
	Static           map[string]string // URL path -> path under /opt/<name> (app/...)
	StaticNote       string            // where Static comes from
	Writable         []string          // paths under /opt/<name>
	PostInstall      []string          // hooks
	// Notes are what a person must check or fill in.
	Notes []string
}

// venvDirs are the venv directories looked for, in order.
var venvDirs = []string{".venv", "venv", "env"}

// Detect looks at the project in dir.
func Detect(dir string) (*Info, error) {
	md, err := readMetadata(dir)
	if err != nil {
		return nil, err
	}
	info := &Info{Metadata: md, Source: ".", Environment: map[string]string{}, Static: map[string]string{}}
	var venvs []string
	for _, v := range venvDirs {
		if isFile(filepath.Join(dir, v, "pyvenv.cfg")) {
			venvs = append(venvs, v)
		}
	}
	if len(venvs) > 0 {
		info.Venv = venvs[0]
		info.VenvPython = venvPython(filepath.Join(dir, info.Venv, "pyvenv.cfg"))
	}
	if len(venvs) > 1 {
		info.VenvNote = "there are several venvs (" + strings.Join(venvs, ", ") + "): check that " + venvs[0] + " is the one CI builds; the others are left out of the package"
	}
	if hasPython(filepath.Join(dir, "src")) {
		info.Source = "src"
	}
	if manage := findManage(dir); manage != "" {
		detectDjango(dir, manage, info)
	} else {
		detectFlaskOrWSGI(dir, info)
	}
	if info.Venv != "" && info.WSGI != "" {
		// CI that runs 'pip install .' puts the app into the venv too,
		// where it comes first on the server's path (mod_wsgi appends
		// app.source): the venv's copy serves, and Flask puts its
		// instance folder there.
		top := strings.FieldsFunc(info.WSGI, func(r rune) bool { return r == '.' || r == ':' })[0]
		sp, _ := filepath.Glob(filepath.Join(dir, info.Venv, "lib", "python3*", "site-packages"))
		for _, p := range sp {
			if isDir(filepath.Join(p, top)) || isFile(filepath.Join(p, top+".py")) {
				info.Notes = append(info.Notes, "the venv has "+top+" installed (pip install . in CI?): on the server the venv's copy is imported, not app.source's; install only the app's dependencies into the venv (pip install -r requirements.txt)")
				break
			}
		}
	}
	info.Exclude = testPatterns(info.Framework == "django")
	// What the app writes at run time is a link into /var/lib/<name>, not
	// shipped: a local instance folder or collected static files stay out.
	for _, w := range info.Writable {
		if rel, ok := strings.CutPrefix(w, "app/"); ok {
			info.Exclude = append(info.Exclude, rel+"/**")
		}
	}
	src := filepath.Join(dir, info.Source)
	if info.Framework == "django" && isFile(filepath.Join(src, "db.sqlite3")) {
		info.Exclude = append(info.Exclude, "db.sqlite3")
	}
	if isFile(filepath.Join(src, ".env")) {
		info.Exclude = append(info.Exclude, ".env")
		info.Notes = append(info.Notes, filepath.Join(info.Source, ".env")+" is left out of the package: put its variables under environment, and its secrets under secrets")
	}
	if info.Source == "." {
		// Not the app: other venvs, build output, tool caches.
		for _, v := range venvs[min(1, len(venvs)):] {
			info.Exclude = append(info.Exclude, v+"/**")
		}
		for _, d := range []string{"dist", "build", "node_modules", ".tox", ".nox", ".pytest_cache", ".mypy_cache", ".ruff_cache"} {
			if d == "dist" || isDir(filepath.Join(dir, d)) {
				info.Exclude = append(info.Exclude, d+"/**")
			}
		}
		info.Exclude = append(info.Exclude, "wsgipack.yaml", "*.egg-info/**")
	}
	return info, nil
}

var pyvenvVersion = regexp.MustCompile(`(?m)^\s*version(?:_info)?\s*=\s*(3\.\d+)(?:\.|\s*$)`)

// venvPython returns the Python X.Y a pyvenv.cfg names: version (python
// -m venv) or version_info (virtualenv, uv).
func venvPython(cfg string) string {
	data, err := os.ReadFile(cfg)
	if err != nil || len(data) > 1<<16 {
		return ""
	}
	if m := pyvenvVersion.FindSubmatch(data); m != nil {
		return string(m[1])
	}
	return ""
}

// testPatterns are app.exclude patterns for the tests as pytest collects
// them (test_*.py, *_test.py, tests/ directories, conftest.py) and, for
// Django, each app's tests.py.
func testPatterns(django bool) []string {
	p := []string{"tests/**", "**/tests/**", "test_*.py", "**/test_*.py", "*_test.py", "**/*_test.py", "conftest.py", "**/conftest.py"}
	if django {
		p = append(p, "**/tests.py")
	}
	return p
}

// findManage returns Django's manage.py (relative to dir) in dir or src/.
func findManage(dir string) string {
	for _, p := range []string{"manage.py", "src/manage.py"} {
		if data, err := os.ReadFile(filepath.Join(dir, p)); err == nil && strings.Contains(string(data), "DJANGO_SETTINGS_MODULE") {
			return p
		}
	}
	return ""
}

var (
	settingsDefault = regexp.MustCompile(`DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z_][A-Za-z0-9_.]*)["']`)
	staticRoot      = regexp.MustCompile(`(?m)^STATIC_ROOT\s*=\s*(.+?)\s*(?:#.*)?$`)
	staticURL       = regexp.MustCompile(`(?m)^STATIC_URL\s*=\s*["']([^"']*)["']`)
	// BASE_DIR / "static", BASE_DIR / "a" / "b", os.path.join(BASE_DIR, "static")
	// (or another directory of the settings, APPS_DIR / "media")
	baseDirPath = regexp.MustCompile(`^(?:([A-Z][A-Z0-9_]*)\s*((?:/\s*["'][^"']+["']\s*)+)|os\.path\.join\(\s*([A-Z][A-Z0-9_]*)\s*((?:,\s*["'][^"']+["']\s*)+)\))$`)
	// APPS_DIR = BASE_DIR / "shop": a directory the settings name
	dirDef  = regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*_DIR)\s*=\s*(.+?)\s*(?:#.*)?$`)
	quoted  = regexp.MustCompile(`["']([^"']+)["']`)
	literal = regexp.MustCompile(`^["']([^"']+)["']$`)
	// SECRET_KEY from os.environ[...], os.environ.get(...), os.getenv(...)
	// or django-environ's env(...) / env.str(...).
	secretEnv = regexp.MustCompile(`(?m)^SECRET_KEY\s*=\s*(?:os\.environ\s*\[\s*|os\.environ\.get\s*\(\s*|os\.getenv\s*\(\s*|env(?:\.str)?\s*\(\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']`)
	secretKey = regexp.MustCompile(`(?m)^SECRET_KEY\s*=`)
	// from .base import *, from ..settings.base import *, from config.settings.base import *
	starImport   = regexp.MustCompile(`(?m)^from\s+(\.*)([A-Za-z_][A-Za-z0-9_.]*)?\s+import\s+\*.*$`)
	baseDirDef   = regexp.MustCompile(`(?m)^BASE_DIR\s*(?::\s*[A-Za-z_.]+\s*)?=\s*(.+?)\s*(?:#.*)?$`)
	parents      = regexp.MustCompile(`\.parents\[\s*(\d+)\s*\]`)
	allowedHosts = regexp.MustCompile(`(?m)^ALLOWED_HOSTS\s*=\s*(.*)$`)
	debugSetting = regexp.MustCompile(`(?m)^DEBUG\s*=\s*(.*?)\s*(?:#.*)?$`)
	sqliteEngine = regexp.MustCompile(`["']ENGINE["']\s*:\s*["']django\.db\.backends\.sqlite3["']`)
	databasesDef = regexp.MustCompile(`(?m)^DATABASES\s*=`)
	dbName       = regexp.MustCompile(`(?m)^\s*["']NAME["']\s*:\s*(.+?)\s*,?\s*(?:#.*)?$`)
	strCall      = regexp.MustCompile(`^str\((.*)\)$`)
)

// last returns the last match of re in text (later assignments win, as
// in Python), or nil.
func last(re *regexp.Regexp, text []byte) [][]byte {
	all := re.FindAllSubmatch(text, -1)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

// settings is a Django settings module as init reads it.
type settings struct {
	// text is the module's source with each module it star-imports
	// ("from .base import *") in place of the import line, so that the
	// last assignment of a setting is the one Django sees.
	text []byte
	// baseDir is the directory BASE_DIR names, relative to the source
	// directory; "." when it is not defined or init cannot tell.
	baseDir string
}

// moduleFile returns the file of module parts under src: a .py file or
// a package's __init__.py, and whether it is a package.
func moduleFile(src string, parts []string) (string, bool) {
	base := filepath.Join(append([]string{src}, parts...)...)
	if isFile(base + ".py") {
		return base + ".py", false
	}
	if isFile(filepath.Join(base, "__init__.py")) {
		return filepath.Join(base, "__init__.py"), true
	}
	return "", false
}

// readSettings reads settings module name under src, following its star
// imports of other modules under src (at most 8 deep, each module once).
func readSettings(src, name string) settings {
	st := settings{baseDir: "."}
	seen := map[string]bool{}
	var read func(parts []string, depth int) []byte
	read = func(parts []string, depth int) []byte {
		file, isPkg := moduleFile(src, parts)
		if file == "" || seen[file] || depth > 8 {
			return nil
		}
		seen[file] = true
		data, err := os.ReadFile(file)
		if err != nil || len(data) > 1<<20 {
			return nil
		}
		rel, _ := filepath.Rel(src, file)
		pkg := parts
		if !isPkg {
			pkg = parts[:len(parts)-1]
		}
		data = starImport.ReplaceAllFunc(data, func(line []byte) []byte {
			m := starImport.FindSubmatch(line)
			dots, mod := len(m[1]), string(m[2])
			if dots-1 > len(pkg) || (dots == 0 && mod == "") {
				return line
			}
			var target []string
			if dots > 0 {
				target = slices.Clone(pkg[:len(pkg)-(dots-1)])
			}
			if mod != "" {
				target = append(target, strings.Split(mod, ".")...)
			}
			if inner := read(target, depth+1); inner != nil {
				return append(append(append([]byte{}, line...), '\n'), inner...)
			}
			return line
		})
		// BASE_DIR = Path(__file__).resolve().parent.parent, or
		// os.path.dirname(os.path.dirname(os.path.abspath(__file__))): the
		// file's directory and n-1 levels up.
		if m := last(baseDirDef, data); m != nil && strings.Contains(string(m[1]), "__file__") {
			expr := string(m[1])
			n := strings.Count(expr, ".parent") - len(parents.FindAllString(expr, -1)) + strings.Count(expr, "dirname(")
			for _, p := range parents.FindAllStringSubmatch(expr, -1) {
				k, _ := strconv.Atoi(p[1])
				n += k + 1
			}
			if n >= 1 {
				st.baseDir = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(rel), strings.Repeat("../", n-1))))
			}
		}
		return data
	}
	st.text = read(strings.Split(name, "."), 0)
	return st
}

func detectDjango(dir, manage string, info *Info) {
	info.Framework = "django"
	info.Source = filepath.Dir(manage)
	src := filepath.Join(dir, info.Source)
	rel := func(p string) string { return filepath.ToSlash(filepath.Join("app", p)) }
	data, _ := os.ReadFile(filepath.Join(dir, manage))
	m := settingsDefault.FindSubmatch(data)
	if m == nil {
		info.WSGINote = manage + " sets no DJANGO_SETTINGS_MODULE default: set app.wsgi to <project>.wsgi:application and environment.DJANGO_SETTINGS_MODULE to <project>.settings"
		return
	}
	settingsModule := string(m[1])
	parts := strings.Split(settingsModule, ".")
	for i := len(parts) - 1; i >= 1; i-- {
		pkg := parts[:i]
		if isFile(filepath.Join(append(append([]string{src}, pkg...), "wsgi.py")...)) {
			info.WSGI = strings.Join(pkg, ".") + ".wsgi:application"
			info.WSGIFrom = filepath.ToSlash(filepath.Join(append(append([]string{info.Source}, pkg...), "wsgi.py")...))
			break
		}
	}
	if info.WSGI == "" {
		info.WSGINote = "no wsgi.py beside " + settingsModule + " (Django's startproject writes <project>/wsgi.py): set app.wsgi to the module that defines application = get_wsgi_application()"
	} else if wdata, err := os.ReadFile(filepath.Join(dir, info.WSGIFrom)); err == nil {
		// manage.py's default is often the developers' settings
		// (cookiecutter-django: config.settings.local), wsgi.py's the
		// servers' (config.settings.production): the package serves.
		if w := settingsDefault.FindSubmatch(wdata); w != nil && string(w[1]) != settingsModule {
			if f, _ := moduleFile(src, strings.Split(string(w[1]), ".")); f != "" {
				info.EnvironmentNote = "DJANGO_SETTINGS_MODULE: " + info.WSGIFrom + "'s default " + string(w[1]) + ", not " + manage + "'s " + settingsModule +
					" (the developers'): what the servers run, the hooks and <name>-ctl run included"
				settingsModule = string(w[1])
			}
		}
	}
	info.Environment["DJANGO_SETTINGS_MODULE"] = settingsModule
	manageInRelease := rel(filepath.Base(manage))
	info.PostInstall = append(info.PostInstall, "python "+manageInRelease+" migrate --noinput")

	// The settings, with the modules they star-import: STATIC_ROOT,
	// MEDIA_ROOT, how SECRET_KEY is read, the hosts, DEBUG, the database.
	st := readSettings(src, settingsModule)
	sdata := st.text
	// BASE_DIR, and the directories defined from it (APPS_DIR = BASE_DIR / "shop").
	dirs := map[string]string{"BASE_DIR": st.baseDir}
	for _, m := range dirDef.FindAllSubmatch(sdata, -1) {
		if name := string(m[1]); name != "BASE_DIR" {
			if under, ok := underBaseDir(string(m[2]), dirs); ok {
				dirs[name] = under
			} else {
				delete(dirs, name)
			}
		}
	}
	if mm := last(secretEnv, sdata); mm != nil && secretIsLastFromEnv(sdata) {
		info.Secrets = []string{string(mm[1])}
		info.SecretNote = "settings read SECRET_KEY from " + string(mm[1])
	} else {
		info.Secrets = []string{"DJANGO_SECRET_KEY"}
		info.SecretTODO = "make " + settingsModule + " read the generated key: SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"] (each server generates its own; the key in the settings is then unused)"
	}
	if mm := last(allowedHosts, sdata); mm != nil && regexp.MustCompile(`^\[\s*\]`).Match(mm[1]) {
		info.Notes = append(info.Notes, "ALLOWED_HOSTS is empty in "+settingsModule+": with DEBUG off Django answers 400 to every request; list the server's host names there (or read them from the environment)")
	}
	if mm := last(debugSetting, sdata); mm != nil && string(mm[1]) == "True" {
		info.Notes = append(info.Notes, "DEBUG is True in "+settingsModule+": a server would show tracebacks and settings to visitors; set it False there, or read it from the environment (DEBUG = os.environ.get(\"DJANGO_DEBUG\") == \"1\")")
	}
	if db := databases(sdata); sqliteEngine.Match(db) {
		if mm := dbName.FindSubmatch(db); mm != nil {
			if under, ok := underBaseDir(string(mm[1]), dirs); ok {
				info.Notes = append(info.Notes, "the SQLite database of "+settingsModule+" is "+string(mm[1])+" (app/"+under+"), inside the release: read-only for the app user, and replaced at each upgrade, so the migrate hook would fail; "+
					"put it in the app's data directory, e.g. \"NAME\": os.path.join(os.environ[\"<NAME>_STATE\"], \"db.sqlite3\") (environment.<NAME>_STATE, /var/lib/<name>, the app user's)")
			}
		}
	}
	var notes []string
	for _, d := range djangoServedDirs {
		if note := djangoServed(d, sdata, dirs, settingsModule, manageInRelease, info); note != "" {
			notes = append(notes, note)
		}
	}
	info.StaticNote = strings.Join(notes, "; ")
}

// databases returns the last top-level DATABASES = {...} statement of
// text: its lines up to the next statement at the start of a line.
func databases(text []byte) []byte {
	starts := databasesDef.FindAllIndex(text, -1)
	if len(starts) == 0 {
		return nil
	}
	rest := text[starts[len(starts)-1][0]:]
	lines := bytes.SplitAfter(rest, []byte("\n"))
	n := len(lines[0])
	for _, l := range lines[1:] {
		if t := bytes.TrimRight(l, "\r\n"); len(t) > 0 && t[0] != ' ' && t[0] != '\t' && t[0] != '}' && t[0] != ')' && t[0] != '#' {
			break
		}
		n += len(l)
	}
	return rest[:n]
}

// secretIsLastFromEnv reports whether the last SECRET_KEY assignment of
// text reads the environment.
func secretIsLastFromEnv(text []byte) bool {
	all := secretKey.FindAllIndex(text, -1)
	env := secretEnv.FindAllIndex(text, -1)
	return len(all) > 0 && len(env) > 0 && env[len(env)-1][0] == all[len(all)-1][0]
}

// underBaseDir returns the path that a settings expression names under
// the source directory (BASE_DIR / "static", os.path.join(BASE_DIR,
// "static"), str(...) of either, or a relative literal), dirs being where
// BASE_DIR and the settings' other directories (APPS_DIR) are; false when
// it names no path there.
func underBaseDir(expr string, dirs map[string]string) (string, bool) {
	expr = strings.TrimSpace(expr)
	if m := strCall.FindStringSubmatch(expr); m != nil {
		expr = strings.TrimSpace(m[1])
	}
	var under string
	if b := baseDirPath.FindStringSubmatch(expr); b != nil {
		base, ok := dirs[b[1]+b[3]]
		if !ok {
			return "", false
		}
		var segs []string
		for _, q := range quoted.FindAllStringSubmatch(b[2]+b[4], -1) {
			segs = append(segs, q[1])
		}
		under = filepath.ToSlash(filepath.Join(append([]string{base}, segs...)...))
	} else if l := literal.FindStringSubmatch(expr); l != nil && !filepath.IsAbs(l[1]) {
		under = filepath.ToSlash(filepath.Clean(l[1]))
	}
	if under == "" || under == "." || !filepath.IsLocal(under) {
		return "", false
	}
	return under, true
}

// djangoServedDir is a directory of Django's settings that Apache serves:
// <Setting>_ROOT at <Setting>_URL.
type djangoServedDir struct {
	setting    string // STATIC or MEDIA
	defaultURL string
	root, url  *regexp.Regexp
	hook       string // the manage.py command that fills it at install, if any
	what       string // what the app user writes there
}

var djangoServedDirs = []djangoServedDir{
	{setting: "STATIC", defaultURL: "/static", root: staticRoot, url: staticURL, hook: "collectstatic --noinput",
		what: "filled by the collectstatic hook"},
	{setting: "MEDIA", defaultURL: "/media", root: regexp.MustCompile(`(?m)^MEDIA_ROOT\s*=\s*(.+?)\s*(?:#.*)?$`),
		url: regexp.MustCompile(`(?m)^MEDIA_URL\s*=\s*["']([^"']*)["']`), what: "the users' uploads"},
}

// djangoServed maps d's directory, when the settings put it under the
// source directory (dirs: where BASE_DIR and APPS_DIR are), to its URL under
// apache.static and makes it writable; it returns the note for the spec,
// or "" when the settings do not set it.
func djangoServed(d djangoServedDir, sdata []byte, dirs map[string]string, settings, manage string, info *Info) string {
	url := d.defaultURL
	if mm := last(d.url, sdata); mm != nil {
		if u := "/" + strings.Trim(string(mm[1]), "/"); u != "/" && !strings.Contains(string(mm[1]), "://") {
			url = u
		}
	}
	mm := last(d.root, sdata)
	if mm == nil {
		return ""
	}
	expr := strings.TrimSpace(string(mm[1]))
	if d.hook != "" {
		info.PostInstall = append(info.PostInstall, "python "+manage+" "+d.hook)
	}
	under, ok := underBaseDir(expr, dirs)
	if !ok {
		info.Notes = append(info.Notes, d.setting+"_ROOT is "+expr+": map its URL ("+url+") to it under apache.static, and let the app user write there ("+d.what+")")
		return ""
	}
	// The source directory is shipped as app/.
	p := filepath.ToSlash(filepath.Join("app", under))
	info.Static[url] = p
	info.Writable = append(info.Writable, p)
	return d.setting + "_ROOT of " + settings + ", " + d.what + " (writable for the app user)"
}

var (
	flaskApp     = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_.]+\s*)?=\s*(?:flask\.)?Flask\(`)
	flaskFactory = regexp.MustCompile(`(?m)^def\s+(create_app|make_app)\s*\(`)
	importsFlask = regexp.MustCompile(`(?m)^\s*(?:from\s+flask\s+import|import\s+flask\b)`)
	wsgiApp      = regexp.MustCompile(`(?m)^(?:application\s*=|def\s+application\s*\()`)
	// app = create_app(), application = make_app("production"): the app a
	// wsgi.py (or app.py) makes, as gunicorn and uWSGI are given it.
	entryAssign = regexp.MustCompile(`(?m)^(app|application)\s*(?::\s*[A-Za-z_.]+\s*)?=\s*([A-Za-z_][A-Za-z0-9_.]*)\(`)
	// an app factory's name, for app.py and application.py (where app =
	// typer.Typer() may be a command line, not the web app)
	factoryName = regexp.MustCompile(`(?i)(?:^|\.)(?:create|make|build|get)_?(?:wsgi_?)?app(?:lication)?$`)
	identifier  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// candidate is a WSGI entry point found in a module.
type candidate struct {
	wsgi, file string
	rank       int
	flask      bool // the module imports Flask
	assign     bool // app = factory(...) in an entry module (entryAssign)
}

func detectFlaskOrWSGI(dir string, info *Info) {
	src := filepath.Join(dir, info.Source)
	var found []candidate
	_ = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			name := d.Name()
			if p != src && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" || name == "tests" ||
				isFile(filepath.Join(p, "pyvenv.cfg")) || strings.Count(rel, string(filepath.Separator)) >= 4) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".py") || isTest(d.Name()) {
			return nil
		}
		mod := moduleName(rel)
		if mod == "" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > 1<<20 {
			return nil
		}
		rank := rankOf(rel)
		file := filepath.ToSlash(filepath.Join(info.Source, rel))
		flask := importsFlask.Match(data)
		if m := flaskApp.FindSubmatch(data); m != nil && flask {
			found = append(found, candidate{mod + ":" + string(m[1]), file, rank, flask, false})
		} else if m := entryAssign.FindSubmatch(data); m != nil && (d.Name() == "wsgi.py" || (rank <= strings.Count(rel, string(filepath.Separator))+1 && factoryName.Match(m[2]))) {
			found = append(found, candidate{mod + ":" + string(m[1]), file, rank + 5, flask, true})
		} else if m := flaskFactory.FindSubmatch(data); m != nil && flask {
			found = append(found, candidate{mod + ":" + string(m[1]) + "()", file, rank + 10, flask, false})
		} else if wsgiApp.Match(data) {
			found = append(found, candidate{mod + ":application", file, rank + 20, flask, false})
		} else if m := flaskFactory.FindSubmatch(data); m != nil {
			found = append(found, candidate{mod + ":" + string(m[1]) + "()", file, rank + 30, flask, false})
		}
		return nil
	})
	if len(found) == 0 {
		info.WSGINote = "no WSGI application found under " + info.Source + ": set app.wsgi to module:callable (a module-level app) or module:factory() (an app factory)"
		return
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].rank != found[j].rank {
			return found[i].rank < found[j].rank
		}
		return found[i].file < found[j].file
	})
	best := found[0]
	info.WSGI, info.WSGIFrom = best.wsgi, best.file
	if strings.HasSuffix(best.wsgi, "()") {
		name := best.wsgi[strings.Index(best.wsgi, ":")+1 : len(best.wsgi)-2]
		if req := requiredParams(readFile(filepath.Join(dir, best.file)), name); len(req) > 0 {
			mod := best.wsgi[:strings.Index(best.wsgi, ":")]
			info.WSGINote = fmt.Sprintf("%s(%s) in %s needs arguments, and the entry script calls a factory with none: write %s with 'from %s import %s' and 'app = %s(...)' as your servers need it, and set app.wsgi to wsgi:app",
				name, strings.Join(req, ", "), best.file, filepath.ToSlash(filepath.Join(info.Source, "wsgi.py")), mod, name, name)
		}
	}
	if !best.flask {
		// A wsgi.py that makes the app with the project's factory
		// (from shop import create_app; app = create_app()): the
		// factory's module tells the framework, static and instance
		// folders.
		i := slices.IndexFunc(found, func(c candidate) bool { return c.flask })
		if !best.assign || i < 0 {
			return
		}
		best = found[i]
	}
	data, _ := os.ReadFile(filepath.Join(dir, best.file))
	info.Framework = "flask"
	// Flask serves <root>/static at /static by default, root being the
	// app's package (or the module's directory); Flask(...,
	// static_folder="assets", static_url_path="/s") moves them.
	root := filepath.Dir(best.file)
	folder, url := "static", "/static"
	if m := staticFolder.FindSubmatch(data); m != nil {
		folder, url = string(m[1]), "/"+path.Base(string(m[1]))
	}
	if m := staticURLPath.FindSubmatch(data); m != nil {
		url = "/" + strings.Trim(string(m[1]), "/")
	}
	if local := filepath.Join(root, folder); filepath.IsLocal(folder) && url != "/" && isDir(filepath.Join(dir, local)) {
		rel, _ := filepath.Rel(info.Source, local)
		info.Static[url] = filepath.ToSlash(filepath.Join("app", rel))
		info.StaticNote = "Flask's static folder, at its URL (relative to apache.mount)"
	}
	// The instance folder is beside the top-level package or module
	// (Flask's find_package), which lies in the source directory: app/instance
	// for shop.web as for shop or a module app.py. The app writes there
	// when its code names it, and when Flask-SQLAlchemy (3.0 and later)
	// gets a relative SQLite URI (sqlite:///shop.db), which it resolves
	// in the instance folder. The package's other modules (config.py)
	// count too.
	mod, _, _ := strings.Cut(best.wsgi, ":")
	text := string(data) + packageText(filepath.Join(dir, info.Source, strings.Split(mod, ".")[0]))
	for _, f := range []string{"config.py", "settings.py"} {
		// from config import Config, beside the package (Flask's
		// mega-tutorial layout)
		if f := filepath.Join(dir, info.Source, f); filepath.Join(dir, best.file) != f {
			text += "\n" + readFile(f)
		}
	}
	if strings.Contains(text, "instance_relative_config") || strings.Contains(text, "instance_path") || relativeSQLite.MatchString(text) {
		info.Writable = append(info.Writable, "app/instance")
	}
	if m := sqliteInCode.FindString(text); m != "" && !strings.Contains(m, "instance_path") {
		info.Notes = append(info.Notes, "the app's SQLite database is made from the code's directory ("+strings.TrimSpace(m)+"): on a server that is inside the release, read-only for the app user and new at each upgrade; "+
			"put it in the app's data directory, e.g. 'sqlite:///' + os.path.join(os.environ[\"<NAME>_STATE\"], \"app.db\") (environment.<NAME>_STATE, /var/lib/<name>), or in the instance folder")
	}
	if strings.Contains(text, "flask_migrate") {
		// flask db upgrade finds migrations/ in its working directory: the
		// hooks run in the release, where the source is app/.
		migrations := filepath.ToSlash(filepath.Join("app", "migrations"))
		if !isFile(filepath.Join(dir, info.Source, "migrations", "env.py")) {
			migrations = "app/<the directory of 'flask db init'>"
		}
		info.Notes = append(info.Notes, "the app uses Flask-Migrate: to upgrade its database at each install, add under hooks.post_install: "+
			"FLASK_APP='"+info.WSGI+"' flask db upgrade --directory "+migrations)
	}
	if m := flaskSecretEnv.FindStringSubmatch(text); m != nil {
		info.Secrets = []string{m[1]}
		info.SecretNote = "the app reads SECRET_KEY from " + m[1]
	} else if strings.Contains(text, "from_prefixed_env") {
		info.Secrets = []string{"FLASK_SECRET_KEY"}
		info.SecretNote = "Flask reads FLASK_SECRET_KEY as SECRET_KEY with app.config.from_prefixed_env()"
	} else {
		info.SuggestedSecrets = []string{"FLASK_SECRET_KEY"}
		info.SecretNote = "Call app.config.from_prefixed_env() in the app to read FLASK_SECRET_KEY as SECRET_KEY"
	}
}

var (
	staticFolder  = regexp.MustCompile(`\bstatic_folder\s*=\s*["']([^"'\s]+)["']`)
	staticURLPath = regexp.MustCompile(`\bstatic_url_path\s*=\s*["']([^"'\s]*)["']`)
)

// flaskSecretEnv: SECRET_KEY = os.environ["NAME"] in a config module,
// app.config["SECRET_KEY"] = os.getenv("NAME"), SECRET_KEY=os.environ.get("NAME", ...).
var flaskSecretEnv = regexp.MustCompile(`SECRET_KEY(?:["']\s*\])?\s*=\s*os\.(?:environ\s*\[\s*|environ\.get\s*\(\s*|getenv\s*\(\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']`)

// sqliteInCode is a SQLite URI built from the code's directory
// ('sqlite:///' + os.path.join(basedir, 'app.db'), Flask's mega-tutorial).
var sqliteInCode = regexp.MustCompile(`(?m)^.*sqlite:///.*\b(?:basedir|BASE_DIR|base_dir|__file__|root_path)\b.*$`)

var relativeSQLite = regexp.MustCompile(`sqlite:///[^/"'\s]`)

// packageText returns the source of the package in dir (its .py files but
// the tests, at most 4 MiB), or "" when dir is not a package.
func packageText(dir string) string {
	if !isFile(filepath.Join(dir, "__init__.py")) {
		return ""
	}
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || b.Len() > 4<<20 {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if p != dir && (d.Name() == "tests" || d.Name() == "__pycache__" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".py") && !isTest(d.Name()) {
			if data, err := os.ReadFile(p); err == nil && len(data) <= 1<<20 {
				b.Write(data)
				b.WriteByte('\n')
			}
		}
		return nil
	})
	return b.String()
}

// requiredParams returns the parameters of the module-level function
// name in src that have no default (not *args, **kwargs or self).
func requiredParams(src, name string) []string {
	m := regexp.MustCompile(`(?ms)^def\s+` + regexp.QuoteMeta(name) + `\s*\((.*?)\)\s*(?:->[^:]*)?:`).FindStringSubmatch(src)
	if m == nil {
		return nil
	}
	// Split at the commas outside brackets (defaults and annotations
	// may hold some).
	var params []string
	depth, start := 0, 0
	for i, r := range m[1] {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				params = append(params, m[1][start:i])
				start = i + 1
			}
		}
	}
	params = append(params, m[1][start:])
	var req []string
	for _, p := range params {
		p = strings.TrimSpace(p)
		if p == "" || p == "/" || p == "self" || strings.HasPrefix(p, "*") || strings.Contains(p, "=") {
			continue
		}
		n, _, _ := strings.Cut(p, ":")
		req = append(req, strings.TrimSpace(n))
	}
	return req
}

// readFile returns file's content, "" when it cannot be read.
func readFile(file string) string {
	data, _ := os.ReadFile(file)
	return string(data)
}

// rankOf orders the modules an app is looked for in: wsgi.py, app.py and
// application.py first, then packages, shallow before deep.
func rankOf(rel string) int {
	depth := strings.Count(rel, string(filepath.Separator))
	switch filepath.Base(rel) {
	case "wsgi.py":
		return depth
	case "app.py", "application.py":
		return depth + 1
	case "__init__.py":
		return depth + 2
	}
	return depth + 4
}

// moduleName is the dotted module of a .py file relative to the source
// directory, or "" when a part is not an identifier.
func moduleName(rel string) string {
	rel = strings.TrimSuffix(filepath.ToSlash(rel), ".py")
	rel = strings.TrimSuffix(rel, "/__init__")
	parts := strings.Split(rel, "/")
	for _, p := range parts {
		if !identifier.MatchString(p) {
			return ""
		}
	}
	return strings.Join(parts, ".")
}

// isTest reports whether pytest (or Django's runner) would take file name
// for tests.
func isTest(name string) bool {
	return name == "conftest.py" || name == "tests.py" || strings.HasPrefix(name, "test_") || strings.HasSuffix(name, "_test.py") ||
		slices.Contains([]string{"setup.py", "manage.py", "noxfile.py", "fabfile.py"}, name)
}

// hasPython reports whether dir holds a Python module or package (a .py
// file in it, or up to two directories down: a namespace package): src/
// of a src layout, not the JavaScript sources a project keeps there.
func hasPython(dir string) bool {
	for _, pattern := range []string{"*.py", "*/*.py", "*/*/*.py"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			return true
		}
	}
	return false
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
