package tui

// minPacketRows is what the packet pane keeps when other panes want room
// (if the terminal has it).
const minPacketRows = 3

// shareRows splits avail rows between the panes by what they hold: a pane
// never gets more rows than it has content (at least one), the focused
// pane may grow to most of the screen, and the packet stream, the pane
// that usually has the most to show, takes the rest. Rows the packets do
// not need go to the sessions and faults, so nine faults show as nine rows
// while the stream is short.
func (m *Model) shareRows(avail int) (sess, pkts, faults, info int) {
	nS, nP, nF := len(m.sessRows), m.view.len(), m.faults.len()
	capS, capF := max(2, avail/5), max(4, avail/4)
	switch m.focus {
	case paneSessions:
		capS = max(capS, avail*2/3)
	case paneFaults:
		capF = max(capF, avail/2)
	}
	sess = clamp(nS, 1, capS)
	faults = clamp(nF, 1, capF)
	if m.focus == paneFaults && nF > 0 {
		info = clamp(avail/3, 0, min(10, len(m.faultInfoLines(&m.faults.rows[clamp(m.faultCur, 0, nF-1)]))))
	}
	pkts = avail - sess - faults - info

	// The stream needs fewer rows than it has: give them to the others,
	// the focused pane first.
	if spare := pkts - max(nP, minPacketRows); spare > 0 {
		give := func(p *int, want int) {
			d := clamp(want-*p, 0, spare)
			*p += d
			spare -= d
			pkts -= d
		}
		if m.focus == paneSessions {
			give(&sess, nS)
			give(&faults, nF)
		} else {
			give(&faults, nF)
			give(&sess, nS)
		}
	}

	// Too little room for the stream: shrink the fault details, then the
	// pane without focus, then the other, down to one row each.
	want := min(minPacketRows, max(1, avail-2))
	take := func(p *int, floor int) {
		if d := min(want-pkts, *p-floor); d > 0 {
			*p -= d
			pkts += d
		}
	}
	take(&info, 0)
	if m.focus == paneSessions {
		take(&faults, 1)
		take(&sess, 1)
	} else {
		take(&sess, 1)
		take(&faults, 1)
	}
	pkts = max(pkts, 1)
	return sess, pkts, faults, info
}
