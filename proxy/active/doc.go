// Package active is sioproxy's active rewrite layer: the one place where
// traffic is changed instead of only observed. Breakpoints, rules files,
// injections from the control socket and fault injection are all "actors"
// registered on one Engine; the relay in package proxy hands traffic to the
// Engine only when an actor can apply, and otherwise stays on its
// byte-exact transparent path.
//
// # Activation (zero cost when idle)
//
// proxy.Options.Active holds the Engine (nil: the relay never consults it).
// With an Engine but no actor registered the relay costs one atomic load
// per chunk: bytes are still forwarded as read. A connection direction
// switches to message-level mode, at a message boundary, only while some
// MessageHook is registered (Engine.WantsMessages) or the connection itself
// waits for something (an ACK to an injected EVENT). In message-level mode
// each WebSocket message is reassembled and offered to the hooks before it
// is forwarded; a message no hook changed is still forwarded as its original
// wire bytes. From the first change on, that direction is re-framed by
// sioproxy: fresh masking keys client→server, one frame per message, and,
// with permessage-deflate, sioproxy inflates what the sender sent and
// deflates with its own compression context towards the receiver (a
// receiver that asked for a window under 32 KiB gets uncompressed
// messages, which RFC 7692 allows). Injected frames never need re-framing:
// they go out uncompressed between whole messages.
//
// Polling goes the same way at the exchange level: while an ExchangeHook
// or MessageHook is registered, or an injection is pending for the
// session, Engine.IO requests are buffered whole (they are small and
// capped by the server's maxHttpBufferSize), decoded into packets, offered
// to the hooks, and re-encoded (EIO3 length prefixes, EIO4 record
// separators, base64 binary) when something changed.
//
// # Hook points
//
// An Actor implements one or more of:
//
//	UpgradeHook   OnUpgrade(*Upgrade)            a WebSocket upgrade request,
//	                                             before it goes upstream; may
//	                                             Refuse it (e.g. answer 400)
//	MessageHook   OnMessage(*Conn, *Message)     every Engine.IO packet, per
//	                                             direction, WebSocket or
//	                                             polling: Raw bytes, decoded
//	                                             Engine.IO packet, decoded
//	                                             Socket.IO packet; may Drop,
//	                                             Delay, Replace, Hold, Inject
//	ExchangeHook  OnRequest(*Exchange)           a polling request before it
//	              OnResponse(*Exchange)          goes upstream, and its whole
//	                                             answer before it goes back:
//	                                             status, headers, body; may
//	                                             Respond without the upstream
//	CloseHook     OnClose(*Conn)                 a connection ended
//
// and a Conn (one WebSocket, or one polling session) offers Inject (a
// Socket.IO event, as either side, ack ids remapped), InjectRaw (an
// Engine.IO packet), Close (close frame or abrupt reset) and Age.
//
// Hooks run on the relay goroutine of that direction, in registration
// order; they must not block unless they mean to hold the stream
// (Message.Hold), which queues every later message of that direction.
// Every action names the rule that took it; the names reach the
// observation (obs.Active), hence the --json "active" field, the plain
// line's mark, the TUI and recordings, which keep the original message
// beside what was sent and flag injected ones.
package active

// Writing an actor: a fault that drops every server ping and one that
// answers upgrades with 400 look like this (register them with
// Engine.Register, unregister with the returned function):
//
//	type dropPings struct{}
//
//	func (dropPings) Name() string { return "drop-pings" }
//	func (dropPings) OnMessage(c *active.Conn, m *active.Message) {
//		if m.Dir == decode.S2C && m.EIOErr == nil && m.EIO.Type == eio.Ping {
//			m.Drop("drop-pings")
//		}
//	}
//
//	type refuseUpgrade struct{}
//
//	func (refuseUpgrade) Name() string { return "refuse-upgrade" }
//	func (refuseUpgrade) OnUpgrade(u *active.Upgrade) {
//		u.Refuse(400, `{"code":3,"message":"Bad request"}`, "refuse-upgrade")
//	}
//
// Swallowing the upgrade probe is a Drop of the S2C pong whose EIO.Data is
// "probe"; corrupting a packet is a Replace with other bytes; closing at an
// age is Conn.Close from OnMessage once Conn.Age passes it (or from a timer
// holding the Conn); an ExchangeHook can answer a polling request itself
// (Exchange.Respond) or replace the upstream's answer.
