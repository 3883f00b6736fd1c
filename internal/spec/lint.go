package spec

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wsgipack/wsgipack/internal/distro"
)

// The rules of lintian (2.116, Debian 12) and rpmlint (2.4) that depend
// only on what a spec says: its summary, description and homepage. check
// and build report them before a package is written, so that a build
// never makes a package its linter refuses. A lintian or rpmlint error is
// an error here; their warnings are warnings. Each rule applies when the
// spec has a target of the linter's format. internal/spec's TestLintRules
// builds a package per rule and checks that the real tool agrees.

// maxLine is rpmlint's MaxLineLength: the longest summary and description
// line it takes. Lintian's limit, 80, is one more.
const maxLine = 79

// capitalizedIgnore are the first words rpmlint lets start a summary in
// lower case (CAPITALIZED_IGNORE_LIST).
var capitalizedIgnore = []string{"jQuery", "openSUSE", "wxWidgets", "a", "an", "uWSGI"}

var (
	domainRE   = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	articleRE  = regexp.MustCompile(`(?i)^(an?|the)\s`)
	homepageRE = regexp.MustCompile(`(?i)^\s*Homepage: <?https?://`)
	nonAlnum   = regexp.MustCompile(`[^a-zA-Z0-9]+`)
	pkgNameSep = regexp.MustCompile(`[-_/\\]`)
	spaces     = regexp.MustCompile(`\s+`)
)

// lint applies the linters' rules to a defaulted spec.
func lint(r *reporter, s *Spec) {
	var deb, rpm bool
	for _, t := range s.Targets {
		if rel, err := distro.Lookup(t); err == nil {
			deb = deb || rel.Format == "deb"
			rpm = rpm || rel.Format == "rpm"
		}
	}
	if deb {
		lintMaintainer(r, s.Maintainer)
	}
	lintSummary(r, s, deb, rpm)
	lintDescription(r, s, deb, rpm)
	if rpm {
		if s.Homepage == "" {
			r.warn("homepage", "is not set (rpmlint warning no-url-tag): give the app's URL")
		} else if host := hostOf(s.Homepage); host != "" && !strings.Contains(host, ".") {
			r.warn("homepage", "%q has no dot in its host name (rpmlint warning invalid-url): give the URL users reach it at", s.Homepage)
		}
	}
}

// lintMaintainer applies lintian's rules on the Maintainer field (an
// address that mail.ParseAddress took).
func lintMaintainer(r *reporter, m string) {
	a, err := mail.ParseAddress(m)
	if err != nil {
		return // reported by validate
	}
	user, host, _ := strings.Cut(a.Address, "@")
	if user == "root" || a.Name == "root" {
		r.add("maintainer", "%q names root (lintian error root-in-contact): give the address of the team that answers for the app", m)
	}
	if !domainRE.MatchString(host) {
		r.add("maintainer", "%q: %q is not a domain name (lintian error bogus-mail-host): give an address people can write to", m, host)
	}
}

func lintSummary(r *reporter, s *Spec, deb, rpm bool) {
	sum, name := s.Summary, s.Name
	if sum == "" {
		return // required, reported by validate
	}
	n := utf8.RuneCountInString(sum)
	switch {
	case n > 80:
		r.add("summary", "is %d characters long: it must be one line of at most 80 (lintian synopsis-too-long) and 79 for rpm targets (rpmlint error summary-too-long); put the rest in description", n)
	case n > maxLine && rpm:
		r.add("summary", "is %d characters long: rpm targets take at most %d (rpmlint error summary-too-long); put the rest in description", n, maxLine)
	}
	if strings.Contains(sum, "\t") && deb {
		r.add("summary", "holds a tab (lintian error description-contains-tabs): use spaces")
	}
	if deb {
		fuzzyName := pkgNameSep.ReplaceAllString(strings.ToLower(name), " ")
		fuzzySum := spaces.ReplaceAllString(pkgNameSep.ReplaceAllString(strings.ToLower(sum), " "), " ")
		switch {
		case fuzzyName == fuzzySum:
			r.add("summary", "%q is the package name (lintian error description-is-pkg-name): say what the app does, e.g. 'Web service that tracks stock'", sum)
		case startsWithName(sum, name):
			r.add("summary", "%q starts with the package name %q (lintian error description-starts-with-package-name): say what the app does without naming it, e.g. 'Web service that tracks stock'", sum, name)
		case !strings.ContainsFunc(sum, unicode.IsSpace):
			r.add("summary", "%q is one word (lintian error description-too-short): say in a few words what the app does", sum)
		}
		if articleRE.MatchString(sum) {
			r.warn("summary", "%q starts with an article (lintian warning description-synopsis-starts-with-article): drop it", sum)
		}
	}
	if rpm {
		first, _, _ := strings.Cut(sum, " ")
		if c, _ := utf8.DecodeRuneInString(sum); unicode.ToUpper(c) != c && !slices.Contains(capitalizedIgnore, first) {
			r.warn("summary", "%q does not start with a capital letter (rpmlint warning summary-not-capitalized)", sum)
		}
		if nameRepeated(sum, name) {
			r.warn("summary", "%q repeats the package name (rpmlint warning name-repeated-in-summary): rpm and dnf show the name beside it", sum)
		}
	}
	if strings.HasSuffix(sum, ".") && (rpm || deb) {
		r.warn("summary", "%q ends with a period (rpmlint warning summary-ended-with-dot, lintian synopsis-is-a-sentence): a summary is not a sentence; drop the period", sum)
	}
}

// startsWithName is lintian's m/^\Qpkg\E\b/i.
func startsWithName(sum, name string) bool {
	if len(sum) < len(name) || !strings.EqualFold(sum[:len(name)], name) {
		return false
	}
	rest := sum[len(name):]
	if rest == "" {
		return true
	}
	c, _ := utf8.DecodeRuneInString(rest)
	return !(c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c))
}

// nameRepeated is rpmlint's name-repeated-in-summary: the name as a word,
// after a space or at the start, before a space, punctuation or the end.
func nameRepeated(sum, name string) bool {
	re := regexp.MustCompile(`(?i)(?:^|\s)` + regexp.QuoteMeta(name) + `(?:[\s.,:;!?]|$)`)
	return re.MatchString(sum)
}

func lintDescription(r *reporter, s *Spec, deb, rpm bool) {
	desc := strings.TrimSpace(s.Description)
	if deb && !r.written("description") {
		p := r.lookup("summary")
		r.problems = append(r.problems, Problem{File: r.file, Line: p.line, Col: p.col, Field: "description",
			Msg: "defaults to summary (" + r.at("summary") + "), so a .deb has no extended description (lintian error extended-description-is-empty): write a few lines on what the app does for 'apt show'"})
		return
	}
	if deb && desc == strings.TrimSpace(s.Summary) {
		r.add("description", "is the summary again, so a .deb has no extended description (lintian error extended-description-is-empty): write a few lines on what the app does for 'apt show'")
		return
	}
	if desc == "" {
		return
	}
	lines := strings.Split(desc, "\n")
	if deb {
		if nonAlnum.ReplaceAllString(strings.ToLower(lines[0]), "") == nonAlnum.ReplaceAllString(strings.ToLower(s.Summary), "") {
			r.add("description", "its first line repeats the summary (lintian error description-synopsis-is-duplicated): apt shows both; start with something new")
		}
		if strings.Contains(desc, "\t") {
			r.add("description", "holds a tab (lintian error description-contains-tabs): use spaces")
		}
	}
	blank := 0
	for i, raw := range lines {
		l := strings.TrimSpace(raw)
		if deb && strings.HasPrefix(l, ".") && l != "." {
			r.add("description", "line %d starts with '.' (lintian error description-contains-invalid-control-statement): a description line of the control file cannot; reword it", i+1)
		}
		if deb && homepageRE.MatchString(l) {
			r.warn("description", "line %d names the homepage (lintian warning description-contains-homepage): set homepage instead", i+1)
		}
		// rpm keeps the line as written; the control file indents it by
		// one space after dropping its own spaces.
		debLong := deb && utf8.RuneCountInString(l) > maxLine
		switch n := utf8.RuneCountInString(raw); {
		case n > maxLine && rpm:
			also := ""
			if debLong {
				also = " and lintian warning extended-description-line-too-long"
			}
			r.add("description", "line %d is %d characters long: rpm targets take at most %d (rpmlint error description-line-too-long%s); break it", i+1, n, maxLine, also)
		case debLong:
			r.warn("description", "line %d is %d characters long (lintian warning extended-description-line-too-long, above %d with its indent): break it", i+1, utf8.RuneCountInString(l), maxLine+1)
		}
		if l == "" {
			blank++
			if blank == 2 && deb {
				r.warn("description", "line %d is a second blank line in a row (lintian warning extended-description-contains-empty-paragraph): keep one", i+1)
			}
		} else {
			blank = 0
		}
	}
	// rpmlint compares characters of the description with bytes of the
	// summary.
	if rpm && utf8.RuneCountInString(s.Description) < len(s.Summary) {
		r.warn("description", "is shorter than the summary (rpmlint warning description-shorter-than-summary): say more than the summary does")
	}
}

// hostOf returns the network location of a URL (rpmlint's netloc), or "".
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	host, _, _ = strings.Cut(host, "#")
	return host
}
