package oauth

import (
	"bufio"
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
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// LoginTimeout bounds [Login] and [LoginWith] when its context has no earlier deadline.
const LoginTimeout = 5 * time.Minute

// LoginOptions are the options of [LoginWith].
type LoginOptions struct {
	// Out receives the consent URL and what the user should do; nil
	// discards it.
	Out io.Writer
	// Open, when not nil, is called with the consent URL (a browser
	// launcher); its failing is not fatal: the user can open the printed
	// URL.
	Open func(url string) error
	// Port is the loopback port to listen on; 0 picks a free one. A fixed
	// port lets an SSH tunnel (ssh -L PORT:127.0.0.1:PORT server) carry
	// the browser's redirect from the user's laptop to this machine.
	Port int
	// Paste, when not nil, is the no-browser flow for a machine the
	// browser cannot reach: the user opens the consent URL anywhere, the
	// browser is sent to http://127.0.0.1:PORT/ and shows that it cannot
	// connect, and the user pastes that address here, a line. Its state
	// is checked as the listener's is; a line with another state is
	// refused (a line says so on Out) and the next line is read. The end
	// of Paste without an accepted line ends the login with an error. The
	// listener still answers meanwhile, so a redirect that does arrive (a
	// tunnel) completes the login too.
	Paste io.Reader
}

// Login is [LoginWith] with the output out and the browser launcher open,
// on a free port.
func Login(ctx context.Context, cfg *oauth2.Config, out io.Writer, open func(url string) error) (*oauth2.Token, error) {
	return LoginWith(ctx, cfg, LoginOptions{Out: out, Open: open})
}

// LoginWith runs the installed-app loopback flow (RFC 8252 section 7.3): it
// listens on 127.0.0.1 on opt.Port (a free port when 0), prints the consent
// URL to opt.Out and, when opt.Open is not nil, calls it with the URL. It
// then waits for the browser's redirect to http://127.0.0.1:PORT/ with the
// authorization code and this sign-in's state (any other request is
// answered 400 and ignored, so a prefetch or a port scanner does not abort
// the wait), tells the browser it may close the tab, and exchanges the code
// with its PKCE verifier (RFC 7636, S256). With opt.Paste, the redirected
// address may instead be pasted (see [LoginOptions]). It asks for offline
// access with prompt=consent, so that Google returns a refresh token; a
// token without one is an error. cfg is not modified.
//
// LoginWith gives up when ctx is done, and after [LoginTimeout]. The caller
// saves the token ([SaveToken]).
func LoginWith(ctx context.Context, cfg *oauth2.Config, opt LoginOptions) (*oauth2.Token, error) {
	if cfg == nil {
		return nil, errors.New("google sign-in: no OAuth client config")
	}
	if opt.Port < 0 || opt.Port > 65535 {
		return nil, fmt.Errorf("google sign-in: port %d: want 1 to 65535, or 0 for a free one", opt.Port)
	}
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, LoginTimeout)
	defer cancel()

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp4", fmt.Sprintf("127.0.0.1:%d", opt.Port))
	if err != nil {
		return nil, fmt.Errorf("google sign-in: listen on 127.0.0.1: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", port)
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

	var pasted <-chan pastedLine
	if opt.Paste != nil {
		fmt.Fprintf(out, "Open this address in a browser on any machine and allow oneonone to use your Google Calendar:\n\n  %s\n\n", authURL)
		fmt.Fprintf(out, "The browser is then sent to %s and shows that it cannot connect: that is expected.\n", redirect)
		fmt.Fprintf(out, "Copy the whole address from its address bar and paste it here:\n")
		stop := make(chan struct{})
		defer close(stop)
		pasted = readLines(opt.Paste, stop)
	} else {
		fmt.Fprintf(out, "Open this address in a browser on this machine (or through an SSH tunnel to port %d) and allow oneonone to use your Google Calendar:\n\n  %s\n\n", port, authURL)
		if opt.Open != nil {
			if err := opt.Open(authURL); err != nil {
				fmt.Fprintf(out, "(Could not open a browser: %v. Open the address above by hand.)\n", err)
			}
		}
		fmt.Fprintf(out, "Waiting for Google to answer on %s …\n", redirect)
	}

	var res callbackResult
	var refused error // why the last pasted line was refused
wait:
	for {
		select {
		case res = <-cb.done:
			break wait
		case p, ok := <-pasted:
			if !ok || p.err != nil {
				switch {
				case p.err != nil:
					return nil, fmt.Errorf("google sign-in: read the pasted address: %w", p.err)
				case refused != nil:
					return nil, fmt.Errorf("google sign-in: refused the pasted address: %w", refused)
				}
				return nil, errors.New("google sign-in: no address was pasted")
			}
			r, err := pastedAnswer(p.line, state)
			if err != nil {
				refused = err
				fmt.Fprintf(out, "Refused: %v. Paste the address of this sign-in's redirect:\n", err)
				continue
			}
			res = r
			break wait
		case err := <-serveErr:
			serveErr <- err // for the deferred shutdown
			return nil, fmt.Errorf("google sign-in: loopback server: %w", err)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("google sign-in: no answer from the browser in time: %w", ctx.Err())
			}
			return nil, fmt.Errorf("google sign-in: %w", ctx.Err())
		}
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

// pastedLine is a line of LoginOptions.Paste, or the error that ended it.
type pastedLine struct {
	line string
	err  error
}

// readLines sends the non-blank lines of r until its end (the channel is
// closed; a read error is sent first) or until stop is closed. A read that
// blocks (a terminal) keeps its goroutine until it returns.
func readLines(r io.Reader, stop <-chan struct{}) <-chan pastedLine {
	ch := make(chan pastedLine)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			select {
			case ch <- pastedLine{line: line}:
			case <-stop:
				return
			}
		}
		if err := sc.Err(); err != nil {
			select {
			case ch <- pastedLine{err: err}:
			case <-stop:
			}
		}
	}()
	return ch
}

// errStateMismatch refuses a pasted address whose state is not this
// sign-in's.
var errStateMismatch = errors.New("the pasted address does not carry this sign-in's state: it is from another attempt, or not from Google's redirect")

// pastedAnswer reads the address the user pasted: the whole redirected URL
// (http://127.0.0.1:PORT/?state=…&code=…), or its query. Its state must be
// state; then its code, or Google's error, is the result. Nothing of the
// line is echoed in an error: it holds the code.
func pastedAnswer(line, state string) (callbackResult, error) {
	line = strings.Trim(line, " \t\"'<>")
	raw := line
	if i := strings.IndexByte(line, '?'); i >= 0 {
		raw = line[i+1:]
	}
	raw, _, _ = strings.Cut(raw, "#")
	q, err := url.ParseQuery(raw)
	if err != nil || (!q.Has("state") && !q.Has("code") && !q.Has("error")) {
		return callbackResult{}, errors.New("that is not the redirected address: it has no state and no code; copy the whole address from the browser's address bar, which starts with http://127.0.0.1 and the port")
	}
	res, ok := answerOf(q, state)
	if !ok {
		return callbackResult{}, errStateMismatch
	}
	if res.code == "" && res.err == nil {
		return callbackResult{}, errors.New("the pasted address carries this sign-in's state but neither a code nor an error; copy the whole address from the browser's address bar")
	}
	return res, nil
}

// answerOf reads a redirect's query: ok is false when its state is not
// state (the request is not this sign-in's answer). Else res holds the
// code, or the error Google answered; neither when the query has none.
func answerOf(q url.Values, state string) (res callbackResult, ok bool) {
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return res, false
	}
	code, oerr := q.Get("code"), q.Get("error")
	switch {
	case code == "" && oerr == "":
	case oerr == "access_denied":
		res.err = errors.New("google sign-in: access was denied in the browser (access_denied); run the command again and allow access")
	case oerr != "":
		msg := oneLine(oerr)
		if d := oneLine(q.Get("error_description")); d != "" {
			msg += ": " + d
		}
		res.err = fmt.Errorf("google sign-in failed: %s", msg)
	default:
		res.code = code
	}
	return res, true
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
	res, ok := answerOf(r.URL.Query(), cb.state)
	switch {
	case !ok:
		page(w, http.StatusBadRequest, "Nothing to do here", "This address waits for Google's answer to oneonone's sign-in; this request is not it.")
		return
	case res.code == "" && res.err == nil:
		page(w, http.StatusBadRequest, "Nothing to do here", "This address waits for Google's answer to oneonone's sign-in.")
		return
	case res.err != nil && r.URL.Query().Get("error") == "access_denied":
		page(w, http.StatusOK, "Access denied", "oneonone was not allowed to use your calendar. You can close this tab.")
	case res.err != nil:
		page(w, http.StatusOK, "Sign-in failed", "Google answered: "+strings.TrimPrefix(res.err.Error(), "google sign-in failed: ")+". You can close this tab.")
	default:
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
