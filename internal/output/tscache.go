package output

import "time"

// tsCache keeps the RFC 3339 text of the second the last event's time fell
// in. Events come in bursts within one second, and formatting the date,
// clock and zone of every one was about a tenth of a --json line's cost;
// only the fraction changes between them. The output is byte for byte
// appendTime's.
type tsCache struct {
	valid bool
	sec   int64          // t.Unix() of head
	loc   *time.Location // t.Location() of head and zone
	head  []byte         // "2006-01-02T15:04:05"
	zone  []byte         // "Z" or "-07:00"
}

// headLen is the length of the date and clock in RFC 3339 for the years
// appendTime accepts (0-9999).
const headLen = len("2006-01-02T15:04:05")

// append is appendTime, with the date, clock and zone taken from the
// cache when t falls in the cached second. A nil cache formats in full.
func (c *tsCache) append(b []byte, t time.Time, ok bool) ([]byte, bool) {
	if c == nil {
		return appendTime(b, t, ok)
	}
	sec, loc := t.Unix(), t.Location()
	if !c.valid || sec != c.sec || loc != c.loc {
		if y := t.Year(); y < 0 || y > 9999 {
			return b, false
		}
		full := t.Truncate(time.Second).AppendFormat(c.head[:0], time.RFC3339Nano)
		if len(full) <= headLen {
			return appendTime(b, t, ok) // not the layout expected: never cache it
		}
		c.zone = append(c.zone[:0], full[headLen:]...)
		c.head = full[:headLen]
		c.valid, c.sec, c.loc = true, sec, loc
	}
	b = append(b, '"')
	b = append(b, c.head...)
	// RFC3339Nano's ".999999999": nine digits, trailing zeros cut.
	b = appendFraction(b, uint64(t.Nanosecond()), 9)
	b = append(b, c.zone...)
	return append(b, '"'), ok
}
