package recordings

import (
	"bytes"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func TestRedactPacket(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"main namespace auth", `40{"token":"abc","user":{"id":1}}`, `40{"token":"[redacted]","user":"[redacted]"}`},
		{"namespace auth", `40/admin,{"token":"abc"}`, `40/admin,{"token":"[redacted]"}`},
		{"no payload", `40`, `40`},
		{"namespace no payload", `40/admin,`, `40/admin,`},
		{"protocol 4 query", `40/admin?token=abc&x=1,`, `40/admin?token=%5Bredacted%5D&x=%5Bredacted%5D,`},
		{"escaped key kept", `40{"a\"b":1,"<k>":[1,2]}`, `40{"a\"b":"[redacted]","<k>":"[redacted]"}`},
		{"not an object", `40"secret"`, `40{"[redacted]":"[redacted]"}`},
		{"broken JSON", `40{"token":"ab`, `40{"[redacted]":"[redacted]"}`},
		{"trailing garbage", `40{"token":"ab"}x`, `40{"[redacted]":"[redacted]"}`},
		{"event untouched", `42["login",{"password":"p"}]`, `42["login",{"password":"p"}]`},
		{"ping untouched", `2`, `2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := redactPacket(tc.in); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRedactPollingBody(t *testing.T) {
	v3bin := func(pkts ...string) []byte {
		var b []byte
		for _, p := range pkts {
			b = append(b, 0)
			for _, d := range []byte(itoa(len(p))) {
				b = append(b, d-'0')
			}
			b = append(b, 0xff)
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name string
		eio  int
		in   []byte
		want []byte
	}{
		{"v4 batch", 4, []byte("40{\"t\":\"x\"}\x1e42[\"a\"]\x1e40/n,{\"k\":2}"), []byte("40{\"t\":\"[redacted]\"}\x1e42[\"a\"]\x1e40/n,{\"k\":\"[redacted]\"}")},
		{"v3 lengths recomputed", 3, []byte(`11:40{"t":"x"}2:42`), []byte(`20:40{"t":"[redacted]"}2:42`)},
		{"v3 UTF-16 lengths", 3, []byte(`12:40{"€":"😀"}`), []byte(`20:40{"€":"[redacted]"}`)},
		{"v3 guessed without EIO", 0, []byte(`11:40{"t":"x"}`), []byte(`20:40{"t":"[redacted]"}`)},
		{"v3 bad length kept", 3, []byte(`99:40{"t":"x"}`), []byte(`99:40{"t":"x"}`)},
		{"v3 binary", 3, v3bin(`40{"t":"x"}`, "2"), v3bin(`40{"t":"[redacted]"}`, "2")},
		{"no connect", 4, []byte("42[\"a\"]"), []byte("42[\"a\"]")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := redactPollingBody(tc.in, tc.eio)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestRedactObs(t *testing.T) {
	in := sampleSession()
	before := dump(in[1]) + dump(in[4])
	tests := []struct {
		name  string
		o     obs.Obs
		check func(t *testing.T, o obs.Obs)
	}{
		{"request cookie and set-cookie", in[0], func(t *testing.T, o obs.Obs) {
			if got := o.HTTP.ReqHeader["Cookie"]; !reflect.DeepEqual(got, []string{Redacted}) {
				t.Errorf("Cookie = %q", got)
			}
			if got := o.HTTP.RespHeader["Set-Cookie"]; !reflect.DeepEqual(got, []string{Redacted, Redacted}) {
				t.Errorf("Set-Cookie = %q", got)
			}
			if o.HTTP.ReqHeader.Get("Accept") != "*/*" {
				t.Errorf("other header lost")
			}
		}},
		{"authorization and CONNECT body", in[1], func(t *testing.T, o obs.Obs) {
			if got := o.HTTP.ReqHeader.Get("Authorization"); got != Redacted {
				t.Errorf("Authorization = %q", got)
			}
			if got := string(o.HTTP.ReqBody); got != `40{"token":"[redacted]"}` {
				t.Errorf("body = %s", got)
			}
		}},
		{"ws.open cookie", in[4], func(t *testing.T, o obs.Obs) {
			if got := o.WSOpen.ReqHeader.Get("Cookie"); got != Redacted {
				t.Errorf("Cookie = %q", got)
			}
		}},
		{"ws CONNECT c2s", wsMsg(1, 1, decode.C2S, 1, `40{"token":"abc"}`), func(t *testing.T, o obs.Obs) {
			if got := string(o.WSMsg.Data); got != `40{"token":"[redacted]"}` {
				t.Errorf("data = %s", got)
			}
		}},
		{"ws CONNECT answer s2c untouched", wsMsg(1, 1, decode.S2C, 1, `40{"sid":"abc"}`), func(t *testing.T, o obs.Obs) {
			if got := string(o.WSMsg.Data); got != `40{"sid":"abc"}` {
				t.Errorf("data = %s", got)
			}
		}},
		{"lower-case header names", obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{ReqHeader: http.Header{"authorization": {"x"}}}}, func(t *testing.T, o obs.Obs) {
			if got := o.WSOpen.ReqHeader["authorization"]; !reflect.DeepEqual(got, []string{Redacted}) {
				t.Errorf("authorization = %q", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, Redact(tc.o)) })
	}
	if after := dump(in[1]) + dump(in[4]); after != before {
		t.Errorf("Redact modified its input")
	}
}

func TestCreateRedacts(t *testing.T) {
	path := t.TempDir() + "/rec.jsonl"
	w, err := Create(path, sampleHeader(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range sampleSession() {
		w.Write(o)
	}
	w.Close()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Header().Redacted {
		t.Errorf("header does not say redacted")
	}
	for _, o := range readAll(t, r) {
		s := dump(o)
		for _, secret := range []string{"s3cr3t", "Bearer xyz", `"abc"`, "a=1", "io=abc"} {
			if strings.Contains(s, secret) {
				t.Errorf("secret %q in %s", secret, s)
			}
		}
	}
}
