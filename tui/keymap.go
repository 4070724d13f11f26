package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every binding of the UI; it implements help.KeyMap.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	NextPane, PrevPane                    key.Binding
	Enter, Back                           key.Binding
	Follow, Clear, Filter, Pings, Save    key.Binding
	Stats                                 key.Binding
	Help, Quit                            key.Binding
}

// DefaultKeyMap is the key map the UI starts with.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),
		NextPane: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevPane: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev pane")),
		Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Follow:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow/pause")),
		Clear:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "clear")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Pings:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "ping/pong")),
		Save:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save")),
		Stats:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "stats")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp implements help.KeyMap: the hints in the bottom line.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextPane, k.Enter, k.Filter, k.Follow, k.Pings, k.Save, k.Stats, k.Help, k.Quit}
}

// FullHelp implements help.KeyMap: the ? screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.NextPane, k.PrevPane, k.Enter, k.Back},
		{k.Follow, k.Clear, k.Filter, k.Pings, k.Save, k.Stats},
		{k.Help, k.Quit},
	}
}
