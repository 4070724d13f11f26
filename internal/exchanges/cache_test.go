package exchanges

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func TestCacheEvictsOldest(t *testing.T) {
	c := New(2)
	for i := uint64(1); i <= 3; i++ {
		c.Add(obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: i}})
		c.Add(obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{Conn: i}})
	}
	tests := []struct {
		id   uint64
		want bool
	}{{1, false}, {2, true}, {3, true}}
	for _, tc := range tests {
		if _, ok := c.Exchange(tc.id); ok != tc.want {
			t.Errorf("Exchange(%d) held = %v, want %v", tc.id, ok, tc.want)
		}
		if _, ok := c.WSOpen(tc.id); ok != tc.want {
			t.Errorf("WSOpen(%d) held = %v, want %v", tc.id, ok, tc.want)
		}
	}
}
