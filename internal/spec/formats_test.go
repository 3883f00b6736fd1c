package spec

// The depends of each target are checked with its format's relation
// syntax: the formats register themselves with internal/packager.
import (
	_ "github.com/wsgipack/wsgipack/internal/deb"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
)
