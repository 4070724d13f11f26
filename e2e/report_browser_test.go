package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/synthrec"
)

// reportPage is what e2e/node/report-browser.js saw of a report.
type reportPage struct {
	Console  []string `json:"console"`
	Requests []string `json:"requests"`
	Error    string   `json:"error"`
	LoadMs   int      `json:"loadMs"`
	// ScreenshotError is why the artifact screenshot failed, if it did.
	ScreenshotError string `json:"screenshotError"`
	Dom             struct {
		SessionRows       int      `json:"sessionRows"`
		Segments          int      `json:"segments"`
		WebsocketSegments int      `json:"websocketSegments"`
		CloseMarks        int      `json:"closeMarks"`
		FaultMarks        int      `json:"faultMarks"`
		Histograms        int      `json:"histograms"`
		HistogramBars     []int    `json:"histogramBars"`
		HistogramTitles   []string `json:"histogramTitles"`
		MiniHistograms    int      `json:"miniHistograms"`
		EventRows         int      `json:"eventRows"`
		EventNames        []string `json:"eventNames"`
		SessionTableRows  int      `json:"sessionTableRows"`
		FaultCards        []string `json:"faultCards"`
		FaultFixes        int      `json:"faultFixes"`
		PacketRows        int      `json:"packetRows"`
		PacketCount       string   `json:"packetCount"`
		PacketNote        string   `json:"packetNote"`
		Notes             []string `json:"notes"`
		Scripts           int      `json:"scripts"`
	} `json:"dom"`
	Sort *struct {
		Before []float64 `json:"before"`
		After  []float64 `json:"after"`
	} `json:"sort"`
	Search *struct {
		Count string   `json:"count"`
		Rows  []string `json:"rows"`
	} `json:"search"`
}

// artifactDir is where a test leaves files for a human to look at: kept
// with go test -artifacts, else a temporary directory (logged with -v).
func artifactDir(t *testing.T) string { return t.ArtifactDir() }

// openReport loads a report file in headless Chromium.
func openReport(t *testing.T, path, search, screenshot string) *reportPage {
	t.Helper()
	if os.Getenv("SIOPROXY_SKIP_BROWSER") == "1" {
		t.Skip("SIOPROXY_SKIP_BROWSER=1: not opening the report in Chromium")
	}
	exe := chromiumPath()
	if _, err := exec.LookPath(exe); err != nil {
		t.Fatalf("Chromium is needed to check the HTML report but %s is missing (%v): apt-get install chromium (or set SIOPROXY_SKIP_BROWSER=1)", exe, err)
	}
	cfg := map[string]any{"executable": exe, "url": "file://" + path, "screenshot": screenshot, "timeout": (clientTimeout - 10*time.Second).Milliseconds()}
	if search != "" {
		cfg["search"] = search
	}
	b, _ := json.Marshal(cfg)
	var res reportPage
	// A browser that dies under a loaded machine's memory or CPU pressure
	// is the machine's failure, not the report's: one more try, logged.
	for attempt := 1; ; attempt++ {
		res = reportPage{}
		p := startProc(t, "report-browser.js", e2eDir, nodeBin, filepath.Join("node", "report-browser.js"), string(b))
		err := p.wait(clientTimeout)
		lines := p.stdout.all()
		if len(lines) == 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &res) != nil {
			t.Fatalf("report-browser.js printed no result (%v): %q\n%s", err, lines, p.describe())
		}
		if browserGone(res.Error) && attempt < 2 {
			t.Logf("Chromium went away (%s); trying once more\n%s", res.Error, p.describe())
			continue
		}
		if err != nil && res.Error == "" {
			t.Fatalf("report-browser.js: %v\nstdout %q\n%s", err, lines, p.describe())
		}
		break
	}
	if res.Error != "" {
		t.Fatalf("Chromium failed on the report: %s", res.Error)
	}
	if len(res.Console) > 0 {
		t.Errorf("the report logged errors or warnings in the console: %q", res.Console)
	}
	if len(res.Requests) > 0 {
		t.Errorf("the report made network requests: %q", res.Requests)
	}
	if res.ScreenshotError != "" {
		t.Logf("no screenshot of %s (the page itself was checked): %s", path, res.ScreenshotError)
	}
	t.Logf("report %s opened in %d ms; screenshot %s", path, res.LoadMs, screenshot)
	return &res
}

// browserGone reports whether report-browser.js failed because the
// browser process went away rather than because of the page.
func browserGone(msg string) bool {
	for _, s := range []string{"node exited before a result", "Target page, context or browser has been closed", "Browser has been closed", "browser has disconnected", "Target closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// runReport runs `sioproxy report` and returns its stderr lines.
func runReport(t *testing.T, args ...string) []string {
	t.Helper()
	needProxy(t)
	p := startProc(t, "sioproxy report", e2eDir, append([]string{sioproxyBin, "report"}, args...)...)
	if err := p.wait(5 * clientTimeout); err != nil {
		t.Fatalf("sioproxy report %q: %v\n%s", args, err, p.describe())
	}
	return p.stderr.all()
}

// TestReportBrowser records real socket.io traffic through sioproxy (an
// upgrade, a polling-only client, and a refused EIO=3 handshake), makes
// the HTML report and checks it in headless Chromium: no console errors,
// no network, the timeline, histograms, tables, faults and search work.
func TestReportBrowser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	srv := startServer(t, nil)
	px := startProxy(t, srv.url, "--record", rec)
	runs := []*clientRun{runClient(t, px.url, "default", nil), runClient(t, px.url, "polling", nil)}
	resp, err := http.Get(px.url + "/socket.io/?EIO=3&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, ok := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
		return slices.ContainsFunc(evs, func(e event.Event) bool { return e.Fault != nil && e.Fault.Code == "eio3_client_rejected" })
	}); !ok {
		t.Fatalf("sioproxy did not diagnose the EIO=3 handshake\n%s", px.describe())
	}
	// Every session closed, as the clients saw it.
	if _, ok := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
		n := 0
		for _, e := range evs {
			if e.Kind == "session" && e.Action == "close" {
				n++
			}
		}
		return n >= 2
	}); !ok {
		t.Fatalf("sioproxy did not see both sessions close\n%s", px.describe())
	}
	px.stop() // SIGTERM: the recording is flushed and closed

	out := filepath.Join(dir, "report.html")
	stderr := runReport(t, rec, "-o", out)
	if !slices.ContainsFunc(stderr, func(l string) bool { return strings.Contains(l, "wrote "+out) }) {
		t.Errorf("sioproxy report did not say where it wrote: %q", stderr)
	}
	art := artifactDir(t)
	res := openReport(t, out, "tock", filepath.Join(art, "report.png"))
	d := res.Dom

	sessions := 0
	for _, r := range runs {
		sessions += len(r.sids)
	}
	if d.SessionRows != sessions || d.SessionTableRows != sessions {
		t.Errorf("timeline rows %d, sessions table %d, want %d (the clients' sessions)", d.SessionRows, d.SessionTableRows, sessions)
	}
	if d.WebsocketSegments < 1 || d.Segments < sessions+1 || d.CloseMarks != sessions {
		t.Errorf("timeline: %d segments (%d WebSocket), %d close marks; want a polling and a WebSocket segment for the upgraded session and %d closes", d.Segments, d.WebsocketSegments, d.CloseMarks, sessions)
	}
	if !slices.Contains(d.FaultCards, "eio3_client_rejected") || d.FaultFixes != len(d.FaultCards) {
		t.Errorf("fault cards %q (%d with a fix), want eio3_client_rejected, each with its fix", d.FaultCards, d.FaultFixes)
	}
	if d.Histograms < 2 || slices.Contains(d.HistogramBars, 0) {
		t.Errorf("%d histograms with bars %v (%q): want ping RTT and ack latency, each with bars", d.Histograms, d.HistogramBars, d.HistogramTitles)
	}
	if !slices.ContainsFunc(d.HistogramTitles, func(s string) bool { return strings.Contains(s, "Ack latency: tock (c2s)") }) {
		t.Errorf("no ack latency histogram for tock: %q", d.HistogramTitles)
	}
	if !slices.Contains(d.EventNames, "tock c2s") || !slices.Contains(d.EventNames, "hello c2s") || d.MiniHistograms == 0 {
		t.Errorf("events table %q with %d small histograms, want tock and hello from the clients", d.EventNames, d.MiniHistograms)
	}
	tocks := 0
	for _, r := range runs {
		for _, p := range r.packets {
			// The EVENTs, and the server's ACKs, which name the event.
			if p.Event == "tock" || strings.Contains(string(p.Args), `"tock"`) {
				tocks++
			}
		}
	}
	if res.Search == nil || len(res.Search.Rows) != tocks || !strings.HasPrefix(res.Search.Count, strconv.Itoa(tocks)+" matching") {
		t.Errorf("searching \"tock\" found %+v, want the %d tock packets the clients sent", res.Search, tocks)
	}
	if res.Sort == nil || len(res.Sort.After) < 2 || !slices.IsSortedFunc(res.Sort.Before, func(a, b float64) int { return int(b - a) }) || !slices.IsSorted(res.Sort.After) {
		t.Errorf("clicking \"count\" should flip the events table from descending to ascending: %+v", res.Sort)
	}
	if d.PacketRows == 0 || strings.Contains(d.PacketNote, "Sampled") || d.Scripts != 2 {
		t.Errorf("packet list: %d rows, note %q, %d scripts; want every packet, unsampled, and only the page's two script blocks", d.PacketRows, d.PacketNote, d.Scripts)
	}
}

// TestReportLargeRecording: a recording of about 100 MB makes a report of
// bounded size whose packet list is a sample, which says so, and which
// Chromium opens.
func TestReportLargeRecording(t *testing.T) {
	needProxy(t)
	t.Parallel()
	dir := t.TempDir()
	rec := filepath.Join(dir, "big.jsonl")
	f, err := os.Create(rec)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	// 100 sessions × 250 messages × ~4 KiB: about 100 MB in 44k packets
	// (big messages keep a race-built sioproxy quick to decode them).
	st, err := synthrec.Write(bw, synthrec.Options{Sessions: 100, Messages: 250, Payload: 3800, Names: []string{"chat message", "typing", "cursor", "save", "load"}})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes < 95<<20 {
		t.Fatalf("the synthetic recording is %d bytes, want about 100 MB", st.Bytes)
	}
	out := filepath.Join(dir, "big.html")
	stderr := runReport(t, rec, "-o", out, "--packets", "5000")
	if !slices.ContainsFunc(stderr, func(l string) bool {
		return strings.Contains(l, "packet list sampled: 5000 of "+strconv.Itoa(st.Packets))
	}) {
		t.Errorf("sioproxy report should say the packet list is sampled (5000 of %d): %q", st.Packets, stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 10<<20 {
		t.Errorf("the report of a 100 MB recording is %d bytes; the sample should keep it small", fi.Size())
	}
	res := openReport(t, out, "", filepath.Join(artifactDir(t), "big-report.png"))
	d := res.Dom
	if d.SessionRows != 100 || d.PacketRows == 0 || !strings.Contains(d.PacketNote, "5,000 of the "+commas(st.Packets)) {
		t.Errorf("timeline rows %d, packet rows %d, note %q: want 100 sessions and a sample of 5,000 of %d stated", d.SessionRows, d.PacketRows, d.PacketNote, st.Packets)
	}
	if !slices.ContainsFunc(d.Notes, func(s string) bool { return strings.Contains(s, "uniform random sample") }) {
		t.Errorf("the summary does not say the packet list is sampled: %q", d.Notes)
	}
}

// commas writes n as the page does (toLocaleString en-US).
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestReportBrowserHARAndEmpty: a report from a Chrome HAR export, and one
// from a recording with no traffic at all, open cleanly too.
func TestReportBrowserHARAndEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, []byte(`{"sioproxy":1,"mode":"reverse"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	har := filepath.Join(dir, "har.html")
	runReport(t, filepath.Join("..", "recordings", "testdata", "chrome.har"), "-o", har)
	res := openReport(t, har, "chat", filepath.Join(artifactDir(t), "har.png"))
	if res.Dom.SessionRows != 1 || res.Dom.WebsocketSegments != 1 || !slices.Contains(res.Dom.EventNames, "chat c2s") {
		t.Errorf("the HAR's WebSocket session and its chat event should show: %+v", res.Dom)
	}
	if res.Search == nil || len(res.Search.Rows) == 0 {
		t.Errorf("searching the HAR's packets for chat found nothing: %+v", res.Search)
	}
	out := filepath.Join(dir, "empty.html")
	runReport(t, empty, "-o", out)
	res = openReport(t, out, "", filepath.Join(artifactDir(t), "empty.png"))
	if res.Dom.SessionRows != 0 || res.Dom.PacketRows != 0 || res.Dom.PacketNote != "All 0 packets." {
		t.Errorf("an empty recording: %+v", res.Dom)
	}
}
