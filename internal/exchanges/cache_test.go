package exchanges

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func TestCacheEvictsOldest(t *testing.T) {
	c := New(4)
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

func TestSelectKeepsOrderAndMembers(t *testing.T) {
	c := New(10)
	c.Add(obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: 1}})
	c.Add(obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{Conn: 2}})
	c.Add(obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: 3}})
	c.Add(obs.Obs{Kind: obs.KindWSMsg, WSMsg: &obs.WSMessage{Conn: 2}})
	c.Add(obs.Obs{Kind: obs.KindWSMsg, WSMsg: &obs.WSMessage{Conn: 4}})
	got := c.Select(map[uint64]bool{3: true}, map[uint64]bool{2: true})
	var kinds []obs.Kind
	for _, o := range got {
		kinds = append(kinds, o.Kind)
	}
	want := []obs.Kind{obs.KindWSOpen, obs.KindHTTP, obs.KindWSMsg}
	if len(kinds) != len(want) {
		t.Fatalf("got %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("got %v, want %v", kinds, want)
		}
	}
}
