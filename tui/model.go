package tui

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sioproxy/sioproxy/internal/event"
)

// pane is a focusable section of the main screen.
type pane int

const (
	paneSessions pane = iota
	panePackets
	paneFaults
	numPanes
)

func (p pane) String() string {
	switch p {
	case paneSessions:
		return "sessions"
	case paneFaults:
		return "faults"
	}
	return "packets"
}

// mode is what the screen shows and where keys go.
type mode int

const (
	modeMain   mode = iota
	modeDetail      // full-screen detail of a packet or fault
	modeHelp        // key and filter reference
	modeFilter      // typing a filter
	modeSave        // typing a recording path
)

func (m mode) String() string {
	return [...]string{"main", "detail", "help", "filter", "save"}[m]
}

type (
	// tickMsg carries the time read by the tick command, so the model
	// itself never reads a clock.
	tickMsg struct{ now time.Time }
	// saveDoneMsg reports the outcome of a save command.
	saveDoneMsg struct {
		path string
		n    int // events saved, -1 if unknown
		err  error
	}
)

// maxExchanges bounds the HTTP exchanges remembered for the detail view.
const maxExchanges = 4096

type httpInfo struct {
	method, path string
	status       int
	durMs        *float64
}

// Model is the bubbletea model of the UI. Create it with New; it pulls
// from its Source on a 100 ms tick and renders only the visible rows.
type Model struct {
	opts   Options
	keys   KeyMap
	styles Styles
	help   help.Model
	width  int
	height int

	// Ingest state.
	store     *store
	view      seqList
	batch     []event.Event
	after     uint64 // last bus seq taken
	missed    uint64 // events the bus overwrote before the UI read them
	dropEvts  uint64 // sum of drop events seen
	sessions  *sessionDeriver
	sessRows  []SessionRow
	faults    *faultList
	upstream  *upstreamState
	exchanges map[uint64]httpInfo
	exOrder   []uint64 // ring of exchange ids, oldest at exNext
	exNext    int
	stats     Stats
	now       time.Time
	rate      rateCounter
	ticks     int

	// UI state.
	focus     pane
	mode      mode
	prevMode  mode // where esc returns from detail and help
	follow    bool
	showPings bool
	scope     string // sid the packet stream is limited to, "" for all
	filter    Filter
	filterErr string
	input     textinput.Model
	inputPrev string // filter text when the input opened

	cursorSeq, topSeq  uint64 // packet stream position, by store seq
	sessCur, sessTop   int
	faultCur, faultTop int

	detail  viewport.Model
	inj     injectMenu // the "!" fault menu (inject.go)
	message string     // outcome of the last action, e.g. a save

	statsPane statsPane // the t key (stats_pane.go)

	cache   string
	dirty   bool
	renders int // frames actually formatted, for tests

	// icpt is the breakpoint and held-message state (intercept.go).
	icpt *interceptUI
}

// New returns a model reading opts.Source.
func New(opts Options) *Model {
	opts.setDefaults()
	ti := textinput.New()
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.CharLimit = 512
	m := &Model{
		opts:      opts,
		keys:      DefaultKeyMap(),
		styles:    newStyles(opts.NoColor),
		help:      help.New(),
		store:     newStoreBytes(opts.Capacity, opts.MaxBytes),
		sessions:  newSessionDeriver(),
		faults:    newFaultList(),
		upstream:  newUpstreamState(opts.StartCheck),
		exchanges: make(map[uint64]httpInfo),
		exOrder:   make([]uint64, 0, 64),
		focus:     panePackets,
		follow:    true,
		input:     ti,
		detail:    viewport.New(0, 0),
		dirty:     true,
		width:     80,
		height:    24,
	}
	m.help.Styles.ShortKey = m.styles.Label
	m.help.Styles.ShortDesc = m.styles.Help
	m.help.Styles.FullKey = m.styles.Label
	m.help.Styles.FullDesc = m.styles.Help
	return m
}

// Run shows the UI on the terminal until the user quits or ctx is done.
func Run(ctx context.Context, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	p := tea.NewProgram(New(opts), tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx))
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		return nil // cancelled by the caller: not a failure of the UI
	}
	return err
}

// SetSize lays the UI out for a terminal of w×h cells.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = max(w, 20), max(h, 8)
	m.help.Width = m.width
	m.input.Width = m.width - 12
	m.detail.Width, m.detail.Height = m.width, m.bodyHeight()
	m.ensurePacketVisible()
	m.dirty = true
}

// Init starts the tick chain with an immediate first pull.
func (m *Model) Init() tea.Cmd {
	now := m.opts.Now
	return func() tea.Msg { return tickMsg{now: now()} }
}

func (m *Model) tick() tea.Cmd {
	now := m.opts.Now
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return tickMsg{now: now()} })
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ok, cmd := m.interceptMsg(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tickMsg:
		m.onTick(msg.now)
		return m, m.tick()
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case saveDoneMsg:
		m.dirty = true
		switch {
		case msg.err != nil:
			m.message = "save failed: " + msg.err.Error()
		case msg.n >= 0:
			m.message = fmt.Sprintf("saved %d events to %s", msg.n, msg.path)
		default:
			m.message = "saved recording to " + msg.path
		}
		return m, nil
	case tea.MouseMsg:
		m.dirty = true
		m.onMouse(msg)
		return m, nil
	case tea.KeyMsg:
		m.dirty = true
		return m, m.onKeyMaybeAlt(msg)
	}
	return m, nil
}

func (m *Model) onTick(now time.Time) {
	m.now = now
	m.ticks++
	m.interceptTick()
	m.batch, m.after, m.missed = m.pull()
	if len(m.batch) > 0 {
		m.dirty = true
		m.ingest(m.batch)
		// Drop references so the batch does not pin evicted payloads.
		clear(m.batch)
	}
	if st := m.opts.Source.Stats(); st != m.stats {
		m.stats, m.dirty = st, true
	}
	if r := m.rate.value(now); r != m.rate.shown {
		m.rate.shown, m.dirty = r, true
	}
	// Ages and last-activity times move even when nothing arrives.
	if m.ticks%10 == 0 {
		m.dirty = true
	}
	m.statsTick()
	if m.dirty {
		m.refreshSessions()
	}
}

func (m *Model) pull() ([]event.Event, uint64, uint64) {
	evs, last, missed := m.opts.Source.Events(m.batch[:0], m.after, m.opts.BatchMax)
	return evs, last, m.missed + missed
}

// ingest folds a batch into the ring, the sessions, the faults and the
// view, then moves the cursor only if the user is following the tail.
func (m *Model) ingest(evs []event.Event) {
	atBottom := m.atBottom()
	for i := range evs {
		ev := &evs[i]
		neutralise(ev)
		m.sessions.observe(ev)
		m.upstream.observe(ev)
		m.statsObserve(ev)
		switch ev.Kind {
		case event.KindPacket, event.KindError, event.KindInject:
			if ev.Kind == event.KindPacket {
				m.rate.add(ev.TS)
			}
			seq := m.store.add(ev)
			if m.passes(&m.store.get(seq).ev) {
				m.view.push(seq)
			}
		case event.KindFault:
			m.faults.observe(ev)
		case event.KindHTTP:
			m.rememberExchange(ev)
		case event.KindDrop:
			m.dropEvts += ev.Dropped
		}
	}
	m.view.trim(m.store.oldest())
	if m.follow && atBottom {
		m.cursorSeq, _ = m.view.last()
	}
	m.ensurePacketVisible()
}

func (m *Model) rememberExchange(ev *event.Event) {
	if ev.Exchange == 0 {
		return
	}
	if len(m.exOrder) < maxExchanges {
		m.exOrder = append(m.exOrder, ev.Exchange)
	} else {
		delete(m.exchanges, m.exOrder[m.exNext])
		m.exOrder[m.exNext] = ev.Exchange
		m.exNext = (m.exNext + 1) % maxExchanges
	}
	m.exchanges[ev.Exchange] = httpInfo{method: ev.Method, path: ev.Path, status: ev.Status, durMs: ev.DurationMs}
}

func (m *Model) refreshSessions() {
	if rows := m.opts.Source.Sessions(); rows != nil {
		m.sessRows = append(m.sessRows[:0], rows...)
		for i := range m.sessRows {
			neutraliseRow(&m.sessRows[i])
		}
	} else {
		m.sessRows = m.sessions.snapshot(m.sessRows, m.now)
	}
	sortSessions(m.sessRows)
	m.sessCur = clamp(m.sessCur, 0, len(m.sessRows)-1)
}

// passes reports whether a stream row is shown under the current toggles,
// scope and filter.
func (m *Model) passes(ev *event.Event) bool {
	if !m.showPings && (ev.Engine == "ping" || ev.Engine == "pong") && ev.Data != "probe" {
		return false
	}
	if m.scope != "" && ev.Sid != m.scope {
		return false
	}
	return m.filter.Match(ev)
}

// rebuildView re-applies the filter to every held row; only on a filter,
// scope or toggle change, never per tick.
func (m *Model) rebuildView() {
	m.view.reset()
	for seq := m.store.oldest(); seq < m.store.next; seq++ {
		if m.passes(&m.store.get(seq).ev) {
			m.view.push(seq)
		}
	}
	if m.follow {
		// Following: the newest matching rows, as many as fill the pane.
		m.cursorSeq, _ = m.view.last()
	} else if n := m.view.len(); n > 0 {
		m.cursorSeq = m.view.at(min(m.view.index(m.cursorSeq), n-1))
	}
	m.ensurePacketVisible()
}

// atBottom reports whether the cursor is on the newest visible row (or
// there is none), the only position from which new rows move the view.
func (m *Model) atBottom() bool {
	last, ok := m.view.last()
	return !ok || m.cursorSeq >= last
}

// rateCounter counts packets per second by their timestamps in ten
// 100 ms buckets, so the figure is exact in replays and tests.
type rateCounter struct {
	buckets [10]struct {
		key int64
		n   int
	}
	shown int
}

const bucketNs = int64(tickEvery)

func (r *rateCounter) add(ts time.Time) {
	k := ts.UnixNano() / bucketNs
	if k <= 0 {
		return
	}
	b := &r.buckets[k%int64(len(r.buckets))]
	if b.key != k {
		if k < b.key {
			return // older than the window
		}
		b.key, b.n = k, 0
	}
	b.n++
}

// value is the packets seen in the second ending at now.
func (r *rateCounter) value(now time.Time) int {
	nk := now.UnixNano() / bucketNs
	sum := 0
	for _, b := range r.buckets {
		if b.key > nk-int64(len(r.buckets)) && b.key <= nk+1 {
			sum += b.n
		}
	}
	return sum
}

func clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

var _ tea.Model = (*Model)(nil)
var _ help.KeyMap = KeyMap{}
