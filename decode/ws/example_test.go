package ws_test

import (
	"fmt"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
)

// A tap keeps one Parser per direction and feeds it whatever it read.
func Example() {
	ext, _ := ws.ParseExtensions("permessage-deflate; client_max_window_bits=15")
	c2s := ws.NewParser(decode.C2S, ext, ws.Options{})

	key := [4]byte{1, 2, 3, 4}
	wire := ws.AppendFrame(nil, ws.OpText, true, false, &key, []byte(`42["chat","hi"]`))
	wire = ws.AppendFrame(wire, ws.OpClose, true, false, &key, ws.AppendClosePayload(nil, 1000, "bye"))

	emit := func(m *ws.Message) {
		// m.Data is only valid here: copy what you keep.
		fmt.Printf("op=%d %q wire=%d close=%d %q\n", m.Opcode, m.Data, m.WireLen, m.CloseCode, m.CloseReason)
	}
	for _, chunk := range [][]byte{wire[:5], wire[5:]} {
		if err := c2s.Feed(chunk, emit); err != nil {
			fmt.Println("undecodable:", err)
		}
	}
	// Output:
	// op=1 "42[\"chat\",\"hi\"]" wire=21 close=0 ""
	// op=8 "\x03\xe8bye" wire=11 close=1000 "bye"
}
