package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"syscall"
)

// alertNames are the TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2)
// under their registry names, which are what users search for.
var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown",
	47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
	50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
	71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled",
	109: "missing_extension", 110: "unsupported_extension",
	112: "unrecognized_name", 113: "bad_certificate_status_response",
	115: "unknown_psk_identity", 116: "certificate_required",
	120: "no_application_protocol",
}

// certAlerts are the alerts a client sends when it does not accept the
// certificate it was shown (FAULTS.md I1).
var certAlerts = map[string]bool{
	"bad_certificate": true, "unsupported_certificate": true,
	"certificate_revoked": true, "certificate_expired": true,
	"certificate_unknown": true, "unknown_ca": true,
}

// remoteAlert returns the alert a TLS peer sent, if err is crypto/tls's
// "remote error". crypto/tls reports it as a net.OpError wrapping an
// unexported uint8 type; reflection reads the number without depending on
// the English text. This also works for TLS 1.3, where the alert record
// is encrypted and cannot be sniffed from the wire.
func remoteAlert(err error) (name string, ok bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return "", false
	}
	v := reflect.ValueOf(op.Err)
	if t := v.Type(); t.PkgPath() != "crypto/tls" || t.Kind() != reflect.Uint8 {
		return "", false
	}
	n := uint8(v.Uint())
	if s, ok := alertNames[n]; ok {
		return s, true
	}
	return fmt.Sprintf("alert_%d", n), true
}

// clientHandshakeEvent turns a failed server-side handshake with a client
// into a TLSEvent, or nil when the failure says nothing about TLS (the
// listener was closed, the client never sent a byte).
func clientHandshakeEvent(err error, client, host, advice string) *tlsVerdict {
	if name, ok := remoteAlert(err); ok {
		d := fmt.Sprintf("the client aborted the TLS handshake with alert %s", name)
		if certAlerts[name] {
			d += ": it does not accept the certificate" + advice
		}
		return &tlsVerdict{Kind: "alert", Alert: name, Detail: d}
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		// Browsers and some runtimes close without an alert when they
		// reject the certificate (FAULTS.md I1: "or a close, no HTTP").
		return &tlsVerdict{Kind: "alert", Detail: "the client closed the connection during the TLS handshake (" + err.Error() +
			"), which is how Node and some other clients reject a certificate" + advice}
	case errors.Is(err, net.ErrClosed):
		return nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &tlsVerdict{Kind: "other", Detail: "the client did not finish the TLS handshake in time: " + err.Error()}
	}
	return &tlsVerdict{Kind: "other", Detail: "TLS handshake with the client failed: " + err.Error()}
}

// tlsVerdict is the classified part of an obs.TLSEvent.
type tlsVerdict struct {
	Kind, Alert, Detail string
}

// errNoHalfClose is returned by CloseWrite/CloseRead wrappers over a
// connection that cannot half-close; callers then close it fully.
var errNoHalfClose = errors.New("connection cannot half-close")
