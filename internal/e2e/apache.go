//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Apache inside the root is Debian's, run as on a server without
// systemd: apache2ctl starts it, its pid file is /run/apache2/apache2.pid,
// and apache2ctl graceful (or invoke-rc.d apache2 reload, which calls it)
// reloads it. It listens on 127.0.0.1:Port only.

// configureApache makes Apache listen on 127.0.0.1:Port, with the default
// site on that port, and lets invoke-rc.d act.
func (c *Chroot) configureApache(t *testing.T) {
	t.Helper()
	// The root has no init system: invoke-rc.d (which
	// apache2-maintscript-helper reloads Apache with) then blocks every
	// action, says "No init system and policy-rc.d missing! Defaulting to
	// block." and exits 0. A server has an init system that acts: so does
	// this policy, and invoke-rc.d apache2 reload runs /etc/init.d/apache2.
	c.WriteFile(t, "/usr/sbin/policy-rc.d",
		"#!/bin/sh\n# wsgipack e2e harness: let invoke-rc.d act, as on a server with an init system.\nexit 0\n", 0o755)
	// Apache, Python and sudo-like tools resolve the host name.
	if host, err := os.Hostname(); err == nil && host != "localhost" {
		hosts := c.ReadFile(t, "/etc/hosts") + "127.0.1.1\t" + host + "\n"
		c.WriteFile(t, "/etc/hosts", hosts, 0o644)
	}
	c.WriteFile(t, "/etc/apache2/ports.conf", fmt.Sprintf(
		"# Written by the wsgipack e2e harness: this test's own port.\nListen 127.0.0.1:%d\nServerName 127.0.0.1\n", c.Port), 0o644)
	site := c.ReadFile(t, "/etc/apache2/sites-available/000-default.conf")
	if !strings.Contains(site, "<VirtualHost *:80>") {
		t.Fatalf("000-default.conf has no <VirtualHost *:80>:\n%s", site)
	}
	site = strings.Replace(site, "<VirtualHost *:80>", fmt.Sprintf("<VirtualHost *:%d>", c.Port), 1)
	c.WriteFile(t, "/etc/apache2/sites-available/000-default.conf", site, 0o644)
}

// URL returns the URL of a path on this root's Apache.
func (c *Chroot) URL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", c.Port, path)
}

// StartApache starts Apache with apache2ctl start inside the root and waits
// until it answers on Port. It fails the test, with the error log, when
// Apache does not come up.
func (c *Chroot) StartApache(t testing.TB) {
	t.Helper()
	// apache2ctl hands over to systemctl when the host's pid 1 is systemd:
	// this variable says it is itself the service manager's call.
	out, status := c.Run(t, "env", "APACHE_STARTED_BY_SYSTEMD=1", "apache2ctl", "start")
	if status != 0 {
		t.Fatalf("apache2ctl start: exit status %d\n%s\nerror log:\n%s", status, out, c.ErrorLog())
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c.ApacheRunning() && c.listening() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Apache did not come up on port %d\n%s\nerror log:\n%s", c.Port, out, c.ErrorLog())
}

// listening tells whether something accepts connections on Port.
func (c *Chroot) listening() bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", c.Port), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// StopApache stops Apache with apache2ctl graceful-stop and waits for its
// main process to go. When apache2ctl refuses (it reads the configuration
// first: a broken one stops it) the main process gets graceful-stop's
// signal, SIGWINCH, itself; after 20 seconds SIGTERM, then every process in
// the root is killed.
func (c *Chroot) StopApache(t testing.TB) {
	t.Helper()
	pid := c.ApachePID()
	if pid == 0 {
		return
	}
	out, status := c.Run(t, "apache2ctl", "graceful-stop")
	if status != 0 {
		t.Logf("apache2ctl graceful-stop: exit status %d (%s): sending SIGWINCH to %d", status, strings.TrimSpace(out), pid)
		_ = syscall.Kill(pid, syscall.SIGWINCH)
	}
	if waitGone(pid, 20*time.Second) {
		return
	}
	t.Logf("Apache (pid %d) did not stop within 20 s of graceful-stop: SIGTERM", pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if !waitGone(pid, 5*time.Second) {
		t.Logf("Apache (pid %d) ignored SIGTERM: killing everything in the root", pid)
		killInside(c.Dir)
	}
}

// waitGone waits up to d for a process to go and tells whether it went.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// ApachePID returns the pid in Apache's pid file (/run/apache2/apache2.pid,
// or EL's /run/httpd/httpd.pid after ApplyEL) when that process is alive
// and runs inside this root, else 0.
func (c *Chroot) ApachePID() int {
	data, err := os.ReadFile(c.Path(c.pidFile()))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || !alive(pid) {
		return 0
	}
	if root, err := os.Readlink(fmt.Sprintf("/proc/%d/root", pid)); err != nil || root != c.Dir {
		return 0
	}
	return pid
}

// ApacheRunning tells whether Apache runs: the process of its pid file is
// alive (as the install scripts decide it).
func (c *Chroot) ApacheRunning() bool { return c.ApachePID() != 0 }

// alive tells whether a process exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// ErrorLog returns /var/log/apache2/error.log of the root ("" when there is
// none yet).
func (c *Chroot) ErrorLog() string {
	data, _ := os.ReadFile(c.Path("/var/log/apache2/error.log"))
	return string(data)
}

var resumed = regexp.MustCompile(`resuming normal operations`)

// ApacheGeneration counts the times Apache has (re)loaded its
// configuration, from the error log: 1 after a start, +1 per graceful or
// restart.
func (c *Chroot) ApacheGeneration() int {
	return len(resumed.FindAllStringIndex(c.ErrorLog(), -1))
}

// Mark is Apache's state before something that may reload it: see
// ApacheMark.
type Mark struct {
	Generation int
	children   []int
}

// ApacheMark notes Apache's generation and child processes, before an
// action that should (or should not) reload it; then WaitReload, or
// Reloaded.
func (c *Chroot) ApacheMark() Mark {
	return Mark{c.ApacheGeneration(), c.apacheChildren()}
}

// apacheChildren returns the pids of the children of Apache's main
// process.
func (c *Chroot) apacheChildren() []int {
	main := c.ApachePID()
	if main == 0 {
		return nil
	}
	var out []int
	for _, pid := range processesInside(c.Dir) {
		if ppid(pid) == main {
			out = append(out, pid)
		}
	}
	return out
}

// ppid returns the parent of a process, 0 when unknown.
func ppid(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // state ppid ...
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// Reloaded tells whether Apache has reloaded its configuration since m
// (its generation grew) and the children it had then have gone: from then
// on every new connection gets the new configuration. Until they go, a
// child of the old generation may still accept one and answer with the
// old configuration.
func (c *Chroot) Reloaded(m Mark) bool {
	if c.ApacheGeneration() <= m.Generation || !c.listening() {
		return false
	}
	for _, pid := range m.children {
		if alive(pid) && ppid(pid) == c.ApachePID() {
			return false
		}
	}
	return true
}

// WaitReload waits up to 20 seconds until Reloaded(m), and fails the test
// if Apache did not reload.
func (c *Chroot) WaitReload(t testing.TB, m Mark) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c.Reloaded(m) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Apache did not reload (generation %d, was %d; children then %v, now %v)\nerror log:\n%s",
		c.ApacheGeneration(), m.Generation, m.children, c.apacheChildren(), c.ErrorLog())
}

// Graceful reloads Apache with apache2ctl graceful inside the root and
// waits until the new configuration is in force (WaitReload). It fails the
// test when the reload fails.
func (c *Chroot) Graceful(t testing.TB) {
	t.Helper()
	m := c.ApacheMark()
	out, status := c.Run(t, "apache2ctl", "graceful")
	if status != 0 {
		t.Fatalf("apache2ctl graceful: exit status %d\n%s", status, out)
	}
	c.WaitReload(t, m)
}

var client = &http.Client{
	Timeout: 30 * time.Second,
	// A new connection per request: a kept-alive one may still be served by
	// a child of the generation before a graceful reload.
	Transport: &http.Transport{DisableKeepAlives: true},
	// Redirects are answers too: the test sees them as they are.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// GetErr does an HTTP GET of path from this root's Apache and returns the
// status code and body.
func (c *Chroot) GetErr(path string) (int, string, error) {
	return response(client.Get(c.URL(path)))
}

// GetWith does an HTTP GET of path with one request header and returns
// the status code and body; no answer fails the test.
func (c *Chroot) GetWith(t testing.TB, path, header, value string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", c.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(header, value)
	status, body, err := response(client.Do(req))
	if err != nil {
		t.Fatalf("GET %s: %v\nerror log:\n%s", path, err, c.ErrorLog())
	}
	return status, body
}

// Post does an HTTP POST of body (text/plain) to path and returns the
// status code and body; no answer fails the test.
func (c *Chroot) Post(t testing.TB, path, body string) (int, string) {
	t.Helper()
	status, out, err := response(client.Post(c.URL(path), "text/plain", strings.NewReader(body)))
	if err != nil {
		t.Fatalf("POST %s: %v\nerror log:\n%s", path, err, c.ErrorLog())
	}
	return status, out
}

func response(resp *http.Response, err error) (int, string, error) {
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// Get is GetErr that fails the test, with the error log, when there is no
// answer.
func (c *Chroot) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	status, body, err := c.GetErr(path)
	if err != nil {
		t.Fatalf("GET %s: %v\nerror log:\n%s", path, err, c.ErrorLog())
	}
	return status, body
}

// GetUntil repeats Get of path every 100 ms until ok accepts the answer, and
// returns it; after timeout it fails the test with the last answer and the
// error log. For what settles after a reload: a new mod_wsgi daemon, a child
// of the old generation finishing.
func (c *Chroot) GetUntil(t testing.TB, path string, timeout time.Duration, ok func(status int, body string) bool) (int, string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		status, body, err := c.GetErr(path)
		if err == nil && ok(status, body) {
			return status, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no acceptable answer in %v; last: %d %q %v\nerror log:\n%s", path, timeout, status, body, err, c.ErrorLog())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
