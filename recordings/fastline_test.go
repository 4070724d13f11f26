package recordings

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// sameAsJSON checks the fast decoder against encoding/json on one line:
// whatever the fast path accepts, encoding/json must read to the same
// observation. It reports whether the fast path took the line.
func sameAsJSON(t testing.TB, d *lineDecoder, b []byte) bool {
	t.Helper()
	fast, ok := d.decode(b)
	if !ok {
		return false
	}
	ref, err := decodeLineJSON(b)
	if err != nil {
		t.Fatalf("fast decoder accepted a line encoding/json refuses (%v):\n%q", err, b)
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("fast decoder and encoding/json disagree on\n%q\nfast: %s\njson: %s", b, dumpObs(fast), dumpObs(ref))
	}
	return true
}

func dumpObs(o obs.Obs) string {
	b, err := marshalLine(o)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// goldenRecordings are the native recordings kept in testdata across the
// repository: the writer's output of every kind, HAR imports with zone
// offsets, the replay command's golden input.
var goldenRecordings = []string{
	"testdata/session.jsonl",
	"testdata/chrome.har.jsonl",
	"testdata/firefox.har.jsonl",
	"testdata/httptoolkit.har.jsonl",
	"../cmd/sioproxy/testdata/replay.jsonl",
}

// Every observation line of the golden recordings takes the fast path and
// reads exactly as encoding/json reads it.
func TestLineDecoderGolden(t *testing.T) {
	for _, name := range goldenRecordings {
		t.Run(filepath.Base(name), func(t *testing.T) {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, MaxLine)
			var d lineDecoder
			n := 0
			for sc.Scan() {
				n++
				if n == 1 {
					continue // the header
				}
				if !sameAsJSON(t, &d, sc.Bytes()) {
					t.Errorf("line %d left to encoding/json: %s", n, sc.Text())
				}
			}
			if n < 5 {
				t.Fatalf("only %d lines in %s", n, name)
			}
		})
	}
}

// What the writer writes, of every kind and with awkward strings, takes
// the fast path and comes back as it was written.
func TestLineDecoderRoundTrip(t *testing.T) {
	var os []obs.Obs
	os = append(os, sampleSession()...)
	for i := range 200 {
		os = append(os, synthetic(i))
	}
	zone := time.FixedZone("", -(3*3600 + 30*60))
	awkward := "quote \" backslash \\ nl \n tab \t nul \x00 esc \x1b rs \x1e ls \u2028 ps \u2029 é 漢 😀 <&> / \x7f"
	os = append(os,
		obs.Obs{Kind: obs.KindWSMsg, Time: t0.In(zone), WSMsg: &obs.WSMessage{Conn: 7, Dir: decode.S2C, Opcode: 1, Data: []byte(awkward),
			CloseText: awkward, Err: "bad \xff utf-8", Active: &obs.Active{Rules: []string{"drop-pongs"}, Original: []byte{0, 1, 2}, Injected: true, Note: awkward}}},
		obs.Obs{Kind: obs.KindWSMsg, Time: t0, WSMsg: &obs.WSMessage{Conn: 7, Dir: decode.C2S, Opcode: 2, Data: []byte{0xff, 0xfe, 0, '"'}}},
		obs.Obs{Kind: obs.KindWSMsg, Time: t0, WSMsg: &obs.WSMessage{Conn: 7, Dir: decode.C2S, Opcode: 1, Data: []byte{}}},
		obs.Obs{Kind: obs.KindHTTP, Time: t0, HTTP: &obs.HTTPExchange{ID: 1<<63 + 5, Method: "GET", URL: "/x?" + awkward,
			ReqHeader: map[string][]string{awkward: {awkward, ""}, "Empty": {}, "X": {"1", "2", "3"}}, RespHeader: map[string][]string{},
			ReqBody: []byte{}, RespBody: []byte{0x80, 0x81}, ReqLen: -1, Status: 599, RespLen: 1 << 40,
			Active: &obs.Active{Dropped: true}, PacketActive: []*obs.Active{nil, {Rules: []string{"a", "b"}}}}},
		obs.Obs{Kind: obs.KindHTTPStart, Time: t0, HTTP: &obs.HTTPExchange{ID: 2, Method: "POST", URL: "/"}},
		obs.Obs{Kind: obs.KindInject, Time: t0, Inject: &obs.Inject{Rule: "cut-ws=c2s/2", Action: "cut", Conn: 3, Dir: decode.S2C, Detail: awkward}},
		obs.Obs{Kind: obs.KindTLS, Time: t0, TLS: &obs.TLSEvent{Leg: "client", Kind: "alert", Alert: "bad certificate", Detail: awkward}},
		obs.Obs{Kind: obs.KindDrop, Drop: &obs.Drop{Count: 1<<64 - 1, Where: "recording"}},
		obs.Obs{Kind: obs.KindWSClose, Time: t0, WSClose: &obs.WSClose{Conn: 9, By: "server", Code: 4000, Reason: awkward, Undecodable: true, BytesC2S: 1 << 50}},
	)
	var d lineDecoder
	for i, o := range os {
		b, err := marshalLine(o)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		if !sameAsJSON(t, &d, b) {
			t.Fatalf("observation %d left to encoding/json: %s", i, b)
		}
	}
}

// Equal header objects on different lines share one map; different ones
// never do, even when one's text begins like another's.
func TestLineDecoderSharedHeaders(t *testing.T) {
	lines := []string{
		`{"kind":"http","req_headers":{"A":["x"]},"resp_headers":{"A":["x"],"B":["]}"]}}`,
		`{"kind":"http","req_headers":{"A":["x"],"B":["]}"]},"resp_headers":{"A":["x"]}}`,
		`{"kind":"http","req_headers":{"A":["x"]} ,"resp_headers":{"A":["x"],"B":["]}"],"C":null}}`,
		`{"kind":"http","req_headers":{},"resp_headers":{"A":["x"],"B":["]}"]}}`,
	}
	var d lineDecoder
	var got []obs.Obs
	for _, l := range lines {
		if !sameAsJSON(t, &d, []byte(l)) {
			t.Fatalf("left to encoding/json: %s", l)
		}
		o, _ := d.decode([]byte(l))
		got = append(got, o)
	}
	same := func(a, b http.Header) bool {
		return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
	}
	if !same(got[0].HTTP.ReqHeader, got[1].HTTP.RespHeader) || !same(got[0].HTTP.ReqHeader, got[2].HTTP.ReqHeader) {
		t.Error(`{"A":["x"]} was not shared`)
	}
	if same(got[0].HTTP.RespHeader, got[2].HTTP.RespHeader) || same(got[0].HTTP.ReqHeader, got[0].HTTP.RespHeader) {
		t.Error("different headers share a map")
	}
}

// Lines of another shape are left to encoding/json, so that the reader
// accepts and refuses exactly what it did, with the same errors.
func TestLineDecoderLeavesOtherShapes(t *testing.T) {
	tests := []struct {
		name, line string
		fast       bool
	}{
		{"writer's shape", `{"kind":"ws.msg","conn":1,"dir":"c2s","ts":"2025-01-01T00:00:00Z","opcode":1,"compressed":false,"wire_len":8,"frames":1,"len":2,"data":"42","enc":"utf8"}`, true},
		{"spaces everywhere", " { \"kind\" : \"drop\" ,\t\"count\" : 3 } \r", true},
		{"empty header and body", `{"kind":"http","id":1,"method":"GET","url":"/","req_headers":{},"req_body":"","req_len":0,"status":200,"resp_len":0}`, true},
		{"escapes", `{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"data":"\"\\\/\b\f\n\r\t\u00e9\u001e","enc":"utf8"}`, true},
		{"key in another case", `{"Kind":"drop","count":3}`, false},
		{"unknown field", `{"kind":"drop","count":3,"x":1}`, false},
		{"repeated field", `{"kind":"drop","count":3,"count":4}`, false},
		{"null", `{"kind":"drop","count":null}`, false},
		{"exponent", `{"kind":"drop","count":3e0}`, false},
		{"fraction", `{"kind":"drop","count":3.0}`, false},
		{"leading zero", `{"kind":"drop","count":03}`, false},
		{"negative uint", `{"kind":"drop","count":-3}`, false},
		{"uint64 max", `{"kind":"drop","count":18446744073709551615}`, true},
		{"uint64 overflow", `{"kind":"drop","count":18446744073709551616}`, false},
		{"int64 min", `{"kind":"ws.close","conn":1,"bytes_c2s":-9223372036854775808}`, true},
		{"int64 overflow", `{"kind":"ws.close","conn":1,"bytes_c2s":9223372036854775808}`, false},
		{"minus zero", `{"kind":"ws.close","conn":1,"bytes_c2s":-0}`, true},
		{"escaped surrogate pair", `{"kind":"tls","leg":"client","detail":"\ud83d\ude00"}`, false},
		{"lone surrogate", `{"kind":"tls","leg":"client","detail":"\ud83d"}`, false},
		{"invalid UTF-8", "{\"kind\":\"tls\",\"leg\":\"client\",\"detail\":\"\xff\"}", false},
		{"control character", "{\"kind\":\"tls\",\"leg\":\"client\",\"detail\":\"\x01\"}", false},
		{"bad escape", `{"kind":"tls","leg":"client","detail":"\x"}`, false},
		{"trailing garbage", `{"kind":"drop","count":3}x`, false},
		{"two objects", `{"kind":"drop"}{"kind":"drop"}`, false},
		{"not an object", `["kind","drop"]`, false},
		{"top-level null", `null`, false},
		{"unknown kind", `{"kind":"quic.stream","id":1}`, false},
		{"bad base64", `{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":2,"data":"!!","enc":"base64"}`, false},
		{"bad dir", `{"kind":"ws.msg","conn":1,"dir":"up","opcode":1,"data":"x"}`, false},
		{"len mismatch", `{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"data":"abc","len":4}`, false},
		{"string status", `{"kind":"http","status":"200"}`, false},
		{"bad time", `{"kind":"drop","ts":"yesterday"}`, false},
		{"escaped time", `{"kind":"drop","ts":"2025-01-01T00:00:00\u005a"}`, false},
		{"header value not a list", `{"kind":"http","req_headers":{"A":"b"}}`, false},
		{"header null value", `{"kind":"http","req_headers":{"A":["b",null]}}`, false},
		{"torn", `{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"da`, false},
		{"active with bad base64", `{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"data":"x","active":{"original":"!"}}`, false},
		{"active unbalanced", `{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"data":"x","active":{"note":"}"]}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d lineDecoder
			if got := sameAsJSON(t, &d, []byte(tc.line)); got != tc.fast {
				t.Errorf("fast path took it: %v, want %v", got, tc.fast)
			}
			// Through the reader: the same result (observation, warning
			// or error) as encoding/json alone gives.
			in := `{"sioproxy":1}` + "\n" + tc.line + "\n" + `{"kind":"drop","count":1}` + "\n"
			r, err := NewReader(strings.NewReader(in), "rec.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			o, err := r.Next()
			ref, rerr := decodeLineJSON([]byte(tc.line))
			switch {
			case rerr == nil:
				if err != nil || !reflect.DeepEqual(o, ref) {
					t.Errorf("reader: %v %s, encoding/json: %s", err, dumpObs(o), dumpObs(ref))
				}
			case strings.Contains(rerr.Error(), "unknown kind"):
				if err != nil || o.Kind != obs.KindDrop || len(r.Warnings()) != 1 {
					t.Errorf("reader: %v %s, warnings %q", err, dumpObs(o), r.Warnings())
				}
			default:
				if err == nil || err.Error() != "rec.jsonl:2: "+rerr.Error() {
					t.Errorf("reader error %v, want rec.jsonl:2: %v", err, rerr)
				}
			}
		})
	}
}

// FuzzLineDecoder: on any line the fast decoder accepts, encoding/json
// must give the same observation; it never panics.
func FuzzLineDecoder(f *testing.F) {
	for _, name := range goldenRecordings[:1] {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(b, []byte("\n"))[1:] {
			if len(l) < 600 {
				f.Add(l)
			}
		}
	}
	f.Add([]byte(`{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"data":"\"\\\/\b\f\n\r\t\u00e9\u001e","enc":"utf8","len":9}`))
	f.Add([]byte(`{"kind":"http","id":1,"req_headers":{"A":["b","c"],"D":[]},"req_body":"","resp_body":"AP8=","resp_enc":"base64","active":{"rules":["x"]},"packet_active":[null,{"note":"n"}]}`))
	f.Add([]byte(`{"kind":"ws.close","conn":1,"by":"client","code":-1,"clean":true,"undecodable":false,"bytes_c2s":-0}`))
	f.Add([]byte(`{"kind":"http","req_headers":{"A":["]}"]},"resp_headers":{"A":["]}"],"B":[]}}` + "\n" +
		`{"kind":"http","req_headers":{"A":["]}"],"B":[]},"resp_headers":{"A":["]}"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// One decoder for every line, as in a recording: what it keeps
		// from line to line (interned strings, shared headers) must not
		// change how a line reads.
		var d lineDecoder
		for _, l := range bytes.Split(b, []byte("\n")) {
			sameAsJSON(t, &d, l)
		}
		sameAsJSON(t, &d, []byte(`{"kind":"drop","count":1}`))
	})
}

// FuzzLineRoundTrip: whatever the writer writes, the fast decoder takes,
// and reads back as encoding/json does.
func FuzzLineRoundTrip(f *testing.F) {
	f.Add("c2s", byte(1), []byte(`42["chat",{"a":1}]`), "/socket.io/?EIO=4", "Content-Type", "text/plain", int64(5), "", int64(0))
	f.Add("s2c", byte(2), []byte{0, 0xff, '"'}, "/\u2028\x00", "X-\xff", "\\", int64(-1), "r\"", int64(1<<62))
	f.Fuzz(func(t *testing.T, dir string, op byte, data []byte, url, hname, hval string, n int64, text string, ns int64) {
		ts := time.Unix(0, ns).In(time.FixedZone("", int(n%50000)))
		if ts.Year() < 0 || ts.Year() > 9999 {
			return
		}
		d := decode.C2S
		if dir == "s2c" {
			d = decode.S2C
		}
		os := []obs.Obs{
			{Kind: obs.KindWSMsg, Time: ts, WSMsg: &obs.WSMessage{Conn: uint64(n), Dir: d, Opcode: op & 15, Data: data, WireLen: int(n), CloseText: text, Err: url}},
			{Kind: obs.KindHTTP, Time: ts, HTTP: &obs.HTTPExchange{ID: uint64(n), Client: text, URL: url, Method: hval, Start: ts,
				ReqHeader: map[string][]string{hname: {hval, text}}, ReqBody: data, ReqLen: n, RespBody: []byte(text), Status: int(n)}},
			{Kind: obs.KindWSOpen, Time: ts, WSOpen: &obs.WSOpen{Conn: 1, URL: url, Extensions: text, RespHeader: map[string][]string{hname: nil}}},
			{Kind: obs.KindInject, Time: ts, Inject: &obs.Inject{Rule: "r" + text, Conn: uint64(n), Dir: d, URL: url}},
		}
		var dec lineDecoder
		for _, o := range os {
			b, err := marshalLine(o)
			if err != nil {
				t.Fatal(err)
			}
			if !sameAsJSON(t, &dec, bytes.TrimSuffix(b, []byte("\n"))) {
				t.Fatalf("the writer's line was left to encoding/json: %s", b)
			}
		}
	})
}

// BenchmarkLineDecoder reads the lines of a typical session (see
// synthetic) with the fast decoder and, for comparison, encoding/json.
func BenchmarkLineDecoder(b *testing.B) {
	var lines [][]byte
	size := 0
	for i := range 256 {
		l, err := marshalLine(synthetic(i))
		if err != nil {
			b.Fatal(err)
		}
		lines = append(lines, l)
		size += len(l)
	}
	for _, mode := range []string{"fast", "json"} {
		b.Run(mode, func(b *testing.B) {
			var d lineDecoder
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			i := 0
			cpu0 := processCPU()
			defer func() {
				// On a shared machine wall time says little.
				b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(i), "cpu-ns/op")
			}()
			for b.Loop() {
				l := lines[i%len(lines)]
				i++
				if mode == "fast" {
					if _, ok := d.decode(l); !ok {
						b.Fatalf("left to encoding/json: %s", l)
					}
				} else if _, err := decodeLineJSON(l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// processCPU is the process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
