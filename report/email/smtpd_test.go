package email_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// This file is an in-process SMTP server (go-smtp) on 127.0.0.1 that
// records what it receives.

const (
	testUser     = "anna"
	testPassword = "s3cret-pässword"
)

// received is one message the server accepted.
type received struct {
	From string
	To   []string
	Data []byte
	User string // the authenticated user, "" without AUTH
	TLS  bool   // whether the session was encrypted when DATA came
}

// backend is a go-smtp Backend that records messages and checks AUTH PLAIN
// against testUser/testPassword.
type backend struct {
	requireAuth bool
	rejectRcpt  string        // a recipient refused with 550
	stallData   chan struct{} // when set, DATA waits for it to close and then fails
	// tempReject refuses RCPT of a recipient with 451, as many times as
	// its value; dataDelay holds each DATA that long, so that sessions
	// overlap.
	tempReject map[string]int
	dataDelay  time.Duration

	mu       sync.Mutex
	msgs     []received
	authSeen int // AUTH attempts
	// active counts the sessions between MAIL and the end of DATA;
	// maxActive is the most seen at once.
	active, maxActive int
}

// maxInFlight returns the most sessions seen between MAIL and the end of
// DATA at once.
func (b *backend) maxInFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxActive
}

// perRecipient counts the accepted messages by recipient.
func (b *backend) perRecipient() map[string]int {
	n := map[string]int{}
	for _, m := range b.messages() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{be: b, conn: c}, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

func (b *backend) authAttempts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.authSeen
}

type session struct {
	be   *backend
	conn *smtp.Conn
	user string
	from string
	to   []string
	// inMail is set between MAIL and the end of DATA (or a reset).
	inMail bool
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.be.mu.Lock()
		s.be.authSeen++
		s.be.mu.Unlock()
		if username != testUser || password != testPassword {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.requireAuth && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	s.be.mu.Lock()
	s.be.active++
	s.be.maxActive = max(s.be.maxActive, s.be.active)
	s.inMail = true
	s.be.mu.Unlock()
	return nil
}

// endMail ends the span counted in active.
func (s *session) endMail() {
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	if s.inMail {
		s.be.active--
		s.inMail = false
	}
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.be.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	s.be.mu.Lock()
	if s.be.tempReject[to] > 0 {
		s.be.tempReject[to]--
		s.be.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	s.be.mu.Unlock()
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	defer s.endMail()
	if s.be.dataDelay > 0 {
		time.Sleep(s.be.dataDelay)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.be.stallData != nil {
		<-s.be.stallData
		return errors.New("stalled")
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	s.be.msgs = append(s.be.msgs, received{From: s.from, To: s.to, Data: data, User: s.user, TLS: isTLS})
	return nil
}

func (s *session) Reset()        { s.endMail(); s.from, s.to = "", nil }
func (s *session) Logout() error { s.endMail(); return nil }

// serverMode is how a test server speaks TLS.
type serverMode int

const (
	modeStartTLS serverMode = iota // offers STARTTLS, AUTH only after it
	modeImplicit                   // TLS from the first byte
	modePlain                      // no TLS at all, AUTH offered in clear
)

// testServer is a running in-process SMTP server.
type testServer struct {
	Addr    string
	Backend *backend
	// Client trusts the server's self-signed certificate.
	Client *tls.Config
}

// startServer starts an SMTP server on 127.0.0.1:0 that lives as long as
// the test.
func startServer(t *testing.T, mode serverMode, be *backend) *testServer {
	t.Helper()
	cert, pool := selfSigned(t)
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case modeStartTLS:
		srv.TLSConfig = serverTLS
	case modeImplicit:
		l = tls.NewListener(l, serverTLS)
	case modePlain:
		srv.AllowInsecureAuth = true
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	// Close the listener too: a Close that comes before Serve has
	// registered it would leave Serve accepting for ever.
	t.Cleanup(func() { srv.Close(); l.Close(); <-done })
	if be.stallData != nil {
		t.Cleanup(func() { close(be.stallData) }) // runs before srv.Close
	}
	return &testServer{Addr: l.Addr().String(), Backend: be, Client: &tls.Config{RootCAs: pool}}
}

// selfSigned makes an ECDSA certificate for 127.0.0.1 and localhost, and a
// pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "oneonone test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
