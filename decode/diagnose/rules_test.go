package diagnose

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func v3len(p string) string { return fmt.Sprintf("%d:%s", len([]rune(p)), p) }

const (
	open4noMP  = `0{"sid":"WSID","upgrades":[],"pingInterval":25000,"pingTimeout":5000}`
	open4small = `0{"sid":"SID4","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100}`
	open4long  = `0{"sid":"WSID","upgrades":[],"pingInterval":90000,"pingTimeout":20000,"maxPayload":1000000}`
)

// polling opens SID4 over polling.
func (w *wire) polling(h ...hdr) []obs.Obs {
	var req, resp hdr
	if len(h) > 0 {
		req = h[0]
	}
	if len(h) > 1 {
		resp = h[1]
	}
	return []obs.Obs{w.xchg(0, 5, "GET", q4+"&t=a", "", 200, open4, req, resp)}
}

type ruleCase struct {
	name     string
	opts     Options
	seq      func(w *wire) []obs.Obs
	code     string
	catalog  string
	severity event.Severity
	summary  string // substring
	count    int
	also     []string // other codes the sequence rightly raises
	sid      string   // the sid the fault event must carry, if set
}

var ruleCases = []ruleCase{
	{
		name: "A0 polling to a websocket-only server",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.errJSON(0, 2, "GET", q4, 400, `{"code":0,"message":"Transport unknown"}`)}
		},
		code: CodeTransportUnknown, catalog: "A", severity: event.Error, count: 1,
		summary: `refused transport=polling with 400 Transport unknown: it accepts only WebSocket`,
	},
	{
		name: "A1 sid unknown to sioproxy",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.errJSON(0, 2, "GET", q4sid, 400, `{"code":1,"message":"Session ID unknown"}`)}
		},
		code: CodeSessionUnknown, catalog: "A", severity: event.Warning, count: 1,
		summary: "Session SID4, unknown to sioproxy",
	},
	{
		name: "A2 POST without sid",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.errJSON(0, 2, "POST", q4, 400, `{"code":2,"message":"Bad handshake method"}`)}
		},
		code: CodeBadHandshakeMethod, catalog: "A", severity: event.Error, count: 1,
		summary: "A POST without sid was answered 400 Bad handshake method",
	},
	{
		name: "A3 bad request on a handshake",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.errJSON(0, 2, "GET", q4, 400, `{"code":3,"message":"Bad request"}`)}
		},
		code: CodeBadRequest, catalog: "A", severity: event.Error, count: 1,
		summary: "GET was answered 400 Bad request",
	},
	{
		name: "A3 polling after the upgrade",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.wsOpen(10, 7, ws4sid),
				wsText(11, 7, c2s, "2probe"),
				wsText(12, 7, s2c, "3probe"),
				wsText(13, 7, c2s, "5"),
				w.errJSON(20, 21, "GET", q4sid, 400, `{"code":3,"message":"Bad request"}`),
			})
		},
		code: CodeTransportMismatch, catalog: "A", severity: event.Error, count: 1,
		summary: "came after the session upgraded to WebSocket and was answered 400 Bad request",
	},
	{
		name: "A4 allowRequest refused, with its reason",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.errJSON(0, 2, "GET", q4, 403, `{"code":4,"message":"origin not allowed"}`)}
		},
		code: CodeForbidden, catalog: "A", severity: event.Warning, count: 1,
		summary: "allowRequest refused the GET from 127.0.0.1 with 403 origin not allowed",
	},
	{
		name: "E1 EIO3 client refused over polling",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.errJSON(0, 2, "GET", q3, 400, `{"code":5,"message":"Unsupported protocol version"}`)}
		},
		code: CodeEIO3Rejected, catalog: "E1", severity: event.Error, count: 1,
		summary: "asked with EIO=3 (a Socket.IO 2.x client) and the server answered 400 Unsupported protocol version",
	},
	{
		name: "E1 EIO3 client refused on the WebSocket upgrade",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 2, "GET", "/socket.io/?EIO=3&transport=websocket", "", 400, "Unsupported protocol version", upgradeHdr, hdr{"Content-Type": "text/html"})}
		},
		code: CodeEIO3Rejected, catalog: "E1", severity: event.Error, count: 1,
		summary: "EIO=3",
	},
	{
		name: "B1 cross-origin handshake without ACAO",
		seq: func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": "http://app.example:3000"})
		},
		code: CodeCORSMissing, catalog: "B1", severity: event.Error, count: 1, sid: "SID4",
		summary: "Origin http://app.example:3000 is not allowed: the server answered GET 200 without Access-Control-Allow-Origin",
	},
	{
		name: "B2 ACAO names another origin",
		seq: func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": "https://evil.example"}, hdr{"Access-Control-Allow-Origin": "https://app.example"})
		},
		opts: Options{ListenTLS: true},
		code: CodeCORSMismatch, catalog: "B2", severity: event.Error, count: 1, sid: "SID4",
		summary: "Origin https://evil.example is not allowed: the server answered Access-Control-Allow-Origin: https://app.example",
	},
	{
		name: "B2 cookies against ACAO *",
		seq: func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": "http://app.example", "Cookie": "a=1"}, hdr{"Access-Control-Allow-Origin": "*"})
		},
		code: CodeCORSWildcardCreds, catalog: "B2", severity: event.Error, count: 1,
		summary: "Access-Control-Allow-Origin: *",
	},
	{
		name: "B2 cookies without ACAC",
		seq: func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": "http://app.example", "Cookie": "a=1"}, hdr{"Access-Control-Allow-Origin": "http://app.example"})
		},
		code: CodeCORSCredsMissing, catalog: "B2", severity: event.Error, count: 1,
		summary: "lacks Access-Control-Allow-Credentials: true",
	},
	{
		name: "B3 preflight to a server without cors (code 2)",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 1, "OPTIONS", q4, "", 400, `{"code":2,"message":"Bad handshake method"}`,
				hdr{"Origin": "http://app.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-token"}, hdr{"Content-Type": jsonCT})}
		},
		code: CodePreflightNoCORS, catalog: "B3", severity: event.Error, count: 1,
		summary: "preflight OPTIONS from Origin http://app.example was answered 400 Bad handshake method: the server has no cors option",
	},
	{
		name: "B3 preflight with sid answered 500",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{w.xchg(10, 11, "OPTIONS", q4sid, "", 500, "",
				hdr{"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}, nil)})
		},
		code: CodePreflightNoCORS, catalog: "B3", severity: event.Error, count: 1,
		summary: "was answered 500",
	},
	{
		name: "B3 preflight refusing the origin",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 1, "OPTIONS", q4, "", 204, "",
				hdr{"Origin": "http://app.example", "Access-Control-Request-Method": "GET"}, hdr{"Access-Control-Allow-Methods": "GET,POST"})}
		},
		code: CodePreflightOrigin, catalog: "B3", severity: event.Error, count: 1,
		summary: "Origin http://app.example was answered 204 without Access-Control-Allow-Origin",
	},
	{
		name: "B3 preflight refusing extraHeaders",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 1, "OPTIONS", q4, "", 204, "",
				hdr{"Origin": "http://app.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "content-type,x-token"},
				hdr{"Access-Control-Allow-Origin": "http://app.example", "Access-Control-Allow-Headers": "Content-Type"})}
		},
		code: CodePreflightHeader, catalog: "B3", severity: event.Error, count: 1,
		summary: "asked for header x-token but the server allows only Access-Control-Allow-Headers: Content-Type",
	},
	{
		name: "B4 affinity cookie not sent back",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(nil, hdr{"Set-Cookie": "AWSALB=node7; Path=/"}), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.get(13, 20, q4sid, 200, `40{"sid":"x"}`),
			})
		},
		code: CodeCookieNotSent, catalog: "B4", severity: event.Warning, count: 1,
		summary: "The server set cookie AWSALB=node7 for session SID4, but the next request came without it",
	},
	{
		name: "C1 session unknown while alive, twice from one client",
		seq: func(w *wire) []obs.Obs {
			seq := concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.errJSON(13, 15, "GET", q4sid, 400, `{"code":1,"message":"Session ID unknown"}`),
			})
			w.client = "127.0.0.1:5002"
			o := strings.ReplaceAll(open4, "SID4", "SID5")
			return append(seq,
				w.get(100, 105, q4+"&t=b", 200, o),
				w.errJSON(110, 112, "GET", strings.ReplaceAll(q4sid, "SID4", "SID5"), 400, `{"code":1,"message":"Session ID unknown"}`))
		},
		code: CodeSessionUnknownLive, catalog: "C1", severity: event.Error, count: 2,
		summary: "2 sessions of this client ended this way: the load balancer has no session affinity",
	},
	{
		name: "C1 on the WebSocket upgrade",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.xchg(10, 11, "GET", ws4sid, "", 400, "Session ID unknown", upgradeHdr, hdr{"Content-Type": "text/html"}),
			})
		},
		code: CodeSessionUnknownLive, catalog: "C1", severity: event.Error, count: 1,
		summary: "Session SID4 was alive (opened 5 ms ago on http://up:3000",
	},
	{
		name: "C2 round robin: the start of the request fires before its 400",
		seq: func(w *wire) []obs.Obs {
			seq := w.polling()
			w.upstream = "http://up:3001"
			start := w.errJSON(10, 12, "GET", q4sid, 400, `{"code":1,"message":"Session ID unknown"}`)
			begin := *start.HTTP
			begin.Status, begin.RespBody, begin.End = 0, nil, begin.Start
			return append(seq, obs.Obs{Kind: KindHTTPStart, Time: begin.Start, HTTP: &begin}, start)
		},
		code: CodeSidOtherUpstream, catalog: "C2", severity: event.Error, count: 1,
		summary: "Session SID4 was opened on http://up:3000 but its GET was routed to http://up:3001",
		also:    []string{CodeSessionUnknownLive},
	},
	{
		name: "C2 backend identity changes behind one load balancer",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(nil, hdr{"X-Served-By": "node-a"}), []obs.Obs{
				w.xchg(10, 12, "POST", q4sid, "40", 200, "ok", nil, hdr{"X-Served-By": "node-b"}),
			})
		},
		code: CodeSidBackendChanged, catalog: "C2", severity: event.Error, count: 1,
		summary: `X-Served-By changed from "node-a" to "node-b"`,
	},
	{
		name: "D1 upgrade headers stripped behind sioproxy",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.xchg(10, 11, "GET", ws4sid, "", 400, "Bad request", upgradeHdr, hdr{"Content-Type": "text/html"}),
			})
		},
		code: CodeUpgradeStripped, catalog: "D1", severity: event.Error, count: 1,
		summary: "an intermediary between sioproxy and the server dropped them",
	},
	{
		name: "D1 upgrade answered by an intermediary",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.xchg(10, 11, "GET", ws4sid, "", 502, "<html>Bad Gateway</html>", upgradeHdr, hdr{"Content-Type": "text/html"}),
			})
		},
		code: CodeUpgradeRefused, catalog: "D1", severity: event.Error, count: 1,
		summary: "The WebSocket upgrade was answered 502",
	},
	{
		name: "D1 stuck on polling",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.get(6, 15, q4sid, 200, `40{"sid":"x"}`),
				w.get(16, 25000, q4sid, 200, "2"),
				w.post(25010, 25012, q4sid, "3"),
				tick(20000),
				tick(31000),
			})
		},
		code: CodeStuckOnPolling, catalog: "D1", severity: event.Warning, count: 1,
		summary: "Session SID4 is still on long-polling after 31.0 s and 5 requests",
	},
	{
		name: "D2 probe never answered",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.wsOpen(10, 7, ws4sid),
				wsText(11, 7, c2s, "2probe"),
				tick(500),
				tick(11500),
			})
		},
		code: CodeProbeUnanswered, catalog: "D2", severity: event.Error, count: 1,
		summary: "never answered 3probe",
	},
	{
		name: "D2 upgrade never completed",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.wsOpen(10, 7, ws4sid),
				wsText(11, 7, c2s, "2probe"),
				wsText(12, 7, s2c, "3probe"),
				tick(5000),
				tick(11500),
			})
		},
		code: CodeUpgradeIncomplete, catalog: "D2", severity: event.Warning, count: 1,
		summary: "got 3probe on WebSocket #7 but the client never sent 5",
	},
	{
		name: "D3 missing trailing slash",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.get(0, 2, "/socket.io?EIO=4&transport=polling", 404, "Cannot GET /socket.io")}
		},
		code: CodePathMismatch, catalog: "D3", severity: event.Error, count: 1,
		summary: "on path /socket.io was answered 404: no Engine.IO server listens on that path; the server expects /socket.io/ with a trailing slash",
	},
	{
		name: "D3 app page instead of Engine.IO",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 2, "GET", "/chat/?EIO=4&transport=polling", "", 200, "<!DOCTYPE html><html></html>", nil, hdr{"Content-Type": "text/html"})}
		},
		code: CodePathMismatch, catalog: "D3", severity: event.Error, count: 1,
		summary: "on path /chat/ was answered 200 with an HTML page",
	},
	{
		name: "D4 https page to the plaintext listener",
		seq: func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": "https://app.example"}, hdr{"Access-Control-Allow-Origin": "https://app.example"})
		},
		code: CodeMixedContent, catalog: "D4", severity: event.Warning, count: 1,
		summary: "A page from https://app.example (Origin) talks to sioproxy's plaintext listener",
	},
	{
		name: "D4 https page opening a WebSocket to the plaintext listener",
		seq: func(w *wire) []obs.Obs {
			o := w.wsOpen(0, 9, ws4)
			o.WSOpen.ReqHeader.Set("Origin", "https://app.example")
			return []obs.Obs{o, wsText(1, 9, s2c, open4ws)}
		},
		code: CodeMixedContent, catalog: "D4", severity: event.Warning, count: 1,
		summary: "https://app.example (Origin)",
	},
	{
		name: "C2 probe WebSocket routed to another upstream",
		seq: func(w *wire) []obs.Obs {
			seq := w.polling()
			w.upstream = "http://up:3001"
			return append(seq, w.wsOpen(10, 7, ws4sid))
		},
		code: CodeSidOtherUpstream, catalog: "C2", severity: event.Error, count: 1,
		summary: "its WebSocket upgrade was routed to http://up:3001",
	},
	{
		name: "E2 EIO=4 answered in v3 framing",
		seq: func(w *wire) []obs.Obs {
			o := strings.ReplaceAll(open3, "SID3", "SID4")
			return []obs.Obs{w.get(0, 5, q4, 200, v3len(o)+"2:40")}
		},
		code: CodeV2Server, catalog: "E2", severity: event.Error, count: 1,
		summary: "asked for EIO=4 but the server answered in Engine.IO v3 framing",
	},
	{
		name: "E2 CONNECT answered without sid over WebSocket",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4noMP), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, "40"),
			})
		},
		code: CodeV2Server, catalog: "E2", severity: event.Error, count: 1,
		summary: "answered CONNECT / without a socket id and its open packet lacks maxPayload",
	},
	{
		name: "F1 pong missing",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				wsText(25000, 9, s2c, "2"),
				tick(45500),
				tick(46100),
				tick(72000), // the Tracker's own heartbeat close: no second count
			})
		},
		code: CodePongMissing, catalog: "F1", severity: event.Error, count: 1,
		summary: "The server pinged session WSID at 12:00:25.000 over websocket and the client did not answer within pingTimeout 20000 ms",
	},
	{
		name: "F1 ping missing",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				tick(47500),
			})
		},
		code: CodePingMissing, catalog: "F1", severity: event.Error, count: 1,
		summary: "The server of session WSID stopped pinging (no ping since the open, pingInterval+pingTimeout is 45000 ms), so the client gives up",
	},
	{
		name: "F1 ping from a v4 client",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{wsText(2, 9, c2s, "2")})
		},
		code: CodeHeartbeatDirection, catalog: "F1", severity: event.Error, count: 1,
		summary: "The client sent a ping on session WSID, but in EIO4 only the server pings",
	},
	{
		name: "F2 WebSockets cut at a constant age",
		seq: func(w *wire) []obs.Obs {
			var seq []obs.Obs
			for i := range 3 {
				at := i * 100000
				conn := uint64(10 + i)
				sid := fmt.Sprintf("CUT%d", i)
				seq = append(seq, w.wsOpen(at, conn, ws4), wsText(at+1, conn, s2c, strings.ReplaceAll(open4long, "WSID", sid)),
					wsText(at+2, conn, c2s, "40"), wsText(at+3, conn, s2c, `40{"sid":"a"}`),
					wsClose(at+60000+i*100, conn, "server", 0, false, ""))
			}
			return seq
		},
		code: CodeConstantAgeCloses, catalog: "F2", severity: event.Warning, count: 1,
		summary: "3 WebSocket connections were cut on the server side without a close frame after 60.2 s (±2%): each was idle for its whole last 60.2 s, so an intermediary's idle timeout",
	},
	{
		name: "F2 WebSockets cut at a constant age whatever the traffic: an absolute timeout",
		seq: func(w *wire) []obs.Obs {
			var seq []obs.Obs
			for i := range 3 {
				at := i * 100000
				conn := uint64(10 + i)
				sid := fmt.Sprintf("CUT%d", i)
				seq = append(seq, w.wsOpen(at, conn, ws4), wsText(at+1, conn, s2c, strings.ReplaceAll(open4long, "WSID", sid)),
					wsText(at+2, conn, c2s, "40"), wsText(at+3, conn, s2c, `40{"sid":"a"}`),
					wsText(at+10000+i*20000, conn, c2s, `42["tick"]`),
					wsClose(at+60000+i*100, conn, "server", 0, false, ""))
			}
			return seq
		},
		code: CodeConstantAgeCloses, catalog: "F2", severity: event.Warning, count: 1,
		summary: "the idle time before the cut varied (10.2 s to 50.0 s), so it is an absolute timeout",
	},
	{
		name: "F2 long-poll cut with 504",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.get(6, 15, q4sid, 200, `40{"sid":"x"}`),
				w.xchg(16, 20016, "GET", q4sid, "", 504, "<html>Gateway Time-out</html>", nil, hdr{"Content-Type": "text/html"}),
			})
		},
		code: CodePollCut, catalog: "F2", severity: event.Warning, count: 1,
		summary: "The long-poll GET of session SID4 was cut after 20.0 s with 504: the intermediary's timeout is below pingInterval (25.0 s)",
	},
	{
		name: "G1 namespace that is a path",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40/my-app/socket.io/,"),
				wsText(3, 9, s2c, `44/my-app/socket.io/,{"message":"Invalid namespace"}`),
			})
		},
		code: CodeNamespaceInvalid, catalog: "G1", severity: event.Error, count: 1,
		summary: "The server refused namespace /my-app/socket.io/: Invalid namespace; /my-app/socket.io/ looks like a URL path",
	},
	{
		name: "G2 middleware refusal with data",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, `40{"token":"x"}`),
				wsText(3, 9, s2c, `44{"message":"not authorized","data":{"reason":"expired"}}`),
			})
		},
		code: CodeMiddlewareRefused, catalog: "G2", severity: event.Error, count: 1,
		summary: `A middleware refused the connection to /: "not authorized" with data {"reason":"expired"}`,
	},
	{
		name: "G3 no CONNECT within connectTimeout",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(25000, 9, s2c, "2"),
				wsText(25005, 9, c2s, "3"),
				tick(40000),
				tick(46500),
			})
		},
		code: CodeConnectMissing, catalog: "G3", severity: event.Warning, count: 1,
		summary: "Session WSID has been open for 46.5 s without a CONNECT from the client",
	},
	{
		name: "G3 EVENT for an unjoined namespace",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				wsText(4, 9, c2s, `42/admin,["hello"]`),
			})
		},
		code: CodeEventUnjoined, catalog: "G3", severity: event.Error, count: 1,
		summary: `The client sent EVENT "hello" to namespace /admin of session WSID without a CONNECT to it`,
	},
	{
		name: "G3 duplicate CONNECT",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				wsText(4, 9, c2s, "40"),
			})
		},
		code: CodeDuplicateConnect, catalog: "G3", severity: event.Error, count: 1,
		summary: "The client sent CONNECT / on session WSID while that namespace was already connected",
	},
	{
		name: "G4 unknown Socket.IO packet type, then the forced close",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				wsText(4, 9, c2s, `49["x"]`),
				wsCloseFrame(5, 9, s2c, 0),
				wsClose(6, 9, "server", 0, true, ""),
			})
		},
		code: CodeParseError, catalog: "G4", severity: event.Error, count: 1,
		summary: "A packet from the client of session WSID does not decode: sio: unknown packet type",
	},
	{
		name: "H1 POST over maxPayload answered 413",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{
				w.get(0, 5, q4, 200, open4small),
				w.xchg(10, 12, "POST", q4sid, "4"+strings.Repeat("x", 200), 413, "", nil, nil),
			}
		},
		code: CodePayloadTooLarge, catalog: "H1", severity: event.Error, count: 1,
		summary: "A POST of session SID4 carried 201 bytes, over maxHttpBufferSize 100 (maxPayload from the open packet); the server answered 413",
		also:    []string{CodeAbnormalEnd},
	},
	{
		name: "H1 WebSocket message over maxPayload, confirmed by 1009",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, strings.ReplaceAll(open4ws, "1000000", "100")), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				wsText(4, 9, c2s, `42["big","`+strings.Repeat("x", 300)+`"]`),
				wsCloseFrame(5, 9, s2c, 1009),
				wsClose(6, 9, "server", 1009, true, ""),
			})
		},
		code: CodePayloadTooLarge, catalog: "H1", severity: event.Error, count: 1,
		summary: "closed the WebSocket of session WSID with 1009 (message too big)",
	},
	{
		name: "H2 overlapping GETs",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.get(6, 15, q4sid, 200, `40{"sid":"x"}`),
				w.get(100, 102, q4sid, 400, ""),
				w.get(16, 103, q4sid, 200, "1"),
			})
		},
		code: CodePollOverlap, catalog: "H2", severity: event.Error, count: 1,
		summary: "Two GET requests of session SID4 were in flight at once (#5 and #4); the later one was answered 400",
	},
	{
		name: "I3 upstream self-signed, the failed exchange counts once",
		seq: func(w *wire) []obs.Obs {
			x := w.errJSON(0, 3, "GET", q4, 0, "")
			x.HTTP.Err, x.HTTP.ErrKind = "tls: failed to verify certificate: x509: certificate signed by unknown authority", "tls"
			return []obs.Obs{
				{Kind: obs.KindTLS, Time: ms(3), TLS: &obs.TLSEvent{Leg: "upstream", Client: w.client, Host: "up:3443", Kind: "self_signed", Detail: x.HTTP.Err}},
				x,
			}
		},
		code: CodeTLSUpstreamSelfSigned, catalog: "I3", severity: event.Error, count: 1,
		summary: "The upstream up:3443 presents a self-signed certificate; sioproxy answered 502",
	},
	{
		name: "I3 upstream hostname",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{{Kind: obs.KindTLS, Time: ms(3), TLS: &obs.TLSEvent{Leg: "upstream", Client: w.client, Host: "wrong.example", Kind: "hostname"}}}
		},
		code: CodeTLSUpstreamHostname, catalog: "I3", severity: event.Error, count: 1,
		summary: "not valid for wrong.example",
	},
	{
		name: "I1 client alert unknown_ca, counted per client",
		seq: func(w *wire) []obs.Obs {
			a := obs.Obs{Kind: obs.KindTLS, Time: ms(3), TLS: &obs.TLSEvent{Leg: "client", Client: "10.0.0.5:4000", Kind: "alert", Alert: "48"}}
			b := a
			b.Time = ms(5)
			b.TLS = &obs.TLSEvent{Leg: "client", Client: "10.0.0.5:4001", Kind: "alert", Alert: "48"}
			return []obs.Obs{a, b}
		},
		code: CodeTLSClientRejected, catalog: "I1", severity: event.Error, count: 2,
		summary: "Client 10.0.0.5 rejected sioproxy's certificate with TLS alert 48 unknown_ca",
	},
	{
		name: "I2 plain HTTP on the TLS listener",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{{Kind: obs.KindTLS, Time: ms(3), TLS: &obs.TLSEvent{Leg: "client", Client: "10.0.0.5:4000", Kind: "plain_http"}}}
		},
		code: CodeTLSClientPlainHTTP, catalog: "I2", severity: event.Error, count: 1,
		summary: "Client 10.0.0.5 spoke plain HTTP to sioproxy's TLS listener",
	},
	{
		name: "J WebSocket broken by a transport error",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"a"}`),
				wsClose(5000, 9, "client", 0, false, "read: connection reset by peer"),
			})
		},
		code: CodeAbnormalEnd, catalog: "J", severity: event.Info, count: 1,
		summary: "Session WSID ended with transport error (by the client over websocket) after 5.0 s",
	},
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(tc.opts)
			evs := run(e, tc.seq(newWire()))
			var got *event.Fault
			codes := map[string]bool{}
			for _, f := range e.Faults() {
				codes[f.Code] = true
				if f.Code == tc.code {
					got = &f
				}
			}
			for _, c := range tc.also {
				delete(codes, c)
			}
			delete(codes, tc.code)
			if got == nil || len(codes) > 0 {
				t.Fatalf("faults %v, want %s (+%v)", faultCodes(e.Faults()), tc.code, tc.also)
			}
			if got.Catalog != tc.catalog || got.Severity != tc.severity || got.Count != tc.count {
				t.Errorf("catalog/severity/count = %s/%s/%d, want %s/%s/%d", got.Catalog, got.Severity, got.Count, tc.catalog, tc.severity, tc.count)
			}
			if !strings.Contains(got.Summary, tc.summary) {
				t.Errorf("summary %q\nwant substring %q", got.Summary, tc.summary)
			}
			if got.Fix == "" || got.First.IsZero() || got.Last.Before(got.First) {
				t.Errorf("fix %q first %v last %v", got.Fix, got.First, got.Last)
			}
			emitted := false
			for _, ev := range evs {
				if ev.Fault != nil && ev.Fault.Code == tc.code {
					emitted = true
					if ev.Client == "" {
						t.Errorf("fault event without client: %+v", ev)
					}
					if tc.sid != "" && ev.Sid != tc.sid {
						t.Errorf("fault event sid %q, want %q", ev.Sid, tc.sid)
					}
				}
			}
			if !emitted {
				t.Errorf("%s folded but never emitted", tc.code)
			}
		})
	}
}

func faultCodes(fs []event.Fault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s×%d %q", f.Code, f.Count, f.Summary))
	}
	return out
}

// A server that takes over a second to answer 2probe (a busy machine, 200
// clients at once) is slow, not behind a middlebox: no D2 while the probe
// socket is open and within the server's upgradeTimeout.
func TestProbeAnsweredLateIsNoFault(t *testing.T) {
	w := newWire()
	e := New(Options{})
	run(e, concat(w.polling(), []obs.Obs{
		w.wsOpen(10, 7, ws4sid),
		wsText(11, 7, c2s, "2probe"),
		tick(1500),
		tick(2500),
		wsText(2600, 7, s2c, "3probe"),
		wsText(2700, 7, c2s, "5"),
		tick(15000),
	}))
	for _, f := range e.Faults() {
		if f.Code == CodeProbeUnanswered || f.Code == CodeUpgradeIncomplete {
			t.Fatalf("a probe answered after 2.6 s raised %s: %s", f.Code, f.Summary)
		}
	}
}
