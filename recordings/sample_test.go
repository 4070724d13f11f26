package recordings

import (
	"bytes"
	"compress/gzip"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func sampleHeader() Header {
	return Header{Mode: "reverse", Target: "http://localhost:3000", Started: t0, Version: "test"}
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// sampleSession is a Socket.IO v4 session: polling handshake, CONNECT with
// auth, upgrade to WebSocket, events both ways, a binary message, close;
// plus a failed request, a TLS problem and a drop marker. Times increase so
// that every format keeps the order.
func sampleSession() []obs.Obs {
	big := gz(`42["big","` + string(bytes.Repeat([]byte("x"), 2000)) + `"]`)
	plus2 := time.FixedZone("", 2*3600)
	return []obs.Obs{
		{Kind: obs.KindHTTP, Time: at(12), HTTP: &obs.HTTPExchange{
			ID: 1, Client: "127.0.0.1:50000", Upstream: "http://localhost:3000", Start: at(10), End: at(12),
			Method: "GET", URL: "/socket.io/?EIO=4&transport=polling&t=PQx1", Host: "localhost:8080", Proto: "HTTP/1.1",
			ReqHeader: http.Header{"Accept": {"*/*"}, "Cookie": {"session=s3cr3t"}},
			ReqLen:    0,
			Status:    200,
			RespHeader: http.Header{"Content-Type": {"text/plain; charset=UTF-8"},
				"Set-Cookie": {"io=abc; Path=/", "lb=node2; Path=/"}},
			RespBody: []byte(`0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`),
			RespLen:  114,
		}},
		{Kind: obs.KindHTTP, Time: at(20).In(plus2), HTTP: &obs.HTTPExchange{
			ID: 2, Client: "127.0.0.1:50000", Upstream: "http://localhost:3000", Start: at(15).In(plus2), End: at(20).In(plus2),
			Method: "POST", URL: "/socket.io/?EIO=4&transport=polling&t=PQx2&sid=lv_VI97HAXpY6yYWAAAC", Host: "localhost:8080", Proto: "HTTP/1.1",
			ReqHeader: http.Header{"Content-Type": {"text/plain;charset=UTF-8"}, "Authorization": {"Bearer xyz"}},
			ReqBody:   []byte(`40{"token":"abc"}`), ReqLen: 17,
			Status: 200, RespHeader: http.Header{"Content-Type": {"text/html"}}, RespBody: []byte("ok"), RespLen: 2,
		}},
		{Kind: obs.KindHTTP, Time: at(30), HTTP: &obs.HTTPExchange{
			ID: 3, Client: "127.0.0.1:50001", Upstream: "http://localhost:3000", Start: at(21), End: at(30),
			Method: "GET", URL: "/socket.io/?EIO=4&transport=polling&t=PQx3&sid=lv_VI97HAXpY6yYWAAAC", Host: "localhost:8080", Proto: "HTTP/1.1",
			ReqHeader: http.Header{},
			Status:    200, RespHeader: http.Header{"Content-Type": {"text/plain; charset=UTF-8"}, "Content-Encoding": {"gzip"}},
			RespBody: big, RespLen: int64(len(big)),
		}},
		{Kind: obs.KindHTTP, Time: at(31), HTTP: &obs.HTTPExchange{
			ID: 4, Client: "127.0.0.1:50001", Upstream: "http://localhost:3000", Start: at(31), End: at(31),
			Method: "POST", URL: "/socket.io/?EIO=3&transport=polling&sid=x", Host: "localhost:8080", Proto: "HTTP/1.1",
			ReqHeader: http.Header{"Content-Type": {"application/octet-stream"}},
			ReqBody:   []byte{0x01, 0x04, 0xff, 0x04, 0x00, 0xfe, 0x80}, ReqLen: 4096, ReqTrunc: true,
			Err: "dial tcp 127.0.0.1:3000: connect: connection refused", ErrKind: "dial",
		}},
		{Kind: obs.KindWSOpen, Time: at(40), WSOpen: &obs.WSOpen{
			Conn: 5, Client: "127.0.0.1:50002", Upstream: "http://localhost:3000", Start: at(35),
			URL: "/socket.io/?EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC", Host: "localhost:8080",
			ReqHeader:  http.Header{"Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}, "Cookie": {"a=1"}},
			RespHeader: http.Header{"Upgrade": {"websocket"}, "Sec-Websocket-Extensions": {"permessage-deflate"}},
			Status:     101, Extensions: "permessage-deflate",
		}},
		wsMsg(41, 5, decode.C2S, 1, "2probe"),
		wsMsg(42, 5, decode.S2C, 1, "3probe"),
		wsMsg(43, 5, decode.C2S, 1, "5"),
		func() obs.Obs {
			o := wsMsg(50, 5, decode.C2S, 1, `42["chat","héllo"]`)
			o.WSMsg.Compressed, o.WSMsg.WireLen = true, 22
			return o
		}(),
		wsMsg(51, 5, decode.S2C, 1, `451-["file",{"_placeholder":true,"num":0}]`),
		wsMsg(52, 5, decode.S2C, 2, "\x00\x01\x02\xff"),
		func() obs.Obs {
			o := wsMsg(53, 5, decode.C2S, 1, "42[\"bad\xff\"]")
			o.WSMsg.Err = "invalid UTF-8 in text message"
			o.WSMsg.Frames = 3
			return o
		}(),
		wsMsg(60, 5, decode.S2C, 9, ""),
		wsMsg(61, 5, decode.C2S, 10, ""),
		func() obs.Obs {
			o := wsMsg(70, 5, decode.C2S, 8, "\x03\xe8bye")
			o.WSMsg.CloseCode, o.WSMsg.CloseText = 1000, "bye"
			return o
		}(),
		{Kind: obs.KindTLS, Time: at(75), TLS: &obs.TLSEvent{Leg: "client", Client: "127.0.0.1:50003", Host: "localhost", Kind: "plain_http", Detail: "client spoke HTTP to the TLS port"}},
		{Kind: obs.KindWSClose, Time: at(80), WSClose: &obs.WSClose{Conn: 5, By: "client", Code: 1000, Reason: "bye", Clean: true, BytesC2S: 120, BytesS2C: 80}},
		{Kind: obs.KindDrop, Time: at(90), Drop: &obs.Drop{Count: 3, Where: "recorder"}},
	}
}

func wsMsg(ms int, conn uint64, dir decode.Dir, op byte, data string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSMsg, Time: at(ms), WSMsg: &obs.WSMessage{
		Conn: conn, Dir: dir, Opcode: op, Data: []byte(data), WireLen: len(data) + 6, Frames: 1}}
}

// normTime makes times comparable with DeepEqual: same instant, same
// representation.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

func emptyToNil(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	return h
}

// norm returns a copy of o with normalised times; loose also treats nil and
// empty headers and bodies alike (HAR cannot tell them apart).
func norm(o obs.Obs, loose bool) obs.Obs {
	o.Time = normTime(o.Time)
	b := func(x []byte) []byte {
		if loose && len(x) == 0 {
			return nil
		}
		return x
	}
	h := func(x http.Header) http.Header {
		if loose {
			return emptyToNil(x)
		}
		return x
	}
	switch {
	case o.HTTP != nil:
		x := *o.HTTP
		x.Start, x.End = normTime(x.Start), normTime(x.End)
		x.ReqHeader, x.RespHeader = h(x.ReqHeader), h(x.RespHeader)
		x.ReqBody, x.RespBody = b(x.ReqBody), b(x.RespBody)
		o.HTTP = &x
	case o.WSOpen != nil:
		x := *o.WSOpen
		x.Start = normTime(x.Start)
		x.ReqHeader, x.RespHeader = h(x.ReqHeader), h(x.RespHeader)
		o.WSOpen = &x
	case o.WSMsg != nil:
		x := *o.WSMsg
		if len(x.Data) == 0 {
			x.Data = nil
		}
		o.WSMsg = &x
	}
	return o
}

func assertObsEqual(t *testing.T, want, got []obs.Obs, loose bool) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("got %d observations, want %d", len(got), len(want))
	}
	for i := 0; i < len(want) && i < len(got); i++ {
		w, g := norm(want[i], loose), norm(got[i], loose)
		if !reflect.DeepEqual(w, g) {
			t.Errorf("observation %d (%s) differs:\n got %s\nwant %s", i, want[i].Kind, dump(g), dump(w))
		}
	}
}

func dump(o obs.Obs) string {
	b, err := marshalLine(o)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func readAll(t testing.TB, r *Reader) []obs.Obs {
	t.Helper()
	var out []obs.Obs
	for {
		o, err := r.Next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("Next after %d observations: %v", len(out), err)
			}
			return out
		}
		out = append(out, o)
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from golden file (run with -update if intended)\n--- got ---\n%s", path, got)
	}
}
