package compression

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Writer is a compressing writer; Close flushes it but does not close the
// underlying writer.
type Writer = io.WriteCloser

// Algorithm returns the algorithm named by setting: "zstd" or "gzip".
func Algorithm(setting string) string {
	alg, _, _ := strings.Cut(setting, ":")
	return alg
}

// New returns a writer that compresses to w as setting says: "zstd" (level
// "fastest" unless given, by name or zstd number) or "gzip" (level 6 unless
// given).
func New(setting string, w io.Writer) (Writer, error) {
	alg, level, _ := strings.Cut(setting, ":")
	switch alg {
	case "zstd":
		l := zstd.SpeedFastest
		if level != "" {
			if n, err := strconv.Atoi(level); err == nil {
				l = zstd.EncoderLevelFromZstd(n)
			} else if ok, named := zstd.EncoderLevelFromString(level); ok {
				l = named
			} else {
				return nil, fmt.Errorf("unknown zstd level %q in %q", level, setting)
			}
		}
		a := newAsyncWriter(w)
		z, err := zstd.NewWriter(a, zstd.WithEncoderLevel(l), zstd.WithEncoderConcurrency(2))
		if err != nil {
			return nil, err
		}
		return &chain{z, a}, nil
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
