package diagnose

import (
	"slices"
)

// causes lists, for a fault code, the root faults it follows from when
// they were reported for the same session first. Round-robin without
// affinity, for instance, makes the client poll a server that does not hold
// its session: the 400 that answers is C1/C2, and the overlapping polls
// that come with it are not a second problem to fix (issue 12).
var causes = map[string][]string{
	CodePollOverlap:       {CodeSidOtherUpstream, CodeSidBackendChanged, CodeSessionUnknownLive},
	CodeSessionUnknown:    {CodeSidOtherUpstream, CodeSidBackendChanged, CodeSessionUnknownLive},
	CodeCookieNotSent:     {CodeSidOtherUpstream, CodeSidBackendChanged},
	CodeTransportMismatch: {CodeSidOtherUpstream, CodeSidBackendChanged},
	CodeCSRFailed:         {CodeCSROffsetMissing, CodeSidOtherUpstream, CodeSessionUnknownLive},
}

// causeOf returns the root fault code f follows from, "" if none.
func (e *Engine) causeOf(f finding) string {
	roots := causes[f.code]
	if len(roots) == 0 || f.sid == "" {
		return ""
	}
	ss := e.sids[f.sid]
	if ss == nil {
		return ""
	}
	for _, c := range ss.codes {
		if slices.Contains(roots, c) {
			return c
		}
	}
	return ""
}

// causedFix is the fix of a fault that follows from another: fix the
// cause; the consequence goes with it.
func causedFix(cause string) string {
	ent := byCode[cause]
	if ent == nil {
		return ""
	}
	return "Follows from " + ent.Catalog + " " + ent.Code + ": fix that (" + ent.Fix + ")"
}
