package obs

import (
	"net/http"
	"testing"
)

func TestSize(t *testing.T) {
	tests := []struct {
		name string
		o    Obs
		want int
	}{
		{"empty", Obs{Kind: KindDrop, Drop: &Drop{}}, baseSize},
		{"ws message", Obs{Kind: KindWSMsg, WSMsg: &WSMessage{Data: make([]byte, 1000)}}, baseSize + 1000},
		{"http", Obs{Kind: KindHTTP, HTTP: &HTTPExchange{
			ReqBody: make([]byte, 10), RespBody: make([]byte, 20),
			ReqHeader: http.Header{"A": {"bc"}},
		}}, baseSize + 30 + 1 + 16 + 2 + 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.Size(); got != tc.want {
				t.Fatalf("Size() = %d, want %d", got, tc.want)
			}
		})
	}
}
