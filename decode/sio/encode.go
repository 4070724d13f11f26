package sio

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// Encode writes p in the default parser's text form,
// <type>[<attachments>-][<nsp>,][<id>][<data>], and returns the attachments
// to send after it. For BINARY types the count is len(p.Buffers), or
// p.Attachments when Buffers is nil.
func Encode(p Packet) (text []byte, attachments [][]byte) {
	buf := make([]byte, 0, 8+len(p.Nsp)+len(p.Query)+len(p.Data))
	return appendPacket(buf, p), p.Buffers
}

func appendPacket(buf []byte, p Packet) []byte {
	buf = append(buf, '0'+byte(p.Type))
	if p.Type.IsBinary() {
		n := p.Attachments
		if p.Buffers != nil {
			n = len(p.Buffers)
		}
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, '-')
	}
	if (p.Nsp != "" && p.Nsp != "/") || p.Query != "" {
		nsp := p.Nsp
		if nsp == "" {
			nsp = "/"
		}
		buf = append(buf, nsp...)
		if p.Query != "" {
			buf = append(buf, '?')
			buf = append(buf, p.Query...)
		}
		buf = append(buf, ',')
	}
	if p.HasID {
		buf = strconv.AppendInt(buf, p.ID, 10)
	}
	return append(buf, p.Data...)
}

// EncodeEvent encodes an EVENT emitting args, as socket.io would: every
// []byte among them (inside []any and map[string]any too) becomes a
// placeholder numbered depth-first and the packet a BINARY_EVENT.
// json.RawMessage is written as is; other values go through encoding/json.
func EncodeEvent(nsp string, id *int64, args ...any) (text []byte, attachments [][]byte) {
	p := Packet{Type: Event, Nsp: nsp}
	if id != nil {
		p.ID, p.HasID = *id, true
	}
	return encodeArgs(p, args)
}

// EncodeAck encodes the ACK answering id with args (BINARY_ACK with
// []byte args).
func EncodeAck(nsp string, id int64, args ...any) (text []byte, attachments [][]byte) {
	return encodeArgs(Packet{Type: Ack, Nsp: nsp, ID: id, HasID: true}, args)
}

func encodeArgs(p Packet, args []any) ([]byte, [][]byte) {
	var bufs [][]byte
	data := appendJSON(nil, args, &bufs, 0)
	p.Data = data
	if len(bufs) > 0 {
		p.Type += BinaryEvent - Event
		p.Buffers = bufs
	}
	return Encode(p)
}

// appendJSON writes v as JSON.stringify would, diverting []byte to bufs.
func appendJSON(dst []byte, v any, bufs *[][]byte, depth int) []byte {
	if depth > 1000 { // a cyclic or absurd value; JSON.stringify throws
		return append(dst, "null"...)
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case json.RawMessage:
		if len(x) == 0 {
			return append(dst, "null"...)
		}
		return append(dst, x...)
	case []byte:
		dst = append(dst, `{"_placeholder":true,"num":`...)
		dst = strconv.AppendInt(dst, int64(len(*bufs)), 10)
		*bufs = append(*bufs, x)
		return append(dst, '}')
	case string:
		return appendQuote(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return appendJSFloat(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e, bufs, depth+1)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendQuote(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, x[k], bufs, depth+1)
		}
		return append(dst, '}')
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // JSON.stringify does not escape <, >, &
	if err := enc.Encode(v); err != nil {
		return append(dst, "null"...)
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}
