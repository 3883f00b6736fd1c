package compression

import (
	"io"
	"sync"
)

// asyncBufSize is the size of the buffers handed to the writing goroutine.
const asyncBufSize = 1 << 20

// asyncWriter buffers its input and writes it to w from its own goroutine,
// so that the compressor does not wait for the write system calls. At most
// three buffers exist: one filling, one queued, one being written.
type asyncWriter struct {
	w     io.Writer
	buf   []byte
	queue chan []byte
	free  chan []byte
	done  chan struct{}

	mu  sync.Mutex
	err error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{w: w, queue: make(chan []byte, 1), free: make(chan []byte, 3), done: make(chan struct{})}
	queue := a.queue // Close sets the field to nil
	go func() {
		defer close(a.done)
		for b := range queue {
			if a.error() == nil {
				if _, err := a.w.Write(b); err != nil {
					a.setError(err)
				}
			}
			a.free <- b[:0]
		}
	}()
	return a
}

func (a *asyncWriter) error() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func (a *asyncWriter) setError(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		a.err = err
	}
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := a.error(); err != nil {
			return n, err
		}
		if a.buf == nil {
			select {
			case a.buf = <-a.free:
			default:
				a.buf = make([]byte, 0, asyncBufSize)
			}
		}
		c := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf = a.buf[:len(a.buf)+c]
		p, n = p[c:], n+c
		if len(a.buf) == cap(a.buf) {
			a.queue <- a.buf
			a.buf = nil
		}
	}
	return n, nil
}

// Close writes what is buffered and waits for the writing goroutine. It
// does not close w.
func (a *asyncWriter) Close() error {
	if a.queue == nil {
		return a.error()
	}
	if len(a.buf) > 0 {
		a.queue <- a.buf
		a.buf = nil
	}
	close(a.queue)
	a.queue = nil
	<-a.done
	return a.error()
}
