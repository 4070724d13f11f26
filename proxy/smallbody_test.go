package proxy

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// bodyTransport records the body it was asked to send.
type bodyTransport struct {
	body     io.ReadCloser
	got      []byte
	readErr  error
	inMemory bool
}

func (t *bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.body = req.Body
	t.inMemory = inMemory(req.Body)
	t.got, t.readErr = io.ReadAll(req.Body)
	if t.readErr != nil {
		return nil, t.readErr
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: req}, nil
}

// inMemory mirrors net/http's isKnownInMemoryReader: the bodies it sends
// with the request headers in one write instead of flushing them first.
func inMemory(r io.Reader) bool {
	for {
		switch r.(type) {
		case *bytes.Reader, *bytes.Buffer, *strings.Reader:
			return true
		}
		v := reflect.ValueOf(r)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct || !strings.HasPrefix(v.Type().Name(), "nopCloser") {
			return false
		}
		r = v.FieldByName("Reader").Interface().(io.Reader)
	}
}

// clientBody is a request body as net/http's server gives it: not a
// known in-memory reader, possibly cut short by the client.
type clientBody struct {
	r   io.Reader
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF && b.err != nil {
		err = b.err
	}
	return n, err
}

func (b *clientBody) Close() error { return nil }

func TestSmallRequestBodyForwardedInMemory(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size       int
		cut        int // bytes the client sends before it fails, 0 for all
		bodyCap    int
		expect     string
		wantMemory bool
		wantStart  bool
	}{
		{name: "polling POST", size: 40, wantMemory: true, wantStart: true},
		{name: "64 KiB", size: 64 << 10, wantMemory: true, wantStart: true},
		{name: "body cap below the body", size: 1000, bodyCap: 100, wantMemory: true, wantStart: true},
		{name: "larger than smallBody is streamed", size: 64<<10 + 1, wantStart: true},
		{name: "Expect: 100-continue is streamed", size: 40, expect: "100-continue", wantStart: true},
		{name: "client stops early", size: 1000, cut: 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := bus.NewQueue[obs.Obs](16)
			bt := &bodyTransport{}
			u, _ := url.Parse("http://upstream.invalid")
			p, err := New(Options{Targets: []*url.URL{u}, Sinks: []*bus.Queue[obs.Obs]{sink}, Transport: bt, BodyCap: tc.bodyCap})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			want := bytes.Repeat([]byte("0123456789"), tc.size/10+1)[:tc.size]
			body := &clientBody{r: bytes.NewReader(want)}
			if tc.cut > 0 {
				body = &clientBody{r: bytes.NewReader(want[:tc.cut]), err: io.ErrUnexpectedEOF}
			}
			req, _ := http.NewRequest("POST", "http://upstream.invalid/socket.io/?EIO=4&transport=polling&sid=x", body)
			req.ContentLength = int64(tc.size)
			if tc.expect != "" {
				req.Header.Set("Expect", tc.expect)
			}
			resp, err := p.transport.RoundTrip(req)
			if tc.cut > 0 {
				if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(bt.got, want[:tc.cut]) {
					t.Fatalf("cut body: err %v, upstream got %d bytes, want the %d sent and the client's error", err, len(bt.got), tc.cut)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if !bytes.Equal(bt.got, want) {
					t.Fatalf("upstream got %d bytes, not the %d sent", len(bt.got), len(want))
				}
			}
			if bt.inMemory != tc.wantMemory {
				t.Errorf("body forwarded in memory = %v, want %v (%T)", bt.inMemory, tc.wantMemory, bt.body)
			}
			var kinds []obs.Kind
			var last *obs.HTTPExchange
			for sink.Len() > 0 {
				o := <-sink.C()
				kinds = append(kinds, o.Kind)
				last = o.HTTP
			}
			if gotStart := len(kinds) > 0 && kinds[0] == obs.KindHTTPStart; gotStart != tc.wantStart {
				t.Errorf("observations %v: request half reported = %v, want %v", kinds, gotStart, tc.wantStart)
			}
			if last == nil || last.ReqLen != int64(len(bt.got)) {
				t.Fatalf("exchange %+v: want ReqLen %d", last, len(bt.got))
			}
			keep := len(bt.got)
			if tc.bodyCap > 0 {
				keep = min(keep, tc.bodyCap)
			}
			if !bytes.Equal(last.ReqBody, bt.got[:keep]) || last.ReqTrunc != (keep < len(bt.got)) {
				t.Errorf("observed body %d bytes (trunc %v), want the first %d of %d", len(last.ReqBody), last.ReqTrunc, keep, len(bt.got))
			}
		})
	}
}
