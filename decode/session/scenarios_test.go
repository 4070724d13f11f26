package session

import (
	"bytes"
	"compress/gzip"
	"github.com/sioproxy/sioproxy/decode/eio"

	"github.com/sioproxy/sioproxy/internal/obs"
)

const (
	open4   = `0{"sid":"SID4","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	q4      = "/socket.io/?EIO=4&transport=polling"
	q4sid   = "/socket.io/?EIO=4&transport=polling&sid=SID4"
	ws4sid  = "/socket.io/?EIO=4&transport=websocket&sid=SID4"
	open4ws = `0{"sid":"WSID","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	open3   = `0{"sid":"SID3","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}`
	q3sid   = "/socket.io/?EIO=3&transport=polling&sid=SID3"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func v3len(p string) string {
	return itoa(len([]rune(p))) + ":" + p
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// scenario is a named wire sequence and the events it must yield.
type scenario struct {
	name string
	seq  func() []obs.Obs
	want []string
}

var scenarios = []scenario{
	{
		name: "v4 polling then upgrade",
		seq: func() []obs.Obs {
			return []obs.Obs{
				get(0, 5, q4+"&t=a", 200, open4),
				post(10, 12, q4sid+"&t=b", "40"),
				get(6, 15, q4sid+"&t=c", 200, `40{"sid":"sock1"}`),
				get(16, 30, q4sid+"&t=d", 200, "2"),
				post(40, 41, q4sid+"&t=e", "3"),
				wsOpen(50, 7, ws4sid),
				wsText(51, 7, c2s, "2probe"),
				wsText(52, 7, s2c, "3probe"),
				get(31, 53, q4sid+"&t=f", 200, "6"),
				wsText(54, 7, c2s, "5"),
				wsText(60, 7, c2s, `42["hello","world"]`),
				wsText(70, 7, s2c, "2"),
				wsText(72, 7, c2s, "3"),
				wsClose(100, 7, "client", 1000, true, ""),
			}
		},
		want: []string{
			"http poll GET 200",
			"session open poll",
			"packet poll s2c open",
			"packet poll c2s message CONNECT /",
			"http poll POST 200",
			"http poll GET 200",
			"packet poll s2c message CONNECT / args={\"sid\":\"sock1\"}",
			"http poll GET 200",
			"packet poll s2c ping",
			"packet poll c2s pong rtt=10ms",
			"http poll POST 200",
			"http ws GET 101",
			"packet ws c2s ping data=probe",
			"packet ws s2c pong data=probe",
			"http poll GET 200",
			"packet poll s2c noop",
			"packet ws c2s upgrade",
			"session upgrade ws",
			"packet ws c2s message EVENT / event=hello args=[\"world\"]",
			"packet ws s2c ping",
			"packet ws c2s pong rtt=2ms",
			"session close ws reason=transport close by=client code=1000",
		},
	},
	{
		name: "websocket only with acks both ways",
		seq: func() []obs.Obs {
			return []obs.Obs{
				wsOpen(0, 9, "/socket.io/?EIO=4&transport=websocket"),
				wsText(1, 9, s2c, open4ws),
				wsText(2, 9, c2s, "40/chat,"),
				wsText(3, 9, s2c, `40/chat,{"sid":"s1"}`),
				wsText(10, 9, c2s, `42/chat,3["message","hi"]`),
				wsText(12, 9, s2c, `43/chat,3["ok"]`),
				wsText(20, 9, s2c, `427["ask",1]`),
				wsText(27, 9, c2s, `437[]`),
				wsText(30, 9, c2s, `43/chat,99[]`),
				wsClose(40, 9, "server", 1000, true, ""),
			}
		},
		want: []string{
			"http ws GET 101",
			"session open ws",
			"packet ws s2c open",
			"packet ws c2s message CONNECT /chat",
			"packet ws s2c message CONNECT /chat args={\"sid\":\"s1\"}",
			"packet ws c2s message EVENT /chat event=message args=[\"hi\"] id=3",
			"packet ws s2c message ACK /chat args=[\"ok\"] id=3 ack=2ms",
			"packet ws s2c message EVENT / event=ask args=[1] id=7",
			"packet ws c2s message ACK / args=[] id=7 ack=7ms",
			"packet ws c2s message ACK /chat args=[] id=99",
			"session close ws reason=forced close by=server code=1000",
		},
	},
	{
		name: "v3 polling with auto-connect and client heartbeat",
		seq: func() []obs.Obs {
			return []obs.Obs{
				get(0, 5, "/socket.io/?EIO=3&transport=polling&t=a", 200, v3len(open3)+"2:40"),
				post(10, 11, q3sid, "1:2"),
				get(6, 14, q3sid, 200, "1:3"),
				get(15, 20, q3sid, 200, `16:42["hey","Jude"]`),
				post(21, 22, q3sid, `11:42["hello"]11:42["world"]`),
				post(30, 31, q3sid, "1:1"),
				get(32, 33, q3sid, 400, `{"code":1,"message":"Session ID unknown"}`),
			}
		},
		want: []string{
			"http poll GET 200",
			"session open poll",
			"packet poll s2c open",
			"packet poll s2c message CONNECT /",
			"packet poll c2s ping",
			"http poll POST 200",
			"http poll GET 200",
			"packet poll s2c pong rtt=4ms",
			"http poll GET 200",
			"packet poll s2c message EVENT / event=hey args=[\"Jude\"]",
			"packet poll c2s message EVENT / event=hello args=[]",
			"packet poll c2s message EVENT / event=world args=[]",
			"http poll POST 200",
			"packet poll c2s close",
			"session close poll reason=transport close by=client",
			"http poll POST 200",
			"http poll GET 400",
		},
	},
	{
		name: "binary attachments across the upgrade",
		seq: func() []obs.Obs {
			return []obs.Obs{
				get(0, 5, q4, 200, open4),
				get(6, 10, q4sid, 200, "452-[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1ebAQI="),
				wsOpen(11, 3, ws4sid),
				wsText(12, 3, c2s, "2probe"),
				wsText(13, 3, s2c, "3probe"),
				wsText(14, 3, c2s, "5"),
				wsBin(15, 3, s2c, []byte{3, 4}),
				wsText(16, 3, c2s, `452-1["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
				wsBin(17, 3, c2s, []byte{5}),
				wsBin(18, 3, c2s, []byte{6}),
				wsText(19, 3, s2c, `461-1[{"_placeholder":true,"num":0}]`),
				wsBin(21, 3, s2c, []byte{7}),
			}
		},
		want: []string{
			"http poll GET 200",
			"session open poll",
			"packet poll s2c open",
			"http poll GET 200",
			"http ws GET 101",
			"packet ws c2s ping data=probe",
			"packet ws s2c pong data=probe",
			"packet ws c2s upgrade",
			"session upgrade ws",
			"packet ws s2c message BINARY_EVENT / event=baz args=[{\"_binary\":\"AQI=\"},{\"_binary\":\"AwQ=\"}] att=2",
			"packet ws c2s message BINARY_EVENT / event=up args=[{\"_binary\":\"BQ==\"},{\"_binary\":\"Bg==\"}] id=1 att=2",
			"packet ws s2c message BINARY_ACK / args=[{\"_binary\":\"Bw==\"}] id=1 ack=3ms att=1",
		},
	},
	{
		name: "jsonp and gzip",
		seq: func() []obs.Obs {
			return []obs.Obs{
				get(0, 5, "/socket.io/?EIO=3&transport=polling&j=0", 200, string(eio.EncodeJSONP("0", []byte(v3len(open3)+"2:40")))),
				xchg(10, 11, "POST", q3sid+"&j=0", "d=11%3A42%5B%22hello%22%5D", 200, "ok",
					hdr{"Content-Type": "application/x-www-form-urlencoded"}, hdr{"Content-Type": "text/html"}),
				get(12, 13, q3sid+"&j=0", 200, `___eio[0]("10:42[\"a\\nb\"]");`),
				xchg(14, 20, "GET", q3sid, "", 200, gz(v3len(`42["big","text"]`)), nil,
					hdr{"Content-Type": "text/plain; charset=UTF-8", "Content-Encoding": "gzip"}),
			}
		},
		want: []string{
			"http poll GET 200",
			"session open poll",
			"packet poll s2c open",
			"packet poll s2c message CONNECT /",
			"packet poll c2s message EVENT / event=hello args=[]",
			"http poll POST 200",
			"http poll GET 200",
			"packet poll s2c message EVENT / event=a\nb args=[]",
			"http poll GET 200",
			"packet poll s2c message EVENT / event=big args=[\"text\"]",
		},
	},
	{
		name: "decode error marks the session and decoding goes on",
		seq: func() []obs.Obs {
			return []obs.Obs{
				wsOpen(0, 5, "/socket.io/?EIO=4&transport=websocket"),
				wsText(1, 5, s2c, open4ws),
				wsText(2, 5, c2s, "999"),
				wsText(2, 5, c2s, "499"),
				wsText(3, 5, c2s, `42["ok"]`),
				wsBin(4, 5, c2s, []byte{1, 2}),
				wsText(5, 5, c2s, "x"),
				wsText(6, 5, c2s, `42["still"]`),
			}
		},
		want: []string{
			"http ws GET 101",
			"session open ws",
			"packet ws s2c open",
			"error ws c2s error=eio: unknown packet type \"9\" (offset 0)",
			"packet ws c2s message data=99",
			"error ws c2s error=sio: unknown packet type 9 (offset 0)",
			"packet ws c2s message EVENT / event=ok args=[]",
			"packet ws c2s message",
			"error ws c2s error=sio: got binary data when not reconstructing a packet: 2 bytes",
			"error ws c2s error=eio: unknown packet type \"x\" (offset 0)",
			"packet ws c2s message EVENT / event=still args=[]",
		},
	},
	{
		name: "other http and client bundle",
		seq: func() []obs.Obs {
			return []obs.Obs{
				get(0, 1, "/index.html", 200, "<html>"),
				get(2, 3, "/socket.io/socket.io.js", 200, "!function(){}"),
				get(4, 5, "/socket.io/?EIO=4&transport=polling&sid=GONE", 400, `{"code":1,"message":"Session ID unknown"}`),
				get(6, 7, q4, 400, `{"code":5,"message":"Unsupported protocol version"}`),
			}
		},
		want: []string{
			"http GET 200",
			"http GET 200",
			"http poll GET 400",
			"http poll GET 400",
		},
	},
}
