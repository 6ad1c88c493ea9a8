package web

import (
	"net"
	"net/http"
	"strings"
)

// loopbackOnly answers, when no token is set, only the requests whose Host
// names this machine: "localhost" or a loopback address (127.0.0.0/8,
// ::1), with or without a port, in any case, "localhost." with its
// trailing dot too. Everything else gets 421 Misdirected Request, on every
// path, /healthz and /login included (a probe on 127.0.0.1 is loopback).
//
// Why: the origin checks of guard compare the Origin with the Host, and a
// page that rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own
// name in both. Without a token nothing else stands between such a page
// and the API; a browser cannot make a page's request carry another Host.
// With a token the Host is not restricted: a proxy in front may serve the
// daemon under a real name, and the token is what protects it. A shared
// page (/s/…, web/share.go) is answered under web.public_url's host too:
// the proxy of that URL sends it, and the page's link is its credential.
func (s *Server) loopbackOnly(next http.Handler) http.Handler {
	if s.opt.Token != "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if loopbackHost(r.Host) || s.sharePublicHost(r) {
			next.ServeHTTP(w, r)
			return
		}
		s.refuse(w, r, http.StatusMisdirectedRequest, "host "+printableHost(r.Host)+" is not served without a token: use "+localURL(r)+" or set web.token")
	})
}

// loopbackHost reports whether host, a request's Host ("name", "name:port",
// "[v6]:port"), names this machine: localhost or a loopback address. It
// does not resolve names: "localhost" is the only name it takes.
func loopbackHost(host string) bool {
	h := host
	if name, _, err := net.SplitHostPort(host); err == nil {
		h = name
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if h == "" {
		return false
	}
	if strings.EqualFold(strings.TrimSuffix(h, "."), "localhost") {
		return true
	}
	if strings.Contains(h, "%") { // a zone: fe80::1%eth0
		return false
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// localURL is the address a refused request should use instead:
// http://127.0.0.1:PORT/ with the port the request came in on.
func localURL(r *http.Request) string {
	port := "PORT"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			port = p
		}
	}
	return "http://127.0.0.1:" + port + "/"
}

// printableHost shows a Host in a one-line message, bounded and printable.
func printableHost(h string) string {
	if len(h) > 100 {
		h = h[:100] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '"' || r == '<' || r == '>' {
			return '?'
		}
		return r
	}, h)
}
