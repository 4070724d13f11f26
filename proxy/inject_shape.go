package proxy

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/proxy/inject"
)

// Traffic shaping: delay, bandwidth and loss (as retransmission delays on
// WebSocket). Shaping only waits; it never changes a byte.

// maxRetransmits bounds loss's consecutive retransmissions of one chunk.
const maxRetransmits = 5

// retransmitTimeout is the first retransmission delay of loss, Linux's
// minimum TCP RTO; each further loss of the same chunk doubles it.
const retransmitTimeout = 200 * time.Millisecond

// shapeDelay returns how long to hold a chunk travelling c2s (or s2c):
// delay's latency plus, on WebSocket, loss's retransmissions.
func shapeDelay(set *inject.Set, c2s, ws bool) (time.Duration, *inject.Entry, *inject.Entry) {
	var d time.Duration
	de := set.Get(inject.Delay)
	if de != nil && de.Dir.Has(c2s) {
		d = de.Jittered()
	} else {
		de = nil
	}
	var le *inject.Entry
	if ws {
		if le = set.Get(inject.Loss); le != nil {
			rto := retransmitTimeout
			lost := false
			for i := 0; i < maxRetransmits && le.Roll(); i++ {
				d += rto
				rto *= 2
				lost = true
			}
			if !lost {
				le = nil
			}
		}
	}
	return d, de, le
}

// throttle sleeps as long as n bytes take at rate bytes per second.
func throttle(n int, rate int64) {
	if rate > 0 && n > 0 {
		time.Sleep(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	}
}

// sleepCtx sleeps d unless done closes first; it reports whether the
// sleep completed.
func sleepCtx(d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// shapeHTTP applies delay and bandwidth to an Engine.IO request: the
// request is held before it is forwarded (c2s), the answer before it is
// written (s2c), and bodies are paced. It returns false if the client left
// while the request was held.
func (p *Proxy) shapeHTTP(w http.ResponseWriter, r *http.Request, x *exchange) (http.ResponseWriter, *http.Request, bool) {
	set := p.opts.Inject
	de := set.Get(inject.Delay)
	be := set.Get(inject.Bandwidth)
	if de == nil && be == nil {
		return w, r, true
	}
	if de != nil {
		p.injectedOnce(de, "delayed", fmt.Sprintf("requests and answers of this session held %s", de.Text[len("delay="):]), x)
		if de.Dir.Has(true) {
			if !sleepCtx(de.Jittered(), r.Context().Done()) {
				return w, r, false
			}
		}
	}
	sw := &shapedWriter{ResponseWriter: w}
	if de != nil && de.Dir.Has(false) {
		sw.hold = de.Jittered()
	}
	if be != nil {
		p.injectedOnce(be, "throttled", fmt.Sprintf("bodies of this session paced at %d B/s", be.Rate), x)
		sw.rate = be.Rate
		if r.Body != nil && r.Body != http.NoBody {
			r2 := r.Clone(r.Context())
			r2.Body = &shapedBody{ReadCloser: r.Body, rate: be.Rate}
			r = r2
		}
	}
	return sw, r, true
}

// shapedWriter holds the answer's header for hold, then paces the body.
type shapedWriter struct {
	http.ResponseWriter
	hold    time.Duration
	rate    int64
	started bool
}

func (s *shapedWriter) start() {
	if !s.started {
		s.started = true
		time.Sleep(s.hold)
	}
}

func (s *shapedWriter) WriteHeader(code int) {
	s.start()
	s.ResponseWriter.WriteHeader(code)
}

func (s *shapedWriter) Write(b []byte) (int, error) {
	s.start()
	if s.rate <= 0 {
		return s.ResponseWriter.Write(b)
	}
	// Slices of a tenth of a second each, so the client sees a steady
	// trickle rather than bursts.
	step := max(int(s.rate/10), 1)
	n := 0
	for n < len(b) {
		k := min(step, len(b)-n)
		throttle(k, s.rate)
		m, err := s.ResponseWriter.Write(b[n : n+k])
		n += m
		if err != nil {
			return n, err
		}
		http.NewResponseController(s.ResponseWriter).Flush()
	}
	return n, nil
}

func (s *shapedWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// shapedBody paces a request body.
type shapedBody struct {
	io.ReadCloser
	rate int64
}

func (s *shapedBody) Read(b []byte) (int, error) {
	step := max(int(s.rate/10), 1)
	if len(b) > step {
		b = b[:step]
	}
	n, err := s.ReadCloser.Read(b)
	throttle(n, s.rate)
	return n, err
}
