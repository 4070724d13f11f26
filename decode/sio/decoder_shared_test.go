package sio

import (
	"reflect"
	"testing"
)

// TestTextSharedMatchesText checks TextShared decodes as Text does, costs
// no allocation for a complete packet, and never hands out the storage of
// a pending BINARY packet.
func TestTextSharedMatchesText(t *testing.T) {
	for _, msg := range []string{`2["chat",{"a":1}]`, `31[{"n":2}]`, `2/admin,7["x"]`, `0`, `2{bad`, `4["not an object"]`} {
		t.Run(msg, func(t *testing.T) {
			want, werr := NewDecoder(5).Text([]byte(msg))
			got, gerr := NewDecoder(5).TextShared([]byte(msg))
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("TextShared = %+v, %v; Text = %+v, %v", got, gerr, want, werr)
			}
		})
	}
	d := NewDecoder(5)
	b := []byte(`2["chat",{"user":"ann","text":"hello"}]`)
	if n := testing.AllocsPerRun(100, func() { d.TextShared(b) }); n != 0 {
		t.Errorf("TextShared allocates %v times per packet, want 0", n)
	}
	if p, err := d.TextShared([]byte(`51-["up",{"_placeholder":true,"num":0}]`)); p != nil || err != nil {
		t.Fatalf("BINARY header: %+v, %v", p, err)
	}
	pending, _ := d.Pending()
	if p, _ := d.TextShared([]byte(`2["next"]`)); p == pending {
		t.Fatal("TextShared returned the pending packet's storage")
	}
}
