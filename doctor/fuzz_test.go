package doctor

import (
	"net/http"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// FuzzHandshakeAnswer: whatever a server answers to the handshake, the
// classification holds and the report shows it escaped.
func FuzzHandshakeAnswer(f *testing.F) {
	f.Add(200, "text/plain; charset=UTF-8", []byte(`0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`), 4)
	f.Add(200, "text/plain", []byte(`97:0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}2:40`), 4)
	f.Add(200, "application/octet-stream", []byte("\x00\x09\xff0{\"sid\":\"a\"}"), 3)
	f.Add(400, "application/json", []byte(`{"code":5,"message":"Unsupported protocol version"}`), 3)
	f.Add(403, "application/json", []byte(`{"code":4,"message":"\u001b[2Jrefused"}`), 4)
	f.Add(404, "text/html", []byte("<h1>\x1b]0;pwned\x07</h1>\xff"), 4)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, v int) {
		if v != 3 {
			v = 4
		}
		x := &exchange{Method: "GET", Target: "/socket.io/?EIO=4", Status: status, Header: http.Header{"Content-Type": {ct}, "Set-Cookie": {string(body)}}, Body: body}
		r := classifyHandshake(x, eio.Version(v), "/socket.io/")
		n := 0
		for _, b := range []bool{r.ok, r.code >= 0, r.notEIO != ""} {
			if b {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("want exactly one of open, error code, not Engine.IO: ok %v, code %d, notEIO %q", r.ok, r.code, r.notEIO)
		}
		p := &Probe{}
		p.exchange(x)
		for _, s := range []string{p.Request, p.Response, r.describe()} {
			checkPrintable(t, s)
		}
	})
}

// FuzzEsc: escaped text is valid UTF-8 with no control or bidi
// characters, whatever the input.
func FuzzEsc(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31m", "\xff\xfe", "a\u202eb", "\r\n\t", "\u0085", "€", "\u200f\u061c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPrintable(t, esc(s))
		checkPrintable(t, snippet([]byte(s), 40))
	})
}

func checkPrintable(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8 in %q", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == 0x2028 || r == 0x2029 {
			t.Fatalf("control character %U in %q", r, s)
		}
	}
}
