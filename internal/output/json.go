package output

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/sioproxy/sioproxy/internal/event"
)

// maxKeptLine is the largest line buffer kept between events; a line with
// a big binary attachment gets a buffer of its own that is then released.
const maxKeptLine = 256 << 10

// JSON writes JSON Lines: one event per line, in internal/event's schema,
// empty fields omitted, ts in RFC 3339 with nanoseconds.
type JSON struct {
	bw   LineSink
	enc  *json.Encoder
	line []byte
}

// NewJSON returns a JSON Lines writer on w, buffered.
func NewJSON(w io.Writer) *JSON { return NewJSONSink(bufio.NewWriterSize(w, 64<<10)) }

// NewJSONSink returns a JSON Lines writer that hands each line to bw in
// one Write call.
func NewJSONSink(bw LineSink) *JSON {
	enc := json.NewEncoder(bw)
	// Args carry user data; "<" stays readable rather than \u003c because
	// nobody embeds this output in HTML.
	enc.SetEscapeHTML(false)
	return &JSON{bw: bw, enc: enc}
}

// Write buffers ev as one line. The hand-written encoder produces the
// bytes encoding/json would; what it cannot vouch for goes through
// encoding/json itself.
func (j *JSON) Write(ev *event.Event) error {
	line, ok := appendEvent(j.line[:0], ev)
	if cap(line) <= maxKeptLine {
		j.line = line
	}
	if !ok {
		return j.enc.Encode(ev)
	}
	_, err := j.bw.Write(line)
	return err
}

// Flush writes the buffered lines.
func (j *JSON) Flush() error { return j.bw.Flush() }
