package tui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles holds every style of the UI, built from one renderer so NO_COLOR
// (an Ascii profile) turns all of them off at once. Row selection never
// relies on styling alone: rows also carry a ">" marker.
type Styles struct {
	Title, Pane, PaneFocused lipgloss.Style
	Selected, Linked, Dim    lipgloss.Style
	C2S, S2C, ErrorRow       lipgloss.Style
	SevError, SevWarning     lipgloss.Style
	SevInfo, Label           lipgloss.Style
	Status, Rec, FilterErr   lipgloss.Style
	Help                     lipgloss.Style
}

func newStyles(noColor bool) Styles {
	r := lipgloss.DefaultRenderer()
	if noColor {
		r = lipgloss.NewRenderer(nil)
		r.SetColorProfile(termenv.Ascii)
	}
	s := r.NewStyle
	return Styles{
		Title:       s().Bold(true).Foreground(lipgloss.Color("12")),
		Pane:        s().Bold(true).Foreground(lipgloss.Color("7")).Background(lipgloss.Color("238")),
		PaneFocused: s().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("12")),
		Selected:    s().Reverse(true),
		Linked:      s().Underline(true).Foreground(lipgloss.Color("11")),
		Dim:         s().Foreground(lipgloss.Color("244")),
		C2S:         s().Foreground(lipgloss.Color("10")),
		S2C:         s().Foreground(lipgloss.Color("14")),
		ErrorRow:    s().Foreground(lipgloss.Color("9")),
		SevError:    s().Bold(true).Foreground(lipgloss.Color("9")),
		SevWarning:  s().Bold(true).Foreground(lipgloss.Color("11")),
		SevInfo:     s().Foreground(lipgloss.Color("12")),
		Label:       s().Bold(true),
		Status:      s().Foreground(lipgloss.Color("252")).Background(lipgloss.Color("236")),
		Rec:         s().Bold(true).Foreground(lipgloss.Color("9")),
		FilterErr:   s().Foreground(lipgloss.Color("9")),
		Help:        s().Foreground(lipgloss.Color("244")),
	}
}
