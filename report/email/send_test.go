package email_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/report"
	"oneonone/report/email"
)

// testMessage is a composed report mail.
func testMessage(t *testing.T) []byte {
	t.Helper()
	msg, err := email.Compose(report.Build(teamInput()), "oneonone@example.org",
		[]string{"anna@example.com", "Bob <bob@example.com>"}, time.Date(2026, 11, 23, 8, 0, 0, 0, berlin))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

var rcpts = []string{"anna@example.com", "Bob <bob@example.com>"}

// checkError fails when err is nil, is more than one line, lacks one of
// want or shows the password.
func checkError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if strings.Contains(msg, testPassword) {
		t.Errorf("error shows the password: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
}

func TestSendDelivers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     serverMode
		security string
		user     string
		wantTLS  bool
	}{
		{"starttls with auth", modeStartTLS, "starttls", testUser, true},
		{"starttls is the default", modeStartTLS, "", testUser, true},
		{"implicit tls with auth", modeImplicit, "tls", testUser, true},
		{"plain without auth", modePlain, "none", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, tc.mode, &backend{requireAuth: tc.user != ""})
			msg := testMessage(t)
			s := email.Sender{Addr: srv.Addr, Username: tc.user, Password: testPassword,
				Security: tc.security, TLSConfig: srv.Client, Timeout: 10 * time.Second}
			if err := s.Send(context.Background(), "oneonone@example.org", rcpts, msg); err != nil {
				t.Fatal(err)
			}
			got := srv.Backend.messages()
			if len(got) != 1 {
				t.Fatalf("server got %d messages, want 1", len(got))
			}
			m := got[0]
			if m.From != "oneonone@example.org" || !slices.Equal(m.To, []string{"anna@example.com", "bob@example.com"}) {
				t.Errorf("envelope = %s → %v", m.From, m.To)
			}
			if m.User != tc.user || m.TLS != tc.wantTLS {
				t.Errorf("session user %q, TLS %v; want %q, %v", m.User, m.TLS, tc.user, tc.wantTLS)
			}
			if !bytes.Equal(m.Data, msg) {
				t.Errorf("data differs from the message:\n%s", m.Data)
			}
		})
	}
}

func TestSendRequiresSTARTTLS(t *testing.T) {
	// The server would take AUTH PLAIN in clear; the Sender must not.
	srv := startServer(t, modePlain, &backend{requireAuth: true})
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, Security: "starttls", Timeout: 10 * time.Second}
	err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t))
	checkError(t, err, srv.Addr, "STARTTLS", "does not offer STARTTLS")
	if n := srv.Backend.authAttempts(); n != 0 {
		t.Errorf("the server saw %d AUTH attempts", n)
	}
	if n := len(srv.Backend.messages()); n != 0 {
		t.Errorf("the server got %d messages", n)
	}
}

func TestSendWrongPassword(t *testing.T) {
	srv := startServer(t, modeStartTLS, &backend{requireAuth: true})
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: "wrong", TLSConfig: srv.Client, Timeout: 10 * time.Second}
	err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t))
	checkError(t, err, "send mail via "+srv.Addr, "AUTH", "server replied 535", "Authentication credentials invalid")
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code != 535 {
		t.Errorf("error %v does not carry the 535 reply", err)
	}
	if n := srv.Backend.authAttempts(); n != 1 {
		t.Errorf("AUTH attempts = %d, want 1", n)
	}
	if n := len(srv.Backend.messages()); n != 0 {
		t.Errorf("the server got %d messages", n)
	}
}

func TestSendUntrustedCertificate(t *testing.T) {
	srv := startServer(t, modeStartTLS, &backend{requireAuth: true})
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, Timeout: 10 * time.Second} // system roots
	err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t))
	checkError(t, err, srv.Addr, "STARTTLS", "certificate")
	if n := srv.Backend.authAttempts(); n != 0 {
		t.Errorf("the server saw %d AUTH attempts", n)
	}
}

func TestSendRefusesAuthWithoutTLS(t *testing.T) {
	srv := startServer(t, modePlain, &backend{})
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, Security: "none"}
	err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t))
	checkError(t, err, srv.Addr, "AUTH", "without TLS")
	if n := srv.Backend.authAttempts(); n != 0 {
		t.Errorf("the server saw %d AUTH attempts", n)
	}
}

func TestSendRejectedRecipient(t *testing.T) {
	srv := startServer(t, modeStartTLS, &backend{requireAuth: true, rejectRcpt: "bob@example.com"})
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, TLSConfig: srv.Client}
	err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t))
	checkError(t, err, srv.Addr, "RCPT TO <bob@example.com>", "server replied 550 5.1.1 No such user here")
	if n := len(srv.Backend.messages()); n != 0 {
		t.Errorf("the server got %d messages", n)
	}
}

func TestSendBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    email.Sender
		from string
		to   []string
		want string
	}{
		{"no port", email.Sender{Addr: "127.0.0.1"}, "a@example.org", rcpts, "host:port"},
		{"unknown security", email.Sender{Addr: "127.0.0.1:1", Security: "ssl"}, "a@example.org", rcpts, `unknown security "ssl"`},
		{"recipient with CRLF", email.Sender{Addr: "127.0.0.1:1"}, "a@example.org", []string{"b@example.org\r\nRCPT TO:<eve@example.com>"}, "line break"},
		{"no recipients", email.Sender{Addr: "127.0.0.1:1"}, "a@example.org", nil, "no recipients"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Send(context.Background(), tc.from, tc.to, []byte("Subject: x\r\n\r\nx\r\n"))
			checkError(t, err, tc.want)
		})
	}
}

// A server that accepts the connection and never says a word: the
// Sender gives up when its context ends.
func TestSendTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range accepted {
			c.Close()
		}
	})

	t.Run("context deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := email.Sender{Addr: l.Addr().String(), Timeout: time.Minute}.Send(ctx, "a@example.org", rcpts, testMessage(t))
		checkError(t, err, l.Addr().String(), "greeting")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v is not context.DeadlineExceeded", err)
		}
	})
	t.Run("Timeout field", func(t *testing.T) {
		err := email.Sender{Addr: l.Addr().String(), Timeout: 200 * time.Millisecond}.Send(context.Background(), "a@example.org", rcpts, testMessage(t))
		checkError(t, err, "greeting")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v is not context.DeadlineExceeded", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		err := email.Sender{Addr: l.Addr().String()}.Send(ctx, "a@example.org", rcpts, testMessage(t))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v is not context.Canceled", err)
		}
	})
}

// A server that takes the whole message and never acknowledges it: the
// mail may have gone out, and the error says so.
func TestSendMaybeDelivered(t *testing.T) {
	srv := startServer(t, modeStartTLS, &backend{requireAuth: true, stallData: make(chan struct{})})
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, TLSConfig: srv.Client, Timeout: 500 * time.Millisecond}
	err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t))
	checkError(t, err, srv.Addr, "DATA")
	if !errors.Is(err, email.ErrMaybeDelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want ErrMaybeDelivered and DeadlineExceeded", err)
	}
}

// TLSConfig is used as given, with ServerName from Addr when empty, and
// not changed.
func TestSendKeepsTLSConfig(t *testing.T) {
	srv := startServer(t, modeImplicit, &backend{requireAuth: true})
	cfg := srv.Client.Clone()
	cfg.MinVersion = tls.VersionTLS13
	s := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, Security: "tls", TLSConfig: cfg}
	if err := s.Send(context.Background(), "oneonone@example.org", rcpts, testMessage(t)); err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "" {
		t.Errorf("Send changed the caller's TLSConfig: ServerName %q", cfg.ServerName)
	}
}
