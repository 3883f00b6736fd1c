//go:build e2e

// Package e2e is the harness of the end-to-end tests: it installs the
// packages wsgipack writes into real Debian 11, 12 and 13 systems with
// Apache and mod_wsgi, and into the Debian 12 one dressed up as EL9 for the
// rpm, and talks to the Apache that serves them.
//
// Every file is behind the build tag e2e, so `go test ./...` does not run
// them; `make e2e` does. The tests need root (mount, chroot, unshare),
// debootstrap, rpm and a Debian mirror in this machine's apt sources.
//
// The pieces:
//
//   - BaseRootOf: a root of one Debian release of Releases (bullseye,
//     bookworm, trixie) made once per machine by debootstrap (Apache and
//     mod_wsgi, no compiler) and cached outside the repository, one cache
//     key and lock per release; BaseRoot is Debian 12's. PrepareRoots starts
//     several at once in the background.
//   - NewRelease: a fresh copy of a release's root for one test, with /proc,
//     /dev and /run mounted, Apache configured on a free port of 127.0.0.1,
//     everything unmounted and removed when the test ends; New is Debian
//     12's.
//   - Chroot's Run and RunNoNet run commands inside the copy, the second with
//     no network; StartApache, Get, Graceful, ApacheRunning and ErrorLog
//     drive and inspect the Apache inside.
//   - NewEL / Chroot.ApplyEL: the same root dressed up as EL9's httpd
//     (/etc/httpd/conf.d, httpd, the EL module path, the apache user, an rpm
//     database), and RPM to run the host's rpm on it.
//   - RPMReleases / BuiltRPM: EL8's, EL9's and EL10's rpm (4.14.3, 4.16.1.3,
//     4.19.1.1) built once per machine from testdata/rpm-sources into a
//     cache outside the repository; Chroot.UseRPM runs one of them on the
//     EL root instead of the host's.
package e2e
