package session

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

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
