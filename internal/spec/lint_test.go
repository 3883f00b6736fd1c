package spec

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/packager/packagertest"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// lintTags are the tags of lintian and rpmlint that depend on the spec's
// text, each of which check reports (lint.go).
var lintTags = map[string][]string{
	"lintian": {"description-starts-with-package-name", "description-is-pkg-name", "description-too-short",
		"description-contains-tabs", "extended-description-is-empty", "description-synopsis-is-duplicated",
		"description-contains-invalid-control-statement", "synopsis-too-long", "extended-description-line-too-long",
		"description-synopsis-starts-with-article", "extended-description-contains-empty-paragraph",
		"description-contains-homepage", "synopsis-is-a-sentence", "root-in-contact", "bogus-mail-host",
		"malformed-contact", "too-many-contacts", "no-phrase"},
	"rpmlint": {"summary-too-long", "summary-not-capitalized", "summary-ended-with-dot", "name-repeated-in-summary",
		"description-line-too-long", "description-shorter-than-summary", "invalid-url", "no-url-tag"},
}

// TestLintRules builds a .deb and an .rpm of each spec below, runs the real
// lintian and rpmlint on them, and checks that check reports exactly the
// tags of lintTags that the tools report, as errors for their errors.
func TestLintRules(t *testing.T) {
	testtool.Need(t, "lintian", "rpmlint", "dpkg-deb", "rpm")
	long := strings.Repeat("word ", 15) + "word1" // 80 characters
	std := "summary: Web service that tracks stock\ndescription: Tracks stock levels for the team.\nhomepage: https://example.com/\n"
	cases := []struct {
		name, extra string // extra: spec lines replacing summary and description
	}{
		{"clean", "summary: Web service that tracks stock\ndescription: |\n  Tracks stock levels.\n  For the warehouse team.\nhomepage: https://example.com/\n"},
		{"startsname", "summary: Startsname web service\ndescription: Tracks stock levels for the team.\n"},
		{"pkg-name", "summary: Pkg name\ndescription: Tracks stock levels for the team.\n"},
		{"oneword", "summary: Stocktaking\ndescription: Tracks stock levels for the team.\n"},
		{"tabs", "summary: \"Web\\tservice\"\ndescription: \"Tracks\\tstock levels for the team.\"\n"},
		{"nodesc", "summary: Web service that tracks stock\n"},
		{"samedesc", "summary: Web service that tracks stock\ndescription: Web service that tracks stock\n"},
		{"dupdesc", "summary: Web service that tracks stock\ndescription: \"Web service that tracks stock.\\nAnd more.\"\n"},
		{"dotline", "summary: Web service that tracks stock\ndescription: \"Tracks stock levels for the team.\\n.hidden files\"\n"},
		{"longsum", "summary: " + long + " x\ndescription: " + long + " x and more to say here.\n"},
		{"sum80", "summary: " + long + "\ndescription: " + long + " and more to say here.\n"},
		{"longline", "summary: Web service that tracks stock\ndescription: \"Tracks stock.\\n" + long + "\"\n"},
		{"article", "summary: A web service that tracks stock\ndescription: Tracks stock levels for the team.\n"},
		{"dot", "summary: web service that tracks stock.\ndescription: Tracks stock levels for the team.\nhomepage: http://localhost/\n"},
		{"blanks", "summary: Web service that tracks stock\ndescription: \"Tracks stock levels for the team.\\n\\n\\nMore.\\nHomepage: https://example.com/\"\n"},
		{"repeat", "summary: Web service repeat tracks stock\ndescription: Tracks stock levels for the team.\n"},
		{"short", "summary: Web service that tracks stock\ndescription: Tracks stock.\n"},
		{"rootmail", std + "maintainer: Ops Team <root@example.com>\n"},
		{"rootname", std + "maintainer: root <ops@example.com>\n"},
		{"localhost", std + "maintainer: Ops Team <ops@localhost>\n"},
		{"badhost", std + "maintainer: Ops Team <ops@exa_mple.com>\n"},
		{"ipmail", std + "maintainer: Ops Team <ops@[192.0.2.1]>\n"},
		{"comma", std + "maintainer: '\"Ops, Team\" <ops@example.com>'\n"},
		{"comment", std + "maintainer: Ops Team (night shift) <ops@example.com>\n"},
		{"unicode", std + "maintainer: Jürgen Ünal <j@example.com>\n"},
	}
	dir := t.TempDir()
	ours := map[string]string{} // case -> everything check reported
	var debs, rpms []string
	for _, c := range cases {
		proj := project(t)
		maintainer := "maintainer: Ops Team <ops@example.com>\n"
		if strings.Contains(c.extra, "maintainer:") {
			maintainer = ""
		}
		spec := "name: " + c.name + "\nversion: 1.0\n" + c.extra + maintainer + "license: MIT\n" +
			"app: {source: src, wsgi: app:application}\nvenv: venv\ntargets: [debian-12, el9]\n"
		file := filepath.Join(proj, "wsgipack.yaml")
		s, r := parse(file, []byte(spec))
		if len(r.problems) > 0 {
			t.Fatalf("%s: %v", c.name, r.problems)
		}
		s.SetDefaults()
		validate(s, proj, r)
		ours[c.name] = r.problems.Error() + "\n" + r.warnings.Error()
		if strings.Contains(c.extra, "maintainer:") && strings.Contains(ours[c.name], "maintainer: ") && !strings.Contains(ours[c.name], "(lintian") {
			continue // refused before lint; no package to compare
		}
		for _, target := range []string{"debian-12", "el9"} {
			p := packagertest.Package(t, target)
			p.Name, p.Summary, p.Description, p.Homepage, p.Maintainer = s.Name, s.Summary, s.Description, s.Homepage, s.Maintainer
			for i := range p.Entries { // the copyright file is where the name says
				p.Entries[i].Path = strings.Replace(p.Entries[i].Path, "/usr/share/doc/demo", "/usr/share/doc/"+s.Name, 1)
			}
			f := packagertest.Write(t, p)
			dst := filepath.Join(dir, filepath.Base(f))
			if err := os.Rename(f, dst); err != nil {
				t.Fatal(err)
			}
			if target == "el9" {
				rpms = append(rpms, dst)
			} else {
				debs = append(debs, dst)
			}
		}
	}
	theirs := map[string][]string{} // case -> tool tags, as "lintian E tag"
	out, _ := exec.Command("lintian", append([]string{"-I", "--no-tag-display-limit"}, debs...)...).CombinedOutput()
	for _, m := range regexp.MustCompile(`(?m)^([EWI]): ([a-z0-9-]+): ([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		if slices.Contains(lintTags["lintian"], m[3]) {
			theirs[m[2]] = append(theirs[m[2]], "lintian "+m[1]+" "+m[3])
		}
	}
	out, _ = exec.Command("rpmlint", append([]string{"-c", filepath.Join("..", "..", "specs", "rpmlint.toml")}, rpms...)...).CombinedOutput()
	for _, m := range regexp.MustCompile(`(?m)^([a-z0-9-]+)\.noarch: ([EW]): ([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		if slices.Contains(lintTags["rpmlint"], m[3]) {
			theirs[m[1]] = append(theirs[m[1]], "rpmlint "+m[2]+" "+m[3])
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Logf("linters: %v", theirs[c.name])
			var want []string
			for _, tt := range theirs[c.name] {
				f := strings.Fields(tt)
				want = append(want, f[2])
				if f[1] == "E" && !strings.Contains(ours[c.name], "error "+f[2]) && !strings.Contains(ours[c.name], f[2]+")") {
					t.Errorf("%s reports the error %s; check does not report it as an error:\n%s", f[0], f[2], ours[c.name])
				}
			}
			var got []string
			for _, tool := range []string{"lintian", "rpmlint"} {
				for _, tag := range lintTags[tool] {
					if regexp.MustCompile(`\b` + regexp.QuoteMeta(tag) + `\b`).MatchString(ours[c.name]) {
						got = append(got, tag)
					}
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(slices.Compact(want), got) {
				t.Errorf("the linters report %v, check reports %v:\n%s", theirs[c.name], got, ours[c.name])
			}
		})
	}
	if t.Failed() {
		fmt.Println(string(out))
	}
}
