package proxy

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCheckTargets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// A port that was free a moment ago: nothing listens on it now.
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := gone.Addr().String()
	gone.Close()
	up, _ := url.Parse("http://" + ln.Addr().String() + "/")
	dn, _ := url.Parse("http://" + down)
	got := CheckTargets(context.Background(), []*url.URL{up, dn}, 5*time.Second)
	if got[0].Target != "http://"+ln.Addr().String() || got[0].Err != nil {
		t.Errorf("listening target: %+v, want no error and the base URL without a trailing slash", got[0])
	}
	if got[1].Target != "http://"+down || got[1].Err == nil || !strings.Contains(got[1].Err.Error(), "refused") {
		t.Errorf("closed port: %+v, want connection refused", got[1])
	}
}
