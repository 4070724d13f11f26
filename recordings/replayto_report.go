package recordings

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// WriteText writes the report for people: a line per session, its
// differences indented under it, and a summary line.
func (r *ReplayReport) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, s := range r.Sessions {
		fmt.Fprintf(bw, "session %s (%s)", s.Sid, s.Transport)
		if s.NewSid != "" {
			fmt.Fprintf(bw, " → new sid %s", s.NewSid)
		}
		fmt.Fprintf(bw, ": %d sent, %d received, %s\n", s.Sent, s.Received, plural(len(s.Diffs)))
		for _, d := range s.Diffs {
			fmt.Fprintf(bw, "  %s\n", d.Msg)
		}
	}
	fmt.Fprintf(bw, "replay to %s: %d session%s, %s\n", r.Target, len(r.Sessions), pluralS(len(r.Sessions)), plural(r.Differences()))
	return bw.Flush()
}

// WriteJSON writes the report as JSON Lines: per session a "session" line
// and its "difference" lines, then one "summary" line.
func (r *ReplayReport) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, s := range r.Sessions {
		if err := enc.Encode(struct {
			Kind string `json:"kind"`
			SessionReport
			Differences int `json:"differences"`
		}{"session", s, len(s.Diffs)}); err != nil {
			return err
		}
		for _, d := range s.Diffs {
			if err := enc.Encode(struct {
				Kind string `json:"kind"`
				Diff
			}{"difference", d}); err != nil {
				return err
			}
		}
	}
	if err := enc.Encode(struct {
		Kind        string `json:"kind"`
		Target      string `json:"target"`
		Sessions    int    `json:"sessions"`
		Differences int    `json:"differences"`
	}{"summary", r.Target, len(r.Sessions), r.Differences()}); err != nil {
		return err
	}
	return bw.Flush()
}

func plural(n int) string {
	switch n {
	case 0:
		return "no differences"
	case 1:
		return "1 difference"
	}
	return fmt.Sprintf("%d differences", n)
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
