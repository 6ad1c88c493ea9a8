package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/report"
	"oneonone/store"
)

// Who is looking (docs/DESIGN.md, "Who is looking"): behind a reverse
// proxy that signs people in (Options.AuthProxyHeader), the viewer is the
// address the proxy sends, and each viewer sees only the pairs they are
// one of. The viewer rides in the request's context; mayView is the one
// rule every handler asks. Without a proxy header (token mode, loopback)
// and on the control socket there is no viewer and everything is seen, as
// before.

// viewerKey is the context key of the request's viewer (a string: the
// normalised address).
type viewerKey struct{}

// fullKey marks a request that sees every pair in proxy mode: the control
// socket's, and a shared page's (its link restricts it to its pair).
type fullKey struct{}

func withViewer(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, viewerKey{}, addr)
}

func withFull(ctx context.Context) context.Context {
	return context.WithValue(ctx, fullKey{}, true)
}

// proxyMode reports whether a sign-in proxy says who is looking.
func (s *Server) proxyMode() bool { return s.opt.AuthProxyHeader != "" }

// viewer returns the request's viewer and whether it sees every pair: no
// viewer and all when there is no sign-in proxy or the request is one of
// fullKey's; the viewer and not all behind the proxy; neither when a
// request in proxy mode came without a viewer (which the middleware does
// not let happen): it sees nothing.
func (s *Server) viewer(ctx context.Context) (addr string, all bool) {
	if !s.proxyMode() || ctx.Value(fullKey{}) != nil {
		return "", true
	}
	addr, _ = ctx.Value(viewerKey{}).(string)
	return addr, false
}

// mayView is the one rule of who sees what: whether the request's viewer
// may see, and change, pair p, its history, actions and talking points. A
// pair is the viewer's when the viewer is one of its two addresses.
func (s *Server) mayView(ctx context.Context, p calendar.Pair) bool {
	addr, all := s.viewer(ctx)
	return all || (addr != "" && p.Has(addr))
}

// isAdmin reports whether the request may see everyone's figures (the
// roll-up): every request without a sign-in proxy or on the control
// socket, and behind the proxy a viewer listed in web.admins.
func (s *Server) isAdmin(ctx context.Context) bool {
	addr, all := s.viewer(ctx)
	return all || (addr != "" && slices.Contains(s.opt.Admins, addr))
}

// requireAdmin lets through the requests isAdmin takes and answers 403 to
// the others: behind a sign-in proxy only web.admins pass; with a token,
// whoever passed the token check does. For the roll-up, POST /api/sync and
// /metrics.
func (s *Server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.isAdmin(r.Context()) {
			s.refuse(w, r, http.StatusForbidden, "forbidden: only web.admins may see this")
			return
		}
		next(w, r)
	}
}

// me returns the addresses a request acts as: the viewer behind a sign-in
// proxy (so that ?with= and "with" name the viewer's counterpart, and the
// viewer owns what they add), else identity.me.
func (s *Server) me(ctx context.Context) []string {
	if addr, _ := s.viewer(ctx); addr != "" {
		return []string{addr}
	}
	return s.opt.Me
}

// known is agenda's Known check for the request: behind a sign-in proxy,
// whether a series of the viewer's pair with the counterpart is stored
// (so that a counterpart of someone else's 1:1 is as unknown as a
// mistyped address); else store.Store.KnowsCounterpart.
func (s *Server) known(ctx context.Context) func(with string) (bool, error) {
	addr, _ := s.viewer(ctx)
	if addr == "" {
		return s.opt.Store.KnowsCounterpart
	}
	return func(with string) (bool, error) {
		p := calendar.NewPair(addr, with)
		series, err := s.opt.Store.Series()
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(series, func(ser calendar.Series) bool { return ser.Pair == p }), nil
	}
}

// history is where the request's report input is read from: the store,
// or behind a sign-in proxy the store seen through mayView.
func (s *Server) history(ctx context.Context) report.History {
	if _, all := s.viewer(ctx); all {
		return s.opt.Store
	}
	addr, _ := s.viewer(ctx)
	return viewerHistory{Store: s.opt.Store, viewer: addr, may: func(p calendar.Pair) bool { return s.mayView(ctx, p) }}
}

// viewerHistory is the store with only the series of the pairs may takes
// and their occurrences: report.Load then reads nothing of the others
// (its ViewRecent is the store's, over the series Series returns).
//
// A series is told from the viewer's side: when the viewer is its
// counterpart (the report of a manager in identity.me, say), Me and
// Counterpart swap, so that the pages name the other person and count
// "by you" as the viewer's own changes; the counterpart's name is not
// known from that side, and a "report" relationship reads "manager".
type viewerHistory struct {
	*store.Store
	viewer string
	may    func(calendar.Pair) bool
}

func (h viewerHistory) Series() ([]calendar.Series, error) {
	all, err := h.Store.Series()
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(ser calendar.Series) bool { return !h.may(ser.Pair) })
	for i := range all {
		all[i] = fromSideOf(all[i], h.viewer)
	}
	return all, nil
}

// fromSideOf is ser as viewer sees it (viewerHistory).
func fromSideOf(ser calendar.Series, viewer string) calendar.Series {
	if viewer == "" || calendar.NormalizeEmail(ser.Counterpart) != viewer || calendar.NormalizeEmail(ser.Me) == viewer {
		return ser
	}
	ser.Me, ser.Counterpart, ser.Name = viewer, calendar.NormalizeEmail(ser.Me), ""
	if ser.Relationship == "report" {
		ser.Relationship = "manager"
	}
	return ser
}

func (h viewerHistory) AllOccurrences() ([]calendar.Occurrence, error) {
	series, err := h.Series()
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(series))
	for _, ser := range series {
		ids[ser.ID] = true
	}
	all, err := h.Store.AllOccurrences()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(o calendar.Occurrence) bool {
		if o.Pair != (calendar.Pair{}) {
			return !h.may(o.Pair)
		}
		return !ids[o.SeriesID]
	}), nil
}

// fromProxy is the web face's access check behind a sign-in proxy, in
// place of the token's and the Host's: a request whose TCP peer
// (r.RemoteAddr, never X-Forwarded-For) is not in web.trusted_proxies is
// refused with 403 and its header not read; from a trusted proxy, a
// request without exactly one e-mail address in the header (absent, empty,
// a list, the header twice) gets 401; else the
// address, normalised, is the request's viewer. A shared page (/s/…) is
// let through as today: its link is its credential. /healthz needs a
// trusted peer, not a viewer (the proxy's own health checks send none).
func (s *Server) fromProxy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.isShare(r) {
			next.ServeHTTP(w, r.WithContext(withFull(r.Context())))
			return
		}
		if !s.trustedPeer(r.RemoteAddr) {
			s.opt.Log.Warn("web request from an untrusted peer refused", slog.String("remote", r.RemoteAddr),
				slog.String("method", r.Method), slog.String("path", r.URL.Path))
			msg := "forbidden: " + printableHost(r.RemoteAddr) + " is not in web.trusted_proxies"
			if isAPI(r) {
				writeError(w, http.StatusForbidden, msg)
				return
			}
			http.Error(w, msg, http.StatusForbidden)
			return
		}
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		// One value only: a proxy that appends its line to one a browser
		// sent must not let the browser's count.
		vals := r.Header.Values(s.opt.AuthProxyHeader)
		addr := ""
		if len(vals) == 1 {
			addr = calendar.NormalizeEmail(vals[0])
		}
		if addr == "" || !agenda.IsEmail(addr) {
			s.opt.Log.Info("web request without a signed-in address", slog.String("remote", r.RemoteAddr),
				slog.String("path", r.URL.Path), slog.String("header", s.opt.AuthProxyHeader))
			msg := "unauthorized: the sign-in proxy sent no e-mail address in " + s.opt.AuthProxyHeader
			if isAPI(r) {
				writeError(w, http.StatusUnauthorized, msg)
				return
			}
			s.messagePage(w, http.StatusUnauthorized, "Sign in first", "The sign-in proxy in front of oneonone sent no address in "+s.opt.AuthProxyHeader+".")
			return
		}
		next.ServeHTTP(w, r.WithContext(withViewer(r.Context(), addr)))
	})
}

// trustedPeer reports whether remote, a request's RemoteAddr ("ip:port"),
// is in web.trusted_proxies. An IPv4-mapped IPv6 peer counts as its IPv4
// address.
func (s *Server) trustedPeer(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap().WithZone("")
	return slices.ContainsFunc(s.opt.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// normalAdmins is web.admins as mayView compares them.
func normalAdmins(list []string) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		if a = calendar.NormalizeEmail(strings.TrimSpace(a)); a != "" {
			out = append(out, a)
		}
	}
	return out
}
