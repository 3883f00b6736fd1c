//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/builder"
	"github.com/wsgipack/wsgipack/internal/spec"
)

// frameworkProject copies a fixture of testdata (django: admin, auth,
// sessions, a model with two migrations, settings from the environment;
// flask: the tutorial's app factory and instance folder) into the work
// directory, makes its venv as CI would (Debian's packages re-packed into
// wheels, pip install --no-index) and runs wsgipack init, which must
// recognise framework and leave nothing to fill in.
func frameworkProject(t *testing.T, fixture, framework string) (specFile string) {
	t.Helper()
	dir := filepath.Join(workDir(t), "project-"+fixture)
	if out, err := exec.Command("cp", "-R", filepath.Join(repo, "testdata", fixture), dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the fixture: %v\n%s", err, out)
	}
	if out, err := exec.Command("sh", filepath.Join(repo, "testdata", fixture, "mkvenv.sh"), filepath.Join(dir, "venv"), "python3").CombinedOutput(); err != nil {
		t.Fatalf("mkvenv.sh: %v\n%s", err, out)
	}
	specFile = filepath.Join(dir, "wsgipack.yaml")
	sk, err := spec.Init(specFile, false)
	if err != nil {
		t.Fatalf("wsgipack init: %v", err)
	}
	if sk.Framework != framework || len(sk.TODOs) > 0 {
		t.Fatalf("init: framework %q, TODOs %q", sk.Framework, sk.TODOs)
	}
	return specFile
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	c    *Chroot
	http *http.Client
}

func newBrowser(t *testing.T, c *Chroot) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: c, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\nerror log:\n%s", req.Method, req.URL, err, b.c.ErrorLog())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// cookie is the value of the browser's cookie called name for the root's
// Apache.
func (b *browser) cookie(t *testing.T, name string) string {
	t.Helper()
	u, _ := url.Parse(b.c.URL("/"))
	for _, ck := range b.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	t.Fatalf("no cookie %s", name)
	return ""
}

func (b *browser) get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", b.c.URL(path), nil)
	return b.do(t, req)
}

var csrfField = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

// login logs in through Django admin's real login form, CSRF token and all.
func (b *browser) login(t *testing.T, user, password string) {
	t.Helper()
	code, page, _ := b.get(t, "/admin/login/?next=/admin/")
	m := csrfField.FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("login page: %d, CSRF field found: %v\n%.500s", code, m != nil, page)
	}
	form := url.Values{"csrfmiddlewaretoken": {m[1]}, "username": {user}, "password": {password}, "next": {"/admin/"}}
	req, _ := http.NewRequest("POST", b.c.URL("/admin/login/?next=/admin/"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", b.c.URL("/admin/login/"))
	code, body, h := b.do(t, req)
	if code != 302 || h.Get("Location") != "/admin/" {
		t.Fatalf("login: %d, Location %q\n%.800s\nerror log:\n%s", code, h.Get("Location"), body, b.c.ErrorLog())
	}
}

// TestDjango: a real Django project goes from 'wsgipack init' (no edits)
// and 'wsgipack build' to a served app: migrations and collectstatic run as
// hooks, the admin's CSS comes from Apache, a superuser made with the
// operator's command logs in through the login form, the session survives
// an upgrade (the generated secret key is kept), the Authorization header
// reaches Django, and purge removes the secret.
func TestDjango(t *testing.T) {
	specFile := frameworkProject(t, "django", "Django")
	build := func(v string) string {
		t.Helper()
		res, err := builder.Build(context.Background(), buildOptions(t, specFile, filepath.Join(workDir(t), "dist-bookshelf-"+v), v, "debian-12"))
		if err != nil {
			t.Fatalf("building bookshelf %s: %v", v, err)
		}
		return res.Packages[0].File
	}
	c := New(t)
	c.StartApache(t)
	out := mustInstallDeb(t, c, build("1.0.0"))
	mustContain(t, "dpkg -i output", out, "bookshelf: secrets: generated DJANGO_SECRET_KEY",
		"bookshelf: hooks: post_install: python app/manage.py migrate --noinput", "Applying shelf.0002_book_isbn... OK",
		"bookshelf: hooks: post_install: python app/manage.py collectstatic --noinput")

	b := newBrowser(t, c)
	code, page, _ := b.get(t, "/admin/login/")
	if code != 200 || !strings.Contains(page, "Django administration") {
		t.Fatalf("admin login page: %d\n%.500s\nerror log:\n%s", code, page, c.ErrorLog())
	}
	code, css, h := b.get(t, "/static/admin/css/base.css")
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "text/css") || !strings.Contains(css, "DJANGO Admin styles") {
		t.Errorf("admin CSS from Apache: %d %s %.100q", code, h.Get("Content-Type"), css)
	}
	report(t, "init (no edits), build, dpkg -i: migrations and collectstatic ran as hooks; admin login page answers, its CSS served by Apache")

	c.MustRun(t, "bookshelf-ctl", "run", "python", "app/manage.py", "shell", "-c",
		"from django.contrib.auth.models import User; User.objects.create_superuser('admin', 'admin@example.com', 'Correct-Horse-7')")
	b.login(t, "admin", "Correct-Horse-7")
	if code, page, _ := b.get(t, "/admin/"); code != 200 || !strings.Contains(page, "Site administration") {
		t.Fatalf("admin after login: %d\n%.500s", code, page)
	}
	req, _ := http.NewRequest("GET", c.URL("/books/"), nil)
	req.Header.Set("Authorization", "Token abc123")
	if _, body, _ := b.do(t, req); !strings.Contains(body, `"authorization": "Token abc123"`) {
		t.Errorf("the Authorization header did not reach Django: %s", body)
	}
	report(t, "bookshelf-ctl run creates a superuser, who logs in through the real login form (CSRF); Authorization reaches Django")

	// A media upload: Django writes it into MEDIA_ROOT (a served writable
	// path init found in the settings), Apache serves it, no one else reads it.
	cover := "cover of the test book " + strconv.FormatInt(time.Now().UnixNano(), 10) + "\n"
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("cover", "dune.txt")
	fw.Write([]byte(cover))
	mw.Close()
	req, _ = http.NewRequest("POST", c.URL("/covers/"), &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Referer", c.URL("/admin/"))
	req.Header.Set("X-CSRFToken", b.cookie(t, "csrftoken"))
	code, body, _ := b.do(t, req)
	var up struct{ URL string }
	if err := json.Unmarshal([]byte(body), &up); code != 200 || err != nil || !strings.HasPrefix(up.URL, "/media/covers/dune") {
		t.Fatalf("upload: %d %.300s\nerror log:\n%s", code, body, c.ErrorLog())
	}
	if code, got, _ := b.get(t, up.URL); code != 200 || got != cover {
		t.Errorf("GET %s (the upload, from Apache): %d %q", up.URL, code, got)
	}
	stored := "/var/lib/bookshelf/app/media/" + strings.TrimPrefix(up.URL, "/media/")
	// Django chmods uploads to FILE_UPLOAD_PERMISSIONS (0644 by default);
	// the directories (2750, setgid) keep others out and give Apache's
	// group.
	if owner := strings.TrimSpace(c.MustRun(t, "stat", "-c", "%U:%G", stored)); owner != "bookshelf:www-data" {
		t.Errorf("%s is owned by %s, want bookshelf:www-data", stored, owner)
	}
	if out, status := c.Run(t, "runuser", "-u", "nobody", "--", "cat", stored); status == 0 {
		t.Errorf("nobody can read the upload: %s", out)
	}
	report(t, "a cover uploaded through Django (login, CSRF) lands in MEDIA_ROOT (/var/lib/bookshelf/app/media), Apache serves it, nobody else reads it")

	mustInstallDeb(t, c, build("1.1.0"))
	if code, page, _ := b.get(t, "/admin/"); code != 200 || !strings.Contains(page, "Site administration") {
		t.Errorf("the session made before the upgrade is not valid after it: %d\n%.300s", code, page)
	}
	report(t, "upgrade 1.0.0 -> 1.1.0: the login session stays valid (the generated secret key kept)")

	c.MustRun(t, "dpkg", "-P", "bookshelf")
	if c.Exists("/etc/bookshelf/secrets") || c.Exists("/opt/bookshelf") {
		t.Error("dpkg -P left /etc/bookshelf/secrets or /opt/bookshelf")
	}
	report(t, "dpkg -P: the secret and the app gone")
}

// TestDjangoSettingsPackage: a Django project laid out as cookiecutter-django
// lays it out (testdata/django-split: config/settings/{base,local,production}.py,
// manage.py defaulting to the developers' settings, config/wsgi.py to the
// servers', BASE_DIR three levels up, STATIC_ROOT in base.py) goes from
// 'wsgipack init' (no edits) to a served app that runs the production
// settings everywhere: Apache's daemons, the hooks and the operator's
// command; the admin's CSS collected into STATIC_ROOT is served by Apache.
func TestDjangoSettingsPackage(t *testing.T) {
	specFile := frameworkProject(t, "django-split", "Django")
	res, err := builder.Build(context.Background(), buildOptions(t, specFile, filepath.Join(workDir(t), "dist-orders-site"), "1.0.0", "debian-12"))
	if err != nil {
		t.Fatalf("building orders-site: %v", err)
	}
	c := New(t)
	c.StartApache(t)
	out := mustInstallDeb(t, c, res.Packages[0].File)
	mustContain(t, "dpkg -i output", out, "orders-site: secrets: generated DJANGO_SECRET_KEY",
		"Applying orders.0001_initial... OK", "orders-site: hooks: post_install: python app/manage.py collectstatic --noinput")

	b := newBrowser(t, c)
	code, body, _ := b.get(t, "/which/")
	if code != 200 || !strings.Contains(body, `"settings": "production"`) || !strings.Contains(body, `"debug": false`) {
		t.Fatalf("/which/: %d %s\nerror log:\n%s", code, body, c.ErrorLog())
	}
	if code, css, h := b.get(t, "/static/admin/css/base.css"); code != 200 || !strings.Contains(h.Get("Content-Type"), "text/css") || !strings.Contains(css, "DJANGO Admin styles") {
		t.Errorf("admin CSS from Apache: %d %s %.100q", code, h.Get("Content-Type"), css)
	}
	if !c.Exists("/var/lib/orders-site/app/staticfiles/admin/css/base.css") {
		t.Error("collectstatic did not write into /var/lib/orders-site/app/staticfiles")
	}
	got := strings.TrimSpace(c.MustRun(t, "orders-site-ctl", "run", "python", "app/manage.py", "shell", "-c",
		"from django.conf import settings; print(settings.SETTINGS_NAME, settings.DEBUG)"))
	if got != "production False" {
		t.Errorf("orders-site-ctl run sees the settings %q, want production False", got)
	}
	report(t, "init (no edits) of a settings package: wsgi.py's production settings (not manage.py's local ones) serve, run the hooks and orders-site-ctl run; STATIC_ROOT from base.py collected and served by Apache")
}

// TestFlask: the Flask tutorial's app factory goes from 'wsgipack init' (no
// edits) to a served app: the factory's app answers, writes its SQLite
// database into its instance folder (a writable path), and sees the
// Authorization header.
func TestFlask(t *testing.T) {
	specFile := frameworkProject(t, "flask", "Flask")
	res, err := builder.Build(context.Background(), buildOptions(t, specFile, filepath.Join(workDir(t), "dist-flaskr"), "", "debian-12"))
	if err != nil {
		t.Fatalf("building flaskr: %v", err)
	}
	c := New(t)
	c.StartApache(t)
	mustInstallDeb(t, c, res.Packages[0].File)
	if code, body := c.Get(t, "/hello"); code != 200 || body != "Hello, World!" {
		t.Fatalf("GET /hello: %d %q\nerror log:\n%s", code, body, c.ErrorLog())
	}
	c.Get(t, "/visits")
	_, body := c.GetWith(t, "/visits", "Authorization", "Basic dXNlcjpwdw==")
	got := fields(t, body)
	if got["visits"] != "2" || got["instance"] != "/opt/flaskr/releases/1.0.0-1/app/instance" || got["authorization"] != "Basic dXNlcjpwdw==" {
		t.Errorf("GET /visits: %s", body)
	}
	if !c.Exists("/var/lib/flaskr/app/instance/flaskr.sqlite") {
		t.Error("the database is not in the app's data directory")
	}
	report(t, "init (no edits), build, dpkg -i: the factory's app answers, writes its database in its instance folder (/var/lib/flaskr), sees the Authorization header")
}
