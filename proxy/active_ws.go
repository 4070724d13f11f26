package proxy

import (
	"io"
	"net/http"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// activate hands the connection to the active layer (Options.Active). The
// relay then passes every chunk it reads to it; the tap keeps observing
// exactly what each receiver is sent.
func (rl *relay) activate(resp *http.Response) {
	t := rl.tap
	rl.act = rl.p.opts.Active.OpenWS(active.WSConfig{
		ID:         rl.id,
		Client:     rl.x.client,
		URL:        rl.x.uri,
		Extensions: resp.Header.Get("Sec-WebSocket-Extensions"),
		TapParser:  func(dir decode.Dir) *ws.Parser { return t.dirs[dir].parser },
		Observe: func(dir decode.Dir, b []byte, a *obs.Active) {
			t.feedMarked(dir, b, a, rl.seq.Add(1))
		},
		Push:     rl.p.push,
		Write:    [2]io.Writer{rl.upstream, rl.client},
		Teardown: rl.teardown,
	})
	for i := range t.dirs {
		t.dirs[i].act = rl.act
	}
}
