package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/eio"
)

// probePath checks the path variants: with and without the trailing
// slash, and /socket.io/ when another path was given. It returns a path
// where Engine.IO answers.
func (d *doctor) probePath(ctx context.Context, v eio.Version, main string, r *hsResult) (string, bool) {
	p := d.probe(LayerEngine, "path")
	variant := strings.TrimSuffix(main, "/")
	if variant == "" {
		variant = main
	}
	if r.ok || r.code >= 0 {
		p.Request = "GET " + esc(variant) + "?EIO=" + fmt.Sprint(int(v)) + "&transport=polling"
		rv := d.handshake(ctx, v, variant, nil)
		p.Response = rv.x.response()
		if rv.ok {
			d.closeHandshake(ctx, rv)
		}
		if rv.ok || rv.code >= 0 {
			p.pass("Engine.IO answers at %s and at %s", esc(main), esc(variant))
		} else {
			p.pass("Engine.IO answers at %s; not at %s (%s), so clients must keep the trailing slash (addTrailingSlash, the default)", esc(main), esc(variant), rv.describe())
		}
		return main, true
	}
	// Nothing at the clients' path: where else does it answer?
	tries := []string{variant}
	if main != "/socket.io/" {
		tries = append(tries, "/socket.io/")
	}
	var seen []string
	for _, t := range tries {
		rv := d.handshake(ctx, v, t, nil)
		seen = append(seen, fmt.Sprintf("%s → %s", esc(t), rv.describe()))
		if rv.ok || rv.code >= 0 {
			if rv.ok {
				d.closeHandshake(ctx, rv)
			}
			p.exchange(r.x)
			p.fail("no Engine.IO at %s (%s), but it answers at %s", esc(main), r.notEIO, esc(t)).fault(diagnose.CodePathMismatch)
			p.Details = seen
			if t == variant {
				p.Fix = fmt.Sprintf("The server's path has no trailing slash (`addTrailingSlash: false`) and clients add one: set the same `path` and `addTrailingSlash` on both sides (client: path %q).", t)
			} else {
				p.Fix = fmt.Sprintf("The server listens at %s: set `path: %q` on the clients, or the same path on the server and in any reverse proxy location.", t, t)
			}
			return t, true
		}
	}
	p.exchange(r.x)
	p.Details = seen
	if r.x.Status == 0 {
		p.fail("no answer at %s: %s", esc(main), r.notEIO)
		return "", false
	}
	what := "not Engine.IO"
	if ct := r.x.Header.Get("Content-Type"); ct != "" {
		what += " (" + esc(ct) + ")"
	}
	p.fail("GET %s?EIO=%d answered %s, %s: nothing serves Engine.IO at that path", esc(main), v, r.notEIO, what).fault(diagnose.CodePathMismatch)
	p.Fix = fmt.Sprintf("Find the server's `path` option (default /socket.io/) and pass it with --path; clients, server and any reverse proxy location must agree (tried %s).", strings.Join(append([]string{main}, tries...), ", "))
	return "", false
}
