package active

// A polling session sioproxy relayed transparently never passed through
// Conn.observe, so its Conn cannot know the session's parser; the
// analyzer, which decodes every packet, can. It tells the Engine which
// sessions speak msgpack, so that what sioproxy injects into them is
// encoded with their parser.

// maxParserHints bounds the sids remembered before their polling session
// is seen by the active layer (sessions that never become one).
const maxParserHints = 4096

// NoteMsgpack records that the session sid uses socket.io-msgpack-parser,
// as the analyzer decoded it. Safe for concurrent use; cheap when known.
func (e *Engine) NoteMsgpack(sid string) {
	if sid == "" {
		return
	}
	e.mu.Lock()
	pl := e.polls[sid]
	if pl == nil {
		if e.msgpackSids == nil || len(e.msgpackSids) >= maxParserHints {
			e.msgpackSids = map[string]struct{}{}
		}
		e.msgpackSids[sid] = struct{}{}
	}
	e.mu.Unlock()
	if pl != nil {
		pl.c.mu.Lock()
		pl.c.msgpack = true
		pl.c.mu.Unlock()
	}
}

// takeMsgpackHint reports and forgets whether sid was noted as msgpack
// before its Conn existed; e.mu is held.
func (e *Engine) takeMsgpackHint(sid string) bool {
	if _, ok := e.msgpackSids[sid]; ok {
		delete(e.msgpackSids, sid)
		return true
	}
	return false
}
