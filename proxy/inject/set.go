package inject

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Set is the rules of one proxy run: those given with --inject, enabled,
// followed by an example of every other rule, disabled, so that the TUI
// can switch any of them on. The proxy asks it at each decision point; a
// lookup is a few atomic loads, so the transparent relay pays nothing
// noticeable while every rule is off.
type Set struct {
	entries []*Entry
	// byKind is the first enabled entry of each kind, rebuilt on toggle.
	byKind atomic.Pointer[map[Kind]*Entry]
	mu     sync.Mutex // serialises Toggle
	// onChange are called after a toggle (the proxy registers its
	// active-layer actor, the UI logs it).
	onChange []func(e *Entry, on bool)
}

// Entry is one rule of a Set.
type Entry struct {
	Rule
	on    atomic.Bool
	n     atomic.Uint64 // decisions taken, for Every
	hits  atomic.Uint64 // faults injected
	Given bool          // from --inject (or a rules file), not a TUI example
}

// On reports whether the rule is active.
func (e *Entry) On() bool { return e != nil && e.on.Load() }

// Hits returns how many faults this rule injected.
func (e *Entry) Hits() uint64 { return e.hits.Load() }

// Hit counts one injected fault.
func (e *Entry) Hit() { e.hits.Add(1) }

// Roll reports whether this occurrence is affected, drawing against
// Percent (100 % always is).
func (e *Entry) Roll() bool {
	return e.Percent >= 100 || rand.Float64()*100 < e.Percent
}

// Nth reports whether this is the Every-th occurrence.
func (e *Entry) Nth() bool {
	n := e.n.Add(1)
	return e.Every <= 1 || n%uint64(e.Every) == 0
}

// Jittered returns Delay ± up to Jitter.
func (e *Entry) Jittered() time.Duration {
	if e.Jitter <= 0 {
		return e.Delay
	}
	return e.Delay + time.Duration(rand.Int64N(int64(2*e.Jitter)+1)) - e.Jitter
}

// NewSet returns a Set with rules enabled.
func NewSet(rules []Rule) *Set {
	s := &Set{}
	given := map[Kind]bool{}
	for _, r := range rules {
		e := &Entry{Rule: r, Given: true}
		e.on.Store(true)
		s.entries = append(s.entries, e)
		given[r.Kind] = true
	}
	for _, k := range Kinds {
		if !given[k] {
			s.entries = append(s.entries, &Entry{Rule: Example(k)})
		}
	}
	s.rebuild()
	return s
}

// OnChange adds a function called after each toggle.
func (s *Set) OnChange(f func(e *Entry, on bool)) {
	s.mu.Lock()
	s.onChange = append(s.onChange, f)
	s.mu.Unlock()
}

func (s *Set) rebuild() {
	m := make(map[Kind]*Entry)
	for _, e := range s.entries {
		if e.on.Load() && m[e.Kind] == nil {
			m[e.Kind] = e
		}
	}
	s.byKind.Store(&m)
}

// Get returns the enabled rule of kind k, or nil. A nil Set has none.
func (s *Set) Get(k Kind) *Entry {
	if s == nil {
		return nil
	}
	m := s.byKind.Load()
	if m == nil || len(*m) == 0 {
		return nil
	}
	return (*m)[k]
}

// Any reports whether some rule is enabled.
func (s *Set) Any() bool {
	if s == nil {
		return false
	}
	m := s.byKind.Load()
	return m != nil && len(*m) > 0
}

// Entries returns every rule, given ones first.
func (s *Set) Entries() []*Entry {
	if s == nil {
		return nil
	}
	return s.entries
}

// Toggle switches entry i on or off and returns its new state.
func (s *Set) Toggle(i int) bool {
	if s == nil || i < 0 || i >= len(s.entries) {
		return false
	}
	return s.Enable(i, !s.entries[i].on.Load())
}

// Enable switches entry i on or off.
func (s *Set) Enable(i int, on bool) bool {
	if s == nil || i < 0 || i >= len(s.entries) {
		return false
	}
	s.mu.Lock()
	e := s.entries[i]
	e.on.Store(on)
	s.rebuild()
	fs := s.onChange
	s.mu.Unlock()
	for _, f := range fs {
		f(e, on)
	}
	return on
}

// EnableOnly switches on exactly the entry of kind k (demo --chaos cycles
// through the rules this way); an empty k switches everything off.
func (s *Set) EnableOnly(k Kind) {
	for i, e := range s.entries {
		want := e.Kind == k && (s.firstOf(k) == i)
		if e.on.Load() != want {
			s.Enable(i, want)
		}
	}
}

func (s *Set) firstOf(k Kind) int {
	for i, e := range s.entries {
		if e.Kind == k {
			return i
		}
	}
	return -1
}
