package obs

// Active says what sioproxy's active layer (package proxy/active) did to
// one message or exchange. It is nil on the transparent path, so a
// recording without intercepts, rules or injections is unchanged.
type Active struct {
	// Rules names every rule, breakpoint or fault that acted, in order.
	Rules []string `json:"rules,omitempty"`
	// Original is the message as its sender sent it, when it was changed
	// (nil when it was forwarded unchanged or was injected); base64 in a
	// recording.
	Original []byte `json:"original,omitempty"`
	// OriginalBinary tells whether Original was a binary message.
	OriginalBinary bool `json:"original_binary,omitempty"`
	// Injected marks a message sioproxy sent in the sender's name.
	Injected bool `json:"injected,omitempty"`
	// Dropped marks a message the receiver never got.
	Dropped bool `json:"dropped,omitempty"`
	// Consumed marks an ACK answering an injected EVENT: shown here, never
	// delivered to the side that did not ask for it.
	Consumed bool `json:"consumed,omitempty"`
	// Reframed marks a WebSocket message whose frames sioproxy wrote
	// itself (new mask, one frame, its own deflate context).
	Reframed bool `json:"reframed,omitempty"`
	// Note is a short human remark, e.g. the ack latency.
	Note string `json:"note,omitempty"`
}

// Add appends a rule name unless it is already the last one.
func (a *Active) Add(rule string) {
	if rule == "" || (len(a.Rules) > 0 && a.Rules[len(a.Rules)-1] == rule) {
		return
	}
	a.Rules = append(a.Rules, rule)
}
