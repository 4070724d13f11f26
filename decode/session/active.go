package session

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// packetActive sets the mark of the i-th packet of a polling exchange's
// body when the active layer marked its packets one by one
// (obs.HTTPExchange.PacketActive); it returns what to restore after.
func (t *Tracker) packetActive(x *obs.HTTPExchange, i int) *event.Active {
	saved := t.active
	if x.PacketActive != nil {
		t.active = nil
		if i < len(x.PacketActive) {
			t.active = activeOfMark(x.PacketActive[i])
		}
	}
	return saved
}

// activeOf converts the active layer's mark on an observation into the
// event field, or nil when the observation carries none.
func activeOf(o obs.Obs) *event.Active {
	var a *obs.Active
	switch {
	case o.WSMsg != nil:
		a = o.WSMsg.Active
	case o.HTTP != nil:
		a = o.HTTP.Active
	}
	return activeOfMark(a)
}

func activeOfMark(a *obs.Active) *event.Active {
	if a == nil {
		return nil
	}
	ea := &event.Active{Rules: a.Rules, Injected: a.Injected, Dropped: a.Dropped, Consumed: a.Consumed,
		Reframed: a.Reframed, Note: a.Note}
	if a.Original != nil {
		if a.OriginalBinary || !utf8.Valid(a.Original) {
			ea.Original = "base64:" + base64.StdEncoding.EncodeToString(a.Original)
		} else {
			ea.Original = string(a.Original)
		}
	}
	return ea
}
