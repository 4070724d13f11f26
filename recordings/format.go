package recordings

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// FormatVersion is the native format version written in the header's
// "sioproxy" field. Readers refuse newer versions instead of guessing.
const FormatVersion = 1

// Body encodings of the "enc" fields.
const (
	EncUTF8   = "utf8"
	EncBase64 = "base64"
)

// Header is the first line of a native recording.
type Header struct {
	Format   int       `json:"sioproxy"`           // FormatVersion
	Mode     string    `json:"mode,omitempty"`     // "reverse", "forward", or "har" for imports
	Target   string    `json:"target,omitempty"`   // upstream base URL in reverse mode
	Started  time.Time `json:"started,omitzero"`   // when recording began
	Version  string    `json:"version,omitempty"`  // sioproxy version that wrote it
	Redacted bool      `json:"redacted,omitempty"` // secrets were masked (--redact)
	// Source names the tool that produced an imported file ("Chrome 120"
	// from a HAR creator); empty for native recordings.
	Source string `json:"source,omitempty"`
}

// The per-kind line structs fix the field order and which fields are always
// present when writing; reading uses the flat line struct below so that a
// line is parsed once whatever its kind.

type httpLine struct {
	Kind      obs.Kind    `json:"kind"`
	TS        time.Time   `json:"ts,omitzero"`
	ID        uint64      `json:"id"`
	Client    string      `json:"client,omitempty"`
	Upstream  string      `json:"upstream,omitempty"`
	Start     time.Time   `json:"start,omitzero"`
	End       time.Time   `json:"end,omitzero"`
	Method    string      `json:"method"`
	URL       string      `json:"url"`
	Host      string      `json:"host,omitempty"`
	Proto     string      `json:"proto,omitempty"`
	ReqHdr    http.Header `json:"req_headers,omitzero"`
	ReqBody   *string     `json:"req_body,omitempty"`
	ReqEnc    string      `json:"req_enc,omitempty"`
	ReqLen    int64       `json:"req_len"`
	ReqTrunc  bool        `json:"req_trunc,omitempty"`
	Status    int         `json:"status"`
	RespHdr   http.Header `json:"resp_headers,omitzero"`
	RespBody  *string     `json:"resp_body,omitempty"`
	RespEnc   string      `json:"resp_enc,omitempty"`
	RespLen   int64       `json:"resp_len"`
	RespTrunc bool        `json:"resp_trunc,omitempty"`
	Err       string      `json:"err,omitempty"`
	ErrKind   string      `json:"err_kind,omitempty"`
	Active    *obs.Active `json:"active,omitempty"`
	// PacketActive is obs.HTTPExchange.PacketActive: one mark per packet.
	PacketActive []*obs.Active `json:"packet_active,omitempty"`
}

type wsOpenLine struct {
	Kind       obs.Kind    `json:"kind"`
	TS         time.Time   `json:"ts,omitzero"`
	Conn       uint64      `json:"conn"`
	Client     string      `json:"client,omitempty"`
	Upstream   string      `json:"upstream,omitempty"`
	Start      time.Time   `json:"start,omitzero"`
	URL        string      `json:"url"`
	Host       string      `json:"host,omitempty"`
	ReqHdr     http.Header `json:"req_headers,omitzero"`
	RespHdr    http.Header `json:"resp_headers,omitzero"`
	Status     int         `json:"status"`
	Extensions string      `json:"extensions,omitempty"`
}

type wsMsgLine struct {
	Kind       obs.Kind  `json:"kind"`
	Conn       uint64    `json:"conn"`
	Dir        string    `json:"dir"`
	TS         time.Time `json:"ts,omitzero"`
	Opcode     byte      `json:"opcode"`
	Compressed bool      `json:"compressed"`
	WireLen    int       `json:"wire_len"`
	Frames     int       `json:"frames"`
	Len        int       `json:"len"`
	Data       string    `json:"data"`
	Enc        string    `json:"enc"`
	CloseCode  int       `json:"close_code,omitempty"`
	CloseText  string    `json:"close_text,omitempty"`
	Err        string    `json:"err,omitempty"`
	// Active keeps what the active layer did: rules, the original
	// message, injected and dropped marks.
	Active *obs.Active `json:"active,omitempty"`
}

type wsCloseLine struct {
	Kind        obs.Kind  `json:"kind"`
	TS          time.Time `json:"ts,omitzero"`
	Conn        uint64    `json:"conn"`
	By          string    `json:"by,omitempty"`
	Code        int       `json:"code,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Clean       bool      `json:"clean"`
	Err         string    `json:"err,omitempty"`
	Undecodable bool      `json:"undecodable,omitempty"`
	BytesC2S    int64     `json:"bytes_c2s"`
	BytesS2C    int64     `json:"bytes_s2c"`
}

type tlsLine struct {
	Kind    obs.Kind  `json:"kind"`
	TS      time.Time `json:"ts,omitzero"`
	Leg     string    `json:"leg"`
	Client  string    `json:"client,omitempty"`
	Host    string    `json:"host,omitempty"`
	TLSKind string    `json:"tls_kind"`
	Alert   string    `json:"alert,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

type dropLine struct {
	Kind  obs.Kind  `json:"kind"`
	TS    time.Time `json:"ts,omitzero"`
	Count uint64    `json:"count"`
	Where string    `json:"where,omitempty"`
}

// line is the union of every kind's fields, for reading.
type line struct {
	Kind     obs.Kind    `json:"kind"`
	TS       time.Time   `json:"ts"`
	ID       uint64      `json:"id"`
	Conn     uint64      `json:"conn"`
	Client   string      `json:"client"`
	Upstream string      `json:"upstream"`
	Start    time.Time   `json:"start"`
	End      time.Time   `json:"end"`
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Host     string      `json:"host"`
	Proto    string      `json:"proto"`
	ReqHdr   http.Header `json:"req_headers"`
	ReqBody  *string     `json:"req_body"`
	ReqEnc   string      `json:"req_enc"`
	ReqLen   int64       `json:"req_len"`
	ReqTrunc bool        `json:"req_trunc"`
	Status   int         `json:"status"`
	RespHdr  http.Header `json:"resp_headers"`
	RespBody *string     `json:"resp_body"`
	RespEnc  string      `json:"resp_enc"`
	RespLen  int64       `json:"resp_len"`
	RespTrnc bool        `json:"resp_trunc"`
	Err      string      `json:"err"`
	ErrKind  string      `json:"err_kind"`

	Extensions string `json:"extensions"`

	Dir        string  `json:"dir"`
	Opcode     int     `json:"opcode"`
	Compressed bool    `json:"compressed"`
	WireLen    int     `json:"wire_len"`
	Frames     int     `json:"frames"`
	Len        *int    `json:"len"`
	Data       *string `json:"data"`
	Enc        string  `json:"enc"`
	CloseCode  int     `json:"close_code"`
	CloseText  string  `json:"close_text"`

	By          string `json:"by"`
	Code        int    `json:"code"`
	Reason      string `json:"reason"`
	Clean       bool   `json:"clean"`
	Undecodable bool   `json:"undecodable"`
	BytesC2S    int64  `json:"bytes_c2s"`
	BytesS2C    int64  `json:"bytes_s2c"`

	Leg     string `json:"leg"`
	TLSKind string `json:"tls_kind"`
	Alert   string `json:"alert"`
	Detail  string `json:"detail"`

	Count uint64 `json:"count"`
	Where string `json:"where"`

	Active       *obs.Active   `json:"active"`
	PacketActive []*obs.Active `json:"packet_active"`

	Rule   string `json:"rule"`
	Action string `json:"action"`

	// The fast line decoder leaves ReqBody, RespBody and Data nil and
	// puts their unescaped text here (nil: absent), sparing a string per
	// body; fromLine decodes either.
	reqText, respText, dataText []byte
}

type injectLine struct {
	Kind     obs.Kind  `json:"kind"`
	TS       time.Time `json:"ts,omitzero"`
	Rule     string    `json:"rule"`
	Action   string    `json:"action"`
	Exchange uint64    `json:"id,omitempty"`
	Conn     uint64    `json:"conn,omitempty"`
	Dir      string    `json:"dir,omitempty"`
	Client   string    `json:"client,omitempty"`
	URL      string    `json:"url,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// encodeBody turns bytes into text when they are valid UTF-8, else base64,
// so that recordings stay readable with jq yet keep binary exact. nil stays
// nil so that "no body" and "empty body" remain different.
func encodeBody(b []byte) (*string, string) {
	if b == nil {
		return nil, ""
	}
	s, enc := encodeData(b)
	return &s, enc
}

func encodeData(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), EncUTF8
	}
	return base64.StdEncoding.EncodeToString(b), EncBase64
}

func decodeData(s, enc, field string) ([]byte, error) {
	switch enc {
	case EncUTF8, "":
		return []byte(s), nil
	case EncBase64:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid base64: %v", field, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: unknown encoding %q (want %q or %q)", field, enc, EncUTF8, EncBase64)
}

// decodeText is decodeData for text still in the line's buffer: the
// result is always a copy.
func decodeText(s []byte, enc, field string) ([]byte, error) {
	switch enc {
	case EncUTF8, "":
		return bytes.Clone(s), nil
	case EncBase64:
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		n, err := base64.StdEncoding.Decode(b, s)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid base64: %v", field, err)
		}
		return b[:n], nil
	}
	return decodeData("", enc, field)
}

// decodeBody decodes a body that is either a string (encoding/json) or
// text (the fast decoder); nil for none.
func decodeBody(s *string, text []byte, enc, field string) ([]byte, error) {
	switch {
	case s != nil:
		return decodeData(*s, enc, field)
	case text != nil:
		return decodeText(text, enc, field)
	}
	return nil, nil
}

// toLine converts an observation into the struct that is marshalled as one
// line.
func toLine(o obs.Obs) (any, error) {
	switch o.Kind {
	case obs.KindHTTP, obs.KindHTTPStart:
		h := o.HTTP
		if h == nil {
			return nil, fmt.Errorf("obs kind %q without HTTP", o.Kind)
		}
		l := &httpLine{Kind: o.Kind, TS: o.Time, ID: h.ID, Client: h.Client, Upstream: h.Upstream,
			Start: h.Start, End: h.End, Method: h.Method, URL: h.URL, Host: h.Host, Proto: h.Proto,
			ReqHdr: h.ReqHeader, ReqLen: h.ReqLen, ReqTrunc: h.ReqTrunc, Status: h.Status,
			RespHdr: h.RespHeader, RespLen: h.RespLen, RespTrunc: h.RespTrunc, Err: h.Err, ErrKind: h.ErrKind,
			Active: h.Active, PacketActive: h.PacketActive}
		l.ReqBody, l.ReqEnc = encodeBody(h.ReqBody)
		l.RespBody, l.RespEnc = encodeBody(h.RespBody)
		return l, nil
	case obs.KindWSOpen:
		w := o.WSOpen
		if w == nil {
			return nil, fmt.Errorf("obs kind %q without WSOpen", o.Kind)
		}
		return &wsOpenLine{Kind: o.Kind, TS: o.Time, Conn: w.Conn, Client: w.Client, Upstream: w.Upstream,
			Start: w.Start, URL: w.URL, Host: w.Host, ReqHdr: w.ReqHeader, RespHdr: w.RespHeader,
			Status: w.Status, Extensions: w.Extensions}, nil
	case obs.KindWSMsg:
		m := o.WSMsg
		if m == nil {
			return nil, fmt.Errorf("obs kind %q without WSMsg", o.Kind)
		}
		l := &wsMsgLine{Kind: o.Kind, Conn: m.Conn, Dir: m.Dir.String(), TS: o.Time, Opcode: m.Opcode,
			Compressed: m.Compressed, WireLen: m.WireLen, Frames: m.Frames, Len: len(m.Data),
			CloseCode: m.CloseCode, CloseText: m.CloseText, Err: m.Err, Active: m.Active}
		l.Data, l.Enc = encodeData(m.Data)
		return l, nil
	case obs.KindWSClose:
		c := o.WSClose
		if c == nil {
			return nil, fmt.Errorf("obs kind %q without WSClose", o.Kind)
		}
		return &wsCloseLine{Kind: o.Kind, TS: o.Time, Conn: c.Conn, By: c.By, Code: c.Code, Reason: c.Reason,
			Clean: c.Clean, Err: c.Err, Undecodable: c.Undecodable, BytesC2S: c.BytesC2S, BytesS2C: c.BytesS2C}, nil
	case obs.KindTLS:
		t := o.TLS
		if t == nil {
			return nil, fmt.Errorf("obs kind %q without TLS", o.Kind)
		}
		return &tlsLine{Kind: o.Kind, TS: o.Time, Leg: t.Leg, Client: t.Client, Host: t.Host,
			TLSKind: t.Kind, Alert: t.Alert, Detail: t.Detail}, nil
	case obs.KindDrop:
		d := o.Drop
		if d == nil {
			return nil, fmt.Errorf("obs kind %q without Drop", o.Kind)
		}
		return &dropLine{Kind: o.Kind, TS: o.Time, Count: d.Count, Where: d.Where}, nil
	case obs.KindInject:
		in := o.Inject
		if in == nil {
			return nil, fmt.Errorf("obs kind %q without Inject", o.Kind)
		}
		l := &injectLine{Kind: o.Kind, TS: o.Time, Rule: in.Rule, Action: in.Action, Exchange: in.Exchange,
			Conn: in.Conn, Client: in.Client, URL: in.URL, Detail: in.Detail}
		if in.Conn != 0 {
			l.Dir = in.Dir.String()
		}
		return l, nil
	}
	return nil, fmt.Errorf("unknown obs kind %q", o.Kind)
}

// errUnknownKind marks a line of a kind this version does not know; readers
// skip it with a warning so that newer additive kinds do not break old
// readers.
type errUnknownKind struct{ kind obs.Kind }

func (e errUnknownKind) Error() string { return fmt.Sprintf("unknown kind %q", e.kind) }

// fromLine converts a parsed line back into an observation.
func fromLine(l *line) (obs.Obs, error) {
	o := obs.Obs{Kind: l.Kind, Time: l.TS}
	var err error
	switch l.Kind {
	case obs.KindHTTP, obs.KindHTTPStart:
		h := &obs.HTTPExchange{ID: l.ID, Client: l.Client, Upstream: l.Upstream, Start: l.Start, End: l.End,
			Method: l.Method, URL: l.URL, Host: l.Host, Proto: l.Proto, ReqHeader: l.ReqHdr, ReqLen: l.ReqLen,
			ReqTrunc: l.ReqTrunc, Status: l.Status, RespHeader: l.RespHdr, RespLen: l.RespLen,
			RespTrunc: l.RespTrnc, Err: l.Err, ErrKind: l.ErrKind, Active: l.Active,
			PacketActive: l.PacketActive}
		if h.ReqBody, err = decodeBody(l.ReqBody, l.reqText, l.ReqEnc, "req_body"); err != nil {
			return o, err
		}
		if h.RespBody, err = decodeBody(l.RespBody, l.respText, l.RespEnc, "resp_body"); err != nil {
			return o, err
		}
		o.HTTP = h
	case obs.KindWSOpen:
		o.WSOpen = &obs.WSOpen{Conn: l.Conn, Client: l.Client, Upstream: l.Upstream, Start: l.Start, URL: l.URL,
			Host: l.Host, ReqHeader: l.ReqHdr, RespHeader: l.RespHdr, Status: l.Status, Extensions: l.Extensions}
	case obs.KindWSMsg:
		m := &obs.WSMessage{Conn: l.Conn, Compressed: l.Compressed, WireLen: l.WireLen, Frames: l.Frames,
			CloseCode: l.CloseCode, CloseText: l.CloseText, Err: l.Err, Active: l.Active}
		switch l.Dir {
		case "c2s":
			m.Dir = decode.C2S
		case "s2c":
			m.Dir = decode.S2C
		default:
			return o, fmt.Errorf("dir: %q is neither \"c2s\" nor \"s2c\"", l.Dir)
		}
		if l.Opcode < 0 || l.Opcode > 15 {
			return o, fmt.Errorf("opcode: %d is not a WebSocket opcode (0-15)", l.Opcode)
		}
		m.Opcode = byte(l.Opcode)
		if l.Data == nil && l.dataText == nil {
			return o, fmt.Errorf("data: missing")
		}
		if m.Data, err = decodeBody(l.Data, l.dataText, l.Enc, "data"); err != nil {
			return o, err
		}
		if l.Len != nil && *l.Len != len(m.Data) {
			return o, fmt.Errorf("len: %d but data holds %d bytes", *l.Len, len(m.Data))
		}
		o.WSMsg = m
	case obs.KindWSClose:
		o.WSClose = &obs.WSClose{Conn: l.Conn, By: l.By, Code: l.Code, Reason: l.Reason, Clean: l.Clean,
			Err: l.Err, Undecodable: l.Undecodable, BytesC2S: l.BytesC2S, BytesS2C: l.BytesS2C}
	case obs.KindTLS:
		o.TLS = &obs.TLSEvent{Leg: l.Leg, Client: l.Client, Host: l.Host, Kind: l.TLSKind, Alert: l.Alert, Detail: l.Detail}
	case obs.KindDrop:
		o.Drop = &obs.Drop{Count: l.Count, Where: l.Where}
	case obs.KindInject:
		in := &obs.Inject{Rule: l.Rule, Action: l.Action, Exchange: l.ID, Conn: l.Conn, Client: l.Client, URL: l.URL, Detail: l.Detail}
		switch l.Dir {
		case "", "c2s":
		case "s2c":
			in.Dir = decode.S2C
		default:
			return o, fmt.Errorf("dir: %q is neither \"c2s\" nor \"s2c\"", l.Dir)
		}
		if in.Rule == "" {
			return o, fmt.Errorf("rule: missing")
		}
		o.Inject = in
	case "":
		return o, fmt.Errorf("kind: missing")
	default:
		return o, errUnknownKind{l.Kind}
	}
	return o, nil
}
