package output

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/sioproxy/sioproxy/internal/event"
)

// JSON writes JSON Lines: one event per line, in internal/event's schema,
// empty fields omitted, ts in RFC 3339 with nanoseconds.
type JSON struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewJSON returns a JSON Lines writer on w.
func NewJSON(w io.Writer) *JSON {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	// Args carry user data; "<" stays readable rather than \u003c because
	// nobody embeds this output in HTML.
	enc.SetEscapeHTML(false)
	return &JSON{bw: bw, enc: enc}
}

// Write buffers ev as one line.
func (j *JSON) Write(ev *event.Event) error { return j.enc.Encode(ev) }

// Flush writes the buffered lines.
func (j *JSON) Flush() error { return j.bw.Flush() }
