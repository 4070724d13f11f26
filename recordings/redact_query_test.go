package recordings

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

const rq = "%5Bredacted%5D"

func TestRedactURL(t *testing.T) {
	rd := NewRedactor([]string{"Ticket"})
	for _, tc := range []struct{ in, want string }{
		{"/socket.io/?EIO=4&transport=polling&t=abc&sid=xyz", "/socket.io/?EIO=4&transport=polling&t=abc&sid=xyz"},
		{"/socket.io/?token=s3cr3t&EIO=4&transport=websocket", "/socket.io/?token=" + rq + "&EIO=4&transport=websocket"},
		{"/x?auth=a&key=b&apikey=c&api_key=d&access_token=e&password=f&passwd=g&secret=h&session=i&sig=j&signature=k&jwt=l",
			"/x?auth=" + rq + "&key=" + rq + "&apikey=" + rq + "&api_key=" + rq + "&access_token=" + rq + "&password=" + rq +
				"&passwd=" + rq + "&secret=" + rq + "&session=" + rq + "&sig=" + rq + "&signature=" + rq + "&jwt=" + rq},
		{"/x?csrf_token=1&authToken=2&X-Amz-Signature=3&plain=4", "/x?csrf_token=" + rq + "&authToken=" + rq + "&X-Amz-Signature=" + rq + "&plain=4"},
		{"/x?TOKEN=1", "/x?TOKEN=" + rq},
		{"/x?ticket=1&tick=2", "/x?ticket=" + rq + "&tick=2"},
		{"/x?tok%65n=1", "/x?tok%65n=" + rq}, // an escaped name is still that name
		{"/x?token", "/x?token=" + rq},
		{"/x?token=1#frag", "/x?token=" + rq + "#frag"},
		{"https://h.example/cb?code=abc&state=s", "https://h.example/cb?code=" + rq + "&state=s"},
		{"/no-query", "/no-query"},
	} {
		got, _ := rd.URL(tc.in)
		if got != tc.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactQueryInObservations(t *testing.T) {
	x := obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: 1, Method: "GET", Host: "h",
		URL:        "/socket.io/?EIO=4&transport=polling&token=s3cr3t",
		ReqHeader:  http.Header{"Referer": {"http://h/app?session=pw1"}},
		RespHeader: http.Header{"Location": {"/next?sig=pw2"}}}}
	w := obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{Conn: 2, Host: "h", URL: "/socket.io/?EIO=4&transport=websocket&apikey=pw3",
		ReqHeader: http.Header{}, RespHeader: http.Header{}}}
	for _, o := range []obs.Obs{x, w} {
		s := dump(Redact(o))
		for _, secret := range []string{"s3cr3t", "pw1", "pw2", "pw3"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s left in %s", secret, s)
			}
		}
	}
	if x.HTTP.URL != "/socket.io/?EIO=4&transport=polling&token=s3cr3t" || x.HTTP.ReqHeader.Get("Referer") != "http://h/app?session=pw1" {
		t.Fatal("Redact modified the shared observation")
	}

	// HAR export of a recording that was not redacted: export --redact.
	native := writeNative(t, sampleHeader(), []obs.Obs{
		{Kind: obs.KindHTTP, Time: time.Unix(1, 0), HTTP: x.HTTP},
		{Kind: obs.KindWSOpen, Time: time.Unix(2, 0), WSOpen: w.WSOpen},
	})
	r, err := NewReader(bytes.NewReader(native), "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	r.SetRedactor(NewRedactor(nil))
	var har bytes.Buffer
	if err := ExportHAR(r, &har); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t", "pw1", "pw2", "pw3"} {
		if bytes.Contains(har.Bytes(), []byte(secret)) {
			t.Errorf("%s in the HAR export", secret)
		}
	}
	if !bytes.Contains(har.Bytes(), []byte(`"redacted":true`)) {
		t.Error("HAR header does not say redacted")
	}
}

// FuzzRedactURL: any URL keeps everything but masked values, a secret
// parameter's value never survives, and masking twice changes nothing.
func FuzzRedactURL(f *testing.F) {
	f.Add("/socket.io/?EIO=4&transport=polling&token=abc&t=x")
	f.Add("https://h/cb?code=1&state=2#frag")
	f.Add("/x?tok%65n=1&&=&a")
	f.Add("?")
	rd := NewRedactor([]string{"extra"})
	f.Fuzz(func(t *testing.T, s string) {
		out, changed := rd.URL(s)
		if !changed && out != s {
			t.Fatalf("unchanged but %q became %q", s, out)
		}
		again, changed2 := rd.URL(out)
		if changed2 || again != out {
			t.Fatalf("not idempotent: %q → %q → %q", s, out, again)
		}
		base, _, _ := strings.Cut(s, "?")
		if !strings.HasPrefix(out, base) {
			t.Fatalf("the part before the query changed: %q → %q", s, out)
		}
		_, q, ok := strings.Cut(out, "?")
		if !ok {
			return
		}
		q, _, _ = strings.Cut(q, "#")
		for _, kv := range strings.Split(q, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if name, err := url.QueryUnescape(k); err == nil && rd.secretParam(name) && v != rq {
				t.Fatalf("secret %q kept value %q in %q", name, v, out)
			}
		}
	})
}

// BenchmarkRedactWSMessage is --redact's cost per ordinary WebSocket
// message (not a CONNECT: nothing to mask).
func BenchmarkRedactWSMessage(b *testing.B) {
	o := obs.Obs{Kind: obs.KindWSMsg, WSMsg: &obs.WSMessage{Opcode: 1, Data: []byte(`42["echo",{"op":"get","key":"user:42"}]`)}}
	rd := NewRedactor(nil)
	b.ReportAllocs()
	for b.Loop() {
		rd.Redact(o)
	}
}

// BenchmarkRedactPoll is --redact's cost per polling exchange with a
// secret in the query.
func BenchmarkRedactPoll(b *testing.B) {
	o := obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{Method: "GET", URL: "/socket.io/?EIO=4&transport=polling&t=PZ1&sid=abc&token=s3cr3t",
		ReqHeader: http.Header{"Cookie": {"a=1"}, "Accept": {"*/*"}}, RespHeader: http.Header{"Content-Type": {"text/plain"}}, RespBody: []byte(`42["echo",{"op":"get"}]`)}}
	rd := NewRedactor(nil)
	b.ReportAllocs()
	for b.Loop() {
		rd.Redact(o)
	}
}
