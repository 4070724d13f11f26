package recordings

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// harTime is what Chrome writes and what JavaScript's Date parses; exact
// times travel in the _sioproxy fields.
const harTime = "2006-01-02T15:04:05.000Z07:00"

// maxInflate caps decompressing a response body for content.text.
const maxInflate = 64 << 20

// ExportHAR converts a recording to HAR 1.2 with Chrome's _webSocketMessages
// extension, so that Chrome DevTools can import it. HTTP entries are written
// as they are read; a WebSocket entry is written when its connection closes
// (or at the end), since HAR keeps its messages inside the entry. Everything
// HAR cannot hold goes into "_sioproxy…" fields, which ReadHAR uses to give
// back the recording exactly.
//
// Entries are sorted by start time, as DevTools' waterfall expects, and
// all belong to one page (the recording), so DevTools groups them: they
// are therefore held until the end before being written.
func ExportHAR(r *Reader, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	hdr := r.Header()
	hb, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	version := hdr.Version
	if version == "" {
		version = "dev"
	}
	x := &harExporter{w: bw, open: map[uint64]*wsEntry{}}
	var other []json.RawMessage
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch o.Kind {
		case obs.KindHTTP:
			err = x.entry(httpEntry(o))
		case obs.KindWSOpen:
			if prev := x.open[o.WSOpen.Conn]; prev != nil {
				err = x.entry(prev.entry)
			}
			x.open[o.WSOpen.Conn] = wsOpenEntry(o)
		case obs.KindWSMsg:
			if ws := x.open[o.WSMsg.Conn]; ws != nil {
				ws.entry.WSMessages = append(ws.entry.WSMessages, wsMessage(o))
				ws.last = o.Time
			}
		case obs.KindWSClose:
			if ws := x.open[o.WSClose.Conn]; ws != nil {
				delete(x.open, o.WSClose.Conn)
				err = x.entry(wsCloseEntry(ws, o))
			}
		default:
			var b []byte
			if b, err = marshalLine(o); err == nil {
				other = append(other, b)
			}
		}
		if err != nil {
			return err
		}
	}
	// Connections still open when the recording ended, oldest first.
	rest := make([]*wsEntry, 0, len(x.open))
	for _, ws := range x.open {
		rest = append(rest, ws)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].conn < rest[j].conn })
	for _, ws := range rest {
		ws.entry.Time = ms(ws.last.Sub(ws.start))
		if err := x.entry(ws.entry); err != nil {
			return err
		}
	}
	sort.SliceStable(x.held, func(i, j int) bool { return x.held[i].start.Before(x.held[j].start) })
	page := harPage{ID: harPageID, Title: pageTitle(hdr), PageTimings: json.RawMessage(`{}`)}
	switch {
	case len(x.held) > 0:
		page.StartedDateTime = x.held[0].start.Format(harTime)
	case !hdr.Started.IsZero():
		page.StartedDateTime = hdr.Started.Format(harTime)
	default:
		page.StartedDateTime = time.Unix(0, 0).UTC().Format(harTime)
	}
	pb, err := json.Marshal(page)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "{\n  \"log\": {\n    \"version\": \"1.2\",\n    \"creator\": {\"name\": \"sioproxy\", \"version\": %q},\n    \"pages\": [\n      %s\n    ],\n    \"_sioproxy\": %s,\n    \"entries\": [", version, pb, hb)
	for i, h := range x.held {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n      ")
		bw.Write(h.json)
	}
	bw.WriteString("\n    ]")
	if len(other) > 0 {
		bw.WriteString(",\n    \"_sioproxyOther\": [")
		for i, b := range other {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n      ")
			bw.Write(b)
		}
		bw.WriteString("\n    ]")
	}
	bw.WriteString("\n  }\n}\n")
	return bw.Flush()
}

type harExporter struct {
	w    *bufio.Writer
	open map[uint64]*wsEntry
	held []heldEntry // every entry, written sorted at the end
}

type heldEntry struct {
	start time.Time
	json  []byte
}

// harPageID is the one page every exported entry belongs to.
const harPageID = "page_1"

type harPage struct {
	StartedDateTime string          `json:"startedDateTime"`
	ID              string          `json:"id"`
	Title           string          `json:"title"`
	PageTimings     json.RawMessage `json:"pageTimings"`
}

func pageTitle(h Header) string {
	t := "sioproxy recording"
	switch {
	case h.Target != "":
		t += " of " + h.Target
	case h.Source != "":
		t += " (" + h.Source + ")"
	}
	return t
}

type wsEntry struct {
	conn  uint64
	start time.Time
	last  time.Time
	entry *harEntry
}

func (x *harExporter) entry(e *harEntry) error {
	e.Pageref = harPageID
	b, err := json.MarshalIndent(e, "      ", "  ")
	if err != nil {
		return err
	}
	start, _ := time.Parse(harTime, e.StartedDateTime)
	x.held = append(x.held, heldEntry{start: start, json: b})
	return nil
}

func marshalLine(o obs.Obs) ([]byte, error) {
	l, err := toLine(o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func httpEntry(o obs.Obs) *harEntry {
	h := o.HTTP
	start := h.Start
	if start.IsZero() {
		start = o.Time
	}
	end := h.End
	if end.IsZero() {
		end = o.Time
	}
	total := ms(end.Sub(start))
	e := &harEntry{
		StartedDateTime: start.Format(harTime),
		Time:            total,
		Request:         harReq(h.Method, absURL("http", h.Host, h.URL), h.Proto, h.ReqHeader, h.ReqLen),
		Response: harResponse{Status: h.Status, StatusText: http.StatusText(h.Status), HTTPVersion: h.Proto,
			Cookies: []harCookie{}, Headers: harHeaders(h.RespHeader), RedirectURL: h.RespHeader.Get("Location"),
			HeadersSize: -1, BodySize: h.RespLen, Error: h.Err},
		Cache:   json.RawMessage("{}"),
		Timings: harTimings{Blocked: -1, DNS: -1, Connect: -1, Send: 0, Wait: total, Receive: 0, SSL: -1},
	}
	if h.Status == 0 {
		e.Response.HTTPVersion = ""
	}
	if h.ReqBody != nil {
		text, enc := encodeData(h.ReqBody)
		pd := &harPostData{MimeType: h.ReqHeader.Get("Content-Type"), Text: &text}
		if enc == EncBase64 {
			pd.XEncoding = EncBase64
		}
		e.Request.PostData = pd
	}
	c := harContent{Size: int64(len(h.RespBody)), MimeType: h.RespHeader.Get("Content-Type")}
	if h.RespBody != nil {
		body := h.RespBody
		if plain, ok := inflate(h.RespHeader.Get("Content-Encoding"), body); ok {
			e.SioproxyRespRaw = base64.StdEncoding.EncodeToString(body)
			c.Compression = int64(len(plain) - len(body))
			body = plain
		}
		text, enc := encodeData(body)
		c.Text = &text
		c.Size = int64(len(body))
		if enc == EncBase64 {
			c.Encoding = EncBase64
		}
	}
	e.Response.Content = c
	ext := *h
	ext.ReqHeader, ext.RespHeader, ext.ReqBody, ext.RespBody = nil, nil, nil, nil
	e.Sioproxy, _ = marshalLine(obs.Obs{Kind: obs.KindHTTP, Time: o.Time, HTTP: &ext})
	return e
}

// inflate undoes gzip or deflate content coding, because HAR's content.text
// holds the decoded body. It reports false for other codings or a body that
// does not inflate (for example one cut short by the capture cap).
func inflate(coding string, b []byte) ([]byte, bool) {
	var r io.ReadCloser
	var err error
	switch strings.ToLower(strings.TrimSpace(coding)) {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		r = flate.NewReader(bytes.NewReader(b))
	default:
		return nil, false
	}
	if err != nil {
		return nil, false
	}
	defer r.Close()
	plain, err := io.ReadAll(io.LimitReader(r, maxInflate+1))
	if err != nil || len(plain) > maxInflate {
		return nil, false
	}
	return plain, true
}

func wsOpenEntry(o obs.Obs) *wsEntry {
	w := o.WSOpen
	start := w.Start
	if start.IsZero() {
		start = o.Time
	}
	e := &harEntry{
		StartedDateTime: start.Format(harTime),
		Request:         harReq(http.MethodGet, absURL("ws", w.Host, w.URL), "HTTP/1.1", w.ReqHeader, 0),
		Response: harResponse{Status: w.Status, StatusText: statusText(w.Status), HTTPVersion: "HTTP/1.1",
			Cookies: []harCookie{}, Headers: harHeaders(w.RespHeader), HeadersSize: -1,
			Content: harContent{MimeType: ""}},
		Cache:        json.RawMessage("{}"),
		Timings:      harTimings{Blocked: -1, DNS: -1, Connect: -1, Wait: ms(o.Time.Sub(start)), SSL: -1},
		ResourceType: "websocket",
		WSMessages:   []harWSMessage{},
	}
	ext := *w
	ext.ReqHeader, ext.RespHeader = nil, nil
	e.Sioproxy, _ = marshalLine(obs.Obs{Kind: obs.KindWSOpen, Time: o.Time, WSOpen: &ext})
	return &wsEntry{conn: w.Conn, start: start, last: o.Time, entry: e}
}

func statusText(code int) string {
	if code == http.StatusSwitchingProtocols {
		return "Switching Protocols"
	}
	return http.StatusText(code)
}

func wsMessage(o obs.Obs) harWSMessage {
	m := o.WSMsg
	typ := "send"
	if m.Dir.String() == "s2c" {
		typ = "receive"
	}
	hm := harWSMessage{Type: typ, Time: epochSeconds(o.Time), Opcode: int(m.Opcode)}
	ext := &harWSMsgExt{TS: o.Time.Format(time.RFC3339Nano), Conn: m.Conn, Compressed: m.Compressed,
		WireLen: m.WireLen, Frames: m.Frames, CloseCode: m.CloseCode, CloseText: m.CloseText, Err: m.Err}
	if m.Opcode == 1 && utf8.Valid(m.Data) {
		hm.Data = string(m.Data)
	} else {
		hm.Data = base64.StdEncoding.EncodeToString(m.Data)
		if m.Opcode == 1 {
			ext.Enc = EncBase64
		}
	}
	hm.Sioproxy = ext
	return hm
}

func epochSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func wsCloseEntry(ws *wsEntry, o obs.Obs) *harEntry {
	ws.entry.Time = ms(o.Time.Sub(ws.start))
	ws.entry.SioproxyClose, _ = marshalLine(o)
	return ws.entry
}

func harReq(method, u, proto string, h http.Header, bodySize int64) harRequest {
	return harRequest{Method: method, URL: u, HTTPVersion: proto, Cookies: []harCookie{},
		Headers: harHeaders(h), QueryString: queryString(u), HeadersSize: -1, BodySize: bodySize}
}

// absURL makes the request URI absolute, as HAR wants. The scheme the
// client used is not recorded, so plain http/ws is assumed; the exact URI
// travels in the _sioproxy field.
func absURL(scheme, host, uri string) string {
	if strings.Contains(uri, "://") {
		return uri
	}
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + uri
}

// harHeaders lists headers sorted by name, keeping the order of values of
// one name (it matters for Set-Cookie).
func harHeaders(h http.Header) []harNV {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]harNV, 0, len(h))
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, harNV{Name: k, Value: v})
		}
	}
	return out
}

// queryString splits the query in order (url.ParseQuery would lose it).
func queryString(u string) []harNV {
	out := []harNV{}
	i := strings.IndexByte(u, '?')
	if i < 0 {
		return out
	}
	q := u[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harNV{Name: k, Value: v})
	}
	return out
}
