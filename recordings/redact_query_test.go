package recordings

import (
	"bytes"
	"net/http"
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
