//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// steady is the example app with a migration hook that takes a few
// seconds and then notes when it ended, in a version whose answers name it,
// with procs mod_wsgi daemon processes; failing makes its hook fail.
func steady(name, ver string, procs int, failing bool) app {
	hook := "    - sh -c 'sleep 3; date +%s.%N > /var/lib/" + name + "/hook-done'"
	if failing {
		hook = "    - sh -c 'sleep 1; echo migration failed >&2; exit 4'"
	}
	return app{name: name, version: ver, spec: map[string]string{
		"name: inventory":    "name: " + name,
		"mount: /inventory":  "mount: /" + name,
		"/inventory/static:": "/" + name + "/static:",
		"/inventory/media:":  "/" + name + "/media:",
		"/var/lib/inventory": "/var/lib/" + name,
		"/etc/inventory/":    "/etc/" + name + "/",
		"processes: 2":       "processes: " + strconv.Itoa(procs),
		"    - python -m inventory.migrate migrations": "    - python -m inventory.migrate migrations\n" + hook,
	}, files: map[string]string{
		"src/inventory/__init__.py": "\"\"\"Inventory: the wsgipack example app.\"\"\"\n\n__version__ = \"" + ver + "\"\n",
	}}
}

// answer is one request of the load: when its answer arrived, from which
// version, or how it failed.
type loadAnswer struct {
	at      time.Time
	version string
	failure string // "" for a 200 with a version
}

// load sends GET requests to urlPath from 8 clients until stop is closed or
// a minute has passed: four open a new connection per request, four keep
// theirs alive. Each pauses 20 ms between requests (about 300 requests a
// second in all): enough to have requests in flight at every moment of a
// switch, and CPU left for the install on a 2-core machine.
type load struct {
	mu      sync.Mutex
	answers []loadAnswer
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startLoad(url string) *load {
	l := &load{stop: make(chan struct{})}
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 8; i++ {
		client := &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: i%2 == 0, MaxIdleConnsPerHost: 1}}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for time.Now().Before(deadline) {
				select {
				case <-l.stop:
					return
				default:
				}
				l.add(get(client, url))
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return l
}

func get(client *http.Client, url string) loadAnswer {
	resp, err := client.Get(url)
	if err != nil {
		return loadAnswer{at: time.Now(), failure: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a := loadAnswer{at: time.Now()}
	var info struct{ Version string }
	switch {
	case err != nil:
		a.failure = err.Error()
	case resp.StatusCode != 200:
		a.failure = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, body)
	case json.Unmarshal(body, &info) != nil || info.Version == "":
		a.failure = fmt.Sprintf("not the app's answer: %.200s", body)
	default:
		a.version = info.Version
	}
	return a
}

func (l *load) add(a loadAnswer) {
	l.mu.Lock()
	l.answers = append(l.answers, a)
	l.mu.Unlock()
}

// since returns the answers that arrived after t.
func (l *load) since(t time.Time) []loadAnswer {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loadAnswer
	for _, a := range l.answers {
		if a.at.After(t) {
			out = append(out, a)
		}
	}
	return out
}

func (l *load) finish() []loadAnswer {
	close(l.stop)
	l.wg.Wait()
	return l.answers
}

// hookDone reads when the app's migration hook last ended.
func hookDone(t *testing.T, c *Chroot, name string) time.Time {
	t.Helper()
	s := strings.TrimSpace(c.ReadFile(t, "/var/lib/"+name+"/hook-done"))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("hook-done: %q", s)
	}
	return time.Unix(0, int64(f*1e9))
}

// upgradeStep is one package operation under load.
type upgradeStep struct {
	what    string
	install func() (string, int) // the operation: output and exit status
	from    string               // the version serving before
	to      string               // the version serving after
	fails   bool                 // the operation must fail (a failing hook)
}

// runUnderLoad installs first, starts the load and runs the steps; it
// reports and checks the failed requests (must be 0), the answers of the
// new version that arrived before its hook ended (must be 0), Apache
// reloads (must be 0) and that each step ends serving its version.
func runUnderLoad(t *testing.T, c *Chroot, name string, steps []upgradeStep) {
	t.Helper()
	l := startLoad(c.URL("/" + name + "/"))
	defer func() {
		if l != nil {
			l.finish()
		}
	}()
	time.Sleep(time.Second)
	m := c.ApacheMark()
	early := 0
	for _, st := range steps {
		before := time.Now()
		out, code := st.install()
		if (code != 0) != st.fails {
			t.Fatalf("%s: exit %d\n%s\nerror log:\n%s", st.what, code, out, c.ErrorLog())
		}
		if st.to != st.from && !st.fails {
			done := hookDone(t, c, name)
			n := 0
			for _, a := range l.since(before) {
				if a.version == st.to && a.at.Before(done) {
					n++
				}
			}
			if n > 0 {
				t.Errorf("%s: %d answers of %s before its hook ended", st.what, n, st.to)
			}
			early += n
		}
		// Let the daemons restart and serve the new version for a while.
		c.GetUntil(t, "/"+name+"/", 20*time.Second, func(status int, body string) bool {
			return status == 200 && strings.Contains(body, `"version": "`+st.to+`"`)
		})
		time.Sleep(time.Second)
		if st.fails {
			for _, a := range l.since(before) {
				if a.version != "" && a.version != st.from {
					t.Errorf("%s: answered by %s, want %s only (the old release keeps serving)", st.what, a.version, st.from)
					break
				}
			}
		}
	}
	answers := l.finish()
	l = nil
	failed := 0
	var examples []string
	for _, a := range answers {
		if a.failure != "" {
			failed++
			if len(examples) < 5 {
				examples = append(examples, a.failure)
			}
		}
	}
	reloads := c.ApacheGeneration() - m.Generation
	report(t, "%s under load (8 clients, half keep-alive): %d requests, %d failed, %d answers of a new version before its hook ended, %d Apache reloads",
		name, len(answers), failed, early, reloads)
	if failed > 0 || early > 0 || reloads != 0 {
		t.Errorf("%d failed requests (e.g. %q), %d early answers, %d reloads\nApache's error log:\n%s", failed, examples, early, reloads, c.ErrorLog())
	}
}

// TestDebUpgradeUnderLoad: upgrade, a failing upgrade, downgrade, reinstall
// and a postinst re-run with dpkg while 8 clients send requests, with one
// mod_wsgi daemon process and with three.
func TestDebUpgradeUnderLoad(t *testing.T) {
	for _, procs := range []int{1, 3} {
		t.Run(fmt.Sprintf("processes=%d", procs), func(t *testing.T) {
			name := fmt.Sprintf("steady%d", procs)
			v1, v2, bad := steady(name, "1.0.0", procs, false), steady(name, "2.0.0", procs, false), steady(name, "3.0.0", procs, true)
			c := New(t)
			c.StartApache(t)
			c.WriteFile(t, "/etc/apache2/conf-enabled/zz-wsgi-log.conf", "LogLevel wsgi:info\n", 0o644)
			c.Graceful(t)
			mustInstallDeb(t, c, v1.pkg(t, "debian-12"))
			c.GetUntil(t, "/"+name+"/", 20*time.Second, func(status int, _ string) bool { return status == 200 })
			deb := func(a app) func() (string, int) {
				return func() (string, int) { return installDeb(t, c, a.pkg(t, "debian-12")) }
			}
			runUnderLoad(t, c, name, []upgradeStep{
				{what: "upgrade 1.0.0 -> 2.0.0", install: deb(v2), from: "1.0.0", to: "2.0.0"},
				{what: "upgrade to 3.0.0 whose hook fails", install: deb(bad), from: "2.0.0", to: "2.0.0", fails: true},
				{what: "downgrade to 1.0.0", install: deb(v1), from: "2.0.0", to: "1.0.0"},
				{what: "reinstall 1.0.0", install: deb(v1), from: "1.0.0", to: "1.0.0"},
				{what: "postinst configure again", install: func() (string, int) {
					return c.Run(t, "/var/lib/dpkg/info/"+name+".postinst", "configure", "1.0.0-1+deb12")
				}, from: "1.0.0", to: "1.0.0"},
			})
			if out, code := c.Run(t, "dpkg", "--verify", name); code != 0 || strings.TrimSpace(out) != "" {
				t.Errorf("dpkg --verify: exit %d\n%s", code, out)
			}
		})
	}
}

// TestRPMUpgradeUnderLoad: rpm -U up, rpm -U --oldpackage down and rpm
// --reinstall in the EL stand-in while 8 clients send requests.
func TestRPMUpgradeUnderLoad(t *testing.T) {
	name := "steady2"
	v1, v2, bad := steady(name, "1.0.0", 2, false), steady(name, "2.0.0", 2, false), steady(name, "3.0.0", 2, true)
	c := NewEL(t)
	c.StartApache(t)
	if out, code := c.RPMNoNet(t, "-i", v1.pkg(t, "el9")); code != 0 {
		t.Fatalf("rpm -i: exit %d\n%s", code, out)
	}
	c.GetUntil(t, "/"+name+"/", 20*time.Second, func(status int, _ string) bool { return status == 200 })
	rpm := func(args ...string) func() (string, int) {
		return func() (string, int) { return c.RPMNoNet(t, args...) }
	}
	// rpm before 6.0 reports a failing %post as a warning and exits 0: the
	// step fails when rpm says so.
	failingPost := func(args ...string) func() (string, int) {
		return func() (string, int) {
			out, code := c.RPMNoNet(t, args...)
			if code == 0 && strings.Contains(out, "scriptlet failed") {
				code = 1
			}
			return out, code
		}
	}
	runUnderLoad(t, c, name, []upgradeStep{
		{what: "rpm -U 1.0.0 -> 2.0.0", install: rpm("-U", v2.pkg(t, "el9")), from: "1.0.0", to: "2.0.0"},
		{what: "rpm -U to 3.0.0 whose hook fails", install: failingPost("-U", bad.pkg(t, "el9")), from: "2.0.0", to: "2.0.0", fails: true},
		{what: "rpm -U --oldpackage 1.0.0", install: rpm("-U", "--oldpackage", v1.pkg(t, "el9")), from: "2.0.0", to: "1.0.0"},
		{what: "rpm --reinstall 1.0.0", install: rpm("--reinstall", v1.pkg(t, "el9")), from: "1.0.0", to: "1.0.0"},
	})
	if out, _ := c.RPM(t, "-V", name); strings.TrimSpace(out) != "" {
		t.Errorf("rpm -V:\n%s", out)
	}
}
