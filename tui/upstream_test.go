package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/sioproxy/sioproxy/internal/event"
)

// The status bar says when the target is down (start-up check, then the
// upstream_unreachable fault) and when it serves again (issue 12, point 1).
func TestStatusBarUpstreamState(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	const target = "http://localhost:3000"
	src, ring := newTestSource(nil, Stats{})
	opts := testOptions(src)
	opts.StartCheck = []UpstreamCheck{{Target: target, Err: "connection refused", At: at(0)}}
	m := New(opts)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	m.Update(tickMsg{now: at(1000)})
	if out := m.View(); !strings.Contains(out, "✗ "+target+" unreachable since 15:09:26") {
		t.Fatalf("after a failed start-up check the status bar should say the target is unreachable:\n%s", out)
	}
	ring.Publish(event.Event{TS: at(2000), Kind: event.KindHTTP, Method: "GET", Path: "/", Status: 200, Upstream: target})
	m.Update(tickMsg{now: at(2100)})
	out := m.View()
	if strings.Contains(out, "unreachable") || !strings.Contains(out, "target up") {
		t.Fatalf("after an answer from the target the status bar should say it is up:\n%s", out)
	}
	ring.Publish(event.Event{TS: at(3000), Kind: event.KindFault, Fault: &event.Fault{
		Code: "upstream_unreachable", Catalog: "K", Severity: event.Error, Target: target, Count: 1, First: at(3000), Last: at(3000),
	}})
	m.Update(tickMsg{now: at(3100)})
	if out := m.View(); !strings.Contains(out, "✗ "+target+" unreachable since 15:09:29") {
		t.Fatalf("after an upstream_unreachable fault the status bar should say so:\n%s", out)
	}
}

// Without a start-up check (replays, fixtures) the status bar says nothing
// about the target until one is found down.
func TestStatusBarUpstreamQuietByDefault(t *testing.T) {
	m := newTestModel(t, demoEvents())
	if out := m.View(); strings.Contains(out, "target up") || strings.Contains(out, "unreachable") {
		t.Fatalf("status bar speaks of the target without a check:\n%s", out)
	}
}
