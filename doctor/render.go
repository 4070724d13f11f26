package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the readable report: the headline, then each layer
// (the first failing one on top) with its probes.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sioproxy doctor %s  (path %s, EIO=%d", esc(r.URL), esc(r.Path), r.EIO)
	if r.Origin != "" {
		fmt.Fprintf(&b, ", origin %s", esc(r.Origin))
	}
	fmt.Fprintf(&b, ")\n\n")
	switch {
	case r.MostLikely != "" && r.Status == Fail:
		fmt.Fprintf(&b, "Your problem is most likely: %s\n\n", r.MostLikely)
	case r.MostLikely != "":
		fmt.Fprintf(&b, "Works, with a warning: %s\n\n", r.MostLikely)
	default:
		b.WriteString("All checks passed.\n\n")
	}
	for _, l := range r.Layers {
		fmt.Fprintf(&b, "%s  %s\n", l.Status, l.Title)
		for _, p := range l.Probes {
			id := ""
			if p.Fault != "" {
				id = "  [" + p.Fault + "]"
			}
			fmt.Fprintf(&b, "  %s  %s: %s%s\n", p.Status, p.Name, p.Summary, id)
			if p.Status == Pass || p.Status == Skip {
				continue
			}
			if p.Request != "" {
				fmt.Fprintf(&b, "        request:  %s\n", p.Request)
			}
			if p.Response != "" {
				fmt.Fprintf(&b, "        response: %s\n", p.Response)
			}
			for _, d := range p.Details {
				fmt.Fprintf(&b, "        · %s\n", d)
			}
			if p.Fix != "" {
				fmt.Fprintf(&b, "        fix:      %s\n", p.Fix)
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s in %d ms (exit %d)\n", r.Status, r.Millis, r.Exit)
	_, err := io.WriteString(w, b.String())
	return err
}
