package caldavserver

import (
	"net/http"
	gosync "sync"
	"sync/atomic"
)

// Accounts is several users on one URL, as on a server where each user
// has a principal of their own: each is a Server (principal /<user>/, its
// own calendars), and the HTTP Basic auth user of a request picks which
// one answers it. A request without Basic auth or for a user not added
// answers 401. It is safe for concurrent use.
type Accounts struct {
	mu    gosync.RWMutex
	users map[string]*Server

	requests atomic.Int64
}

// NewAccounts returns an empty set: add users with Add.
func NewAccounts() *Accounts { return &Accounts{users: map[string]*Server{}} }

// Add adds user with its password and returns its server, to create its
// calendars and put its objects; adding a user again replaces it.
func (a *Accounts) Add(user, password string) *Server {
	s := New(user)
	s.SetBasicAuth(user, password)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[user] = s
	return s
}

// User returns the server of user.
func (a *Accounts) User(user string) (*Server, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.users[user]
	return s, ok
}

// Requests returns the number of HTTP requests answered, those refused
// for an unknown user included.
func (a *Accounts) Requests() int64 { return a.requests.Load() }

// RequestsBy returns the number of requests that named user (its
// server's Requests, a wrong password included).
func (a *Accounts) RequestsBy(user string) int64 {
	if s, ok := a.User(user); ok {
		return s.Requests()
	}
	return 0
}

// Handler returns the HTTP handler of all the accounts.
func (a *Accounts) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		u, _, _ := r.BasicAuth()
		s, ok := a.User(u)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="oneonone caldavserver"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		s.serveHTTP(w, r)
	})
}
