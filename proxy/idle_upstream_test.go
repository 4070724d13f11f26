package proxy

import (
	"testing"
	"time"
)

// The transport must give up an idle upstream connection before a Node
// server (keepAliveTimeout 5 s) does; otherwise a polling POST can be
// written onto a connection the server is closing and fail with a reset
// that net/http does not retry.
func TestTransportIdleBelowNodeKeepAlive(t *testing.T) {
	const nodeKeepAlive = 5 * time.Second
	tr := NewTransport(nil, false)
	if tr.IdleConnTimeout <= 0 || tr.IdleConnTimeout >= nodeKeepAlive {
		t.Fatalf("IdleConnTimeout %v: want above 0 and below Node's keep-alive timeout %v", tr.IdleConnTimeout, nodeKeepAlive)
	}
}
