// Package web is the daemon's HTTP face (docs/ARCHITECTURE.md): the weekly
// report and each pair's history as HTML pages, a JSON API over the report,
// the series and the actions, /metrics for Prometheus and /healthz.
//
//	GET   /                   the weekly report (?week=2026-W47; default the last full week)
//	GET   /pair/{pair}        one pair's history; {pair} is the path-escaped key "a@x|b@y"
//	GET   /pair/{pair}/history.csv  every occurrence of the pair (report.PairHistory), as CSV
//	GET   /api/history?with=&format=  the same rows as JSON (default), CSV or text
//	GET   /series             every pair and its metrics (report.Summaries); ?sort=COLUMN&dir=asc|desc
//	GET   /login?code=        a one-time login link (LoginURL) sets the session cookie
//	GET   /api/report?week=   the report JSON (docs/DESIGN.md, "Report JSON"); &format=text|markdown|html renders it
//	GET   /rollup             the roll-up (report.BuildRollup): figures per person, ?week= as / (requireAdmin)
//	GET   /api/rollup?week=   the roll-up JSON (docs/DESIGN.md, "The roll-up"); &format=text|markdown|html renders it
//	GET   /api/series         report.Summaries; ?format=text as "oneonone series" prints them
//	GET   /api/actions        ?with=EMAIL (adds the agenda document's items), &all=1 (done ones too)
//	POST  /api/actions        {"with","owner","text","due","force"} → 201 with the action; 422 when no 1:1 with "with" is known
//	PATCH /api/actions/{id}   {"done": true|false, "text", "due", "owner"}: any of them
//	DELETE /api/actions/{id}  → 200 with the deleted action
//	GET   /api/points         talking points; ?with=EMAIL, &all=1 (discussed ones too)
//	POST  /api/points         {"with","author","text","force"} → 201 with the point; 422 as /api/actions
//	PATCH /api/points/{id}    {"discussed": true|false}
//	DELETE /api/points/{id}   → 200 with the deleted point
//	POST  /api/sync           one cycle now; the summaries (behind a sign-in proxy: web.admins only, requireAdmin)
//	GET   /healthz            the sources' health; 503 when all are stale or there is none
//	GET   /metrics            Options.Registry for Prometheus (requireAdmin, as /api/sync)
//	GET   /s/{token}          a pair's shared page, and its forms (web/share.go)
//	/api/share/link|revoke|rotate  the shared pages' links, for the command line
//
// Pages are html/template with inline CSS (the report's, report.HTMLStyle)
// and no scripts; the Content Security Policy forbids every script. Access:
// with a token, every request carries it as a bearer token or holds the
// session cookie that a login link sets; without one (loopback only, the
// caller checks) anyone on the machine may read, and only requests whose
// Host names localhost or a loopback address are answered (421 else: a
// page that rebinds its name to 127.0.0.1 sends its own name). State-changing
// requests are refused when they come from another site, in every mode,
// and must send JSON; the shared pages (/s/…, web/share.go) are the one
// exception: forms, under their own origin and form-token checks, reached
// with their link instead of the token. Behind a sign-in proxy
// (Options.AuthProxyHeader, web/viewer.go) the token and the Host rule give
// way to the proxy: only its peers are answered, its header names the
// viewer, and each viewer sees only their own pairs (mayView).
// NewHTTPServer and Listen give the server its
// timeouts and its cap on connections. ControlHandler and ListenUnix serve
// the API alone on the daemon's control socket, for the command line.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
	"oneonone/sync"
)

// SourceHealth is what the daemon knows of one source.
type SourceHealth struct {
	Source      string    `json:"source"`
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error,omitempty"`
	Stale       bool      `json:"stale"` // no success for more than 3 intervals (or never)
	NextRun     time.Time `json:"next_run,omitzero"`
}

// Options configures a Server.
type Options struct {
	Store         *store.Store
	Location      *time.Location // where weeks and days are counted; nil means UTC
	TrailingWeeks int            // the report's trailing window; 0 means report.DefaultTrailingWeeks
	// LateNotice is report.late_notice; 0 means report.DefaultLateNotice.
	LateNotice time.Duration
	// Me is identity.me; Me[0] owns the actions added through the API and
	// is the other half of the pair of ?with=. Behind a sign-in proxy the
	// viewer is, for their own requests (Server.me).
	Me []string
	// Token is the access token; "" means no authentication, which the
	// caller allows on a loopback address only.
	Token string
	Now   func() time.Time // nil means time.Now
	// Actions returns a pair's open actions (the store's and its agenda
	// document's). An error with actions is a document that could not be
	// read: the actions are shown and the error logged. Nil means the
	// store's open actions only.
	Actions func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error)
	// SyncNow runs a cycle of every source now (POST /api/sync); nil means
	// the API answers 503.
	SyncNow func(ctx context.Context) ([]sync.Summary, error)
	// PlanNow is SyncNow as a dry run (POST /api/sync?dry_run=1): no
	// block is written; the writes it would make come back. nil: not
	// offered.
	PlanNow func(ctx context.Context) ([]sync.Summary, []sync.Planned, error)
	// Health returns the state of every source (GET /healthz).
	Health func() []SourceHealth
	// Registry is served at /metrics; nil means no /metrics.
	Registry *prometheus.Registry
	// Log receives the server's logs; nil means they are discarded. The
	// server never logs through slog's default logger.
	Log *slog.Logger
	// SessionKey signs the session cookies (HMAC-SHA256, 32 bytes or
	// more); nil means a random key per Server, so that a new Server (a
	// restart, a config reload) ends every session. A daemon that rebuilds
	// its Server on reload may pass one key to keep them.
	SessionKey []byte
	// Share makes and checks the shared pages' links (web/share.go); nil
	// means no shared page (web.public_url is not set).
	Share *ShareLinks
	// AuthProxyHeader is web.auth_proxy_header: the header in which a
	// sign-in proxy sends the viewer's address. Set, it replaces the
	// token and the Host checks, and each viewer sees only their own
	// pairs (web/viewer.go; docs/DESIGN.md, "Who is looking"). "" means
	// one user, as before.
	AuthProxyHeader string
	// TrustedProxies are the peers the proxy connects from
	// (web.trusted_proxies); every other peer is refused in proxy mode.
	TrustedProxies []netip.Prefix
	// Admins are the viewers who pass requireAdmin (web.admins).
	Admins []string
}

// Server serves the web face. Its handler is safe for concurrent use.
type Server struct {
	opt     Options
	secret  []byte // HMAC key of the session cookies
	origins *http.CrossOriginProtection
	handler http.Handler

	mu    gosync.Mutex
	codes map[[32]byte]time.Time // SHA-256 of an unused login code → when it expires

	syncing gosync.Mutex // one POST /api/sync at a time

	limits *shareLimits // of the shared pages
}

// New returns a Server for opt. It needs a store and at least one address
// in Me.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, errors.New("web: no store")
	}
	if len(opt.Me) == 0 || opt.Me[0] == "" {
		return nil, errors.New("web: no identity (identity.me)")
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.AuthProxyHeader != "" && len(opt.TrustedProxies) == 0 {
		return nil, errors.New("web: a sign-in proxy header without trusted proxies (web.trusted_proxies)")
	}
	opt.Admins = normalAdmins(opt.Admins)
	if opt.Actions == nil {
		acts := agenda.Actions{Store: opt.Store}
		opt.Actions = func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error) {
			return acts.Open(ctx, p, "")
		}
	}
	s := &Server{
		opt:     opt,
		secret:  opt.SessionKey,
		origins: http.NewCrossOriginProtection(),
		codes:   map[[32]byte]time.Time{},
	}
	switch {
	case s.secret == nil:
		s.secret = make([]byte, 32)
		if _, err := rand.Read(s.secret); err != nil {
			return nil, err
		}
	case len(s.secret) < 32:
		return nil, errors.New("web: the session key must be 32 bytes or more")
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.reportPage)
	mux.HandleFunc("GET /pair/{pair}", s.pairPage)
	mux.HandleFunc("GET /pair/{pair}/history.csv", s.pairHistoryCSV)
	mux.HandleFunc("GET /api/history", s.apiHistory)
	mux.HandleFunc("GET /series", s.seriesPage)
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("GET /api/report", s.apiReport)
	mux.HandleFunc("GET /rollup", s.requireAdmin(s.rollupPage))
	mux.HandleFunc("GET /api/rollup", s.requireAdmin(s.apiRollup))
	mux.HandleFunc("GET /api/series", s.apiSeries)
	mux.HandleFunc("GET /api/actions", s.apiActions)
	mux.HandleFunc("POST /api/actions", s.apiAddAction)
	mux.HandleFunc("PATCH /api/actions/{id}", s.apiPatchAction)
	mux.HandleFunc("DELETE /api/actions/{id}", s.apiDeleteAction)
	s.pointRoutes(mux)
	mux.HandleFunc("POST /api/sync", s.requireAdmin(s.apiSync))
	mux.HandleFunc("GET /healthz", s.healthz)
	s.shareAPI(mux)
	s.shareRoutes(mux)
	if opt.Registry != nil {
		mux.HandleFunc("GET /metrics", s.requireAdmin(promhttp.HandlerFor(opt.Registry, promhttp.HandlerOpts{}).ServeHTTP))
	}
	mux.HandleFunc("/", s.notFound(mux))
	if s.proxyMode() {
		// The proxy signs people in: no token, no Host rule (it may send
		// the public name); the peer and the header decide (fromProxy).
		s.handler = s.secure(s.fromProxy(s.guard(mux)))
	} else {
		s.handler = s.secure(s.loopbackOnly(s.guard(s.authenticate(mux))))
	}
	return s, nil
}

// Handler returns the web face's handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) now() time.Time { return s.opt.Now() }

// notFound answers what no route takes: 405 when the path is served for
// another method, else 404; JSON under /api/, a page elsewhere.
func (s *Server) notFound(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
			other := r.Clone(r.Context())
			other.Method = m
			if _, pattern := mux.Handler(other); pattern != "/" {
				allow = append(allow, m)
			}
		}
		switch {
		case len(allow) > 0:
			w.Header().Set("Allow", strings.Join(allow, ", "))
			if isAPI(r) {
				writeError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+": want "+strings.Join(allow, " or "))
				return
			}
			s.messagePage(w, http.StatusMethodNotAllowed, "Method not allowed", "This page is read with "+strings.Join(allow, " or ")+".")
		case isAPI(r):
			writeError(w, http.StatusNotFound, "no such API: "+r.URL.Path)
		default:
			s.messagePage(w, http.StatusNotFound, "Not found", "There is no page at this address.")
		}
	}
}

// maxBody bounds the JSON bodies the API reads.
const maxBody = 64 << 10

// secure sets the headers every response carries.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// authenticate lets a request through when no token is set, or when it
// carries the token as a bearer token or a valid session cookie. The login
// page is open: its code is the credential.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A shared page's link is its credential, for that page only.
		if s.opt.Token == "" || r.URL.Path == "/login" || s.isShare(r) || s.authorized(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="oneonone"`)
		if isAPI(r) {
			writeError(w, http.StatusUnauthorized, "unauthorized: send Authorization: Bearer <token> or log in with the link the daemon printed")
			return
		}
		s.messagePage(w, http.StatusUnauthorized, "Log in first",
			"Open the login link that oneonone printed when it started (each link works once, for 10 minutes), or send the access token as Authorization: Bearer.")
	})
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
