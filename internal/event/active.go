package event

// Active is what sioproxy's active layer (intercept, rules, injection,
// faults) did to a packet or exchange: the --json "active" field. It is
// absent on the transparent path.
type Active struct {
	Rules    []string `json:"rules,omitempty"`    // rules, breakpoints or faults that acted, in order
	Injected bool     `json:"injected,omitempty"` // sent by sioproxy in the sender's name
	Dropped  bool     `json:"dropped,omitempty"`  // never reached the receiver
	Consumed bool     `json:"consumed,omitempty"` // an ACK to an injected EVENT, kept from the side that did not ask
	Reframed bool     `json:"reframed,omitempty"` // WebSocket frames written by sioproxy
	// Original is the message as its sender sent it, when it was changed
	// (binary data as {"_binary":"<base64>"}-free base64 text).
	Original string `json:"original,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Mark is the short form shown on plain lines and in the TUI, e.g.
// "[edited by r1]", "[dropped by r2]", "[injected]".
func (a *Active) Mark() string {
	if a == nil {
		return ""
	}
	what := "rule"
	switch {
	case a.Injected:
		what = "injected"
	case a.Consumed:
		what = "consumed"
	case a.Dropped:
		what = "dropped"
	case a.Original != "":
		what = "edited"
	case a.Reframed:
		what = "reframed"
	}
	if len(a.Rules) == 0 {
		return "[" + what + "]"
	}
	s := "[" + what + " by "
	for i, r := range a.Rules {
		if i > 0 {
			s += ","
		}
		s += r
	}
	return s + "]"
}
