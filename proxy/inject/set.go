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
	// entries is swapped whole (under mu) when the rules file reloads,
	// so readers take a snapshot without locking.
	entries atomic.Pointer[[]*Entry]
	// byKind is the first enabled entry of each kind, rebuilt on toggle.
	byKind atomic.Pointer[map[Kind]*Entry]
	mu     sync.Mutex // serialises Toggle
	// onChange are called after a toggle (the proxy registers its
	// active-layer actor, the UI logs it).
	onChange []func(e *Entry, on bool)
	// check refuses rules the run cannot apply (see SetCheck).
	check func(Rule) error
}

// Entry is one rule of a Set.
type Entry struct {
	Rule
	on    atomic.Bool
	n     atomic.Uint64 // decisions taken, for Every
	hits  atomic.Uint64 // faults injected
	Given bool          // from --inject (or a rules file), not a TUI example
	file  bool          // from the --rules file: SetFile replaces it
}

// On reports whether the rule is active.
func (e *Entry) On() bool { return e != nil && e.on.Load() }

// File reports whether the rule came from the --rules file.
func (e *Entry) File() bool { return e.file }

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
	var es []*Entry
	for _, r := range rules {
		e := &Entry{Rule: r, Given: true}
		e.on.Store(true)
		es = append(es, e)
	}
	s.entries.Store(&es)
	s.addExamples(nil)
	s.rebuild()
	return s
}

// addExamples appends, for every kind no given rule has, the example of
// that kind (reusing old's, so a switched-on example stays on).
func (s *Set) addExamples(old map[Kind]*Entry) {
	es := *s.entries.Load()
	given := map[Kind]bool{}
	for _, e := range es {
		given[e.Kind] = true
	}
	for _, k := range Kinds {
		if given[k] {
			continue
		}
		e := old[k]
		if e == nil {
			e = &Entry{Rule: Example(k)}
		}
		es = append(es, e)
	}
	s.entries.Store(&es)
}

// SetCheck sets what Check asks of each rule: the run's own limits, such
// as reroute-sid needing two targets.
func (s *Set) SetCheck(f func(Rule) error) {
	s.mu.Lock()
	s.check = f
	s.mu.Unlock()
}

// Check returns the first rule's error the run's check finds, before the
// rules are handed to SetFile.
func (s *Set) Check(rules []Rule) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	f := s.check
	s.mu.Unlock()
	for _, r := range rules {
		if f == nil {
			break
		}
		if err := f(r); err != nil {
			return err
		}
	}
	return nil
}

// SetFile replaces the rules that came from the --rules file, at each
// load of it: a rule the file names anew is on; one it named before keeps
// its state and count (a reload does not undo a toggle in the UI); one it
// no longer names goes, and the kinds no given rule has get their example
// back.
func (s *Set) SetFile(rules []Rule) {
	if s == nil {
		return
	}
	s.mu.Lock()
	prev := map[string][]*Entry{}
	examples := map[Kind]*Entry{}
	var es []*Entry
	var changed []*Entry
	for _, e := range *s.entries.Load() {
		switch {
		case e.file:
			prev[e.Text] = append(prev[e.Text], e)
		case e.Given:
			es = append(es, e)
		default:
			examples[e.Kind] = e
		}
	}
	for _, r := range rules {
		var e *Entry
		if p := prev[r.Text]; len(p) > 0 {
			e, prev[r.Text] = p[0], p[1:]
		} else {
			e = &Entry{Rule: r, Given: true, file: true}
			e.on.Store(true)
			changed = append(changed, e)
		}
		es = append(es, e)
	}
	s.entries.Store(&es)
	s.addExamples(examples)
	kept := map[*Entry]bool{}
	for _, e := range *s.entries.Load() {
		kept[e] = true
	}
	gone := func(e *Entry) {
		if !kept[e] && e.on.Swap(false) {
			changed = append(changed, e)
		}
	}
	for _, p := range prev {
		for _, e := range p {
			gone(e)
		}
	}
	for _, e := range examples {
		gone(e)
	}
	s.rebuild()
	fs := s.onChange
	s.mu.Unlock()
	for _, e := range changed {
		for _, f := range fs {
			f(e, e.On())
		}
	}
}

// OnChange adds a function called after each toggle.
func (s *Set) OnChange(f func(e *Entry, on bool)) {
	s.mu.Lock()
	s.onChange = append(s.onChange, f)
	s.mu.Unlock()
}

func (s *Set) rebuild() {
	m := make(map[Kind]*Entry)
	for _, e := range *s.entries.Load() {
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

// Entries returns every rule, given ones first (--inject, then the rules
// file's). The slice is a snapshot: do not modify it.
func (s *Set) Entries() []*Entry {
	if s == nil {
		return nil
	}
	return *s.entries.Load()
}

// Toggle switches entry i on or off and returns its new state.
func (s *Set) Toggle(i int) bool {
	es := s.Entries()
	if i < 0 || i >= len(es) {
		return false
	}
	return s.Enable(i, !es[i].on.Load())
}

// Enable switches entry i on or off.
func (s *Set) Enable(i int, on bool) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	es := *s.entries.Load()
	if i < 0 || i >= len(es) {
		s.mu.Unlock()
		return false
	}
	e := es[i]
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
	for i, e := range s.Entries() {
		want := e.Kind == k && (s.firstOf(k) == i)
		if e.on.Load() != want {
			s.Enable(i, want)
		}
	}
}

func (s *Set) firstOf(k Kind) int {
	for i, e := range s.Entries() {
		if e.Kind == k {
			return i
		}
	}
	return -1
}
