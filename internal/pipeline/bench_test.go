package pipeline

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// The analyzer's capacity: observations per second one goroutine turns
// into events and --json lines (or events on the TUI's ring). Anything the
// proxy observes faster than this is dropped, so this is the drop-free
// rate per core. Each benchmark op is one observation of the loadbench
// shapes: 20 WebSocket sessions doing EVENT/ACK round trips, or 20 polling
// sessions whose POST carries the EVENT and whose GET carries the ACK.

const benchConns = 20

func benchWSObs(payload string) (setup, loop []obs.Obs) {
	for c := uint64(1); c <= benchConns; c++ {
		sid := fmt.Sprintf("sid%017d", c)
		setup = append(setup, wsSession(c, sid)[:3]...)
	}
	for c := uint64(1); c <= benchConns; c++ {
		loop = append(loop,
			obs.Obs{Kind: obs.KindWSMsg, Time: t0, WSMsg: &obs.WSMessage{Conn: c, Dir: decode.C2S, Opcode: 1, Data: []byte(`421["echo",` + payload + `]`)}},
			obs.Obs{Kind: obs.KindWSMsg, Time: t0, WSMsg: &obs.WSMessage{Conn: c, Dir: decode.S2C, Opcode: 1, Data: []byte(`431[` + payload + `]`)}},
		)
	}
	return setup, loop
}

func benchPollObs(payload string) (setup, loop []obs.Obs) {
	var id uint64
	ex := func(method, url string, status int, req, resp string) obs.Obs {
		id++
		return obs.Obs{Kind: obs.KindHTTP, Time: t0, HTTP: &obs.HTTPExchange{
			ID: id, Method: method, URL: url, Status: status, Start: t0, End: t0,
			ReqHeader: http.Header{}, RespHeader: http.Header{"Content-Type": {"text/plain; charset=UTF-8"}},
			ReqBody: []byte(req), ReqLen: int64(len(req)), RespBody: []byte(resp), RespLen: int64(len(resp)),
		}}
	}
	for c := 1; c <= benchConns; c++ {
		sid := fmt.Sprintf("sid%017d", c)
		setup = append(setup,
			ex("GET", "/socket.io/?EIO=4&transport=polling", 200, "", `0{"sid":"`+sid+`","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`),
			ex("POST", "/socket.io/?EIO=4&transport=polling&sid="+sid, 200, "40", "ok"),
		)
	}
	for c := 1; c <= benchConns; c++ {
		q := "/socket.io/?EIO=4&transport=polling&sid=" + fmt.Sprintf("sid%017d", c)
		loop = append(loop,
			ex("POST", q, 200, `421["echo",`+payload+`]`, "ok"),
			ex("GET", q, 200, "", `431[`+payload+`]`),
		)
	}
	return setup, loop
}

const smallPayload = `{"op":"get","key":"user:42","n":1}`

func BenchmarkAnalyzer(b *testing.B) {
	for _, bc := range []struct {
		name   string
		shape  func(string) ([]obs.Obs, []obs.Obs)
		events bool // the TUI's ring instead of --json
	}{
		{"ws-small/json", benchWSObs, false},
		{"ws-small/tui", benchWSObs, true},
		{"poll-small/json", benchPollObs, false},
		{"poll-small/tui", benchPollObs, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			setup, loop := bc.shape(smallPayload)
			// Room for every observation: the producer never waits, so
			// the process's CPU time is the analyzer's (and the sends').
			in := bus.NewQueue[obs.Obs](len(setup) + b.N)
			cfg := Config{In: in}
			if bc.events {
				cfg.Events = bus.NewRing[event.Event](1 << 16)
			} else {
				cfg.Out, cfg.Format = io.Discard, "json"
			}
			done := make(chan error, 1)
			go func() { done <- Run(context.Background(), cfg) }()
			push := func(o obs.Obs) {
				// Never drop: wait for the analyzer, so the benchmark
				// measures its rate rather than the queue's size.
				for !in.Push(o) {
					runtime.Gosched()
				}
			}
			for _, o := range setup {
				push(o)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				push(loop[i%len(loop)])
			}
			in.Close()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			// On a shared machine wall time says little; CPU time per
			// observation is what sets the rate per core.
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "obs/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/obs")
			if d := in.Dropped(); d != 0 {
				b.Fatalf("%d observations dropped", d)
			}
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
