package spec

import (
	"embed"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/wsgipack/wsgipack/internal/distro"
	appproject "github.com/wsgipack/wsgipack/internal/project"
	"github.com/wsgipack/wsgipack/internal/render"
	"github.com/wsgipack/wsgipack/internal/version"
)

//go:embed init.tmpl
var skeletonFile embed.FS

var skeleton = render.Must(skeletonFile, "init.tmpl")

// FallbackSummary is the summary init writes when the project has no
// description: lintian refuses one that starts with the package name.
const FallbackSummary = "Web application packaged with wsgipack"

// kv is one mapping entry of init.tmpl, both sides YAML scalars.
type kv struct{ Key, Value string }

// skeletonData fills init.tmpl. Values are YAML scalars, quoted where
// needed; the *TODO fields are comments for what a person must fill in.
type skeletonData struct {
	From, Framework, FrameworkName                     string
	Name, Version, Summary, Maintainer, License        string
	Homepage, Source, WSGI, WSGIFrom, Venv, EnvPrefix  string
	Targets, TargetsNote                               string
	NameTODO, VersionTODO, SummaryTODO, MaintainerTODO string
	LicenseTODO, WSGITODO, VenvTODO, TargetsTODO       string
	Exclude, Secrets, SuggestedSecrets, Description    []string
	Writable, PostInstall                              []string
	SecretNote, SecretTODO, StaticNote, EnvNote        string
	Static, Environment                                []kv
	TODOs                                              []string
}

// Skeleton is what Init wrote.
type Skeleton struct {
	// Framework is Flask, Django or empty.
	Framework string
	WSGI      string
	// TODOs are what a person must fill in or check, as written in the
	// file's "# TODO:" comments.
	TODOs []string
}

// WriteSkeleton writes a commented starting spec to file (see Init).
func WriteSkeleton(file string, force bool) error {
	_, err := Init(file, force)
	return err
}

var nameChars = regexp.MustCompile(`[^a-z0-9]+`)

// Init writes a commented starting spec for the project in file's
// directory: metadata from pyproject.toml or setup.cfg, the venv, the
// source directory and, for Flask and Django, the entry point, settings,
// static files, secrets and hooks (internal/project). What it cannot tell
// is a "# TODO:" comment in the file and in the returned TODOs.
func Init(file string, force bool) (*Skeleton, error) {
	if _, err := os.Stat(file); err == nil && !force {
		return nil, fmt.Errorf("%s exists; pass --force to overwrite it", file)
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	info, err := appproject.Detect(dir)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	d := skeletonData{From: info.From, Framework: info.Framework, FrameworkName: map[string]string{"flask": "Flask", "django": "Django"}[info.Framework], Source: info.Source, WSGIFrom: info.WSGIFrom,
		Exclude: quoteAll(info.Exclude), Secrets: info.Secrets, SuggestedSecrets: info.SuggestedSecrets,
		Writable: quoteAll(info.Writable), PostInstall: quoteAll(info.PostInstall), SecretNote: info.SecretNote, StaticNote: info.StaticNote}
	var todos []string
	todo := func(field *string, msg string) {
		*field = msg
		todos = append(todos, msg)
	}

	// Name: the project's, else the directory's.
	name := packageName(info.Name)
	if name == "" || len(name) > 32 || slices.Contains(systemNames, name) {
		name = packageName(filepath.Base(dir))
		why := "check the package name, made from the directory's"
		if info.Name != "" {
			why = fmt.Sprintf("the project's name %q is not a package name of its own (2-32 lower case letters, digits and '-'); check this one, made from the directory's", info.Name)
		}
		if name == "" || len(name) > 32 || slices.Contains(systemNames, name) {
			name, why = "webapp", "name the package (2-32 lower case letters, digits and '-'; not a name of the system)"
		}
		if info.Name != "" || name == "webapp" {
			todo(&d.NameTODO, why)
		}
	} else if sep := regexp.MustCompile(`[-_.\s]+`); sep.ReplaceAllString(strings.ToLower(strings.TrimSpace(info.Name)), "-") != name {
		// More than case and separators changed: "café-app" is caf-app.
		todo(&d.NameTODO, fmt.Sprintf("made from the project's name %q, which has characters a package name cannot: check it", info.Name))
	}
	d.Name = name
	d.EnvPrefix = strings.ToUpper(strings.ReplaceAll(name, "-", "_"))

	d.Version = "0.1.0"
	if info.Version != "" {
		if _, err := version.Parse(info.Version); err == nil {
			d.Version = info.Version
		} else {
			todo(&d.VersionTODO, fmt.Sprintf("%s's version %q is neither SemVer nor PEP 440: set one, or pass --version to 'wsgipack build'", info.From, info.Version))
		}
	} else if info.VersionNote != "" {
		todo(&d.VersionTODO, info.VersionNote)
	} else {
		todo(&d.VersionTODO, "set the app's version, or pass --version to 'wsgipack build' (CI passes its tag)")
	}

	summary, why := Summary(info.Description, name, info.Name)
	d.Summary = summary
	if why != "" {
		todo(&d.SummaryTODO, why)
	}
	// The extended description: lintian refuses an empty one (a
	// description equal to the summary) and one whose first line repeats
	// the summary (description-synopsis-is-duplicated).
	if desc := strings.Join(strings.Fields(info.Description), " "); desc != "" && strings.TrimSuffix(desc, ".") != summary {
		if !strings.HasSuffix(desc, ".") {
			desc += "."
		}
		// rpmlint refuses a description line over 79 characters
		// (description-line-too-long), lintian warns over 80.
		d.Description = append(d.Description, wrap(desc, 79)...)
	}
	d.Description = append(d.Description, "Python web application served by Apache mod_wsgi, packaged with wsgipack.")

	d.Maintainer = "Ops Team <ops@example.com>"
	if a, err := mail.ParseAddress(info.Maintainer); err == nil && a.Name != "" && info.Maintainer != "" {
		d.Maintainer = info.Maintainer
	} else {
		todo(&d.MaintainerTODO, "who answers for the package, as 'Name <email>'")
	}

	d.License = "Proprietary"
	switch l := strings.TrimSpace(info.License); {
	case l != "" && !strings.ContainsAny(l, "\n\r") && len(l) <= 64:
		d.License = l
	case l != "":
		todo(&d.LicenseTODO, info.From+"'s license is a text, not an identifier: write its SPDX identifier (e.g. MIT) or Proprietary")
	case info.LicenseNote != "":
		todo(&d.LicenseTODO, info.LicenseNote)
	default:
		todo(&d.LicenseTODO, "the app's license: an SPDX identifier (e.g. MIT) or Proprietary")
	}
	if u, err := url.Parse(info.Homepage); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		d.Homepage = info.Homepage
	}

	d.WSGI = info.WSGI
	if d.WSGI == "" {
		d.WSGI = "app:application"
		why := info.WSGINote
		if why == "" {
			why = "no WSGI application found: name it as module:callable or module:factory()"
		}
		todo(&d.WSGITODO, why)
	} else if info.WSGINote != "" {
		todo(&d.WSGITODO, info.WSGINote)
	}
	d.Venv = info.Venv
	if d.Venv == "" {
		d.Venv = "venv"
		todo(&d.VenvTODO, "no venv found (.venv, venv or env with a pyvenv.cfg): create it as CI does (python3 -m venv venv && venv/bin/pip install ...)")
	} else if info.VenvNote != "" {
		todo(&d.VenvTODO, info.VenvNote)
	}
	d.Targets = "[debian-12, el9]"
	if py := info.VenvPython; py != "" {
		targets, why := defaultTargets(py)
		if why != "" {
			todo(&d.TargetsTODO, why)
		} else {
			d.Targets = "[" + strings.Join(targets, ", ") + "]"
			d.TargetsNote = "those with mod_wsgi for the venv's Python " + py
		}
	}
	if info.SecretTODO != "" {
		todo(&d.SecretTODO, info.SecretTODO)
	}
	// Notes name the package's user and its state variable generically.
	names := strings.NewReplacer("<NAME>_STATE", d.EnvPrefix+"_STATE", "<name>", name)
	for _, n := range info.Notes {
		todos = append(todos, names.Replace(n))
	}
	d.EnvNote = names.Replace(info.EnvironmentNote)
	for _, k := range slices.Sorted(maps.Keys(info.Environment)) {
		d.Environment = append(d.Environment, kv{scalar(k), scalar(info.Environment[k])})
	}
	for _, k := range slices.Sorted(maps.Keys(info.Static)) {
		d.Static = append(d.Static, kv{scalar(k), scalar(info.Static[k])})
	}
	d.Name, d.Version, d.Summary, d.Maintainer = scalar(d.Name), scalar(d.Version), scalar(d.Summary), scalar(d.Maintainer)
	d.License, d.Source, d.WSGI, d.Venv = scalar(d.License), scalar(d.Source), scalar(d.WSGI), scalar(d.Venv)
	if d.Homepage != "" {
		d.Homepage = scalar(d.Homepage)
	}
	d.TODOs = todos
	out, err := skeleton.Execute("init.tmpl", d)
	if err != nil {
		return nil, err
	}
	// Notes that belong to no single field go at the end of the file.
	var notes []string
	fields := []string{d.NameTODO, d.VersionTODO, d.SummaryTODO, d.MaintainerTODO, d.LicenseTODO, d.WSGITODO, d.VenvTODO, d.TargetsTODO, d.SecretTODO}
	for _, t := range todos {
		if !slices.Contains(fields, t) {
			notes = append(notes, "# TODO: "+t)
		}
	}
	if len(notes) > 0 {
		out = append(out, []byte("\n"+strings.Join(notes, "\n")+"\n")...)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return nil, err
	}
	return &Skeleton{Framework: d.FrameworkName, WSGI: info.WSGI, TODOs: todos}, nil
}

// defaultTargets returns the targets init writes for a venv of Python
// py: a Debian (else Ubuntu) release and an EL release (EL 9 first) whose
// mod_wsgi is built for py; why says what to do when there are none.
func defaultTargets(py string) (targets []string, why string) {
	offers := func(r distro.Release) bool {
		return slices.ContainsFunc(r.Pythons, func(p distro.Python) bool { return p.Version == py })
	}
	pick := func(names ...string) {
		for _, n := range names {
			if r, err := distro.Lookup(n); err == nil && offers(r) {
				targets = append(targets, n)
				return
			}
		}
	}
	pick("debian-12", "debian-13", "debian-11", "ubuntu-24.04", "ubuntu-22.04", "ubuntu-20.04")
	pick("el9", "el10", "el8")
	if len(targets) == 0 {
		var have []string
		for _, r := range distro.All() {
			for _, p := range r.Pythons {
				if !slices.Contains(have, p.Version) {
					have = append(have, p.Version)
				}
			}
		}
		slices.SortFunc(have, func(a, b string) int {
			var am, bm int
			fmt.Sscanf(a, "3.%d", &am)
			fmt.Sscanf(b, "3.%d", &bm)
			return am - bm
		})
		return nil, fmt.Sprintf("no target has mod_wsgi for the venv's Python %s (they have %s): make the venv with one of those and list its targets", py, strings.Join(have, ", "))
	}
	return targets, ""
}

// packageName makes s a package name: lower case, runs of other
// characters as '-'; "" when that is not a valid name.
func packageName(s string) string {
	n := strings.Trim(nameChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if !nameRE.MatchString(n) {
		return ""
	}
	return n
}

var (
	articles = regexp.MustCompile(`(?i)^(a|an|the)\s+`)
	// "<name> is a ...", "<name>: ...", "<name> - ..."
	afterName = regexp.MustCompile(`(?i)^(\s*(is|are)\s+|\s*[:,\-–—]\s*)`)
)

// Summary makes a package summary out of a project description that
// lintian accepts: one line of at most 80 characters, not starting with
// the package name (description-starts-with-package-name) nor an article,
// with no final period. names are the package's names (spec name, the
// project's name), which are cut off the start with what joins them to
// the rest ("<name> is a", "<name>:"). why says what a person should
// check; empty when the description could be used.
func Summary(description string, names ...string) (summary, why string) {
	const none = "describe the app in one line (not starting with its name)"
	s := strings.Join(strings.Fields(description), " ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	var forms []string
	for _, n := range names {
		if n != "" {
			forms = append(forms, n, strings.ReplaceAll(n, "-", " "), strings.ReplaceAll(n, "-", "_"), strings.ReplaceAll(n, "_", "-"), strings.ReplaceAll(n, "_", " "))
		}
	}
	stripped := false
	for changed := true; changed; {
		changed = false
		if t := articles.ReplaceAllString(s, ""); t != s {
			s, changed = t, true
		}
		for _, f := range forms {
			if startsWithWord(s, f) {
				s = strings.TrimSpace(afterName.ReplaceAllString(s[len(f):], ""))
				stripped, changed = true, true
			}
		}
	}
	s = strings.TrimRight(s, ". ")
	if len(s) > 80 {
		cut := strings.LastIndex(s[:80], " ")
		if cut < 20 {
			cut = 80
		}
		s = strings.TrimRight(s[:cut], ",;:- ")
		why = "the description was cut to 80 characters: check it"
	}
	if s == "" || !utf8.ValidString(s) {
		return FallbackSummary, none
	}
	r, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[size:]
	if stripped && len(strings.Fields(s)) < 3 && why == "" {
		why = "made from the description without the package's name: check it"
	}
	return s, why
}

// wrap breaks s at spaces into lines of at most width bytes but for a
// longer word, on a line of its own, and a word starting with '.', kept on
// the line before: a control file's description reads a line starting
// with '.' as a control statement.
func wrap(s string, width int) []string {
	var lines []string
	for _, w := range strings.Fields(s) {
		n := len(lines) - 1
		switch {
		case n < 0:
			lines = append(lines, w)
		case len(lines[n])+1+len(w) <= width || strings.HasPrefix(w, "."):
			lines[n] += " " + w
		default:
			lines = append(lines, w)
		}
	}
	return lines
}

// startsWithWord reports whether s starts with word (any case) followed by
// a word boundary, as lintian's check reads it.
func startsWithWord(s, word string) bool {
	if len(s) < len(word) || !strings.EqualFold(s[:len(word)], word) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[len(word):])
	return len(s) == len(word) || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// scalar returns s as a YAML scalar, quoted when plain style would not
// read back as the same string.
func scalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil || strings.Count(strings.TrimRight(string(out), "\n"), "\n") > 0 {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimRight(string(out), "\n")
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = scalar(s)
	}
	return out
}
