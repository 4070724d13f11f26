package recordings

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// MaxHAR caps the size of a HAR file. A HAR is one JSON document whose
// entries must be sorted into time order before replay, so it is converted
// whole; recordings larger than this should be native JSONL.
const MaxHAR = 2 << 30

// ReadHAR reads a HAR file written by Chrome, Firefox, mitmproxy, HTTP
// Toolkit or sioproxy and returns a Reader of its observations in time
// order: HTTP entries become HTTP exchanges (base64 content decoded), and
// WebSocket entries become a ws.open, a ws.msg per message and, when the
// file says how the connection ended, a ws.close.
func ReadHAR(src io.Reader, name string) (*Reader, error) {
	return readHAR(src, &Reader{name: name, size: -1, counter: &countingReader{r: src}})
}

func readHAR(src io.Reader, r *Reader) (*Reader, error) {
	lim := &limitReader{r: src, left: MaxHAR}
	dec := json.NewDecoder(lim)
	h := &harImporter{r: r}
	err := h.document(dec)
	if lim.left <= 0 {
		return nil, fmt.Errorf("%s: HAR file larger than %d MiB", r.name, MaxHAR>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: HAR: %s (at byte %d)", r.name, jsonProblem(err), dec.InputOffset())
	}
	if !h.sawLog {
		return nil, fmt.Errorf("%s: HAR: no \"log\" object", r.name)
	}
	sort.SliceStable(h.out, func(i, j int) bool { return h.out[i].Time.Before(h.out[j].Time) })
	r.har = h.out
	if r.hdr.Format == 0 {
		r.hdr = Header{Format: FormatVersion, Mode: "har", Source: h.creator}
		if len(h.out) > 0 {
			r.hdr.Started = h.out[0].Time
		}
	}
	return r, nil
}

func (r *Reader) nextHAR() (obs.Obs, error) {
	if r.harPos >= len(r.har) {
		r.har = nil
		r.harPos = 0
		r.err = io.EOF
		return obs.Obs{}, io.EOF
	}
	o := r.har[r.harPos]
	r.har[r.harPos] = obs.Obs{} // let the caller own it alone
	r.harPos++
	return o, nil
}

type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errors.New("size limit reached")
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

type harImporter struct {
	r       *Reader
	out     []obs.Obs
	creator string
	sawLog  bool
	nextID  uint64
	entry   int
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("found %v where %q was expected", t, want)
	}
	return nil
}

func skipValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}

// document walks the top level token by token so that entries are
// converted one at a time rather than all decoded into a tree first.
func (h *harImporter) document(dec *json.Decoder) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == "log" {
			h.sawLog = true
			err = h.log(dec)
		} else {
			err = skipValue(dec)
		}
		if err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

func (h *harImporter) log(dec *json.Decoder) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case "creator":
			var c harCreator
			if err := dec.Decode(&c); err != nil {
				return fmt.Errorf("creator: %w", err)
			}
			h.creator = strings.TrimSpace(c.Name + " " + c.Version)
		case "_sioproxy":
			var hdr Header
			if err := dec.Decode(&hdr); err != nil {
				return fmt.Errorf("_sioproxy: %w", err)
			}
			if hdr.Format > FormatVersion {
				return fmt.Errorf("_sioproxy: recording format version %d is newer than this sioproxy reads (%d)", hdr.Format, FormatVersion)
			}
			h.r.hdr = hdr
		case "_sioproxyOther":
			var lines []json.RawMessage
			if err := dec.Decode(&lines); err != nil {
				return fmt.Errorf("_sioproxyOther: %w", err)
			}
			for i, b := range lines {
				o, err := parseLine(b)
				if err != nil {
					h.r.warn(fmt.Sprintf("%s: _sioproxyOther[%d] skipped: %v", h.r.name, i, err))
					continue
				}
				h.out = append(h.out, o)
			}
		case "entries":
			if err := h.entries(dec); err != nil {
				return err
			}
		default:
			if err := skipValue(dec); err != nil {
				return err
			}
		}
	}
	return expectDelim(dec, '}')
}

func (h *harImporter) entries(dec *json.Decoder) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		var e harEntry
		err := dec.Decode(&e)
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// The value was consumed; only this entry is unusable.
			h.r.warn(fmt.Sprintf("%s: HAR entry %d skipped: %s", h.r.name, h.entry, jsonProblem(err)))
			h.entry++
			continue
		}
		if err != nil {
			return fmt.Errorf("entry %d: %w", h.entry, err)
		}
		if err := h.convert(&e); err != nil {
			h.r.warn(fmt.Sprintf("%s: HAR entry %d skipped: %v", h.r.name, h.entry, err))
		}
		h.entry++
	}
	return expectDelim(dec, ']')
}

func parseLine(b []byte) (obs.Obs, error) {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return obs.Obs{}, errors.New(jsonProblem(err))
	}
	return fromLine(&l)
}

func parseHARTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("startedDateTime %q is not an ISO 8601 time", s)
	}
	return t, nil
}

func (h *harImporter) convert(e *harEntry) error {
	start, err := parseHARTime(e.StartedDateTime)
	if err != nil {
		return err
	}
	if math.IsNaN(e.Time) || e.Time < 0 || e.Time > 1e12 {
		e.Time = 0
	}
	end := start.Add(time.Duration(math.Round(e.Time * float64(time.Millisecond))))
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return fmt.Errorf("request.url %q: %v", e.Request.URL, err)
	}
	isWS := e.ResourceType == "websocket" || e.Response.Status == http.StatusSwitchingProtocols ||
		u.Scheme == "ws" || u.Scheme == "wss" || len(e.WSMessages) > 0
	if isWS {
		return h.convertWS(e, u, start, end)
	}
	return h.convertHTTP(e, u, start, end)
}

// importHeaders canonicalises names (Chrome writes HTTP/2 headers in lower
// case) unless the file is our own, and keeps :authority as the host.
func importHeaders(nv []harNV, own bool) (http.Header, string) {
	if len(nv) == 0 {
		return nil, ""
	}
	h := make(http.Header, len(nv))
	var authority string
	for _, p := range nv {
		name := p.Name
		if strings.HasPrefix(name, ":") {
			if name == ":authority" {
				authority = p.Value
			}
			continue
		}
		if !own {
			name = textproto.CanonicalMIMEHeaderKey(name)
		}
		h[name] = append(h[name], p.Value)
	}
	return h, authority
}

func requestURI(u *url.URL) string { return u.RequestURI() }

func (h *harImporter) convertHTTP(e *harEntry, u *url.URL, start, end time.Time) error {
	own := len(e.Sioproxy) > 0
	var x *obs.HTTPExchange
	t := end
	if own {
		o, err := parseLine(e.Sioproxy)
		if err != nil || o.HTTP == nil {
			return fmt.Errorf("_sioproxy: %v", err)
		}
		x, t = o.HTTP, o.Time
	} else {
		h.nextID++
		x = &obs.HTTPExchange{ID: h.nextID, Start: start, End: end, Method: e.Request.Method,
			URL: requestURI(u), Host: u.Host, Proto: e.Request.HTTPVersion, Status: e.Response.Status,
			Upstream: u.Scheme + "://" + u.Host, Err: e.Response.Error}
		if x.Err != "" {
			x.ErrKind = "other"
		}
	}
	var authority string
	x.ReqHeader, authority = importHeaders(e.Request.Headers, own)
	x.RespHeader, _ = importHeaders(e.Response.Headers, own)
	if x.Host == "" {
		x.Host = authority
	}
	if pd := e.Request.PostData; pd != nil {
		text := ""
		if pd.Text != nil {
			text = *pd.Text
		}
		enc := pd.XEncoding
		if enc == "" {
			enc = pd.Encoding
		}
		b, err := decodeData(text, enc, "request.postData.text")
		if err != nil {
			return err
		}
		x.ReqBody = b
	}
	if !own {
		x.ReqLen = int64(len(x.ReqBody))
	}
	if e.SioproxyRespRaw != "" {
		b, err := base64.StdEncoding.DecodeString(e.SioproxyRespRaw)
		if err != nil {
			return fmt.Errorf("_sioproxyRespRaw: invalid base64: %v", err)
		}
		x.RespBody = b
	} else if c := e.Response.Content; c.Text != nil {
		b, err := decodeData(*c.Text, c.Encoding, "response.content.text")
		if err != nil {
			return err
		}
		x.RespBody = b
		if !own && x.RespHeader != nil {
			// content.text is decoded; a Content-Encoding header left in
			// place would make the decoder inflate it a second time.
			delete(x.RespHeader, "Content-Encoding")
		}
	}
	if !own {
		x.RespLen = int64(len(x.RespBody))
	}
	h.out = append(h.out, obs.Obs{Kind: obs.KindHTTP, Time: t, HTTP: x})
	return nil
}

func (h *harImporter) convertWS(e *harEntry, u *url.URL, start, end time.Time) error {
	own := len(e.Sioproxy) > 0
	var w *obs.WSOpen
	t := end // the 101 arrived when the entry's time ran out
	if own {
		o, err := parseLine(e.Sioproxy)
		if err != nil || o.WSOpen == nil {
			return fmt.Errorf("_sioproxy: %v", err)
		}
		w, t = o.WSOpen, o.Time
	} else {
		h.nextID++
		scheme := map[string]string{"ws": "http", "wss": "https"}[u.Scheme]
		if scheme == "" {
			scheme = u.Scheme
		}
		w = &obs.WSOpen{Conn: h.nextID, Start: start, URL: requestURI(u), Host: u.Host,
			Upstream: scheme + "://" + u.Host, Status: e.Response.Status}
	}
	var authority string
	w.ReqHeader, authority = importHeaders(e.Request.Headers, own)
	w.RespHeader, _ = importHeaders(e.Response.Headers, own)
	if w.Host == "" {
		w.Host = authority
	}
	if !own {
		w.Extensions = w.RespHeader.Get("Sec-WebSocket-Extensions")
	}
	openIdx := len(h.out)
	h.out = append(h.out, obs.Obs{Kind: obs.KindWSOpen, Time: t, WSOpen: w})

	last := t
	var closeBy [2]bool
	firstClose := -1
	for i, hm := range e.WSMessages {
		o, err := h.wsMessage(w.Conn, hm)
		if err != nil {
			h.r.warn(fmt.Sprintf("%s: HAR entry %d message %d skipped: %v", h.r.name, h.entry, i, err))
			continue
		}
		if o.Time.After(last) {
			last = o.Time
		}
		if !own && o.Time.Before(h.out[openIdx].Time) {
			// The entry's time spans the connection (HTTP Toolkit), not
			// just the handshake.
			h.out[openIdx].Time = start
		}
		if o.WSMsg.Opcode == 8 {
			closeBy[o.WSMsg.Dir] = true
			if firstClose < 0 {
				firstClose = len(h.out)
			}
		}
		h.out = append(h.out, o)
	}

	if len(e.SioproxyClose) > 0 {
		o, err := parseLine(e.SioproxyClose)
		if err != nil || o.WSClose == nil {
			return fmt.Errorf("_sioproxyClose: %v", err)
		}
		h.out = append(h.out, o)
		return nil
	}
	c := &obs.WSClose{Conn: w.Conn}
	known := false
	var tc harWSClose
	if len(e.WSClose) > 0 && json.Unmarshal(e.WSClose, &tc) == nil {
		known = true
		c.Code, c.Reason = tc.Code, tc.Reason
		if ts := fromEpoch(tc.Timestamp); !ts.IsZero() && ts.After(last) {
			last = ts
		}
	}
	if firstClose >= 0 {
		known = true
		m := h.out[firstClose].WSMsg
		c.By = "client"
		if m.Dir == decode.S2C {
			c.By = "server"
		}
		c.Clean = closeBy[0] && closeBy[1]
		if c.Code == 0 {
			c.Code, c.Reason = m.CloseCode, m.CloseText
		}
	}
	if !known {
		return nil // the file does not say; the connection just ends with the capture
	}
	if end.After(last) {
		last = end
	}
	h.out = append(h.out, obs.Obs{Kind: obs.KindWSClose, Time: last, WSClose: c})
	return nil
}

// fromEpoch converts HAR's float epoch seconds, rounded to microseconds
// (what browsers record). Values past year 10000 are taken as milliseconds,
// which some tools write.
func fromEpoch(sec float64) time.Time {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || sec <= 0 {
		return time.Time{}
	}
	if sec > 253402300800 {
		sec /= 1000
		if sec > 253402300800 {
			return time.Time{}
		}
	}
	us := int64(math.Round(sec * 1e6))
	return time.UnixMicro(us).UTC()
}

func (h *harImporter) wsMessage(conn uint64, hm harWSMessage) (obs.Obs, error) {
	m := &obs.WSMessage{Conn: conn, Frames: 1}
	switch hm.Type {
	case "send":
		m.Dir = decode.C2S
	case "receive":
		m.Dir = decode.S2C
	default:
		return obs.Obs{}, fmt.Errorf("type %q is neither \"send\" nor \"receive\"", hm.Type)
	}
	if hm.Opcode < 0 || hm.Opcode > 15 {
		return obs.Obs{}, fmt.Errorf("opcode %d is not a WebSocket opcode", hm.Opcode)
	}
	m.Opcode = byte(hm.Opcode)
	t := fromEpoch(hm.Time)
	if t.IsZero() {
		return obs.Obs{}, fmt.Errorf("time %v is not epoch seconds", hm.Time)
	}
	enc := EncUTF8
	if hm.Opcode != 1 {
		enc = EncBase64
	}
	if x := hm.Sioproxy; x != nil {
		if x.TS != "" {
			if ts, err := time.Parse(time.RFC3339Nano, x.TS); err == nil {
				t = ts
			}
		}
		if x.Conn != 0 {
			m.Conn = x.Conn
		}
		m.Compressed, m.WireLen, m.Frames = x.Compressed, x.WireLen, x.Frames
		m.CloseCode, m.CloseText, m.Err = x.CloseCode, x.CloseText, x.Err
		if x.Enc != "" {
			enc = x.Enc
		}
	}
	b, err := decodeData(hm.Data, enc, "data")
	if err != nil && hm.Sioproxy == nil {
		// Some tools put binary frames as text; take the text as it is.
		b, err = []byte(hm.Data), nil
	}
	if err != nil {
		return obs.Obs{}, err
	}
	m.Data = b
	if m.Opcode == 8 && hm.Sioproxy == nil && len(b) >= 2 {
		m.CloseCode = int(b[0])<<8 | int(b[1])
		m.CloseText = string(b[2:])
	}
	return obs.Obs{Kind: obs.KindWSMsg, Time: t, WSMsg: m}, nil
}
