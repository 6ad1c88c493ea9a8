package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// The web face's limits, which bound what one client can hold of the
// daemon. They are not config keys: the daemon serves one person and a few
// scripts, and each value is far from what they need and close enough to
// what a flood of connections would take.
const (
	// DefaultReadHeaderTimeout bounds the wait for a request's headers: a
	// client that trickles them is cut off.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds the reading of a whole request, its body
	// included (the API reads at most 64 KiB of JSON): a trickled body is
	// cut off.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds the writing of a response, from the end
	// of the headers read: a client that does not read is cut off. No
	// response is streamed; POST /api/sync, which runs a whole cycle, lifts
	// it (and the read deadline) for itself.
	DefaultWriteTimeout = 60 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection that sends no next
	// request; a browser opens a new one when it needs it.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMaxHeaderBytes bounds a request's headers (a bearer token and
	// a session cookie are well under 1 KiB); more gets 431.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultMaxConns caps the connections served at once. Past it new
	// ones wait in the kernel's queue, unaccepted, and hold no file
	// descriptor of ours, so a flood cannot starve the sync's own
	// connections and the state file (a typical limit is 1024 descriptors).
	DefaultMaxConns = 128
)

// Limits are the HTTP server's timeouts, header bound and connection cap;
// a zero field means its Default constant.
type Limits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConns          int
}

func (l Limits) withDefaults() Limits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, DefaultReadTimeout)
	def(&l.WriteTimeout, DefaultWriteTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultMaxConns
	}
	return l
}

// Listen listens on addr (TCP) and returns the HTTP server for h with the
// limits lim, and the listener to Serve it on, which accepts at most
// lim.MaxConns connections at a time. The daemon and the demo both serve
// the web face through it. Server errors (a refused TLS handshake, a
// panic) go to log at error level; nil discards them.
func Listen(addr string, h http.Handler, lim Limits, log *slog.Logger) (*http.Server, net.Listener, error) {
	lim = lim.withDefaults()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return newServer(h, lim, log), netutil.LimitListener(ln, lim.MaxConns), nil
}

// newServer is the http.Server of Listen and ListenUnix: lim's timeouts
// and header bound, server errors to log at error level (nil discards).
func newServer(h http.Handler, lim Limits, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
	}
}
