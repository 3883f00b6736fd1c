package spec

// ValidSpec is the valid spec of the tests, for the round-trip tests of
// package spec_test (which render through packages that import spec).
const ValidSpec = validSpec

// ApacheWords is apacheWords, for the round-trip tests.
var ApacheWords = apacheWords
