package recordings

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// A WebSocket that opened before a polling request and closed after it is
// exported first: entries are sorted by start time, and every entry
// belongs to the one page, so Chrome DevTools groups them.
func TestHARSortedWithPage(t *testing.T) {
	var rec bytes.Buffer
	w := NewWriter(&rec, Header{Mode: "reverse", Target: "http://app:3000"})
	for _, o := range []obs.Obs{
		{Kind: obs.KindWSOpen, Time: at(10), WSOpen: &obs.WSOpen{Conn: 7, Start: at(10), URL: "/socket.io/?EIO=4&transport=websocket", Status: 101,
			ReqHeader: http.Header{}, RespHeader: http.Header{}}},
		{Kind: obs.KindHTTP, Time: at(30), HTTP: &obs.HTTPExchange{ID: 1, Start: at(20), End: at(30), Method: "GET",
			URL: "/socket.io/?EIO=4&transport=polling", Proto: "HTTP/1.1", Status: 200, ReqHeader: http.Header{}, RespHeader: http.Header{}}},
		{Kind: obs.KindWSMsg, Time: at(40), WSMsg: &obs.WSMessage{Conn: 7, Dir: decode.C2S, Opcode: 1, Data: []byte("2"), Frames: 1, WireLen: 3}},
		{Kind: obs.KindWSClose, Time: at(50), WSClose: &obs.WSClose{Conn: 7, By: "client", Code: 1000, Clean: true}},
		{Kind: obs.KindHTTP, Time: at(5), HTTP: &obs.HTTPExchange{ID: 2, Start: at(1), End: at(5), Method: "GET",
			URL: "/early", Proto: "HTTP/1.1", Status: 200, ReqHeader: http.Header{}, RespHeader: http.Header{}}},
	} {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	r, err := NewReader(&rec, "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ExportHAR(r, &out); err != nil {
		t.Fatal(err)
	}
	var har struct {
		Log struct {
			Pages []struct {
				ID, Title, StartedDateTime string
			}
			Entries []struct {
				Pageref, StartedDateTime string
				Request                  struct{ URL string }
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &har); err != nil {
		t.Fatalf("invalid HAR: %v", err)
	}
	if len(har.Log.Pages) != 1 || har.Log.Pages[0].ID == "" || har.Log.Pages[0].StartedDateTime != at(1).Format(harTime) {
		t.Fatalf("pages %+v", har.Log.Pages)
	}
	var order []string
	for i, e := range har.Log.Entries {
		if e.Pageref != har.Log.Pages[0].ID {
			t.Fatalf("entry %d has pageref %q", i, e.Pageref)
		}
		if i > 0 && e.StartedDateTime < har.Log.Entries[i-1].StartedDateTime {
			t.Fatalf("entries not sorted by start: %s after %s", e.StartedDateTime, har.Log.Entries[i-1].StartedDateTime)
		}
		order = append(order, e.Request.URL)
	}
	if len(order) != 3 {
		t.Fatalf("entries %v", order)
	}
	// And back: the round trip still gives every observation.
	back, err := NewReader(&out, "out.har")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, back)); n != 5 {
		t.Fatalf("HAR import gave %d observations, want 5", n)
	}
}
