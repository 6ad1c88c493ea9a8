package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// DefaultTimeout bounds one Send when Sender.Timeout is not set.
const DefaultTimeout = time.Minute

// ErrMaybeDelivered marks a Send that failed after the whole message went
// out but before the server acknowledged it: the server may have accepted
// it. Sending again may deliver it twice.
var ErrMaybeDelivered = errors.New("the message may have been delivered")

// Sender delivers mail through one SMTP submission server. It speaks
// net/smtp: STARTTLS (RFC 3207) or implicit TLS (RFC 8314), then AUTH PLAIN
// (RFC 4616), and it never sends a password in clear.
type Sender struct {
	Addr     string // host:port
	Username string // "" = no AUTH
	Password string
	// Security is "starttls" (the default: the server must offer
	// STARTTLS, else Send fails before AUTH or MAIL), "tls" (implicit
	// TLS, usually port 465) or "none" (plaintext, without AUTH).
	Security string
	// TLSConfig is the TLS client config; nil means the system roots.
	// An empty ServerName is taken from Addr.
	TLSConfig *tls.Config
	// Timeout bounds the whole exchange; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Send delivers msg (an RFC 5322 message with CRLF line endings, such as
// Compose makes) from from to the recipients to, which may be "Name
// <addr>" or bare addresses. It is bounded by ctx and s.Timeout.
//
// Errors are one line naming the server, the step and the server's reply:
// "send mail via smtp.example.com:587: AUTH: server replied 535 5.7.8
// authentication failed". A failure after the message was sent but before
// it was acknowledged also matches ErrMaybeDelivered.
func (s Sender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	fail := func(step string, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			// The connection was closed under the client: say why.
			if errors.Is(err, ErrMaybeDelivered) {
				cerr = fmt.Errorf("%w (%w)", cerr, ErrMaybeDelivered)
			}
			err = cerr
		}
		var te *textproto.Error
		if errors.As(err, &te) {
			err = replyError{te}
		}
		return fmt.Errorf("send mail via %s: %s: %w", s.Addr, step, err)
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("send mail via %q: want host:port: %w", s.Addr, err)
	}
	sender, err := parseAddress(from)
	if err != nil {
		return fail("MAIL FROM", err)
	}
	rcpts, err := parseAddresses(to)
	if err != nil {
		return fail("RCPT TO", err)
	}
	security := s.Security
	if security == "" {
		security = "starttls"
	}
	switch security {
	case "starttls", "tls":
	case "none":
		if s.Username != "" {
			return fail("AUTH", errors.New(`refusing to send a password without TLS (security "none")`))
		}
	default:
		return fail("connect", fmt.Errorf("unknown security %q (want starttls, tls or none)", s.Security))
	}
	tlsConfig := &tls.Config{}
	if s.TLSConfig != nil {
		tlsConfig = s.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fail("connect", err)
	}
	// net/smtp takes no context: closing the connection when ctx ends
	// unblocks whatever it waits for.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	var c net.Conn = conn
	if security == "tls" {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		c = tc
	}
	client, err := smtp.NewClient(c, host)
	if err != nil {
		return fail("greeting", err)
	}
	defer client.Close()
	if err := client.Hello(helloName()); err != nil {
		return fail("EHLO", err)
	}
	if security == "starttls" {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return fail("STARTTLS", errors.New("the server does not offer STARTTLS; refusing to go on in plaintext"))
		}
		if err := client.StartTLS(tlsConfig); err != nil {
			return fail("STARTTLS", err)
		}
	}
	if s.Username != "" {
		ok, mechs := client.Extension("AUTH")
		if !ok {
			return fail("AUTH", errors.New("the server does not offer AUTH"))
		}
		if !hasWord(mechs, "PLAIN") {
			return fail("AUTH", fmt.Errorf("the server does not offer AUTH PLAIN, only %s", mechs))
		}
		// net/smtp's PlainAuth also refuses a connection without TLS.
		if err := client.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fail("AUTH", err)
		}
	}
	if err := client.Mail(sender.Address); err != nil {
		return fail("MAIL FROM", err)
	}
	for _, r := range rcpts {
		if err := client.Rcpt(r.Address); err != nil {
			return fail("RCPT TO <"+r.Address+">", err)
		}
	}
	w, err := client.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		var te *textproto.Error
		if !errors.As(err, &te) {
			// No reply to the final dot: the server may have the message.
			err = fmt.Errorf("%w (%w)", err, ErrMaybeDelivered)
		}
		return fail("DATA", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = client.Quit()
	return nil
}

// replyError is a reply of the server, on one line.
type replyError struct{ err *textproto.Error }

func (e replyError) Error() string {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(e.err.Msg, "\n", " / ")), " ")
	return fmt.Sprintf("server replied %03d %s", e.err.Code, msg)
}

func (e replyError) Unwrap() error { return e.err }

// hasWord reports whether the space-separated list has w (ASCII case
// ignored).
func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

// helloName is the name given in EHLO: the host's name when it is a fully
// qualified domain name, else "localhost" (what net/smtp says by default).
func helloName() string {
	h, err := os.Hostname()
	if err != nil || !strings.Contains(h, ".") || strings.ContainsFunc(h, func(r rune) bool {
		return !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "localhost"
	}
	return h
}
