package recordings

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sioproxy/sioproxy/internal/obs"
)

const (
	// flushBytes is how much the Writer buffers before writing. Only whole
	// lines are written, so a killed process leaves at most a torn line from
	// an interrupted write(2), which readers skip.
	flushBytes = 64 << 10
	// FlushLines bounds how many lines wait in memory between flushes even
	// if the caller never calls Flush.
	FlushLines = 256
)

// Writer appends observations to a native recording, one JSON line each.
// It is safe for concurrent use, though a Recorder normally owns it.
type Writer struct {
	mu      sync.Mutex
	dst     io.Writer
	gz      *gzip.Writer // nil unless compressing
	file    *os.File     // nil unless Create opened it
	buf     bytes.Buffer
	pending int // lines in buf
	redact  bool
	rd      *Redactor // nil: the default parameter list
	err     error     // sticky: once writing failed the file is not extended further
	lines   int64
}

// NewWriter writes the header line to w and returns a Writer that appends
// observations to it. The header's Format is set to FormatVersion.
func NewWriter(w io.Writer, hdr Header) *Writer {
	wr := &Writer{dst: w}
	wr.writeHeader(hdr)
	return wr
}

// CreateFile creates (truncating) a file for a recording or an export.
// A new file is readable by its owner only: unless redacted, a recording
// holds cookies, Authorization headers and auth payloads. An existing
// file keeps its mode.
func CreateFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
}

// Create creates (truncating) the file at path with CreateFile and starts
// a recording in it. A name ending in ".gz" is gzip-compressed. With
// redact, secrets are masked in every observation written (see Redact).
func Create(path string, hdr Header, redact bool) (*Writer, error) {
	f, err := CreateFile(path)
	if err != nil {
		return nil, err
	}
	wr := &Writer{dst: f, file: f, redact: redact}
	if strings.HasSuffix(path, ".gz") {
		wr.gz = gzip.NewWriter(f)
		wr.dst = wr.gz
	}
	hdr.Redacted = hdr.Redacted || redact
	wr.writeHeader(hdr)
	if err := wr.Flush(); err != nil {
		f.Close()
		return nil, err
	}
	return wr, nil
}

// SetRedactor masks with rd (extra query parameters, --redact-param)
// instead of the default list. Masking is on only with redact or SetRedact.
func (w *Writer) SetRedactor(rd *Redactor) {
	w.mu.Lock()
	w.rd = rd
	w.mu.Unlock()
}

// SetRedact turns masking of secrets on or off for later writes.
func (w *Writer) SetRedact(on bool) {
	w.mu.Lock()
	w.redact = on
	w.mu.Unlock()
}

func (w *Writer) writeHeader(hdr Header) {
	hdr.Format = FormatVersion
	hdr.Redacted = hdr.Redacted || w.redact
	b, err := json.Marshal(hdr)
	if err != nil {
		w.err = fmt.Errorf("recording header: %w", err)
		return
	}
	w.buf.Write(b)
	w.buf.WriteByte('\n')
	w.pending++
}

// Write appends one observation. Lines are buffered; they reach the file
// when the buffer fills, every FlushLines lines, or on Flush and Close.
func (w *Writer) Write(o obs.Obs) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.redact {
		if w.rd != nil {
			o = w.rd.Redact(o)
		} else {
			o = Redact(o)
		}
	}
	l, err := toLine(o)
	if err != nil {
		return err // a bad observation does not poison the file
	}
	mark := w.buf.Len()
	enc := json.NewEncoder(&w.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		w.buf.Truncate(mark)
		return fmt.Errorf("encode %s observation: %w", o.Kind, err)
	}
	w.pending++
	w.lines++
	if w.pending >= FlushLines || w.buf.Len() >= flushBytes {
		return w.flushLocked()
	}
	return nil
}

// Lines is how many observations were written.
func (w *Writer) Lines() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines
}

// Flush writes buffered lines through to the file (and the gzip stream, so
// that a compressed recording is readable up to here after a crash).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if w.buf.Len() > 0 {
		if _, err := w.dst.Write(w.buf.Bytes()); err != nil {
			w.err = fmt.Errorf("write recording: %w", err)
			return w.err
		}
		w.buf.Reset()
		w.pending = 0
	}
	if w.gz != nil {
		if err := w.gz.Flush(); err != nil {
			w.err = fmt.Errorf("write recording: %w", err)
			return w.err
		}
	}
	return nil
}

// Close flushes, ends the gzip stream and closes the file if Create opened
// it. It does not close a writer passed to NewWriter.
func (w *Writer) Close() error {
	err := w.Flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gz != nil {
		err = errors.Join(err, w.gz.Close())
		w.gz = nil
	}
	if w.file != nil {
		err = errors.Join(err, w.file.Close())
		w.file = nil
	}
	if w.err == nil {
		w.err = errors.New("recording writer is closed")
	}
	return err
}
