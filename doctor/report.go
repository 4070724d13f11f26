package doctor

import (
	"time"

	"github.com/sioproxy/sioproxy/decode/diagnose"
)

// Status is a probe's outcome.
type Status string

// Outcomes, from best to worst. SKIP counts as a pass for the exit status:
// the probe did not apply (no --origin, no --write) or could not run
// because a lower layer failed, which that layer already reports.
const (
	Pass Status = "PASS"
	Skip Status = "SKIP"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

func (s Status) rank() int {
	switch s {
	case Fail:
		return 3
	case Warn:
		return 2
	case Pass:
		return 1
	}
	return 0
}

// Layer names, in the order they are probed.
const (
	LayerNetwork   = "network"
	LayerEngine    = "engine.io"
	LayerCORS      = "cors"
	LayerAffinity  = "cookies & affinity"
	LayerWebSocket = "websocket"
	LayerNamespace = "namespace"
	LayerHeartbeat = "heartbeat"
	LayerLimits    = "limits"
)

var layerOrder = []string{LayerNetwork, LayerEngine, LayerCORS, LayerAffinity, LayerWebSocket, LayerNamespace, LayerHeartbeat, LayerLimits}

var layerTitle = map[string]string{
	LayerNetwork:   "Network: DNS, TCP, TLS",
	LayerEngine:    "Engine.IO handshake, version and path",
	LayerCORS:      "CORS (as a browser at --origin)",
	LayerAffinity:  "Cookies and session affinity",
	LayerWebSocket: "WebSocket",
	LayerNamespace: "Socket.IO namespace",
	LayerHeartbeat: "Heartbeat and intermediary timeouts",
	LayerLimits:    "Limits (maxPayload)",
}

// Probe is one check.
type Probe struct {
	Layer  string `json:"layer"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Fault is the FAULTS.md id ("B1", "C1"…) when the probe found one or
	// checks for one; Code the matching decode/diagnose fault code.
	Fault string `json:"fault,omitempty"`
	Code  string `json:"code,omitempty"`
	// Summary says what was found, with the observed values.
	Summary  string   `json:"summary"`
	Request  string   `json:"request,omitempty"`
	Response string   `json:"response,omitempty"`
	Details  []string `json:"details,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	Millis   int64    `json:"ms"`

	started time.Time
}

// LayerReport is one layer's probes and their worst outcome.
type LayerReport struct {
	Name   string   `json:"name"`
	Title  string   `json:"title"`
	Status Status   `json:"status"`
	Probes []*Probe `json:"probes"`
}

// Report is the whole run.
type Report struct {
	URL    string `json:"url"`
	Path   string `json:"path"`
	EIO    int    `json:"eio"`
	Origin string `json:"origin,omitempty"`
	Status Status `json:"status"`
	Exit   int    `json:"exit"`
	// MostLikely names the first failing (else warning) probe of the
	// lowest layer: the one to fix first.
	MostLikely string         `json:"most_likely,omitempty"`
	Layers     []*LayerReport `json:"layers"`
	Millis     int64          `json:"ms"`
}

// ExitCode is 0 when every probe passed (or was skipped), 1 with warnings,
// 2 with failures.
func (r *Report) ExitCode() int { return r.Exit }

// Probe returns the first probe with that layer and name, or nil.
func (r *Report) Probe(layer, name string) *Probe {
	for _, l := range r.Layers {
		if l.Name != layer {
			continue
		}
		for _, p := range l.Probes {
			if p.Name == name {
				return p
			}
		}
	}
	return nil
}

// finish orders layers (first failing layer on top), computes the
// statuses, the exit code and the headline.
func (r *Report) finish(probes []*Probe) {
	by := map[string]*LayerReport{}
	var layers []*LayerReport
	for _, name := range layerOrder {
		l := &LayerReport{Name: name, Title: layerTitle[name], Status: Skip}
		by[name] = l
		layers = append(layers, l)
	}
	for _, p := range probes {
		l := by[p.Layer]
		l.Probes = append(l.Probes, p)
		if p.Status.rank() > l.Status.rank() {
			l.Status = p.Status
		}
		if p.Status.rank() > r.Status.rank() {
			r.Status = p.Status
		}
	}
	if r.Status == "" || r.Status == Skip {
		r.Status = Pass
	}
	switch r.Status {
	case Fail:
		r.Exit = 2
	case Warn:
		r.Exit = 1
	}
	// The first layer holding the worst outcome goes on top; the rest keep
	// the probing order.
	top := -1
	for i, l := range layers {
		if l.Status == r.Status && r.Status != Pass {
			top = i
			break
		}
	}
	if top >= 0 {
		l := layers[top]
		for _, p := range l.Probes {
			if p.Status == r.Status {
				r.MostLikely = l.Title + ": " + p.Summary
				if p.Fault != "" {
					r.MostLikely += " (" + p.Fault + ")"
				}
				break
			}
		}
		layers = append([]*LayerReport{l}, append(layers[:top:top], layers[top+1:]...)...)
	}
	for _, l := range layers {
		if len(l.Probes) > 0 {
			r.Layers = append(r.Layers, l)
		}
	}
}

var catalogue = func() map[string]diagnose.Entry {
	m := map[string]diagnose.Entry{}
	for _, e := range diagnose.Catalog() {
		m[e.Code] = e
	}
	return m
}()

// fault marks p with a catalogue code: its FAULTS.md id, and the
// catalogue's fix unless the probe has a more precise one.
func (p *Probe) fault(code string) *Probe {
	e, ok := catalogue[code]
	if !ok {
		return p
	}
	p.Code, p.Fault = code, e.Catalog
	if p.Fix == "" {
		p.Fix = e.Fix
	}
	return p
}
