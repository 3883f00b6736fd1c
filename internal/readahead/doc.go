// Package readahead reads the contents of a list of files, in order, in a
// goroutine ahead of their consumer, with bounded memory. The package
// writers use it so that the goroutine feeding the compressor spends its
// time copying bytes, not in open and read system calls: on two cores the
// compressor, not the file reads, then sets the pace.
package readahead
