package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoMakesRealTraffic checks the demo's cast produces what the TUI is
// meant to show: upgrades, polling, and the staged faults' wire evidence.
func TestDemoMakesRealTraffic(t *testing.T) {
	q := bus.NewQueue[obs.Obs](1 << 16)
	d, err := Start(context.Background(), Options{Sinks: []*bus.Queue[obs.Obs]{q}, Pace: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"ws.open": false, "upgrade 5": false, "session unknown 400": false, "admin refused": false, "foreign origin": false, "binary": false}
	deadline := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case o := <-q.C():
			switch o.Kind {
			case obs.KindWSOpen:
				want["ws.open"] = true
			case obs.KindWSMsg:
				if string(o.WSMsg.Data) == "5" {
					want["upgrade 5"] = true
				}
				if o.WSMsg.Opcode == 2 {
					want["binary"] = true
				}
			case obs.KindHTTP:
				h := o.HTTP
				if h.Status == 400 && strings.Contains(string(h.RespBody), "Session ID unknown") {
					want["session unknown 400"] = true
				}
				if strings.Contains(string(h.RespBody), "not authorized") {
					want["admin refused"] = true
				}
				if h.ReqHeader.Get("Origin") == "http://evil.example" && h.RespHeader.Get("Access-Control-Allow-Origin") == "" && h.Status == 200 {
					want["foreign origin"] = true
				}
			}
			done = true
			for _, ok := range want {
				done = done && ok
			}
		case <-deadline:
			t.Fatalf("demo traffic after 30s: %v", want)
		}
	}
	d.Close()
}
