package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/internal/event"
)

// pkt is a Socket.IO packet reduced to what every side must agree on.
type pkt struct {
	Type  string
	Nsp   string
	ID    string // "" when the packet has no ack id
	Event string
	Args  string // canonical JSON, "" when absent or null
}

func (p pkt) String() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteString(" " + p.Nsp)
	if p.ID != "" {
		b.WriteString(" id=" + p.ID)
	}
	if p.Event != "" {
		b.WriteString(" event=" + strconv.Quote(p.Event))
	}
	if p.Args != "" {
		a := p.Args
		if len(a) > 200 {
			a = a[:200] + fmt.Sprintf("…(%d bytes)", len(p.Args))
		}
		b.WriteString(" args=" + a)
	}
	return b.String()
}

// canonJSON re-encodes JSON so that equal values compare equal as strings
// (object keys sorted, numbers and escapes normalised).
func canonJSON(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "INVALID JSON: " + string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "UNENCODABLE: " + err.Error()
	}
	return string(b)
}

func idString(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

func fromWire(w wirePacket) pkt {
	return pkt{Type: w.Type, Nsp: w.Nsp, ID: idString(w.ID), Event: w.Event, Args: canonJSON(w.Args)}
}

// fromEvent reads a sioproxy packet line the way README's --json schema
// defines it: for EVENT and BINARY_EVENT, event is the name and args the
// arguments after it; otherwise args is the packet's whole payload.
func fromEvent(e event.Event) pkt {
	nsp := e.Nsp
	if nsp == "" {
		nsp = "/"
	}
	return pkt{Type: e.Type, Nsp: nsp, ID: idString(e.ID), Event: e.Event, Args: canonJSON(e.Args)}
}

// flow is the packets of one session in one direction.
type flowKey struct {
	Sid string
	Dir string // c2s or s2c
}

// nodeFlows groups a Node side's packet lines; sent/recv map to c2s/s2c
// from that side's point of view.
func nodeFlows(packets []wirePacket) map[flowKey][]pkt {
	out := map[flowKey][]pkt{}
	for _, w := range packets {
		dir := "c2s"
		if (w.Side == "client") == (w.Dir == "recv") {
			dir = "s2c"
		}
		k := flowKey{w.Sid, dir}
		out[k] = append(out[k], fromWire(w))
	}
	return out
}

// proxyFlows groups sioproxy's Socket.IO packet lines.
func proxyFlows(events []event.Event) map[flowKey][]pkt {
	out := map[flowKey][]pkt{}
	for _, e := range events {
		if e.Kind != event.KindPacket || e.Type == "" {
			continue
		}
		k := flowKey{e.Sid, e.Dir}
		out[k] = append(out[k], fromEvent(e))
	}
	return out
}

// diffFlows describes every difference between the flows want (named
// wantName) and got, one problem per line; "" when they are equal.
func diffFlows(wantName string, want map[flowKey][]pkt, gotName string, got map[flowKey][]pkt) string {
	keys := map[flowKey]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	sorted := make([]flowKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Sid != sorted[j].Sid {
			return sorted[i].Sid < sorted[j].Sid
		}
		return sorted[i].Dir < sorted[j].Dir
	})
	var b strings.Builder
	for _, k := range sorted {
		if d := diffSeq(want[k], got[k]); d != "" {
			fmt.Fprintf(&b, "sid %q %s: %s has %d packets, %s has %d: %s\n", k.Sid, k.Dir, wantName, len(want[k]), gotName, len(got[k]), d)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// diffSeq names the first packet where two sequences part.
func diffSeq(want, got []pkt) string {
	for i := 0; i < len(want) || i < len(got); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("missing from packet %d on: %s", i, want[i])
		case i >= len(want):
			return fmt.Sprintf("extra from packet %d on: %s", i, got[i])
		case !samePkt(want[i], got[i]):
			return fmt.Sprintf("packet %d differs:\n    want %s\n    got  %s\n    want from there: %s\n    got from there:  %s",
				i, want[i], got[i], listFrom(want, i), listFrom(got, i))
		}
	}
	return ""
}

// samePkt compares packets; it also accepts the one legitimate variation in
// representation: a protocol 4 (EIO3) CONNECT carries its auth as a query
// in the namespace ("/admin?token=x"), which a decoder may either keep in
// nsp or move to args as an object, as socket.io's server does.
func samePkt(want, got pkt) bool {
	if want == got {
		return true
	}
	nsp, query, ok := strings.Cut(want.Nsp, "?")
	if !ok || want.Type != "CONNECT" || want.Args != "" {
		return false
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	obj := map[string]string{}
	for k, v := range vals {
		obj[k] = v[0]
	}
	b, _ := json.Marshal(obj)
	want.Nsp, want.Args = nsp, canonJSON(b)
	return want == got
}

// listFrom lists a few packets from index i on, for context.
func listFrom(ps []pkt, i int) string {
	const n = 4
	var parts []string
	for j := i; j < len(ps) && j < i+n; j++ {
		parts = append(parts, fmt.Sprintf("[%d] %s", j, ps[j]))
	}
	if len(ps) > i+n {
		parts = append(parts, fmt.Sprintf("… %d more", len(ps)-i-n))
	}
	return strings.Join(parts, " | ")
}

// restrict keeps the flows of the given sessions.
func restrict(flows map[flowKey][]pkt, sids map[string]bool) map[flowKey][]pkt {
	out := map[flowKey][]pkt{}
	for k, v := range flows {
		if sids[k.Sid] {
			out[k] = v
		}
	}
	return out
}
