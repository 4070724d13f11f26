package report

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/synthrec"
	"github.com/sioproxy/sioproxy/recordings"
)

var fixed = func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC) }

func build(t *testing.T, rec []byte, opt Options) *Data {
	t.Helper()
	r, err := recordings.NewReader(bytes.NewReader(rec), "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if opt.Now == nil {
		opt.Now = fixed
	}
	opt.Session.Diagnoser = diagnose.New(diagnose.Options{})
	d, err := Build(r, "rec.jsonl", opt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func synth(t *testing.T, o synthrec.Options) ([]byte, synthrec.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := synthrec.Write(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func TestBuildCountsEverything(t *testing.T) {
	rec, st := synth(t, synthrec.Options{Sessions: 3, Messages: 40, Payload: 10})
	d := build(t, rec, Options{})
	if len(d.Sessions) != 3 || d.SessionsOmitted != 0 {
		t.Fatalf("%d sessions on the timeline (+%d), want 3", len(d.Sessions), d.SessionsOmitted)
	}
	for _, s := range d.Sessions {
		if s.Open == 0 || s.Close == 0 || s.Close <= s.Open || s.Transport != "websocket" || s.Reason == "" {
			t.Errorf("session %+v: want open, close after it, websocket and a close reason", s)
		}
	}
	if d.PacketsTotal != st.Packets || len(d.Packets) != st.Packets || d.Sampled {
		t.Errorf("packets %d listed of %d (sampled %v), recording has %d", len(d.Packets), d.PacketsTotal, d.Sampled, st.Packets)
	}
	var answered, unanswered uint64
	for _, e := range d.Stats.Events {
		answered += e.Answered
		unanswered += e.Unanswered
		// The recorded delays run from 3 ms to 7.5 ms.
		if e.Answered > 0 && (e.Ack.Min != 3 || e.Ack.Max != 7.5 || e.Ack.P50 < 3 || e.Ack.P50 > 7.5 || len(e.Ack.Bars) < 2) {
			t.Errorf("event %q: ack latency %+v, want 3 to 7.5 ms (the recorded delays) in several bars", e.Name, e.Ack)
		}
	}
	if int(answered) != st.Acked || int(unanswered) != st.Unanswered {
		t.Errorf("acks answered %d unanswered %d, recording has %d and %d", answered, unanswered, st.Acked, st.Unanswered)
	}
	if d.Stats.PingRTT.Count == 0 || len(d.Series.Packets) == 0 {
		t.Errorf("no ping RTT or no packet series")
	}
	var page bytes.Buffer
	if err := Write(&page, d); err != nil {
		t.Fatal(err)
	}
	// The page's script takes arrays: none is null, even when empty.
	if !strings.Contains(page.String(), `"faults":[]`) {
		t.Errorf("a report without faults should hold \"faults\":[]")
	}
}

func TestPacketListSampled(t *testing.T) {
	rec, st := synth(t, synthrec.Options{Sessions: 4, Messages: 100})
	d := build(t, rec, Options{MaxPackets: 50})
	if !d.Sampled || len(d.Packets) != 50 || d.PacketsTotal != st.Packets {
		t.Fatalf("sampled %v, %d of %d listed, want 50 of %d", d.Sampled, len(d.Packets), d.PacketsTotal, st.Packets)
	}
	late := 0
	for i, p := range d.Packets {
		if i > 0 && p.N <= d.Packets[i-1].N {
			t.Fatalf("packet list out of order at %d", i)
		}
		if p.N > st.Packets/2 {
			late++
		}
	}
	// A uniform sample takes from the whole recording, not just its start.
	if late < 10 || late > 40 {
		t.Errorf("%d of 50 sampled packets from the second half, want about 25", late)
	}
	var html bytes.Buffer
	if err := Write(&html, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), `"sampled":true`) {
		t.Error("the page's data does not say it is sampled")
	}
}

// A hostile event name and arguments cannot end the data block or inject
// markup: the page holds them only JSON-escaped.
func TestHostileStringsStayData(t *testing.T) {
	var buf bytes.Buffer
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := recordings.NewWriter(&buf, recordings.Header{Mode: "reverse"})
	msg := func(ms int, d decode.Dir, s string) {
		w.Write(obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Duration(ms) * time.Millisecond), WSMsg: &obs.WSMessage{Conn: 1, Dir: d, Opcode: 1, Data: []byte(s)}})
	}
	w.Write(obs.Obs{Kind: obs.KindWSOpen, Time: t0, WSOpen: &obs.WSOpen{Conn: 1, URL: "/socket.io/?EIO=4&transport=websocket", Status: 101, ReqHeader: http.Header{}, RespHeader: http.Header{}}})
	msg(1, decode.S2C, `0{"sid":"</script><b>x","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`)
	msg(2, decode.C2S, "40")
	msg(3, decode.C2S, `42["</script><script>alert(1)</script>","<img src=x onerror=alert(2)>\u2028"]`)
	w.Close()
	d := build(t, buf.Bytes(), Options{Title: "<b>bold</b>&"})
	var html bytes.Buffer
	if err := Write(&html, d); err != nil {
		t.Fatal(err)
	}
	page := html.String()
	for _, bad := range []string{"</script><script>alert", "<img src=x", "</script><b>", "<b>bold"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q unescaped", bad)
		}
	}
	if n := strings.Count(page, "</script>"); n != 2 {
		t.Errorf("%d </script> tags, want 2 (the data and the script)", n)
	}
	// The data block is still valid JSON that holds the strings as they were.
	m := regexp.MustCompile(`(?s)<script id="report-data" type="application/json">(.*?)</script>`).FindStringSubmatch(page)
	var back Data
	if m == nil || json.Unmarshal([]byte(m[1]), &back) != nil {
		t.Fatal("no parsable data block")
	}
	if back.Stats.Events[0].Name != "</script><script>alert(1)</script>" {
		t.Errorf("event name came back as %q", back.Stats.Events[0].Name)
	}
}

func TestRedaction(t *testing.T) {
	rec, err := os.ReadFile("../recordings/testdata/session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	plain := build(t, rec, Options{})
	red := build(t, rec, Options{Redact: true})
	var a, b bytes.Buffer
	Write(&a, plain)
	Write(&b, red)
	if !strings.Contains(a.String(), "abc") || !strings.Contains(a.String(), `\"token\"`) {
		t.Fatalf("the unredacted page should show the CONNECT auth token")
	}
	if strings.Contains(b.String(), `\"token\":\"abc\"`) || !red.Redacted {
		t.Errorf("--redact: the page still shows the auth token, or does not say it is redacted")
	}
	if len(red.Packets) != len(plain.Packets) || len(red.Sessions) != len(plain.Sessions) {
		t.Errorf("redaction changed what was decoded: %d/%d packets, %d/%d sessions", len(red.Packets), len(plain.Packets), len(red.Sessions), len(plain.Sessions))
	}
}

func TestBadRecording(t *testing.T) {
	r, err := recordings.NewReader(strings.NewReader(`{"sioproxy":1}`+"\n"+`{"kind":"ws.msg","ts":"nope"}`+"\n"+`{}`+"\n"), "bad.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(r, "bad.jsonl", Options{Session: session.Options{}}); err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Errorf("Build of a broken recording: %v, want an error naming line 2", err)
	}
}

func TestSessionsCapped(t *testing.T) {
	rec, _ := synth(t, synthrec.Options{Sessions: 12, Messages: 3})
	d := build(t, rec, Options{MaxSessions: 5})
	if len(d.Sessions) != 5 || d.SessionsOmitted != 7 {
		t.Fatalf("%d sessions on the timeline, %d omitted; want 5 and 7", len(d.Sessions), d.SessionsOmitted)
	}
	if len(d.Stats.Sessions) != 12 {
		t.Errorf("the stats should still count all 12 sessions, got %d", len(d.Stats.Sessions))
	}
}
