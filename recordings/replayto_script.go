package recordings

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// maxScriptPackets bounds the Socket.IO packets kept for a replay to a
// server: the scripts are held in memory, so a huge recording must be cut
// down with --sid first.
const maxScriptPackets = 1 << 20

// step is one recorded Socket.IO packet of a session.
type step struct {
	at time.Time
	p  sio.Packet
	// reply is the client's recorded ACK to this server EVENT (s2c steps
	// only), sent again when the server asks the same question.
	reply *sio.Packet
	// acked is the server's recorded ACK to this client EVENT (c2s only),
	// ackAt when it arrived.
	acked *sio.Packet
	ackAt time.Time
	// seen (c2s only) is how many server packets other than acks the
	// recorded client had received when it sent this one, and seenAcks
	// which of its events had been acked: the replay waits for as much
	// before sending it, so that causality survives a faster replay (a
	// client that disconnects once it got an answer must not disconnect
	// before the question).
	seen     int
	seenAcks []*step
}

// script is what one recorded session did, in the order it did it.
type script struct {
	sid       string
	transport string // sioclient transport: "polling", "polling-only" or "websocket"
	eio       int
	path      string
	query     url.Values
	header    map[string]string
	opened    time.Time
	end       time.Time // the session's last Socket.IO packet
	c2s       []*step   // what the client sent, minus ACKs that answer server events (see reply)
	s2c       []*step   // what the server sent, minus ACKs (see acked)
	problem   string    // why the session cannot be replayed, "" if it can
}

// replayHeaders are the handshake request headers a replay sends again.
// Cookies are left out: they are the old session's (a sticky-session
// cookie would pin the new one to a node that may not exist).
var replayHeaders = []string{"Origin", "Authorization"}

// handshakeQuery drops the Engine.IO parameters a client sets itself.
var handshakeQuery = map[string]bool{"EIO": true, "transport": true, "sid": true, "t": true, "b64": true, "j": true}

// buildScripts decodes the whole recording with the same tracker live
// sioproxy uses and returns one script per Socket.IO session, by handshake
// time. Only onlySid's session is kept when it is set.
func buildScripts(r *Reader, opts session.Options, onlySid string) ([]*script, error) {
	tr := session.NewTracker(opts)
	urls := map[uint64]string{}   // exchange id → request URI
	wsURLs := map[uint64]string{} // conn → request URI
	hdrs := map[uint64]map[string]string{}
	wsHdrs := map[uint64]map[string]string{}
	byID := map[string]*script{}
	var order []*script
	upgraded := map[string]bool{}
	n := 0
	var fail error
	emit := func(ev event.Event) {
		if fail != nil || ev.Sid == "" || (onlySid != "" && ev.Sid != onlySid) {
			return
		}
		sc := byID[ev.Sid]
		switch {
		case ev.Kind == event.KindSession && ev.Action == "open":
			if sc != nil {
				return
			}
			sc = &script{sid: ev.Sid, eio: ev.EIO, opened: ev.TS, end: ev.TS, transport: "polling"}
			if ev.Transport == "websocket" {
				sc.transport = "websocket"
			}
			u, h := urls[ev.Exchange], hdrs[ev.Exchange]
			if ev.Conn != 0 {
				u, h = wsURLs[ev.Conn], wsHdrs[ev.Conn]
			}
			sc.path, sc.query = splitHandshakeURL(u, ev.Path)
			sc.header = h
			if ev.EIO != 4 {
				sc.problem = fmt.Sprintf("Engine.IO %d session: the replay client speaks Engine.IO 4 / Socket.IO 5 only", ev.EIO)
			}
			byID[ev.Sid] = sc
			order = append(order, sc)
		case ev.Kind == event.KindSession && ev.Action == "upgrade":
			upgraded[ev.Sid] = true
		case ev.Kind == event.KindPacket && ev.Type != "" && sc != nil && sc.problem == "":
			if ev.Parser == "msgpack" {
				sc.problem = "msgpack parser: the replay client encodes with the default parser only"
				return
			}
			if a := ev.Active; a != nil && (a.Dropped || a.Consumed || a.Injected && ev.Dir == "s2c") {
				// Not what the server received or sent: sioproxy dropped
				// it, or spoke for the server (issue 13).
				return
			}
			p, err := packetOf(ev)
			if err != nil {
				// An undecodable packet was already an error line live; it
				// is not resent.
				return
			}
			if n++; n > maxScriptPackets {
				fail = fmt.Errorf("more than %d Socket.IO packets: pick one session with --sid", maxScriptPackets)
				return
			}
			st := &step{at: ev.TS, p: p}
			if ev.Dir == "s2c" {
				sc.s2c = append(sc.s2c, st)
			} else {
				sc.c2s = append(sc.c2s, st)
			}
			if ev.TS.After(sc.end) {
				sc.end = ev.TS
			}
		}
	}
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case (o.Kind == obs.KindHTTPStart || o.Kind == obs.KindHTTP) && o.HTTP != nil:
			if _, ok := urls[o.HTTP.ID]; !ok {
				urls[o.HTTP.ID] = o.HTTP.URL
				hdrs[o.HTTP.ID] = pickHeaders(o.HTTP.ReqHeader.Get)
			}
		case o.Kind == obs.KindWSOpen && o.WSOpen != nil:
			wsURLs[o.WSOpen.Conn] = o.WSOpen.URL
			wsHdrs[o.WSOpen.Conn] = pickHeaders(o.WSOpen.ReqHeader.Get)
		}
		tr.Observe(o, emit)
		if fail != nil {
			return nil, fail
		}
		if o.Kind == obs.KindHTTP && o.HTTP != nil {
			// Finished exchanges are not looked up again; keep the maps small.
			delete(urls, o.HTTP.ID)
			delete(hdrs, o.HTTP.ID)
		}
	}
	for _, sc := range order {
		if sc.transport == "polling" && !upgraded[sc.sid] {
			sc.transport = "polling-only"
		}
		pairAcks(sc)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].opened.Before(order[j].opened) })
	return order, nil
}

func pickHeaders(get func(string) string) map[string]string {
	var h map[string]string
	for _, k := range replayHeaders {
		if v := get(k); v != "" && v != Redacted {
			if h == nil {
				h = map[string]string{}
			}
			h[k] = v
		}
	}
	return h
}

// splitHandshakeURL returns the Engine.IO path and the query parameters of
// the handshake that are the application's, not Engine.IO's.
func splitHandshakeURL(uri, fallbackPath string) (string, url.Values) {
	path, rawq, _ := strings.Cut(uri, "?")
	if path == "" {
		path, _, _ = strings.Cut(fallbackPath, "?")
	}
	if path == "" {
		path = "/socket.io/"
	}
	q, _ := url.ParseQuery(rawq)
	extra := url.Values{}
	for k, v := range q {
		if !handshakeQuery[k] {
			extra[k] = v
		}
	}
	return path, extra
}

// packetOf recovers the Socket.IO packet a packet event reported, exactly as
// it was on the wire (placeholders, key order and number spelling kept), so
// that the replay sends the same bytes.
func packetOf(ev event.Event) (sio.Packet, error) {
	raw := ev.Raw
	if len(raw) == 0 || raw[0] != '4' {
		return sio.Packet{}, fmt.Errorf("packet %q is not a text Engine.IO message", clip(raw))
	}
	p, err := sio.Parse(raw[1:], 5)
	if err != nil {
		return sio.Packet{}, err
	}
	if p.Type.IsBinary() {
		if len(ev.Buffers) != p.Attachments {
			return sio.Packet{}, fmt.Errorf("packet %q announces %d attachments, %d recorded", clip(raw), p.Attachments, len(ev.Buffers))
		}
		p.Buffers = ev.Buffers
	}
	if p.Nsp == "" {
		p.Nsp = "/"
	}
	return p, nil
}

func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

type ackRef struct {
	nsp string
	id  int64
}

// pairAcks moves each ACK onto the EVENT it answers: the client's to the
// server's event (resent when the server asks again, under its new id) and
// the server's to the client's event (the expected answer).
func pairAcks(sc *script) {
	pending := map[ackRef]*step{}
	for _, st := range sc.s2c {
		if isEvent(st.p.Type) && st.p.HasID {
			pending[ackRef{st.p.Nsp, st.p.ID}] = st
		}
	}
	c2s := sc.c2s[:0]
	for _, st := range sc.c2s {
		if isAck(st.p.Type) {
			k := ackRef{st.p.Nsp, st.p.ID}
			if ev := pending[k]; ev != nil && ev.reply == nil {
				p := st.p
				ev.reply = &p
				delete(pending, k)
				continue
			}
		}
		c2s = append(c2s, st)
	}
	sc.c2s = c2s

	asked := map[ackRef]*step{}
	for _, st := range sc.c2s {
		if isEvent(st.p.Type) && st.p.HasID {
			asked[ackRef{st.p.Nsp, st.p.ID}] = st
		}
	}
	s2c := sc.s2c[:0]
	for _, st := range sc.s2c {
		if isAck(st.p.Type) {
			k := ackRef{st.p.Nsp, st.p.ID}
			if ev := asked[k]; ev != nil && ev.acked == nil {
				p := st.p
				ev.acked, ev.ackAt = &p, st.at
				delete(asked, k)
			}
			// An ACK for no recorded event is not something the replay can
			// ask for again, so it is not expected either.
			continue
		}
		s2c = append(s2c, st)
	}
	sc.s2c = s2c

	for _, st := range sc.c2s {
		for _, sv := range sc.s2c {
			if !sv.at.After(st.at) {
				st.seen++
			}
		}
		for _, ev := range sc.c2s {
			if ev.acked != nil && !ev.ackAt.After(st.at) && ev.at.Before(st.at) {
				st.seenAcks = append(st.seenAcks, ev)
			}
		}
	}
}

func isEvent(t sio.PacketType) bool { return t == sio.Event || t == sio.BinaryEvent }
func isAck(t sio.PacketType) bool   { return t == sio.Ack || t == sio.BinaryAck }
