package recordings

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func exportSample(t *testing.T) []byte {
	t.Helper()
	native := writeNative(t, sampleHeader(), sampleSession())
	r, err := NewReader(bytes.NewReader(native), "session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var har bytes.Buffer
	if err := ExportHAR(r, &har); err != nil {
		t.Fatal(err)
	}
	return har.Bytes()
}

func TestHARRoundTrip(t *testing.T) {
	har := exportSample(t)
	golden(t, "session.har", har)

	r, err := NewReader(bytes.NewReader(har), "session.har")
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Mode != "reverse" || h.Target != "http://localhost:3000" || !h.Started.Equal(t0) {
		t.Errorf("header = %+v", h)
	}
	assertObsEqual(t, sampleSession(), readAll(t, r), true)
	if w := r.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
}

// TestHARChromeShape checks the fields Chrome DevTools' importer relies on.
func TestHARChromeShape(t *testing.T) {
	var doc struct {
		Log struct {
			Version string
			Entries []map[string]any
		}
	}
	if err := json.Unmarshal(exportSample(t), &doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if doc.Log.Version != "1.2" {
		t.Errorf("version = %q", doc.Log.Version)
	}
	var ws map[string]any
	for _, e := range doc.Log.Entries {
		for _, k := range []string{"startedDateTime", "time", "request", "response", "cache", "timings"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry lacks %q", k)
			}
		}
		if e["_resourceType"] == "websocket" {
			ws = e
		}
	}
	if ws == nil {
		t.Fatal("no websocket entry")
	}
	if u := ws["request"].(map[string]any)["url"]; u != "ws://localhost:8080/socket.io/?EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC" {
		t.Errorf("ws url = %v", u)
	}
	msgs := ws["_webSocketMessages"].([]any)
	tests := []struct {
		i      int
		typ    string
		opcode float64
		data   string
		time   float64
	}{
		{0, "send", 1, "2probe", 1741944413.630793},
		{1, "receive", 1, "3probe", 1741944413.631793},
		{5, "receive", 2, "AAEC/w==", 1741944413.641793},
	}
	for _, tc := range tests {
		m := msgs[tc.i].(map[string]any)
		tm, _ := m["time"].(float64)
		if m["type"] != tc.typ || m["opcode"] != tc.opcode || m["data"] != tc.data || tm < tc.time-1e-6 || tm > tc.time+1e-6 {
			t.Errorf("message %d = %v", tc.i, m)
		}
	}
}

func readFixture(t *testing.T, name string) (*Reader, []obs.Obs) {
	t.Helper()
	r, err := Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := readAll(t, r)
	// The converted observations, as a native recording, are the golden
	// file: every field of every observation is checked.
	golden(t, name+".jsonl", writeNative(t, r.Header(), got))
	return r, got
}

func kinds(os []obs.Obs) string {
	var s []string
	for _, o := range os {
		s = append(s, string(o.Kind))
	}
	return strings.Join(s, " ")
}

func TestHARImportChrome(t *testing.T) {
	r, got := readFixture(t, "chrome.har")
	if h := r.Header(); h.Mode != "har" || h.Source != "WebInspector 537.36" {
		t.Errorf("header = %+v", h)
	}
	// The long poll answered after the upgrade began sorts after the probe.
	wantKinds := "http http ws.open ws.msg ws.msg http ws.msg ws.msg ws.msg ws.msg http ws.msg ws.msg"
	if k := kinds(got); k != wantKinds {
		t.Fatalf("kinds = %s\nwant    %s", k, wantKinds)
	}
	post := got[1].HTTP
	if post.Method != "POST" || string(post.ReqBody) != `40{"token":"s3cr3t"}` || post.Host != "localhost:3000" ||
		post.URL != "/socket.io/?EIO=4&transport=polling&t=PQx1a3c&sid=lv_VI97HAXpY6yYWAAAC" {
		t.Errorf("POST = %+v", post)
	}
	if h := got[0].HTTP.RespHeader; h.Get("Cache-Control") != "no-store" {
		t.Errorf("lower-case header not canonicalised: %v", h)
	}
	if b := got[9].WSMsg; b.Opcode != 2 || !bytes.Equal(b.Data, []byte{0, 1, 2, 0xff}) || b.Dir != decode.S2C {
		t.Errorf("binary message = %+v", b)
	}
	if f := got[10].HTTP; f.Status != 0 || f.Err != "net::ERR_CONNECTION_REFUSED" || f.ErrKind != "other" {
		t.Errorf("failed request = %+v", f)
	}
	if o := got[2].WSOpen; o.URL != "/socket.io/?EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC" || o.Status != 101 {
		t.Errorf("ws.open = %+v", o)
	}
}

func TestHARImportFirefox(t *testing.T) {
	_, got := readFixture(t, "firefox.har")
	// Firefox writes no WebSocket messages: the upgrade is all there is.
	if k := kinds(got); k != "http http http ws.open" {
		t.Fatalf("kinds = %s", k)
	}
	g := got[2].HTTP
	if _, ok := g.RespHeader["Content-Encoding"]; ok {
		t.Errorf("Content-Encoding kept although content.text is decoded")
	}
	if !strings.HasPrefix(string(g.RespBody), `613:42["news","üü`) {
		t.Errorf("body = %.40q", g.RespBody)
	}
	if o := got[3].WSOpen; o.Extensions != "permessage-deflate" {
		t.Errorf("extensions = %q", o.Extensions)
	}
	if _, off := got[0].HTTP.Start.Zone(); off != 3600 {
		t.Errorf("offset = %d, want 3600", off)
	}
}

func TestHARImportHTTPToolkit(t *testing.T) {
	_, got := readFixture(t, "httptoolkit.har")
	want := "http http http ws.open ws.msg ws.msg ws.msg ws.msg ws.msg ws.msg ws.msg ws.msg ws.close"
	if k := kinds(got); k != want {
		t.Fatalf("kinds = %s\nwant    %s", k, want)
	}
	if b := got[2].HTTP.RespBody; !bytes.Equal(b, []byte{0, 2, 0xff, '4', '0', 1, 3, 0xff, 4, 1, 2}) {
		t.Errorf("base64 content = % x", b)
	}
	if h := got[0].HTTP; h.Host != "chat.example.com" || h.ReqHeader.Get("Authorization") == "" {
		t.Errorf("h2 request = %+v", h)
	}
	c := got[12].WSClose
	if c.Code != 1000 || c.Reason != "done" || c.By != "client" || !c.Clean {
		t.Errorf("close = %+v", c)
	}
	if m := got[10].WSMsg; m.Opcode != 8 || m.CloseCode != 1000 || m.CloseText != "done" {
		t.Errorf("close frame = %+v", m)
	}
}

func TestHARBadEntriesSkipped(t *testing.T) {
	in := `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[
		{"startedDateTime":"yesterday","request":{"method":"GET","url":"http://a/"},"response":{"status":200}},
		{"startedDateTime":"2025-01-01T00:00:00Z","time":"slow","request":{"method":"GET","url":"http://a/"}},
		{"startedDateTime":"2025-01-01T00:00:00Z","time":1,"request":{"method":"GET","url":"http://a/x"},"response":{"status":204}},
		{"startedDateTime":"2025-01-01T00:00:01Z","_resourceType":"websocket","request":{"method":"GET","url":"ws://a/"},"response":{"status":101},
		 "_webSocketMessages":[{"type":"error","time":1735689601,"opcode":-1,"data":"boom"},{"type":"send","time":1735689601.5,"opcode":1,"data":"hi"}]}
	]}}`
	r, err := NewReader(strings.NewReader(in), "x.har")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if k := kinds(got); k != "http ws.open ws.msg" {
		t.Errorf("kinds = %s", k)
	}
	ws := r.Warnings()
	wants := []string{
		`x.har: HAR entry 0 skipped: startedDateTime "yesterday" is not an ISO 8601 time`,
		`x.har: HAR entry 1 skipped: field "time": string is not a float64`,
		`x.har: HAR entry 3 message 0 skipped: type "error" is neither "send" nor "receive"`,
	}
	if len(ws) != len(wants) {
		t.Fatalf("warnings = %q", ws)
	}
	for i, w := range wants {
		if !strings.HasPrefix(ws[i], w) {
			t.Errorf("warning %d = %q\nwant prefix  %q", i, ws[i], w)
		}
	}
}

func TestHARErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"truncated", `{"log":{"entries":[{"startedDateTime":`, `x.har: HAR: entry 0: unexpected EOF`},
		{"entries not array", `{"log":{"entries":{}}}`, `x.har: HAR: found { where "[" was expected`},
		{"newer native header", `{"log":{"_sioproxy":{"sioproxy":9},"entries":[]}}`, `x.har: HAR: _sioproxy: recording format version 9 is newer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in), "x.har")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}
