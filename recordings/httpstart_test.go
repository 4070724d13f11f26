package recordings

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// The request half of an exchange round-trips like a finished exchange, so
// a replay decodes POST bodies at the same moment the live run did.
func TestHTTPStartRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 123456789, time.UTC)
	in := obs.Obs{Kind: obs.KindHTTPStart, Time: at, HTTP: &obs.HTTPExchange{
		ID: 9, Client: "127.0.0.1:5000", Upstream: "http://up", Start: at, Method: "POST",
		URL: "/socket.io/?EIO=4&transport=polling&sid=S", ReqBody: []byte(`42["x"]`), ReqLen: 7,
	}}
	var buf bytes.Buffer
	w := NewWriter(&buf, Header{Mode: "reverse"})
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	r, err := NewReader(&buf, "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != obs.KindHTTPStart || !reflect.DeepEqual(out.HTTP.ReqBody, in.HTTP.ReqBody) || out.HTTP.ID != 9 || !out.Time.Equal(at) {
		t.Fatalf("got %+v %+v", out, out.HTTP)
	}
}
