package recordings

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// lineDecoder reads the observation lines the Writer writes without
// encoding/json, whose reflection was half of a replay's CPU. It takes
// only the shape the Writer produces: known keys spelt exactly, each at
// most once, values of the field's own type (no null), integers without
// fraction or exponent, strings of valid UTF-8. Anything else (a line of
// another writer, a damaged line) makes decode answer false, and the
// caller reads the line with encoding/json, which decides and words the
// error. So the fast path never has to agree with encoding/json on errors,
// only on the lines it accepts, which FuzzLineDecoder checks.
type lineDecoder struct {
	b   []byte
	pos int
	// seen has bit f set once field f was read: a repeated key (which
	// encoding/json merges for maps and pointers) is left to encoding/json.
	seen uint64
	// Unescaped text of strings that held escapes, per use; reused.
	scratch               []byte
	reqBuf, respBuf, data []byte
	lenVal                int
	// vals gathers one header object's values before they are copied
	// into one backing array for the whole header.
	vals   []string
	hdrIdx []int
	// intern hands out one copy of each short string (methods, hosts,
	// header names and values, clients, kinds): they repeat on nearly
	// every line, and interning spares an allocation each.
	intern map[string]string
	// headers hands out one map per distinct header object (by its text):
	// the same few headers come on every polling request, and a map is
	// 400 bytes. Observations are read-only once read, as they are once
	// the proxy published them to several consumers, so they may share.
	headers map[string]http.Header
}

// Interned strings are short and their table is bounded: reset when
// full, so a recording of ever-new values cannot grow it.
const (
	maxInternLen = 64
	maxInterned  = 4096
	// A header object's text up to this long is looked up in headers.
	maxSharedHeader = 512
	maxHeaders      = 256
)

// Field indices, for seen.
const (
	fKind = iota
	fTS
	fID
	fConn
	fClient
	fUpstream
	fStart
	fEnd
	fMethod
	fURL
	fHost
	fProto
	fReqHdr
	fReqBody
	fReqEnc
	fReqLen
	fReqTrunc
	fStatus
	fRespHdr
	fRespBody
	fRespEnc
	fRespLen
	fRespTrunc
	fErr
	fErrKind
	fExtensions
	fDir
	fOpcode
	fCompressed
	fWireLen
	fFrames
	fLen
	fData
	fEnc
	fCloseCode
	fCloseText
	fBy
	fCode
	fReason
	fClean
	fUndecodable
	fBytesC2S
	fBytesS2C
	fLeg
	fTLSKind
	fAlert
	fDetail
	fCount
	fWhere
	fActive
	fPacketActive
	fRule
	fAction
	nFields
)

// fieldIndex maps a key to its field; -1 for a key the fast path does not
// take (encoding/json also matches keys case-insensitively).
func fieldIndex(k []byte) int {
	switch string(k) {
	case "kind":
		return fKind
	case "ts":
		return fTS
	case "id":
		return fID
	case "conn":
		return fConn
	case "client":
		return fClient
	case "upstream":
		return fUpstream
	case "start":
		return fStart
	case "end":
		return fEnd
	case "method":
		return fMethod
	case "url":
		return fURL
	case "host":
		return fHost
	case "proto":
		return fProto
	case "req_headers":
		return fReqHdr
	case "req_body":
		return fReqBody
	case "req_enc":
		return fReqEnc
	case "req_len":
		return fReqLen
	case "req_trunc":
		return fReqTrunc
	case "status":
		return fStatus
	case "resp_headers":
		return fRespHdr
	case "resp_body":
		return fRespBody
	case "resp_enc":
		return fRespEnc
	case "resp_len":
		return fRespLen
	case "resp_trunc":
		return fRespTrunc
	case "err":
		return fErr
	case "err_kind":
		return fErrKind
	case "extensions":
		return fExtensions
	case "dir":
		return fDir
	case "opcode":
		return fOpcode
	case "compressed":
		return fCompressed
	case "wire_len":
		return fWireLen
	case "frames":
		return fFrames
	case "len":
		return fLen
	case "data":
		return fData
	case "enc":
		return fEnc
	case "close_code":
		return fCloseCode
	case "close_text":
		return fCloseText
	case "by":
		return fBy
	case "code":
		return fCode
	case "reason":
		return fReason
	case "clean":
		return fClean
	case "undecodable":
		return fUndecodable
	case "bytes_c2s":
		return fBytesC2S
	case "bytes_s2c":
		return fBytesS2C
	case "leg":
		return fLeg
	case "tls_kind":
		return fTLSKind
	case "alert":
		return fAlert
	case "detail":
		return fDetail
	case "count":
		return fCount
	case "where":
		return fWhere
	case "active":
		return fActive
	case "packet_active":
		return fPacketActive
	case "rule":
		return fRule
	case "action":
		return fAction
	}
	return -1
}

// decode turns one line into an observation; ok false means the line is
// not of the Writer's plain shape, or does not convert (an unknown kind, a
// bad base64 body), and must go through encoding/json and fromLine.
func (d *lineDecoder) decode(b []byte) (o obs.Obs, ok bool) {
	d.b, d.pos, d.seen = b, 0, 0
	// On the stack: clearing a line in the heap for every line cost
	// write barriers on its many pointers while the collector runs.
	var l line
	ok = d.object(&l)
	if ok {
		var err error
		o, err = fromLine(&l)
		ok = err == nil
	}
	d.b = nil // keep no reference to the caller's buffer
	return o, ok
}

func (d *lineDecoder) object(l *line) bool {
	d.space()
	if !d.eat('{') {
		return false
	}
	d.space()
	if d.eat('}') {
		return d.end()
	}
	for {
		k, ok := d.key()
		if !ok {
			return false
		}
		f := fieldIndex(k)
		if f < 0 || d.seen&(1<<f) != 0 {
			return false
		}
		d.seen |= 1 << f
		d.space()
		if !d.eat(':') {
			return false
		}
		d.space()
		if !d.field(l, f) {
			return false
		}
		d.space()
		if d.eat(',') {
			d.space()
			continue
		}
		if d.eat('}') {
			return d.end()
		}
		return false
	}
}

// end: only whitespace may follow the object.
func (d *lineDecoder) end() bool {
	d.space()
	return d.pos == len(d.b)
}

func (d *lineDecoder) field(l *line, f int) bool {
	switch f {
	case fKind:
		s, ok := d.str()
		l.Kind = obs.Kind(s)
		return ok
	case fTS:
		return d.time(&l.TS)
	case fStart:
		return d.time(&l.Start)
	case fEnd:
		return d.time(&l.End)
	case fID:
		return d.uint(&l.ID)
	case fConn:
		return d.uint(&l.Conn)
	case fCount:
		return d.uint(&l.Count)
	case fClient:
		return d.strTo(&l.Client)
	case fUpstream:
		return d.strTo(&l.Upstream)
	case fMethod:
		return d.strTo(&l.Method)
	case fURL:
		return d.strTo(&l.URL)
	case fHost:
		return d.strTo(&l.Host)
	case fProto:
		return d.strTo(&l.Proto)
	case fReqEnc:
		return d.strTo(&l.ReqEnc)
	case fRespEnc:
		return d.strTo(&l.RespEnc)
	case fErr:
		return d.strTo(&l.Err)
	case fErrKind:
		return d.strTo(&l.ErrKind)
	case fExtensions:
		return d.strTo(&l.Extensions)
	case fDir:
		return d.strTo(&l.Dir)
	case fEnc:
		return d.strTo(&l.Enc)
	case fCloseText:
		return d.strTo(&l.CloseText)
	case fBy:
		return d.strTo(&l.By)
	case fReason:
		return d.strTo(&l.Reason)
	case fLeg:
		return d.strTo(&l.Leg)
	case fTLSKind:
		return d.strTo(&l.TLSKind)
	case fAlert:
		return d.strTo(&l.Alert)
	case fDetail:
		return d.strTo(&l.Detail)
	case fWhere:
		return d.strTo(&l.Where)
	case fRule:
		return d.strTo(&l.Rule)
	case fAction:
		return d.strTo(&l.Action)
	case fReqLen:
		return d.int64(&l.ReqLen)
	case fRespLen:
		return d.int64(&l.RespLen)
	case fBytesC2S:
		return d.int64(&l.BytesC2S)
	case fBytesS2C:
		return d.int64(&l.BytesS2C)
	case fStatus:
		return d.int(&l.Status)
	case fOpcode:
		return d.int(&l.Opcode)
	case fWireLen:
		return d.int(&l.WireLen)
	case fFrames:
		return d.int(&l.Frames)
	case fCloseCode:
		return d.int(&l.CloseCode)
	case fCode:
		return d.int(&l.Code)
	case fLen:
		l.Len = &d.lenVal
		return d.int(&d.lenVal)
	case fReqTrunc:
		return d.bool(&l.ReqTrunc)
	case fRespTrunc:
		return d.bool(&l.RespTrnc)
	case fCompressed:
		return d.bool(&l.Compressed)
	case fClean:
		return d.bool(&l.Clean)
	case fUndecodable:
		return d.bool(&l.Undecodable)
	case fReqHdr:
		return d.header(&l.ReqHdr)
	case fRespHdr:
		return d.header(&l.RespHdr)
	case fReqBody:
		return d.text(&l.reqText, &d.reqBuf)
	case fRespBody:
		return d.text(&l.respText, &d.respBuf)
	case fData:
		return d.text(&l.dataText, &d.data)
	case fActive:
		var a *obs.Active
		ok := d.nested(&a)
		l.Active = a
		return ok
	case fPacketActive:
		var pa []*obs.Active
		ok := d.nested(&pa)
		l.PacketActive = pa
		return ok
	}
	return false
}

func (d *lineDecoder) space() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *lineDecoder) eat(c byte) bool {
	if d.pos < len(d.b) && d.b[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// key reads an object key without escapes (the Writer's keys have none).
func (d *lineDecoder) key() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	rest := d.b[d.pos:]
	i := bytes.IndexByte(rest, '"')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return nil, false
	}
	d.pos += i + 1
	return rest[:i], true
}

// strBytes reads a string's unescaped bytes: a slice of the line if it has
// no escapes, else of into (grown and reused). ok is false for anything
// encoding/json would read differently or refuse: a control character,
// invalid UTF-8 (which it replaces), an escaped surrogate.
func (d *lineDecoder) strBytes(into *[]byte) ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	rest := d.b[d.pos:]
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return nil, false
	}
	if bytes.IndexByte(rest[:i], '\\') < 0 {
		s := rest[:i]
		if !plainText(s) {
			return nil, false
		}
		d.pos += i + 1
		return s, true
	}
	return d.unescape(into)
}

// plainText: no control characters, valid UTF-8.
func plainText(s []byte) bool {
	ascii := true
	for _, c := range s {
		if c < 0x20 {
			return false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return ascii || utf8.Valid(s)
}

// unescape reads the rest of a string that holds escapes, from d.pos
// (just after the opening quote), into *into.
func (d *lineDecoder) unescape(into *[]byte) ([]byte, bool) {
	out := (*into)[:0]
	b := d.b
	i := d.pos
	start := i
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			out = append(out, b[start:i]...)
			*into = out
			d.pos = i + 1
			return out, utf8.Valid(out)
		case c < 0x20:
			return nil, false
		case c != '\\':
			i++
			continue
		}
		out = append(out, b[start:i]...)
		if i+1 >= len(b) {
			return nil, false
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			out = append(out, shortEscape[e])
			i += 2
		case 'u':
			r, ok := hex4(b[i+2:])
			if !ok || utf16.IsSurrogate(r) {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
			i += 6
		default:
			return nil, false
		}
		start = i
	}
	return nil, false
}

// shortEscape maps the letter after a backslash to the byte it stands for.
var shortEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// str reads a string as a Go string, interning short ones.
func (d *lineDecoder) str() (string, bool) {
	s, ok := d.strBytes(&d.scratch)
	if !ok {
		return "", false
	}
	return d.string(s), true
}

func (d *lineDecoder) strTo(dst *string) bool {
	s, ok := d.str()
	*dst = s
	return ok
}

func (d *lineDecoder) string(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > maxInternLen {
		return string(s)
	}
	if v, ok := d.intern[string(s)]; ok {
		return v
	}
	if d.intern == nil || len(d.intern) >= maxInterned {
		d.intern = make(map[string]string, 256)
	}
	v := string(s)
	d.intern[v] = v
	return v
}

// text reads a body or payload: its unescaped bytes, which fromLine
// decodes (utf8 or base64) into the observation's own copy. The bytes
// alias the line or buf, so they are only valid until the next line.
func (d *lineDecoder) text(dst *[]byte, buf *[]byte) bool {
	s, ok := d.strBytes(buf)
	if s == nil && ok {
		s = []byte{} // present and empty: not "no body"
	}
	*dst = s
	return ok
}

// time reads an RFC 3339 string with time.Time's own JSON decoding, as
// encoding/json does.
func (d *lineDecoder) time(dst *time.Time) bool {
	start := d.pos
	if !d.eat('"') {
		return false
	}
	i := bytes.IndexByte(d.b[d.pos:], '"')
	if i < 0 {
		return false
	}
	d.pos += i + 1
	return dst.UnmarshalJSON(d.b[start:d.pos]) == nil
}

// digits reads a JSON integer: its magnitude and sign. No leading zeros,
// no fraction or exponent (those go to encoding/json), and ok is false
// if the magnitude overflows uint64.
func (d *lineDecoder) digits() (v uint64, neg, ok bool) {
	neg = d.eat('-')
	start := d.pos
	for d.pos < len(d.b) && '0' <= d.b[d.pos] && d.b[d.pos] <= '9' {
		c := uint64(d.b[d.pos] - '0')
		if v > (math.MaxUint64-c)/10 {
			return 0, neg, false
		}
		v = v*10 + c
		d.pos++
	}
	n := d.pos - start
	if n == 0 || (n > 1 && d.b[start] == '0') {
		return 0, neg, false
	}
	if d.pos < len(d.b) {
		switch d.b[d.pos] {
		case '.', 'e', 'E':
			return 0, neg, false
		}
	}
	return v, neg, true
}

// signed reads an integer that fits in [lo, hi].
func (d *lineDecoder) signed(lo, hi int64) (int64, bool) {
	v, neg, ok := d.digits()
	switch {
	case !ok:
		return 0, false
	case neg && v <= uint64(-(lo+1))+1:
		return -int64(v-1) - 1, true
	case !neg && v <= uint64(hi):
		return int64(v), true
	}
	return 0, false
}

func (d *lineDecoder) int64(dst *int64) bool {
	v, ok := d.signed(math.MinInt64, math.MaxInt64)
	*dst = v
	return ok
}

func (d *lineDecoder) int(dst *int) bool {
	v, ok := d.signed(math.MinInt, math.MaxInt)
	*dst = int(v)
	return ok
}

func (d *lineDecoder) uint(dst *uint64) bool {
	v, neg, ok := d.digits()
	*dst = v
	return ok && !neg
}

func (d *lineDecoder) bool(dst *bool) bool {
	rest := d.b[d.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		*dst = true
		d.pos += 4
	case bytes.HasPrefix(rest, []byte("false")):
		*dst = false
		d.pos += 5
	default:
		return false
	}
	return true
}

// header reads {"Name":["value",…],…} into a fresh map, all its values in
// one backing array.
func (d *lineDecoder) header(dst *http.Header) bool {
	start := d.pos
	if !d.eat('{') {
		return false
	}
	// Seen before: the same text means the same map. Its end is the
	// first '}' after the last ']': names and values never hold one
	// unescaped in the Writer's output, and a guess that is too short
	// simply finds nothing.
	if end := bytes.Index(d.b[start:min(len(d.b), start+maxSharedHeader)], []byte("]}")); end >= 0 {
		if h, ok := d.headers[string(d.b[start:start+end+2])]; ok {
			d.pos = start + end + 2
			*dst = h
			return true
		}
	} else if bytes.HasPrefix(d.b[start:], []byte("{}")) {
		d.pos = start + 2
		*dst = http.Header{}
		return true
	}
	d.vals, d.hdrIdx = d.vals[:0], d.hdrIdx[:0]
	d.space()
	if !d.eat('}') {
		for {
			k, ok := d.str()
			if !ok {
				return false
			}
			d.space()
			if !d.eat(':') {
				return false
			}
			d.space()
			d.vals = append(d.vals, k) // the name, then its values
			d.hdrIdx = append(d.hdrIdx, len(d.vals))
			if bytes.HasPrefix(d.b[d.pos:], []byte("null")) {
				// A nil list, which the Writer writes as null.
				d.pos += 4
				d.hdrIdx[len(d.hdrIdx)-1] = -len(d.vals)
			} else if !d.eat('[') {
				return false
			} else if d.space(); !d.eat(']') {
				for {
					v, ok := d.str()
					if !ok {
						return false
					}
					d.vals = append(d.vals, v)
					d.space()
					if d.eat(']') {
						break
					}
					if !d.eat(',') {
						return false
					}
					d.space()
				}
			}
			d.hdrIdx = append(d.hdrIdx, len(d.vals))
			d.space()
			if d.eat('}') {
				break
			}
			if !d.eat(',') {
				return false
			}
			d.space()
		}
	}
	n := len(d.hdrIdx) / 2
	h := make(http.Header, n)
	backing := make([]string, len(d.vals)-n)
	j := 0
	for i := 0; i < len(d.hdrIdx); i += 2 {
		from, to := d.hdrIdx[i], d.hdrIdx[i+1]
		if from < 0 { // null
			h[d.vals[-from-1]] = nil
			continue
		}
		name := d.vals[from-1]
		k := copy(backing[j:], d.vals[from:to])
		h[name] = backing[j : j+k : j+k]
		j += k
	}
	clear(d.vals) // the strings belong to the observation now
	*dst = h
	if raw := d.b[start:d.pos]; len(raw) <= maxSharedHeader && len(h) > 0 {
		if d.headers == nil || len(d.headers) >= maxHeaders {
			d.headers = make(map[string]http.Header, 64)
		}
		d.headers[string(raw)] = h
	}
	return true
}

// nested hands an object or array value (the active layer's marks, rare)
// to encoding/json, as part of the line it would have read it the same
// way. Its extent is found by matching brackets outside strings;
// encoding/json checks the rest of its syntax.
func (d *lineDecoder) nested(dst any) bool {
	start := d.pos
	if d.pos >= len(d.b) || (d.b[d.pos] != '{' && d.b[d.pos] != '[') {
		return false
	}
	depth := 0
	for d.pos < len(d.b) {
		switch c := d.b[d.pos]; c {
		case '"':
			d.pos++
			for d.pos < len(d.b) && d.b[d.pos] != '"' {
				if d.b[d.pos] == '\\' {
					d.pos++
				}
				d.pos++
			}
		case '{', '[':
			depth++
			if depth > 64 {
				return false
			}
		case '}', ']':
			depth--
		}
		d.pos++
		if depth == 0 {
			return json.Unmarshal(d.b[start:d.pos], dst) == nil
		}
	}
	return false
}
