package diagnose

import (
	"fmt"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// tlsAlertNames are the alerts a client sends when it rejects a
// certificate (crypto/tls alert.go).
var tlsAlertNames = map[string]string{
	"42": "bad_certificate", "43": "unsupported_certificate", "44": "certificate_revoked",
	"45": "certificate_expired", "46": "certificate_unknown", "48": "unknown_ca",
}

// observeTLS is I1-I3: TLS failures on either leg, counted per client.
func (e *Engine) observeTLS(o obs.Obs, emit func(event.Event)) {
	t := o.TLS
	f := finding{client: t.Client, at: o.Time}
	detail := clip(t.Detail, 200)
	if detail != "" {
		f.evidence = []string{detail}
	}
	if t.Leg == "upstream" {
		e.tlsAt[hostOf(t.Client)] = o.Time
		host := orNone(t.Host)
		switch t.Kind {
		case "tls_on_plain":
			f.code = CodeTLSUpstreamPlain
			f.summary = fmt.Sprintf("The upstream %s answered sioproxy's TLS handshake in plain text: the target should be http://", host)
		case "unknown_authority":
			f.code = CodeTLSUpstreamUnknownCA
			f.summary = fmt.Sprintf("The upstream %s presents a certificate signed by an authority sioproxy does not trust", host)
		case "self_signed":
			f.code = CodeTLSUpstreamSelfSigned
			f.summary = fmt.Sprintf("The upstream %s presents a self-signed certificate", host)
		case "expired":
			f.code = CodeTLSUpstreamExpired
			f.summary = fmt.Sprintf("The upstream %s presents an expired (or not yet valid) certificate", host)
		case "hostname":
			f.code = CodeTLSUpstreamHostname
			f.summary = fmt.Sprintf("The upstream's certificate is not valid for %s", host)
		default:
			f.code = CodeTLSUpstreamOther
			f.summary = fmt.Sprintf("The TLS handshake with the upstream %s failed: %s", host, orNone(detail))
		}
		f.summary += "; sioproxy answered 502"
		e.report(f, emit)
		return
	}
	client := orNone(hostOf(t.Client))
	switch t.Kind {
	case "plain_http":
		f.code = CodeTLSClientPlainHTTP
		f.summary = fmt.Sprintf("Client %s spoke plain HTTP to sioproxy's TLS listener: its URL should be https:// or wss://", client)
	case "tls_on_plain":
		f.code = CodeTLSClientOnPlain
		f.summary = fmt.Sprintf("Client %s started a TLS handshake on sioproxy's plaintext listener: its URL should be http:// or ws://", client)
	default:
		f.code = CodeTLSClientRejected
		alert := t.Alert
		if n, ok := tlsAlertNames[alert]; ok {
			alert = alert + " " + n
		}
		switch {
		case alert != "":
			f.summary = fmt.Sprintf("Client %s rejected sioproxy's certificate with TLS alert %s", client, alert)
		case t.Kind != "" && t.Kind != "alert":
			f.summary = fmt.Sprintf("Client %s rejected sioproxy's certificate (%s)", client, t.Kind)
		default:
			f.summary = fmt.Sprintf("Client %s ended the TLS handshake without sending a request: it does not trust sioproxy's certificate", client)
		}
		if t.Host != "" {
			f.summary += " for " + t.Host
		}
	}
	e.report(f, emit)
}

// httpTLS handles an exchange that failed on upstream TLS: the TLS
// observation that precedes it already counted it, unless it was lost.
func (e *Engine) httpTLS(x *obs.HTTPExchange, emit func(event.Event)) {
	if at, ok := e.tlsAt[hostOf(x.Client)]; ok && x.End.Sub(at) < 2e9 && !at.After(x.End.Add(2e9)) {
		return
	}
	e.report(finding{
		code: CodeTLSUpstreamOther, client: x.Client, at: x.End,
		summary:  fmt.Sprintf("The TLS handshake with the upstream %s failed: %s; sioproxy answered 502", orNone(x.Upstream), clip(x.Err, 160)),
		evidence: []string{httpLine(x)},
	}, emit)
}
