package report

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"html"
	"io"
	"strings"
)

//go:embed assets/page.html
var pageHTML string

//go:embed assets/report.css
var reportCSS string

//go:embed assets/report.js
var reportJS string

// Write renders d as one HTML page. The data goes in a JSON script block:
// encoding/json escapes <, > and &, so no string from the wire can close
// the block, and the page's script puts every string in with textContent,
// never as markup.
func Write(w io.Writer, d *Data) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	before, after, _ := strings.Cut(pageHTML, "{{DATA}}")
	r := strings.NewReplacer("{{TITLE}}", html.EscapeString(d.Title), "{{CSS}}", reportCSS, "{{JS}}", reportJS)
	bw := bufio.NewWriterSize(w, 64<<10)
	r.WriteString(bw, before)
	bw.Write(data)
	r.WriteString(bw, after)
	return bw.Flush()
}
