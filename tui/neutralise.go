package tui

import (
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/termsafe"
)

// The UI neutralises wire text where it enters the model, once per event
// and per session row, so every cell, the detail pane, the filter and the
// fault pane work on text that a terminal cannot interpret: the rendering
// code adds its own styling and can trust what it formats. Clean strings
// pass without a copy.

// neutralise escapes every wire-derived string of ev in place. A fault is
// copied before it is changed: other consumers share the pointer.
func neutralise(ev *event.Event) {
	for _, p := range [...]*string{&ev.Sid, &ev.Transport, &ev.Dir, &ev.Client, &ev.Engine, &ev.Data,
		&ev.Type, &ev.Nsp, &ev.Event, &ev.AckEvent, &ev.Parser, &ev.Action, &ev.Reason, &ev.By,
		&ev.Method, &ev.Path, &ev.Error, &ev.Where, &ev.How, &ev.Upstream} {
		*p = termsafe.String(*p)
	}
	ev.Kind = event.Kind(termsafe.String(string(ev.Kind)))
	ev.Upgrades = neutraliseAll(ev.Upgrades)
	if len(ev.Args) > 0 {
		ev.Args = termsafe.JSON(ev.Args)
	}
	if f := ev.Fault; f != nil && !faultSafe(f) {
		c := *f
		c.Code, c.Catalog, c.Summary, c.Fix = termsafe.String(c.Code), termsafe.String(c.Catalog), termsafe.String(c.Summary), termsafe.String(c.Fix)
		c.Severity = event.Severity(termsafe.String(string(c.Severity)))
		c.Evidence = neutraliseAll(c.Evidence)
		c.Cause, c.Target = termsafe.String(c.Cause), termsafe.String(c.Target)
		ev.Fault = &c
	}
}

func faultSafe(f *event.Fault) bool {
	for _, s := range f.Evidence {
		if !termsafe.IsSafe(s) {
			return false
		}
	}
	return termsafe.IsSafe(f.Code) && termsafe.IsSafe(f.Catalog) && termsafe.IsSafe(f.Summary) &&
		termsafe.IsSafe(f.Fix) && termsafe.IsSafe(string(f.Severity)) && termsafe.IsSafe(f.Cause) && termsafe.IsSafe(f.Target)
}

// neutraliseAll returns ss, or a neutralised copy if any element needs it.
func neutraliseAll(ss []string) []string {
	for i, s := range ss {
		if termsafe.IsSafe(s) {
			continue
		}
		out := append([]string(nil), ss...)
		for j := i; j < len(out); j++ {
			out[j] = termsafe.String(out[j])
		}
		return out
	}
	return ss
}

// neutraliseRow escapes a session row from the tracker.
func neutraliseRow(r *SessionRow) {
	for _, p := range [...]*string{&r.Sid, &r.Client, &r.Transport, &r.Upgrade, &r.ClosedReason} {
		*p = termsafe.String(*p)
	}
	r.Namespaces = neutraliseAll(r.Namespaces)
}
