package b64

import (
	"encoding/base64"
	"testing"
)

func TestDecodedLen(t *testing.T) {
	for n := range 12 {
		s := base64.StdEncoding.EncodeToString(make([]byte, n))
		t.Run(s, func(t *testing.T) {
			if got := DecodedLen([]byte(s)); got != n {
				t.Errorf("DecodedLen(%q) = %d, want %d", s, got, n)
			}
		})
	}
}
