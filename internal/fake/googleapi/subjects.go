package googleapi

import (
	"net/http"
	"strings"
	"time"
)

// Subjects: a service account with domain-wide delegation acts for many
// users, each with a token of its own. With SetAuth the fake knows whose
// token a request carries: "primary" is that user's calendar, the
// requests are counted per user (Google's per-user quota) and a user can
// be refused (RefuseSubject).

var (
	// The answer of a request without a valid access token.
	errUnauthenticated = apiError{code: 401, domain: "global", reason: "authError",
		message: "Request had invalid authentication credentials.", locationType: "header", location: "Authorization"}
	// Guess: what the API answers a subject whose delegation was withdrawn.
	errSubjectForbidden = apiError{code: 403, domain: "global", reason: "forbidden",
		message: "The user has not granted the app access to the calendar."}
)

// SetAuth makes the server check every request's "Authorization: Bearer"
// token with subjectOf (e.g. the fake oauth server's SubjectOf), which
// names the user the token was issued for: a request without a known
// token answers 401; the path id "primary" names the calendar whose id is
// that user's address; RequestsBy counts the user's requests. nil turns
// the check off (the default: every request is the one account's).
func (s *Server) SetAuth(subjectOf func(token string) (subject string, ok bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subjectOf = subjectOf
}

// RefuseSubject makes every request made for subject (with SetAuth)
// answer 403 forbidden, as when an admin withdraws access.
func (s *Server) RefuseSubject(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]bool{}
	}
	s.refused[strings.ToLower(subject)] = true
}

// RequestsBy returns the number of requests made with a token for
// subject (with SetAuth), refused ones included: what Google's per-user
// quota counts.
func (s *Server) RequestsBy(subject string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bySubject[strings.ToLower(subject)]
}

// RequestsBySubject returns RequestsBy of every subject that made one.
func (s *Server) RequestsBySubject() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.bySubject))
	for k, v := range s.bySubject {
		out[k] = v
	}
	return out
}

// authLocked finds the subject of r with SetAuth: "" and ok without it;
// an error to answer for an unknown token or a refused subject. s.mu is
// held; subjectOf is called with it held and must not call back.
func (s *Server) authLocked(r *http.Request) (string, *apiError) {
	if s.subjectOf == nil {
		return "", nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sub, known := s.subjectOf(tok)
	if !ok || !known {
		e := errUnauthenticated
		return "", &e
	}
	sub = strings.ToLower(sub)
	if s.bySubject == nil {
		s.bySubject = map[string]int64{}
	}
	s.bySubject[sub]++
	if s.refused[sub] {
		e := errSubjectForbidden
		return sub, &e
	}
	if s.quota != nil && !s.quota.take(sub) {
		e := faultError(http.StatusForbidden, "userRateLimitExceeded")
		return sub, &e
	}
	return sub, nil
}

// userQuota is Google's per-user quota as the fake keeps it: at most
// perMinute requests of one user in each minute of the clock (a fixed
// window: the API's own accounting is not documented more precisely).
type userQuota struct {
	perMinute int
	now       func() time.Time
	window    map[string]quotaWindow
	refusals  int64
}

type quotaWindow struct {
	minute int64
	n      int
}

func (q *userQuota) take(sub string) bool {
	m := q.now().Unix() / 60
	w := q.window[sub]
	if w.minute != m {
		w = quotaWindow{minute: m}
	}
	if w.n >= q.perMinute {
		q.refusals++
		return false
	}
	w.n++
	q.window[sub] = w
	return true
}

// SetPerUserQuota makes each user (with SetAuth) answer 403
// userRateLimitExceeded past perMinute requests in a minute of now (nil:
// time.Now), as Google does past "Queries per minute per user"; 0 turns
// it off. QuotaRefusals counts the requests refused so.
func (s *Server) SetPerUserQuota(perMinute int, now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perMinute <= 0 {
		s.quota = nil
		return
	}
	if now == nil {
		now = time.Now
	}
	s.quota = &userQuota{perMinute: perMinute, now: now, window: map[string]quotaWindow{}}
}

// QuotaRefusals returns the requests refused by SetPerUserQuota.
func (s *Server) QuotaRefusals() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quota == nil {
		return 0
	}
	return s.quota.refusals
}
