package output

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"time"

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
	ts   tsCache
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
	buf := j.line[:0]
	if n := len(ev.Args) + len(ev.Data) + lineOverhead; n > cap(buf) {
		// One allocation of about the line's size instead of append's
		// chain of copies: a 1 MB event's line was copied five times.
		buf = make([]byte, 0, n)
	}
	line, ok := appendEventTS(buf, ev, &j.ts)
	kept := cap(line) <= maxKeptLine
	if kept {
		j.line = line
	}
	if !ok {
		if ev.IDUnsigned {
			return j.writeUnsignedID(ev)
		}
		if err := j.enc.Encode(ev); err != nil {
			return j.writeUnencodable(ev, err)
		}
		return nil
	}
	if t, ok := j.bw.(LineTaker); ok && !kept {
		t.TakeLine(line)
		return nil
	}
	_, err := j.bw.Write(line)
	return err
}

// lineOverhead is room for a line's fields besides args and data (ts,
// kind, sid, event name and the like) when sizing its buffer.
const lineOverhead = 1 << 10

// writeUnsignedID is the encoding/json fallback for an event whose ack id
// is above MaxInt64, which encoding/json would print as a negative int64:
// the id is appended to the object exactly.
func (j *JSON) writeUnsignedID(ev *event.Event) error {
	c := *ev
	c.ID, c.IDUnsigned = nil, false
	line, err := json.Marshal(&c)
	if err != nil {
		return j.writeUnencodable(ev, err)
	}
	line = append(line[:len(line)-1], `,"id":`...)
	line = append(ev.AppendID(line), '}', '\n')
	_, err = j.bw.Write(line)
	return err
}

// writeUnencodable still gives ev its line when encoding/json refuses it
// (args nested deeper than it allows, a NaN): a peer must not be able to
// hide an event from --json. The args travel as a JSON string, the reason
// in error; what else cannot be encoded is left out.
func (j *JSON) writeUnencodable(ev *event.Event, cause error) error {
	c := *ev
	if len(c.Args) > 0 {
		c.Args, c.ArgsCompact = appendString(nil, string(ev.Args)), true
	}
	for _, f := range []**float64{&c.AckMs, &c.RTTMs, &c.DurationMs} {
		if *f != nil && (math.IsNaN(**f) || math.IsInf(**f, 0)) {
			*f = nil
		}
	}
	msg := "not encodable as JSON (" + cause.Error() + "); args shown as a string"
	if c.Error != "" {
		msg = c.Error + "; " + msg
	}
	c.Error = msg
	line, ok := appendEvent(nil, &c)
	if !ok {
		// Only a timestamp outside years 0-9999 is left.
		c.TS, c.Fault = time.Time{}, nil
		line, _ = appendEvent(nil, &c)
	}
	_, err := j.bw.Write(line)
	return err
}

// Flush writes the buffered lines.
func (j *JSON) Flush() error { return j.bw.Flush() }
