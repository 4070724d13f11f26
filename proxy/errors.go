package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
)

// errClosedEarly marks a response body closed before its end: the
// ReverseProxy gave up copying because the client went away.
var errClosedEarly = errors.New("response body closed before its end: client gone")

// classify sorts an upstream error into an obs.HTTPExchange ErrKind
// ("dial", "tls", "timeout", "client_gone", "client_abort",
// "client_bad_request", "upstream_reset", "other") and,
// for "tls", an obs.TLSEvent kind.
func classify(err error) (kind, tlsKind string) {
	if t := classifyTLS(err); t != "" {
		return "tls", t
	}
	var ne net.Error
	var op *net.OpError
	var dns *net.DNSError
	var cbe *clientBodyError
	switch {
	case errors.As(err, &cbe):
		return cbe.kind(), ""
	case errors.Is(err, context.Canceled), errors.Is(err, errClosedEarly):
		return "client_gone", ""
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout", ""
	case errors.As(err, &dns), errors.As(err, &op) && op.Op == "dial":
		return "dial", ""
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "upstream_reset", ""
	}
	return "other", ""
}

// classifyTLS returns the obs.TLSEvent kind of a TLS failure talking to the
// upstream, or "" if err is not one (FAULTS.md I1, I2).
func classifyTLS(err error) string {
	var host x509.HostnameError
	var ua x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	var rec tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	var alert tls.AlertError
	switch {
	case errors.As(err, &host):
		return "hostname"
	case errors.As(err, &ua):
		if ua.Cert != nil && selfSigned(ua.Cert) {
			return "self_signed"
		}
		return "unknown_authority"
	case errors.As(err, &inv):
		if inv.Reason == x509.Expired {
			return "expired"
		}
		return "other"
	case errors.As(err, &rec), errors.Is(err, http.ErrSchemeMismatch):
		// The port answered in plain text: "first record does not look like
		// a TLS handshake", or "server gave HTTP response to HTTPS client".
		return "tls_on_plain"
	case errors.As(err, &verify), errors.As(err, &alert):
		return "other"
	}
	return ""
}

// selfSigned reports a certificate that signed itself (a CA or not, which
// is why CheckSignatureFrom, requiring IsCA, is not used).
func selfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
