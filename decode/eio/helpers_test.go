package eio

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func txt(t PacketType, s string) Packet { return Packet{Type: t, Data: []byte(s)} }
func bin(t PacketType, b ...byte) Packet {
	return Packet{Type: t, Data: b, Binary: true}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func samePackets(a, b []Packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Binary != b[i].Binary || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

func fmtPackets(ps []Packet) string {
	var sb strings.Builder
	for i, p := range ps {
		if i > 0 {
			sb.WriteString(", ")
		}
		if p.Binary {
			fmt.Fprintf(&sb, "%s<% x>", p.Type, p.Data)
		} else {
			fmt.Fprintf(&sb, "%s%q", p.Type, p.Data)
		}
	}
	return "[" + sb.String() + "]"
}

func assertPackets(t *testing.T, got, want []Packet) {
	t.Helper()
	if !samePackets(got, want) {
		t.Fatalf("packets\n got %s\nwant %s", fmtPackets(got), fmtPackets(want))
	}
}
