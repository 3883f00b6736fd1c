package compression

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/DataDog/zstd"
	"github.com/klauspost/compress/gzip"
)

// Writer is a compressing writer; Close flushes it but does not close the
// underlying writer.
type Writer = io.WriteCloser

// zstdWorkers is libzstd's number of compression threads. Its multi-threaded
// mode writes one frame (all dpkg reads) whose bytes do not depend on the
// number of workers, so the output is the same on every machine.
const zstdWorkers = 2

// Algorithm returns the algorithm named by setting: "zstd" or "gzip".
func Algorithm(setting string) string {
	alg, _, _ := strings.Cut(setting, ":")
	return alg
}

// New returns a writer that compresses to w as setting says: "zstd" (level
// 1, "fastest", unless given as a zstd level 1 to 19) or "gzip" (level 6
// unless given).
func New(setting string, w io.Writer) (Writer, error) {
	alg, level, _ := strings.Cut(setting, ":")
	switch alg {
	case "zstd":
		l := 1
		if level != "" && level != "fastest" {
			n, err := strconv.Atoi(level)
			if err != nil || n < 1 || n > 19 {
				return nil, fmt.Errorf("unknown zstd level %q in %q", level, setting)
			}
			l = n
		}
		return newZstd(w, l, zstdWorkers)
	case "gzip":
		l := 6
		if level != "" {
			n, err := strconv.Atoi(level)
			if err != nil || n < gzip.BestSpeed || n > gzip.BestCompression {
				return nil, fmt.Errorf("unknown gzip level %q in %q", level, setting)
			}
			l = n
		}
		a := newAsyncWriter(w)
		z, err := gzip.NewWriterLevel(a, l) // no name, no time: reproducible
		if err != nil {
			return nil, err
		}
		return &chain{z, a}, nil
	}
	return nil, fmt.Errorf("unknown compression %q (want zstd or gzip)", setting)
}

// newZstd returns a libzstd writer of level with workers threads.
func newZstd(w io.Writer, level, workers int) (Writer, error) {
	a := newAsyncWriter(w)
	z := zstd.NewWriterLevel(a, level)
	if err := z.SetNbWorkers(workers); err != nil {
		return nil, fmt.Errorf("libzstd without threads: %w", err)
	}
	return &chain{z, a}, nil
}

// chain is a compressor writing through an asyncWriter; Close closes both.
type chain struct {
	io.WriteCloser
	a *asyncWriter
}

func (c *chain) Close() error {
	err := c.WriteCloser.Close()
	if aerr := c.a.Close(); err == nil {
		err = aerr
	}
	return err
}
