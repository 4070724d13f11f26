package sio

import (
	"encoding/base64"
	"math"
	"strconv"

	"github.com/sioproxy/sioproxy/decode"
)

// jsKind names what notepack's decoded value is to JavaScript, for the
// msgpack parser's checks.
func jsKind(h mpHead) string {
	switch h.kind {
	case mpNil, mpMap, mpBin:
		return "object"
	case mpArray:
		return "array"
	case mpStr:
		return "string"
	case mpBool:
		return "boolean"
	case mpInt, mpUint, mpFloat:
		return "number"
	case mpExt:
		switch {
		case h.isUndefined():
			return "undefined"
		case h.i == 0: // Date or ArrayBuffer
			return "object"
		case h.i == 1 && !h.fix:
			return "bigint"
		}
		return "array"
	}
	return "invalid"
}

// mpInteger returns h as an integer when JavaScript's Number.isInteger
// would accept it.
func mpInteger(h mpHead) (int64, bool) {
	switch h.kind {
	case mpInt:
		return h.i, true
	case mpUint:
		return int64(min(h.u, math.MaxInt64)), true
	case mpFloat:
		if h.f == math.Trunc(h.f) && !math.IsInf(h.f, 0) && math.Abs(h.f) < 1<<63 {
			return int64(h.f), true
		}
	}
	return 0, false
}

func mpErr(off int, format string, args ...any) *decode.Error {
	return decode.Errorf("msgpack", off, format, args...)
}

// mpTopMap reads the top-level map's members named type, nsp, data and id.
type mpFields struct {
	typ, nsp, data, id mpHead
	has                [4]bool
}

func readTop(b []byte) (mpFields, *mpError, bool) {
	var f mpFields
	r := mpReader{b: b}
	h := r.head()
	if r.err != nil {
		return f, r.err, false
	}
	if h.kind != mpMap {
		return f, nil, false
	}
	for i := uint64(0); i < h.n && r.err == nil; i++ {
		k := r.head()
		if k.kind != mpStr {
			r.skip(k, 1)
			r.skip(r.head(), 1)
			continue
		}
		v := r.head()
		if r.err != nil {
			break
		}
		switch string(k.raw) { // last member wins, as in a JS object
		case "type":
			f.typ, f.has[0] = v, true
		case "nsp":
			f.nsp, f.has[1] = v, true
		case "data":
			f.data, f.has[2] = v, true
		case "id":
			f.id, f.has[3] = v, true
		}
		r.skip(v, 1)
	}
	if r.err == nil && r.pos != len(b) {
		r.fail(r.pos, strconv.Itoa(len(b)-r.pos)+" trailing bytes")
	}
	return f, r.err, true
}

// LooksLikeMsgpack reports whether b is a msgpack map with "type" and
// "nsp" members, the shape of every socket.io-msgpack-parser packet.
func LooksLikeMsgpack(b []byte) bool {
	if len(b) == 0 || !(b[0]&0xf0 == 0x80 || b[0] == 0xde || b[0] == 0xdf) {
		return false
	}
	f, err, isMap := readTop(b)
	return err == nil && isMap && f.has[0] && f.has[1]
}

// DecodeMsgpack decodes one socket.io-msgpack-parser packet and checks it as
// that parser does. Data becomes JSON (see mpReader.toJSON); buffers stay
// inline as {"_binary":"<base64>"} and Buffers is nil.
func DecodeMsgpack(b []byte) (Packet, error) {
	p := Packet{Nsp: "/", Msgpack: true}
	f, merr, isMap := readTop(b)
	if merr != nil {
		return p, mpErr(merr.off, "invalid msgpack: %s", merr.msg)
	}
	if !isMap {
		return p, mpErr(0, "invalid packet type: the packet is not a map")
	}
	t, ok := mpInteger(f.typ)
	if !f.has[0] || !ok || t < int64(Connect) || t > int64(ConnectError) {
		return p, mpErr(f.typ.start, "invalid packet type: type is %s", mpDescribe(f.typ, f.has[0]))
	}
	p.Type = PacketType(t)
	if !f.has[1] || f.nsp.kind != mpStr {
		return p, mpErr(f.nsp.start, "invalid namespace: nsp is %s", mpDescribe(f.nsp, f.has[1]))
	}
	p.Nsp = string(f.nsp.raw)
	kind := "undefined"
	if f.has[2] {
		kind = jsKind(f.data)
	}
	if !mpDataSuits(p.Type, kind) {
		return p, mpErr(f.data.start, "%s: %s data is %s", MsgInvalidPayload, p.Type, kind)
	}
	if f.has[3] && !f.id.isUndefined() {
		id, ok := mpInteger(f.id)
		if !ok {
			return p, mpErr(f.id.start, "invalid packet id: id is %s", mpDescribe(f.id, true))
		}
		p.ID, p.HasID = id, true
		if f.id.kind == mpUint {
			p.ID, p.IDUnsigned = int64(f.id.u), true
		}
	}
	if kind != "undefined" {
		r := mpReader{b: b, pos: f.data.start}
		// Sized for short strings and small numbers, which dominate events.
		p.Data = r.toJSON(make([]byte, 0, 2*(len(b)-f.data.start)+8), r.head(), 1)
		if r.err != nil { // unreachable: readTop walked the same bytes
			return p, mpErr(r.err.off, "invalid msgpack: %s", r.err.msg)
		}
		// toJSON writes no whitespace outside strings and nests at most
		// maxMsgpackDepth; FuzzMsgpack checks the JSON is valid.
		p.Compact = true
	}
	return p, nil
}

// mpDataSuits is socket.io-msgpack-parser's check of data (by its
// JavaScript typeof-style kind) against the packet type.
func mpDataSuits(t PacketType, kind string) bool {
	switch t {
	case Connect:
		return kind == "undefined" || kind == "object" || kind == "array"
	case Disconnect:
		return kind == "undefined"
	case ConnectError:
		return kind == "string"
	}
	return kind == "array"
}

// jsonKind is the kind of JSON data as it will be encoded: null is a
// JavaScript object, as msgpack nil decodes to null.
func jsonKind(data []byte) string {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', 'n':
			return "object"
		case '[':
			return "array"
		case '"':
			return "string"
		case 't', 'f':
			return "boolean"
		}
		return "number"
	}
	return "undefined"
}

func mpDescribe(h mpHead, present bool) string {
	if !present {
		return "missing"
	}
	k := jsKind(h)
	if k == "number" {
		r := mpReader{}
		return "the number " + string(r.toJSON(nil, h, 0))
	}
	if k == "string" {
		return "the string " + strconv.Quote(string(clip(h.raw)))
	}
	return "a value of type " + k
}

// EncodeMsgpack encodes p as socket.io-msgpack-parser does, with the map
// members in the order type, nsp, data, id. BINARY types become EVENT/ACK and
// their placeholders, like {"_binary":"<base64>"} objects, become bin values.
// An empty Nsp is the main namespace "/", as in Encode; DecodeMsgpack keeps
// an explicit "" from the wire, so that one value does not round-trip.
// Data that does not suit the type (see mpDataSuits) is an error.
func EncodeMsgpack(p Packet) ([]byte, error) {
	w := mpWriter{}
	n := 2
	if p.Data != nil {
		n++
	}
	if p.HasID {
		n++
	}
	t := p.Type
	switch t {
	case BinaryEvent:
		t = Event
	case BinaryAck:
		t = Ack
	}
	// The JSON view is lossy where JSON.stringify is: a CONNECT whose data
	// was a msgpack Date reads as a string, which the parser refuses.
	// Refuse it here, so that what this writes always decodes.
	if k := jsonKind(p.Data); !mpDataSuits(t, k) {
		return nil, mpErr(0, "%s: %s data is %s", MsgInvalidPayload, p.Type, k)
	}
	w.mapHead(n)
	w.str("type")
	w.int(int64(t))
	w.str("nsp")
	nsp := p.Nsp
	if nsp == "" {
		nsp = "/"
	}
	w.str(nsp)
	if p.Data != nil {
		w.str("data")
		l := newLexer(p.Data)
		if err := jsonToMsgpack(&w, &l, p.Data, l.next(), p.Buffers, 0); err != nil {
			return nil, err
		}
		if t := l.next(); t.kind != tkEOF {
			return nil, mpErr(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
		}
	}
	if p.HasID {
		w.str("id")
		if p.IDUnsigned {
			w.uint(uint64(p.ID))
		} else {
			w.int(p.ID)
		}
	}
	return w.b, nil
}

func jsonToMsgpack(w *mpWriter, l *lexer, data []byte, t token, bufs [][]byte, depth int) error {
	if depth > maxMsgpackDepth {
		return mpErr(t.start, "nesting deeper than %d", maxMsgpackDepth)
	}
	raw := data[t.start:t.end]
	switch t.kind {
	case tkError:
		return mpErr(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
	case tkNull:
		w.nil()
	case tkTrue, tkFalse:
		w.bool(t.kind == tkTrue)
	case tkString:
		w.str(unquote(raw))
	case tkNumber:
		numberToMsgpack(w, raw)
	case tkBeginArr:
		child := mpWriter{}
		n := 0
		for {
			e := l.next()
			if e.kind == tkEndArr {
				break
			}
			if err := jsonToMsgpack(&child, l, data, e, bufs, depth+1); err != nil {
				return err
			}
			n++
		}
		w.arrayHead(n)
		w.b = append(w.b, child.b...)
	case tkBeginObj:
		child := mpWriter{}
		n := 0
		isPH := false
		var num, bin token
		for {
			k := l.next()
			if k.kind == tkEndObj {
				break
			}
			if k.kind == tkError {
				return mpErr(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
			}
			key := unquote(data[k.start:k.end])
			child.str(key)
			v := l.next()
			switch key {
			case "_placeholder":
				isPH = v.kind == tkTrue
			case "num":
				num = v
			case "_binary":
				bin = v
			}
			if err := jsonToMsgpack(&child, l, data, v, bufs, depth+1); err != nil {
				return err
			}
			n++
		}
		if isPH {
			if i := placeholderNum(data, num); i >= 0 && i < len(bufs) {
				w.bin(bufs[i])
				return nil
			}
		}
		if n == 1 && bin.kind == tkString {
			if b, err := base64.StdEncoding.DecodeString(unquote(data[bin.start:bin.end])); err == nil {
				w.bin(b)
				return nil
			}
		}
		w.mapHead(n)
		w.b = append(w.b, child.b...)
	default:
		return mpErr(t.start, "%s: unexpected token", MsgInvalidPayload)
	}
	return nil
}

// numberToMsgpack encodes a JSON number as notepack encodes the JavaScript
// number: integers in the smallest int format, anything else as float 64.
// Integers beyond 2^53 keep their digits (JavaScript would round them).
func numberToMsgpack(w *mpWriter, raw []byte) {
	s := string(raw)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		w.int(i)
		return
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		w.uint(u)
		return
	}
	f, _ := strconv.ParseFloat(s, 64)
	switch {
	case f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 && !math.IsInf(f, 0):
		w.int(int64(f))
	case f == math.Trunc(f) && f >= 0 && f < 1<<64:
		w.uint(uint64(f))
	default:
		w.float(f)
	}
}
