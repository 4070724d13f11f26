package eio

import (
	"encoding/json"

	"github.com/sioproxy/sioproxy/decode"
)

// Handshake is the JSON of an open packet. (It cannot be called Open: that
// name is the PacketType constant.)
type Handshake struct {
	Sid           string
	Upgrades      []string
	PingInterval  int // ms
	PingTimeout   int // ms
	MaxPayload    int64
	HasMaxPayload bool // maxPayload present (v4 servers since engine.io 6.2.0)
}

type openJSON struct {
	Sid          *string  `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval *int     `json:"pingInterval"`
	PingTimeout  *int     `json:"pingTimeout"`
	MaxPayload   *int64   `json:"maxPayload"`
}

// ParseOpen parses the open packet's data (the JSON after the "0"). A missing
// sid is an error; missing upgrades is accepted because old v3 WebSocket-only
// samples omit it.
func ParseOpen(data []byte) (Handshake, error) {
	var j openJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Handshake{}, &decode.Error{Layer: "eio", Offset: jsonOffset(err), Index: -1, Msg: "invalid open packet JSON", Err: err}
	}
	if j.Sid == nil || *j.Sid == "" {
		return Handshake{}, decode.Errorf("eio", 0, "open packet has no sid")
	}
	o := Handshake{Sid: *j.Sid, Upgrades: j.Upgrades}
	if j.PingInterval != nil {
		o.PingInterval = *j.PingInterval
	}
	if j.PingTimeout != nil {
		o.PingTimeout = *j.PingTimeout
	}
	if j.MaxPayload != nil {
		o.MaxPayload, o.HasMaxPayload = *j.MaxPayload, true
	}
	return o, nil
}

func jsonOffset(err error) int {
	switch e := err.(type) {
	case *json.SyntaxError:
		return int(e.Offset)
	case *json.UnmarshalTypeError:
		return int(e.Offset)
	}
	return -1
}
