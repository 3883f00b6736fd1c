// Command wsgipack turns a Python web app and the virtualenv CI built for it
// into .deb and .rpm packages that install under /opt/<name> and serve the
// app with Apache mod_wsgi.
package main

import (
	"os"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
