package sio

import (
	"testing"
)

// A msgpack ack id above MaxInt64 keeps its exact value: it is not clamped,
// and encodes back to the same uint64.
func TestMsgpackUint64AckID(t *testing.T) {
	// {"type":2,"nsp":"/","data":["e"],"id":uint64 max}
	wire := []byte{0x84,
		0xa4, 't', 'y', 'p', 'e', 0x02,
		0xa3, 'n', 's', 'p', 0xa1, '/',
		0xa4, 'd', 'a', 't', 'a', 0x91, 0xa1, 'e',
		0xa2, 'i', 'd', 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	p, err := DecodeMsgpack(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasID || !p.IDUnsigned || uint64(p.ID) != 1<<64-1 {
		t.Fatalf("id %d unsigned=%v, want 18446744073709551615", p.ID, p.IDUnsigned)
	}
	back, err := EncodeMsgpack(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(back[len(back)-9:]) != string(wire[len(wire)-9:]) {
		t.Errorf("re-encoded id % x, want % x", back[len(back)-9:], wire[len(wire)-9:])
	}
}
