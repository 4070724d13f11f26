package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// TrimmedKey is the first key of the JSON object that replaces args too
// large to keep in memory; the terminal UI shows it at the start of the
// row's preview.
const TrimmedKey = "_trimmed"

// trimHead is how many bytes of trimmed args or data are kept to show
// what they started with.
const trimHead = 512

// rawHead is how many wire bytes (and bytes of each attachment) a trimmed
// event keeps: the start of a frame is what a hex dump is read for.
const rawHead = 4 << 10

// MemSize approximates the memory ev holds: its payloads plus a fixed cost
// for the struct and short strings.
func (ev *Event) MemSize() int {
	n := 600 + len(ev.Args) + len(ev.Raw) + len(ev.Data) + len(ev.Error)
	for _, b := range ev.Buffers {
		n += len(b) + 24
	}
	if f := ev.Fault; f != nil {
		n += len(f.Summary) + len(f.Fix)
		for _, e := range f.Evidence {
			n += len(e) + 16
		}
	}
	return n
}

// Trim makes ev hold at most about max bytes of args, data and
// attachments, for a holder with a memory budget (the terminal UI). Args
// over max become a JSON object that says so: its size, the start of its
// SHA-256 and its first bytes; wire bytes and attachments keep their
// first bytes only. The recording and the --json output are not affected:
// Trim works on the caller's copy and never writes to the slices it
// shared. It returns the bytes left out (0: ev was small enough) and adds
// them to ev.Trimmed.
func (ev *Event) Trim(max int) int64 {
	var cut int64
	if len(ev.Args) > max {
		cut += int64(len(ev.Args))
		ev.Args = trimmedArgs(ev.Args)
		cut -= int64(len(ev.Args))
		ev.ArgsCompact = false
	}
	if len(ev.Data) > max {
		cut += int64(len(ev.Data) - trimHead)
		ev.Data = validHead(ev.Data, trimHead) + "…"
	}
	if len(ev.Raw) > max || len(ev.Raw) > rawHead && cut > 0 {
		cut += int64(len(ev.Raw) - rawHead)
		ev.Raw = append([]byte(nil), ev.Raw[:rawHead]...)
	}
	total := 0
	for _, b := range ev.Buffers {
		total += len(b)
	}
	if total > max {
		bufs := make([][]byte, len(ev.Buffers))
		for i, b := range ev.Buffers {
			n := min(len(b), rawHead)
			bufs[i] = append([]byte(nil), b[:n]...)
			cut += int64(len(b) - n)
		}
		ev.Buffers = bufs
	}
	ev.Trimmed += cut
	return cut
}

// trimmedArgs summarises args: {"_trimmed":"1048576 bytes not kept in
// memory (--mem-budget), sha256 0123456789abcdef…","head":"[\"big\",…"}.
func trimmedArgs(args []byte) json.RawMessage {
	sum := sha256.Sum256(args)
	b := make([]byte, 0, trimHead+160)
	b = append(b, `{"`+TrimmedKey+`":`...)
	b = strconv.AppendQuote(b, strconv.Itoa(len(args))+" bytes not kept in memory (--mem-budget), sha256 "+hex.EncodeToString(sum[:8])+"…")
	b = append(b, `,"head":`...)
	head, _ := json.Marshal(validHead(string(args[:min(len(args), trimHead+utf8.UTFMax)]), trimHead))
	b = append(b, head...)
	b = append(b, '}')
	return b
}

// validHead is the first bytes of s, at most n, cut on a rune boundary.
func validHead(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
