package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/diagnose"
)

// expiryWarn: certificates closer than this to expiry get a warning.
const expiryWarn = 14 * 24 * time.Hour

// probeNetwork resolves, connects and (for https) inspects TLS. It
// reports false when nothing above can work (no address, no listener).
func (d *doctor) probeNetwork(ctx context.Context) bool {
	host, port := d.base.Hostname(), d.base.Port()
	if port == "" {
		port = "80"
		if d.tls {
			port = "443"
		}
	}
	d.addr = net.JoinHostPort(host, port)

	p := d.probe(LayerNetwork, "DNS")
	p.Request = "resolve " + esc(host)
	if ip := net.ParseIP(host); ip != nil {
		p.pass("%s is an address; nothing to resolve", host)
	} else {
		cctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		addrs, err := net.DefaultResolver.LookupHost(cctx, host)
		cancel()
		if err != nil {
			p.fail("%s does not resolve: %s", esc(host), esc(unwrapURLError(err, d.opts.Timeout).Error()))
			p.Fix = "Check the host name in the URL and the DNS (or /etc/hosts) of the machine the clients run on."
			return false
		}
		p.Response = strings.Join(addrs, ", ")
		p.pass("%s resolves to %s", esc(host), strings.Join(addrs, ", "))
	}

	p = d.probe(LayerNetwork, "TCP connect")
	p.Request = "connect " + esc(d.addr)
	start := time.Now()
	c, err := (&net.Dialer{Timeout: d.opts.Timeout}).DialContext(ctx, "tcp", d.addr)
	if err != nil {
		e := unwrapURLError(err, d.opts.Timeout)
		p.Response = esc(e.Error())
		p.fail("cannot connect to %s: %s", esc(d.addr), esc(e.Error()))
		switch {
		case isTimeout(err):
			p.Fix = "Nothing answered: a firewall or security group drops the packets, or the host is down."
		default:
			p.Fix = fmt.Sprintf("Nothing listens on %s: start the server, or fix the port in the URL (the server prints the port it listens on).", esc(d.addr))
		}
		return false
	}
	p.Response = "connected from " + c.LocalAddr().String() + " to " + c.RemoteAddr().String()
	p.pass("%s accepts connections (%v)", esc(d.addr), time.Since(start).Round(10*time.Microsecond))
	c.Close()

	if d.tls {
		return d.probeTLS(ctx, host)
	}
	return true
}

// probeTLS inspects the server's TLS: protocol, ALPN, chain, dates, names.
// A rejected certificate fails its probe but the run goes on with
// verification off, so the layers above are still diagnosed; a failed
// handshake ends the run (false).
func (d *doctor) probeTLS(ctx context.Context, host string) bool {
	p := d.probe(LayerNetwork, "TLS handshake")
	p.Request = "TLS ClientHello to " + esc(d.addr) + "  SNI " + esc(host) + "  ALPN h2,http/1.1"
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: d.opts.Timeout}, Config: cfg}
	cctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	conn, err := dialer.DialContext(cctx, "tcp", d.addr)
	cancel()
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			p.Response = fmt.Sprintf("not TLS: first bytes %q", rh.RecordHeader[:])
			p.fail("%s speaks plain HTTP, not TLS", esc(d.addr)).fault(diagnose.CodeTLSUpstreamPlain)
			p.Fix = fmt.Sprintf("Use http://%s (the port is plaintext), or the port where the server listens with TLS.", esc(d.addr))
			return false
		}
		p.Response = esc(unwrapURLError(err, d.opts.Timeout).Error())
		p.fail("TLS handshake with %s failed: %s", esc(d.addr), p.Response).fault(diagnose.CodeTLSClientRejected)
		p.Fix = "Check the server's TLS configuration (certificate and key loaded, protocol versions TLS 1.2+)."
		return false
	}
	st := conn.(*tls.Conn).ConnectionState()
	conn.Close()
	alpn := st.NegotiatedProtocol
	if alpn == "" {
		alpn = "none (HTTP/1.1)"
	}
	p.Response = fmt.Sprintf("%s, ALPN %s, cipher %s", tls.VersionName(st.Version), alpn, tls.CipherSuiteName(st.CipherSuite))
	if st.Version < tls.VersionTLS12 {
		p.warn("%s negotiated: browsers refuse TLS below 1.2", tls.VersionName(st.Version))
		p.Fix = "Enable TLS 1.2 or 1.3 on the server."
	} else {
		p.pass("%s, ALPN %s", tls.VersionName(st.Version), alpn)
	}
	if len(st.PeerCertificates) == 0 {
		return true
	}
	leaf := st.PeerCertificates[0]
	certFail := func(p *Probe, format string, args ...any) {
		if d.opts.Insecure {
			p.warn(format+" (ignored: --insecure)", args...)
		} else {
			p.fail(format, args...)
			d.certRejected = true
		}
	}

	// Chain: verified against the system roots or --ca, names and dates
	// aside (their own probes say more).
	p = d.probe(LayerNetwork, "certificate chain")
	p.Request = "verify the chain sent by " + esc(d.addr)
	p.Response = chainText(st.PeerCertificates)
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	now := time.Now()
	at := now
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: d.roots, Intermediates: inter, CurrentTime: at})
	var ua x509.UnknownAuthorityError
	switch {
	case verr == nil:
		p.pass("trusted (issuer %s)", esc(leaf.Issuer.String()))
	case errors.As(verr, &ua) && isSelfSigned(leaf):
		certFail(p, "self-signed certificate (%s): clients reject it (Node: DEPTH_ZERO_SELF_SIGNED_CERT)", esc(leaf.Subject.String()))
		p.fault(diagnose.CodeTLSUpstreamSelfSigned).Fault = "I1"
		p.Fix = "Use a certificate from a CA the clients trust (e.g. Let's Encrypt); for a dev certificate, give Node clients its PEM as the `ca` option (browsers need it in their trust store). doctor takes it with --ca FILE."
	default:
		certFail(p, "not trusted: %s", esc(verr.Error()))
		p.fault(diagnose.CodeTLSUpstreamUnknownCA).Fault = "I1"
		p.Fix = "Send the full chain (leaf and intermediates) from a CA the clients trust; for a private CA, give Node clients the `ca` option (doctor: --ca FILE)."
	}

	p = d.probe(LayerNetwork, "certificate dates")
	p.Request = "check the validity period of " + esc(leaf.Subject.String())
	p.Response = fmt.Sprintf("notBefore %s  notAfter %s", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	left := leaf.NotAfter.Sub(now)
	switch {
	case now.After(leaf.NotAfter):
		certFail(p, "certificate expired on %s (%s ago): clients reject it (CERT_HAS_EXPIRED)", leaf.NotAfter.UTC().Format(time.RFC3339), days(-left))
		p.fault(diagnose.CodeTLSUpstreamExpired).Fault = "I1"
		p.Fix = fmt.Sprintf("Renew the certificate (it ended %s) and reload the server; check the server's clock too.", leaf.NotAfter.UTC().Format("2006-01-02"))
	case now.Before(leaf.NotBefore):
		certFail(p, "certificate not valid before %s: clients reject it", leaf.NotBefore.UTC().Format(time.RFC3339))
		p.fault(diagnose.CodeTLSUpstreamExpired).Fault = "I1"
		p.Fix = "Check the clocks of the server and the clients, or reissue the certificate."
	case left < expiryWarn:
		p.warn("certificate expires in %s (%s)", days(left), leaf.NotAfter.UTC().Format(time.RFC3339))
		p.Fault = "I1"
		p.Fix = fmt.Sprintf("Renew the certificate before %s.", leaf.NotAfter.UTC().Format("2006-01-02"))
	default:
		p.pass("valid until %s (%s left)", leaf.NotAfter.UTC().Format("2006-01-02"), days(left))
	}

	p = d.probe(LayerNetwork, "certificate names")
	p.Request = "match " + esc(host) + " against the certificate's subjectAltName"
	p.Response = "DNS " + esc(strings.Join(leaf.DNSNames, ",")) + "  IP " + ipList(leaf.IPAddresses)
	if err := leaf.VerifyHostname(host); err != nil {
		certFail(p, "the certificate does not name %s (it names %s): clients reject it (ERR_TLS_CERT_ALTNAME_INVALID)", esc(host), p.Response)
		p.fault(diagnose.CodeTLSUpstreamHostname).Fault = "I1"
		p.Fix = fmt.Sprintf("Reissue the certificate with %s in subjectAltName, or connect with a name it covers.", esc(host))
	} else {
		p.pass("the certificate names %s", esc(host))
	}
	return true
}

// isSelfSigned: issued by itself and signed with its own key (a leaf made
// self-signed is often no CA, so CheckSignatureFrom would refuse it).
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func chainText(cs []*x509.Certificate) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, esc(c.Subject.String())+" ← "+esc(c.Issuer.String()))
	}
	return strings.Join(parts, " | ")
}

func ipList(ips []net.IP) string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return strings.Join(s, ",")
}

func days(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
