package sio

// ConnectInfo is what a CONNECT packet says. Client to server: Auth is the
// whole payload object (the auth the app passed, merged with pid and offset
// by connection state recovery). Server to client: Sid, and Pid when
// recovery is on.
type ConnectInfo struct {
	Sid, Pid, Offset string
	Auth             []byte // raw JSON object, nil when absent
}

// ParseConnect reads a CONNECT packet's payload. A protocol 4 CONNECT has
// no payload; its auth travels as the namespace query (Packet.Query).
func ParseConnect(p *Packet) (ConnectInfo, error) {
	var ci ConnectInfo
	if p.Type != Connect {
		return ci, errAt(-1, "not a CONNECT packet: %s", p.Type)
	}
	if p.Data == nil {
		return ci, nil
	}
	err := eachMember(p.Data, func(key, val []byte, kind tokKind) {
		if kind != tkString {
			return
		}
		switch {
		case strIs(key, "sid"):
			ci.Sid = unquote(val)
		case strIs(key, "pid"):
			ci.Pid = unquote(val)
		case strIs(key, "offset"):
			ci.Offset = unquote(val)
		}
	})
	if err != nil {
		return ci, err
	}
	ci.Auth = p.Data
	return ci, nil
}

// ConnectErrorInfo is a refusal: Message, and Data the raw JSON of
// err.data. (The name ConnectError is the packet type constant.)
type ConnectErrorInfo struct {
	Message string
	Data    []byte
}

// ParseConnectError reads CONNECT_ERROR in both shapes: protocol 5
// {"message":…,"data":…}, and protocol 4's ERROR, a string or err.data
// itself (then Data is the whole payload and Message its "message" member
// if it has one).
func ParseConnectError(p *Packet) (ConnectErrorInfo, error) {
	var ce ConnectErrorInfo
	if p.Type != ConnectError {
		return ce, errAt(-1, "not a CONNECT_ERROR packet: %s", p.Type)
	}
	if p.Data == nil {
		return ce, nil
	}
	l := newLexer(p.Data)
	t := l.next()
	switch t.kind {
	case tkString:
		ce.Message = unquote(p.Data[t.start:t.end])
		return ce, nil
	case tkBeginObj:
	default:
		ce.Data = p.Data
		return ce, nil
	}
	hasMessage := false
	err := eachMember(p.Data, func(key, val []byte, kind tokKind) {
		switch {
		case strIs(key, "message") && kind == tkString:
			ce.Message, hasMessage = unquote(val), true
		case strIs(key, "data"):
			ce.Data = val
		}
	})
	if !hasMessage {
		ce.Data = p.Data
	}
	return ce, err
}

// eachMember calls fn with each member of the top-level JSON object: the
// key's and the value's raw JSON and the value's kind.
func eachMember(data []byte, fn func(key, val []byte, kind tokKind)) error {
	l := newLexer(data)
	t := l.next()
	if t.kind == tkError {
		return errAt(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
	}
	if t.kind != tkBeginObj {
		return errAt(0, "%s: expected an object, got %s", MsgInvalidPayload, kindNames[t.kind])
	}
	for {
		k := l.next()
		switch k.kind {
		case tkEndObj:
			return nil
		case tkError:
			return errAt(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
		}
		v := l.next()
		end := l.skipValue(v)
		if end.kind == tkError {
			return errAt(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
		}
		fn(data[k.start:k.end], data[v.start:end.end], v.kind)
	}
}
