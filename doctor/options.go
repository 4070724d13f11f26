package doctor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options are the command line of `sioproxy doctor`.
type Options struct {
	URL        string          // http(s)://host[:port], the server as a client would name it
	Origin     string          // the page's origin; CORS is checked as a browser there would
	Path       string          // Engine.IO path, default /socket.io/
	Header     http.Header     // extra request headers (the client's extraHeaders)
	Auth       json.RawMessage // CONNECT auth object
	Nsp        string          // namespace to CONNECT, default "/"
	Transports []string        // "polling", "websocket"; default both
	EIO        int             // 4 (default) or 3: the version your clients speak
	CAFile     string          // PEM roots to verify the server with
	Insecure   bool            // do not verify the certificate (still reported)
	Timeout    time.Duration   // per probe, default 5 s
	Slow       bool            // hold a long-poll for a full pingInterval (F2)
	Write      bool            // POST just over maxPayload (H1): sends data
	Sessions   int             // parallel handshakes for the affinity check, default 6
	// HeartbeatMax is the longest pingInterval waited for without --slow;
	// default 5 s, so a quick run stays quick on default servers (25 s).
	HeartbeatMax time.Duration
}

func (o *Options) normalize() (*url.URL, error) {
	if !strings.Contains(o.URL, "://") {
		// "localhost:3000", as people type it: http, as io() assumes.
		o.URL = "http://" + o.URL
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: want http://host[:port] or https://host[:port]", o.URL)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("bad URL %q: scheme %q, want http or https", o.URL, u.Scheme)
	}
	if o.Path == "" {
		o.Path = "/socket.io/"
		// A URL with a path and no --path: a namespace, as io(url) reads it.
		if p := strings.TrimRight(u.Path, "/"); p != "" && o.Nsp == "" {
			o.Nsp = p
		}
	}
	if !strings.HasPrefix(o.Path, "/") {
		o.Path = "/" + o.Path
	}
	if o.Nsp == "" {
		o.Nsp = "/"
	}
	if !strings.HasPrefix(o.Nsp, "/") {
		return nil, fmt.Errorf("bad --nsp %q: a namespace starts with /", o.Nsp)
	}
	if o.EIO == 0 {
		o.EIO = 4
	}
	if o.EIO != 3 && o.EIO != 4 {
		return nil, fmt.Errorf("bad --eio %d: want 3 or 4", o.EIO)
	}
	if len(o.Transports) == 0 {
		o.Transports = []string{"polling", "websocket"}
	}
	for _, t := range o.Transports {
		if t != "polling" && t != "websocket" {
			return nil, fmt.Errorf("bad transport %q: want polling or websocket", t)
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Sessions <= 0 {
		o.Sessions = 6
	}
	if o.HeartbeatMax <= 0 {
		o.HeartbeatMax = 5 * time.Second
	}
	if len(o.Auth) > 0 {
		var m map[string]any
		if err := json.Unmarshal(o.Auth, &m); err != nil {
			return nil, fmt.Errorf("bad --auth %q: want a JSON object: %v", o.Auth, err)
		}
	}
	if o.Origin != "" {
		ou, err := url.Parse(o.Origin)
		if err != nil || ou.Host == "" || (ou.Scheme != "http" && ou.Scheme != "https") || (ou.Path != "" && ou.Path != "/") {
			return nil, fmt.Errorf("bad --origin %q: want scheme://host[:port], e.g. https://app.example.com", o.Origin)
		}
		o.Origin = ou.Scheme + "://" + ou.Host
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

func (o *Options) has(transport string) bool {
	for _, t := range o.Transports {
		if t == transport {
			return true
		}
	}
	return false
}
