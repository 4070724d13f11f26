package output

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/event"
)

// appendEvent appends ev as encoding/json (SetEscapeHTML(false)) would
// encode it, without reflection: the --json writer spends most of its time
// here on busy connections. It reports false for what it does not handle
// byte for byte like encoding/json (invalid args JSON, NaN, a year outside
// 0-9999); the caller then falls back to encoding/json, so the output and
// its errors stay exactly those of encoding/json. Field order and names
// follow event.Event's struct tags; TestAppendEventMatchesEncodingJSON
// keeps them in step.
func appendEvent(b []byte, ev *event.Event) ([]byte, bool) {
	return appendEventTS(b, ev, nil)
}

// appendEventTS is appendEvent with the event's time formatted through ts
// (nil: in full).
func appendEventTS(b []byte, ev *event.Event, ts *tsCache) ([]byte, bool) {
	ok := true
	b = append(b, `{"ts":`...)
	b, ok = ts.append(b, ev.TS, ok)
	b = append(b, `,"kind":`...)
	b = appendString(b, string(ev.Kind))
	b = optString(b, `,"sid":`, ev.Sid)
	b = optString(b, `,"transport":`, ev.Transport)
	b = optString(b, `,"dir":`, ev.Dir)
	b = optInt(b, `,"eio":`, int64(ev.EIO))
	b = optString(b, `,"client":`, ev.Client)
	b = optString(b, `,"engine":`, ev.Engine)
	b = optString(b, `,"data":`, ev.Data)
	if ev.Binary {
		b = append(b, `,"binary":true`...)
	}
	b = optInt(b, `,"size":`, int64(ev.Size))
	b = optString(b, `,"type":`, ev.Type)
	b = optString(b, `,"nsp":`, ev.Nsp)
	if ev.ID != nil {
		b = append(b, `,"id":`...)
		b = ev.AppendID(b)
	}
	b = optString(b, `,"event":`, ev.Event)
	if len(ev.Args) > 0 {
		b = append(b, `,"args":`...)
		if ev.ArgsCompact {
			// The decoder validated it and saw no whitespace: scanning
			// again would cost more than the rest of the line (a 64 KiB
			// attachment is 87 KiB of base64).
			b = append(b, ev.Args...)
		} else {
			var valid bool
			b, valid = appendCompact(b, ev.Args)
			ok = ok && valid
		}
	}
	b = optInt(b, `,"attachments":`, int64(ev.Attachments))
	b, ok = optFloat(b, `,"ack_ms":`, ev.AckMs, ok)
	b = optString(b, `,"ack_event":`, ev.AckEvent)
	b = optString(b, `,"parser":`, ev.Parser)
	if ev.Recovered != nil {
		b = append(b, `,"recovered":`...)
		b = strconv.AppendBool(b, *ev.Recovered)
	}
	b, ok = optFloat(b, `,"rtt_ms":`, ev.RTTMs, ok)
	b = optString(b, `,"action":`, ev.Action)
	b = optString(b, `,"reason":`, ev.Reason)
	b = optString(b, `,"by":`, ev.By)
	b = optInt(b, `,"code":`, int64(ev.Code))
	b = optString(b, `,"how":`, ev.How)
	b, ok = optFloat(b, `,"age_ms":`, ev.AgeMs, ok)
	b, ok = optFloat(b, `,"idle_ms":`, ev.IdleMs, ok)
	b = optStrings(b, `,"upgrades":`, ev.Upgrades)
	b = optInt(b, `,"ping_interval":`, int64(ev.PingInterval))
	b = optInt(b, `,"ping_timeout":`, int64(ev.PingTimeout))
	b = optInt(b, `,"max_payload":`, ev.MaxPayload)
	b = optString(b, `,"method":`, ev.Method)
	b = optString(b, `,"path":`, ev.Path)
	b = optInt(b, `,"status":`, int64(ev.Status))
	b, ok = optFloat(b, `,"duration_ms":`, ev.DurationMs, ok)
	if f := ev.Fault; f != nil {
		b = append(b, `,"fault":{"code":`...)
		b = appendString(b, f.Code)
		b = append(b, `,"catalog":`...)
		b = appendString(b, f.Catalog)
		b = append(b, `,"severity":`...)
		b = appendString(b, string(f.Severity))
		b = append(b, `,"summary":`...)
		b = appendString(b, f.Summary)
		b = optStrings(b, `,"evidence":`, f.Evidence)
		b = append(b, `,"fix":`...)
		b = appendString(b, f.Fix)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(f.Count), 10)
		b = append(b, `,"first":`...)
		b, ok = appendTime(b, f.First, ok)
		b = append(b, `,"last":`...)
		b, ok = appendTime(b, f.Last, ok)
		b = optString(b, `,"cause":`, f.Cause)
		b = optString(b, `,"target":`, f.Target)
		b = optString(b, `,"injected":`, f.Injected)
		b = append(b, '}')
	}
	b = optString(b, `,"rule":`, ev.Rule)
	b = optString(b, `,"error":`, ev.Error)
	if ev.Dropped != 0 {
		b = append(b, `,"dropped":`...)
		b = strconv.AppendUint(b, ev.Dropped, 10)
	}
	b = optString(b, `,"where":`, ev.Where)
	if a := ev.Active; a != nil {
		b = appendActive(b, a)
	}
	b = append(b, '}', '\n')
	return b, ok
}

func optString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func optInt(b []byte, key string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), v, 10)
}

func optStrings(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// optFloat encodes as encoding/json's floatEncoder (ES6 number formatting).
func optFloat(b []byte, key string, v *float64, ok bool) ([]byte, bool) {
	if v == nil {
		return b, ok
	}
	f := *v
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	b = append(b, key...)
	if f > 0 && f < 1e9 {
		// Durations in ms from whole nanoseconds (ack_ms, rtt_ms): when f
		// is exactly the decimal n/1e6, that decimal (at most 15
		// significant digits, so no shorter decimal reads back as f) is
		// what strconv's shortest formatting prints, at a fraction of
		// its cost.
		if n := uint64(f*1e6 + 0.5); n > 0 && float64(n)/1e6 == f {
			return appendMicros(b, n), ok
		}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, ok
}

// appendMicros appends n/1e6 in plain decimal notation without trailing
// zeros, as strconv.AppendFloat(b, float64(n)/1e6, 'f', -1, 64) does for
// the values optFloat hands it.
func appendMicros(b []byte, n uint64) []byte {
	b = strconv.AppendUint(b, n/1e6, 10)
	return appendFraction(b, n%1e6, 6)
}

// appendFraction appends frac (below 10^digits) as a decimal fraction of
// that many digits, with its dot, trailing zeros cut; nothing for 0.
func appendFraction(b []byte, frac uint64, digits int) []byte {
	if frac == 0 {
		return b
	}
	var d [10]byte // up to nanoseconds
	d[0] = '.'
	for i := digits; i >= 1; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	k := digits + 1
	for d[k-1] == '0' {
		k--
	}
	return append(b, d[:k]...)
}

// appendTime encodes as time.Time.MarshalJSON, which refuses years
// outside 0-9999 (and offsets it cannot represent, never produced here).
func appendTime(b []byte, t time.Time, ok bool) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), ok
}

// jsonSafe marks the ASCII bytes encoding/json copies into a string as is
// when HTML escaping is off.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does with SetEscapeHTML(false):
// control bytes escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and
// U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := safePrefix(s); i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// safePrefix is the length of s's leading run of 8-byte words that
// encoding/json copies as they are (printable ASCII, no '"' or '\\'),
// tested a word at a time: most strings in a line (sids, event names,
// transport and direction) need no escaping, and the byte loop was a
// third of a small packet's line.
func safePrefix(s string) int {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A high bit in any byte of t flags a byte below 0x20, a '"', a
		// '\\' or a non-ASCII byte; a borrow may flag a harmless byte too,
		// which only sends that word to the byte loop.
		t := (x - 0x20*ones) | (x ^ '"'*ones - ones) | (x ^ '\\'*ones - ones) | x
		if t&high != 0 {
			break
		}
	}
	return i
}

// appendActive writes the "active" object (event.Active).
func appendActive(b []byte, a *event.Active) []byte {
	b = append(b, `,"active":{`...)
	n := len(b)
	if len(a.Rules) > 0 {
		b = optStrings(b, `"rules":`, a.Rules)
	}
	for _, f := range []struct {
		on  bool
		key string
	}{{a.Injected, `"injected":true`}, {a.Dropped, `"dropped":true`}, {a.Consumed, `"consumed":true`}, {a.Reframed, `"reframed":true`}} {
		if f.on {
			if len(b) > n {
				b = append(b, ',')
			}
			b = append(b, f.key...)
		}
	}
	for _, f := range []struct{ key, val string }{{`"original":`, a.Original}, {`"note":`, a.Note}} {
		if f.val != "" {
			if len(b) > n {
				b = append(b, ',')
			}
			b = appendString(append(b, f.key...), f.val)
		}
	}
	return append(b, '}')
}
