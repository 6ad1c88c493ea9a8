package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// LoginTimeout bounds [Login] when its context has no earlier deadline.
const LoginTimeout = 5 * time.Minute

// Login runs the installed-app loopback flow (RFC 8252 section 7.3): it
// listens on 127.0.0.1 on a free port, prints the consent URL to out and,
// when open is not nil, calls open with it (open failing is not fatal: the
// user can open the printed URL). It then waits for the browser's redirect
// to http://127.0.0.1:PORT/ with the authorization code and this sign-in's
// state (any other request is answered 400 and ignored, so a prefetch or a
// port scanner does not abort the wait), tells the browser it may close the
// tab, and exchanges the code with its
// PKCE verifier (RFC 7636, S256). It asks for offline access with
// prompt=consent, so that Google returns a refresh token; a token without
// one is an error. cfg is not modified.
//
// Login gives up when ctx is done, and after [LoginTimeout]. The caller
// saves the token ([SaveToken]).
func Login(ctx context.Context, cfg *oauth2.Config, out io.Writer, open func(url string) error) (*oauth2.Token, error) {
	if cfg == nil {
		return nil, errors.New("google sign-in: no OAuth client config")
	}
	ctx, cancel := context.WithTimeout(ctx, LoginTimeout)
	defer cancel()

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("google sign-in: listen on 127.0.0.1: %w", err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	conf := *cfg
	conf.RedirectURL = redirect

	state := randomString()
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state,
		oauth2.AccessTypeOffline,
		oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(verifier),
	)

	cb := &callback{state: state, done: make(chan callbackResult, 1)}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		<-serveErr
	}()

	fmt.Fprintf(out, "Open this address in a browser on this machine and allow oneonone to use your Google Calendar:\n\n  %s\n\n", authURL)
	if open != nil {
		if err := open(authURL); err != nil {
			fmt.Fprintf(out, "(Could not open a browser: %v. Open the address above by hand.)\n", err)
		}
	}
	fmt.Fprintf(out, "Waiting for Google to answer on %s …\n", redirect)

	var res callbackResult
	select {
	case res = <-cb.done:
	case err := <-serveErr:
		serveErr <- err // for the deferred shutdown
		return nil, fmt.Errorf("google sign-in: loopback server: %w", err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("google sign-in: no answer from the browser in time: %w", ctx.Err())
		}
		return nil, fmt.Errorf("google sign-in: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := conf.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("google sign-in: exchange the authorization code: %w", describeTokenError(err))
	}
	if tok.AccessToken == "" {
		return nil, errors.New("google sign-in: Google returned no access token")
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("google sign-in: Google returned no refresh token, so the daemon could not renew its access; revoke oneonone's access at https://myaccount.google.com/permissions and sign in again")
	}
	return tok, nil
}

// callback is the loopback redirect handler. Only a request that carries
// this sign-in's state ends the wait, with its code or with the provider's
// error. Anything else (a favicon, a browser prefetch, a port scanner, an
// answer with another or no state) is refused with a short page and
// ignored: the login goes on waiting for the real redirect.
type callback struct {
	state string
	once  sync.Once
	done  chan callbackResult // buffered 1
}

type callbackResult struct {
	code string
	err  error
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(cb.state)) != 1 {
		page(w, http.StatusBadRequest, "Nothing to do here", "This address waits for Google's answer to oneonone's sign-in; this request is not it.")
		return
	}
	code, oerr := q.Get("code"), q.Get("error")
	var res callbackResult
	switch {
	case code == "" && oerr == "":
		page(w, http.StatusBadRequest, "Nothing to do here", "This address waits for Google's answer to oneonone's sign-in.")
		return
	case oerr == "access_denied":
		res.err = errors.New("google sign-in: access was denied in the browser (access_denied); run the command again and allow access")
		page(w, http.StatusOK, "Access denied", "oneonone was not allowed to use your calendar. You can close this tab.")
	case oerr != "":
		msg := oneLine(oerr)
		if d := oneLine(q.Get("error_description")); d != "" {
			msg += ": " + d
		}
		res.err = fmt.Errorf("google sign-in failed: %s", msg)
		page(w, http.StatusOK, "Sign-in failed", "Google answered: "+msg+". You can close this tab.")
	default:
		res.code = code
		page(w, http.StatusOK, "Signed in", "oneonone received Google's answer. You can close this tab and return to the terminal.")
	}
	cb.once.Do(func() { cb.done <- res })
}

func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>oneonone: %s</title></head>"+
		"<body style=\"font-family:sans-serif;margin:3em\"><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

// randomString returns 32 random bytes, base64url-encoded.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
