package session

import (
	"cmp"
	"slices"
	"strings"
)

// OpenedOrder keeps things in the order of their session's opening time,
// then sid: the stable order in which a tick reports what several
// sessions did. It sorts again only after Invalidate (a thing added or
// removed, or its session replaced), since a tick runs four times a
// second over every session: with 10,000 sessions, sorting them through
// pointers into scattered Session structs on each tick cost about a
// quarter of a core. The zero value is ready and invalid.
type OpenedOrder[T any] struct {
	keys  []openedKey[T] // sorted while valid
	valid bool
}

type openedKey[T any] struct {
	sec  int64
	nsec int
	sid  string
	v    T
}

// Invalidate says the set of things changed: the next Append sorts.
func (o *OpenedOrder[T]) Invalidate() { o.valid = false }

// Append appends every thing, in order, to dst. When the order is
// invalid, all must yield every thing (in any order) and sess give each
// one's session; otherwise neither is called.
func (o *OpenedOrder[T]) Append(dst []T, all func(yield func(T) bool), sess func(T) *Session) []T {
	if !o.valid {
		clear(o.keys) // hold no session that is gone
		keys := o.keys[:0]
		for it := range all {
			s := sess(it)
			keys = append(keys, openedKey[T]{sec: s.Opened.Unix(), nsec: s.Opened.Nanosecond(), sid: s.Sid, v: it})
		}
		// Flat keys: comparisons read one array instead of following two
		// pointers each.
		slices.SortFunc(keys, func(a, b openedKey[T]) int {
			if c := cmp.Compare(a.sec, b.sec); c != 0 {
				return c
			}
			if c := cmp.Compare(a.nsec, b.nsec); c != 0 {
				return c
			}
			return strings.Compare(a.sid, b.sid)
		})
		o.keys, o.valid = keys, true
	}
	for i := range o.keys {
		dst = append(dst, o.keys[i].v)
	}
	return dst
}
