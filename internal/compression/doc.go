// Package compression opens the payload compressor of a package from a
// setting such as "zstd:fastest", "zstd:3" or "gzip:6" (kept per target in
// internal/target). The compressors write reproducible
// output: no file name or time in gzip headers, and zstd output that does
// not depend on the number of CPUs.
package compression
