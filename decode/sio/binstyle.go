package sio

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
)

// BinaryStyle is how a binary attachment is written into the JSON args
// shown to the user. The wire bytes themselves are never touched: a
// recording keeps them whatever the style.
type BinaryStyle uint8

const (
	// BinaryFull is {"_binary":"<base64 of the bytes>"}.
	BinaryFull BinaryStyle = iota
	// BinarySummary is {"_binary":{"size":N,"sha256":"<first 16 hex
	// digits>","head":"<hex of the first 32 bytes>"}}: enough to tell
	// attachments apart and recognise a format, at a fixed cost per
	// attachment however large it is.
	BinarySummary
	// BinaryNone is {"_binary":{"size":N}}.
	BinaryNone
)

// Summary sizes.
const (
	SummaryHashHex = 16 // hex digits of the SHA-256 shown
	SummaryHead    = 32 // leading bytes shown as hex
)

// ParseBinaryStyle reads "full", "summary" or "none".
func ParseBinaryStyle(s string) (BinaryStyle, error) {
	switch s {
	case "full":
		return BinaryFull, nil
	case "summary":
		return BinarySummary, nil
	case "none":
		return BinaryNone, nil
	}
	return 0, fmt.Errorf("%q: want full, summary or none", s)
}

func (s BinaryStyle) String() string {
	return [...]string{"full", "summary", "none"}[s]
}

// AppendBinary writes the stand-in for the bytes b in style st.
func AppendBinary(dst, b []byte, st BinaryStyle) []byte {
	if st == BinaryFull {
		return appendBinaryJSON(dst, b)
	}
	dst = append(dst, `{"_binary":{"size":`...)
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	if st == BinarySummary {
		sum := sha256.Sum256(b)
		dst = append(dst, `,"sha256":"`...)
		dst = hex.AppendEncode(dst, sum[:SummaryHashHex/2])
		dst = append(dst, `","head":"`...)
		dst = hex.AppendEncode(dst, b[:min(len(b), SummaryHead)])
		dst = append(dst, '"')
	}
	return append(dst, "}}"...)
}

// ReplacePlaceholdersStyle is ReplacePlaceholdersWith writing each
// attachment in style st. An attachment held only as base64 text (its
// buffer nil) is decoded for the summary; for BinaryNone only its length
// is needed.
func ReplacePlaceholdersStyle(data []byte, bufs, b64 [][]byte, st BinaryStyle) ([]byte, error) {
	if st == BinaryFull {
		return ReplacePlaceholdersWith(data, bufs, b64)
	}
	spans, err := placeholders(data, len(bufs))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+len(spans)*160)
	prev := 0
	for _, s := range spans {
		out = append(out, data[prev:s.start]...)
		b := bufs[s.num]
		if b == nil && s.num < len(b64) && b64[s.num] != nil {
			b = decodeStd(b64[s.num])
		}
		out = AppendBinary(out, b, st)
		prev = s.end
	}
	return append(out, data[prev:]...), nil
}

func decodeStd(text []byte) []byte {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, _ := base64.StdEncoding.Decode(b, text)
	return b[:n]
}

// RestyleInline rewrites the {"_binary":"<base64>"} stand-ins already in
// args (the msgpack parser inlines binary values so) in style st. Inside
// a JSON string every quote is escaped, so the stand-in's bytes can only
// be structure; a value that is not valid base64 is left as it is.
func RestyleInline(args []byte, st BinaryStyle) []byte {
	if st == BinaryFull {
		return args
	}
	var out []byte
	prev := 0
	for i := 0; i+len(binaryOpen) <= len(args); {
		j := bytes.Index(args[i:], []byte(binaryOpen))
		if j < 0 {
			break
		}
		j += i
		k := j + len(binaryOpen)
		end := k
		for end < len(args) && isB64(args[end]) {
			end++
		}
		if end+len(binaryClose) > len(args) || string(args[end:end+len(binaryClose)]) != binaryClose {
			i = k
			continue
		}
		b, err := base64.StdEncoding.DecodeString(string(args[k:end]))
		if err != nil {
			i = k
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(args))
		}
		out = append(out, args[prev:j]...)
		out = AppendBinary(out, b, st)
		prev = end + len(binaryClose)
		i = prev
	}
	if out == nil {
		return args
	}
	return append(out, args[prev:]...)
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
