package web

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/net/netutil"
)

// ControlHandler is the JSON API (/api/report, /api/rollup, /api/series, /api/actions,
// /api/actions/{id}, /api/sync, /api/share/…) and /healthz for the daemon's control
// socket, which the command line uses while the daemon holds the state
// file. It has none of the checks that are for browsers (Host, token,
// session, cross-site): the socket's file mode (owner only) and the peer's
// uid (ListenUnix) are its authentication. State-changing requests must
// still send JSON, bounded as on the web face.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/report", s.apiReport)
	mux.HandleFunc("GET /api/rollup", s.apiRollup)
	mux.HandleFunc("GET /api/series", s.apiSeries)
	mux.HandleFunc("GET /api/history", s.apiHistory)
	mux.HandleFunc("GET /api/actions", s.apiActions)
	mux.HandleFunc("POST /api/actions", s.apiAddAction)
	mux.HandleFunc("PATCH /api/actions/{id}", s.apiPatchAction)
	mux.HandleFunc("DELETE /api/actions/{id}", s.apiDeleteAction)
	s.pointRoutes(mux)
	mux.HandleFunc("POST /api/sync", s.apiSync)
	mux.HandleFunc("GET /api/state/check", s.apiStateCheck)
	mux.HandleFunc("POST /api/state/backup", s.apiStateBackup)
	mux.HandleFunc("GET /healthz", s.healthz)
	s.shareAPI(mux)
	mux.HandleFunc("/", s.notFound(mux))
	return s.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r) && r.URL.Path != "/healthz" {
			writeError(w, http.StatusNotFound, "no such API: "+r.URL.Path+" (the control socket serves /api/ and /healthz)")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if ct := r.Header.Get("Content-Type"); ct != "" || hasBody(r) {
				if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
					writeError(w, http.StatusUnsupportedMediaType, "want Content-Type: application/json")
					return
				}
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		// The socket's owner sees every pair, sign-in proxy or not.
		mux.ServeHTTP(w, r.WithContext(withFull(r.Context())))
	}))
}

// ErrSocketServed is ListenUnix's refusal of a socket another process
// still answers on.
var ErrSocketServed = errors.New("another oneonone daemon answers on it")

// ListenUnix listens on the Unix domain socket path, readable and
// writable by its owner only (mode 0600), and returns the HTTP server for
// h with the limits lim and the listener to Serve it on. A socket left at
// path by a daemon that is gone is removed first; one that still answers
// is ErrSocketServed, and anything else at path is left alone (an error).
// Where the system tells (Linux: SO_PEERCRED), a connection from another
// uid is closed unserved. Closing the listener removes the socket.
func ListenUnix(path string, h http.Handler, lim Limits, log *slog.Logger) (*http.Server, net.Listener, error) {
	lim = lim.withDefaults()
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, nil, fmt.Errorf("listen on %s: the file is there and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, nil, fmt.Errorf("listen on %s: %w", path, ErrSocketServed)
		}
		if err := os.Remove(path); err != nil {
			return nil, nil, fmt.Errorf("remove the stale socket %s: %w", path, err)
		}
	}
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newServer(h, lim, log), netutil.LimitListener(sameUser{ln, log}, lim.MaxConns), nil
}

// sameUser closes, unserved, each connection whose peer is another user.
type sameUser struct {
	net.Listener
	log *slog.Logger
}

func (l sameUser) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if uid, ok := peerUID(c); ok && uid != os.Getuid() {
			l.log.Warn("control socket: refused a connection from another user", slog.Int("uid", uid))
			c.Close()
			continue
		}
		return c, nil
	}
}

// apiStateCheck is GET /api/state/check, on the control socket only: the
// daemon checks the state file it holds (store.Store.Check), for
// `oneonone state check`.
func (s *Server) apiStateCheck(w http.ResponseWriter, r *http.Request) {
	rep, err := s.opt.Store.Check()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if rep.Problems == nil {
		rep.Problems = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"path": rep.Path, "schema": rep.Schema, "records": rep.Records, "problems": rep.Problems})
}

// apiStateBackup is POST /api/state/backup, on the control socket only:
// today's backup now (store.Store.Backup), for `oneonone state backup`.
func (s *Server) apiStateBackup(w http.ResponseWriter, r *http.Request) {
	path, err := s.opt.Store.Backup()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"path": path})
}
