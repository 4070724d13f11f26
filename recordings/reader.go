package recordings

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// MaxLine caps one line of a native recording, so a corrupt file (or a
// wrong file) cannot make the reader allocate without bound.
const MaxLine = 64 << 20

// maxWarnings bounds the warnings kept; further ones are only counted.
const maxWarnings = 100

// Reader streams observations from a native recording (plain or gzip) or
// from a HAR file.
type Reader struct {
	name string
	hdr  Header

	sc     *bufio.Scanner // native only
	lineNo int
	err    error // sticky

	har    []obs.Obs // HAR only: converted and sorted up front
	harPos int

	warnings []string
	dropped  int // warnings beyond maxWarnings

	rd *Redactor // SetRedactor

	fast lineDecoder

	counter *countingReader
	size    int64 // bytes of the (uncompressed) recording, -1 if unknown
	// consumed counts the bytes of the lines returned so far: the file
	// is read ahead in large chunks, so what was read says little about
	// what was played.
	consumed int64
	closer   io.Closer
}

// Open opens a recording, telling native JSONL, gzip-compressed JSONL and
// HAR apart by content rather than by name.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = gzipSize(f, st.Size())
	}
	r, err := newReader(f, filepath.Base(path), size)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// gzipSize is the uncompressed size of a gzip file (from its trailer's
// ISIZE, exact for one stream under 4 GiB, which is what Create writes),
// or size itself for a plain file.
func gzipSize(f *os.File, size int64) int64 {
	var magic [2]byte
	if size < 18 {
		return size
	}
	if _, err := f.ReadAt(magic[:], 0); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return size
	}
	var isize [4]byte
	if _, err := f.ReadAt(isize[:], size-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(isize[:]))
}

// NewReader reads a recording from src; name is used in error messages.
func NewReader(src io.Reader, name string) (*Reader, error) {
	return newReader(src, name, -1)
}

func newReader(src io.Reader, name string, size int64) (*Reader, error) {
	r := &Reader{name: name, size: size, counter: &countingReader{r: src}}
	br := bufio.NewReaderSize(r.counter, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		br = bufio.NewReaderSize(&tolerantGzip{r: gz, warn: func(m string) { r.warn(name + ": " + m) }}, 64<<10)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	if firstKey(br) == "log" {
		return readHAR(br, r)
	}
	r.sc = bufio.NewScanner(br)
	// 64 KiB at a time: a 4 KiB buffer refilled every dozen lines.
	r.sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	return r, nil
}

// firstKey returns the first key of the JSON object the input starts with,
// or "" if it does not start with one.
func firstKey(br *bufio.Reader) string {
	peek, _ := br.Peek(64 << 10)
	dec := json.NewDecoder(bytes.NewReader(peek))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	t, err := dec.Token()
	if err != nil {
		return ""
	}
	k, _ := t.(string)
	return k
}

func (r *Reader) readHeader() error {
	for {
		if !r.sc.Scan() {
			if err := r.sc.Err(); err != nil {
				return r.lineErr(r.lineNo+1, err)
			}
			return fmt.Errorf("%s: empty file: not a sioproxy recording or HAR", r.name)
		}
		r.lineNo++
		r.consumed += int64(len(r.sc.Bytes())) + 1
		if len(bytes.TrimSpace(r.sc.Bytes())) > 0 {
			break
		}
	}
	var h struct {
		Header
		Format *int `json:"sioproxy"`
	}
	if err := json.Unmarshal(r.sc.Bytes(), &h); err != nil {
		return fmt.Errorf("%s:%d: not a sioproxy recording or HAR: header: %s", r.name, r.lineNo, jsonProblem(err))
	}
	if h.Format == nil {
		return fmt.Errorf("%s:%d: not a sioproxy recording or HAR: first line has no \"sioproxy\" version field", r.name, r.lineNo)
	}
	switch v := *h.Format; {
	case v > FormatVersion:
		return fmt.Errorf("%s: recording format version %d is newer than this sioproxy reads (%d): upgrade sioproxy", r.name, v, FormatVersion)
	case v < 1:
		return fmt.Errorf("%s:%d: invalid recording format version %d", r.name, r.lineNo, v)
	}
	r.hdr = h.Header
	r.hdr.Format = *h.Format
	return nil
}

// Header is the recording's header line (synthesised for HAR files).
func (r *Reader) Header() Header {
	h := r.hdr
	h.Redacted = h.Redacted || r.rd != nil
	return h
}

// Warnings lists problems that were tolerated: a torn last line, a truncated
// gzip stream, lines of unknown kinds, HAR entries that were skipped.
func (r *Reader) Warnings() []string {
	w := append([]string(nil), r.warnings...)
	if r.dropped > 0 {
		w = append(w, fmt.Sprintf("%s: %d more warnings", r.name, r.dropped))
	}
	return w
}

func (r *Reader) warn(msg string) {
	if len(r.warnings) >= maxWarnings {
		r.dropped++
		return
	}
	r.warnings = append(r.warnings, msg)
}

// Progress reports how far reading got: bytes of the lines returned so
// far and the recording's (uncompressed) size for native recordings (size
// -1 if unknown), observations returned and their count for HAR. At the
// end done equals total.
func (r *Reader) Progress() (done, total int64) {
	if r.sc == nil {
		return int64(r.harPos), int64(len(r.har))
	}
	total = r.size
	if errors.Is(r.err, io.EOF) && total >= 0 {
		return total, total
	}
	if total >= 0 && r.consumed > total {
		total = -1 // not the size we thought (a file over 4 GiB, several gzip streams)
	}
	return r.consumed, total
}

// Next returns the next observation, or io.EOF after the last one. Any
// other error is final and names the line and the problem.
func (r *Reader) Next() (obs.Obs, error) {
	o, err := r.next()
	if err == nil && r.rd != nil {
		o = r.rd.Redact(o)
	}
	return o, err
}

// SetRedactor makes Next mask secrets with rd (export --redact), and the
// header say so.
func (r *Reader) SetRedactor(rd *Redactor) { r.rd = rd }

func (r *Reader) next() (obs.Obs, error) {
	if r.err != nil {
		return obs.Obs{}, r.err
	}
	if r.sc == nil {
		return r.nextHAR()
	}
	for {
		if !r.sc.Scan() {
			if err := r.sc.Err(); err != nil {
				r.err = r.lineErr(r.lineNo+1, err)
			} else {
				r.err = io.EOF
			}
			return obs.Obs{}, r.err
		}
		r.lineNo++
		b := r.sc.Bytes()
		r.consumed += int64(len(b)) + 1
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if o, ok := r.fast.decode(b); ok {
			return o, nil
		}
		o, err := decodeLineJSON(b)
		var unk errUnknownKind
		if errors.As(err, &unk) {
			r.warn(fmt.Sprintf("%s:%d: skipped line of %v", r.name, r.lineNo, err))
			continue
		}
		if err != nil {
			return obs.Obs{}, r.badLine(err)
		}
		return o, nil
	}
}

// decodeLineJSON reads a line with encoding/json: the lines the fast
// decoder leaves, and the reference it is tested against. Its errors name
// the problem; an errUnknownKind is returned as it is.
func decodeLineJSON(b []byte) (obs.Obs, error) {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return obs.Obs{}, fmt.Errorf("invalid JSON: %s", jsonProblem(err))
	}
	o, err := fromLine(&l)
	var unk errUnknownKind
	if err != nil && !errors.As(err, &unk) {
		err = fmt.Errorf("%s: %w", kindName(l.Kind), err)
	}
	return o, err
}

// badLine decides whether an unreadable line is the torn end of a recording
// cut short by a crash (skipped with a warning) or damage in the middle (an
// error).
func (r *Reader) badLine(problem error) error {
	n := r.lineNo
	for r.sc.Scan() {
		r.lineNo++
		if len(bytes.TrimSpace(r.sc.Bytes())) > 0 {
			r.err = r.lineErr(n, problem)
			return r.err
		}
	}
	if err := r.sc.Err(); err != nil {
		r.err = r.lineErr(n, problem)
		return r.err
	}
	r.warn(fmt.Sprintf("%s:%d: skipped torn last line (%v); the recording was probably cut short", r.name, n, problem))
	r.err = io.EOF
	return r.err
}

func (r *Reader) lineErr(n int, err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("%s:%d: line longer than %d MiB", r.name, n, MaxLine>>20)
	}
	return fmt.Errorf("%s:%d: %w", r.name, n, err)
}

func kindName(k obs.Kind) string {
	if k == "" {
		return "line"
	}
	return string(k)
}

// jsonProblem words a JSON error with its byte offset, which encoding/json
// leaves out of the message.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q: %s is not a %v (at byte %d)", te.Field, te.Value, te.Type, te.Offset)
	}
	return err.Error()
}

// Close closes the file Open opened.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// tolerantGzip ends a gzip stream that was cut short (the recorder was
// killed before writing the trailer) with EOF and a warning, so that the
// lines flushed before the crash are still read.
type tolerantGzip struct {
	r    io.Reader
	warn func(string)
	cut  bool
}

func (t *tolerantGzip) Read(p []byte) (int, error) {
	if t.cut {
		return 0, io.EOF
	}
	n, err := t.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		t.warn("gzip stream truncated; the recording was probably cut short")
		t.cut = true
		err = io.EOF
	}
	return n, err
}
