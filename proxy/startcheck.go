package proxy

import (
	"context"
	"net"
	"net/url"
	"sync"
	"time"
)

// TargetCheck is the start-up check of one target: Err is nil when it
// accepted a TCP connection.
type TargetCheck struct {
	Target string // base URL, as observations name the upstream
	Err    error
}

// CheckTargets tries one TCP connection to each target, all at once, each
// bounded by timeout. It only warns: a target that is down now may come
// up later, and the proxy relays either way (issue 12).
func CheckTargets(ctx context.Context, targets []*url.URL, timeout time.Duration) []TargetCheck {
	out := make([]TargetCheck, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		out[i].Target = baseURL(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].Err = dialCheck(ctx, t, timeout)
		}()
	}
	wg.Wait()
	return out
}

func dialCheck(ctx context.Context, t *url.URL, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := t.Port()
	if port == "" {
		port = "80"
		if t.Scheme == "https" || t.Scheme == "wss" {
			port = "443"
		}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(t.Hostname(), port))
	if err != nil {
		return err
	}
	return c.Close()
}
