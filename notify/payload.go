// Package notify delivers messages (a nudge, the weekly report) to
// notification targets: our own JSON webhook, a Slack-style incoming
// webhook (which Mattermost also accepts), a Matrix room through the
// client-server API, and a workflow webhook taking an Adaptive Card.
// docs/DESIGN.md, "Notification targets", documents the payloads.
//
// A target's URL, secret and token are never logged: a target is named by
// its Name only.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Kinds of target.
const (
	KindWebhook = "webhook"
	KindSlack   = "slack"
	KindMatrix  = "matrix"
	KindTeams   = "teams"
)

// Headers of the webhook payload.
const (
	HeaderEvent     = "X-Oneonone-Event"     // Message.Kind
	HeaderDelivery  = "X-Oneonone-Delivery"  // Message.ID
	HeaderSignature = "X-Oneonone-Signature" // "sha256=" + hex HMAC-SHA256 of the body
)

// Message is one notification.
type Message struct {
	Kind       string    // what it is about: "nudge.overdue", "report.weekly", …
	Title      string    // one line
	Text       string    // plain text
	Markdown   string    // the same in Markdown; "" to use Text
	Pair       string    // the pair's key ("a|b"), "" for none
	Occurrence time.Time // the occurrence it is about, zero for none
	URL        string    // a link to more (the pair page, the report), optional
	ID         string    // stable across retries and restarts, for dedupe; "" derives one from the content
}

// Target is one place messages go, as configured ([[notify]]).
type Target struct {
	Name   string // names the target in logs; never the URL
	Kind   string // KindWebhook, KindSlack, KindMatrix or KindTeams
	URL    string // the webhook URL; for matrix the homeserver's base URL
	Secret string // webhook: the HMAC-SHA256 key of HeaderSignature; "" for none
	Token  string // matrix: the access token
	Room   string // matrix: the room id ("!…:server")
}

// webhookPayload is our JSON (docs/DESIGN.md, "Notification targets").
type webhookPayload struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Title      string `json:"title"`
	Text       string `json:"text"`
	Markdown   string `json:"markdown"`
	Pair       string `json:"pair,omitempty"`
	Occurrence string `json:"occurrence,omitempty"` // RFC 3339
	URL        string `json:"url,omitempty"`
}

// messageID returns m.ID, or one derived from the content when it is empty.
func messageID(m Message) string {
	if m.ID != "" {
		return m.ID
	}
	h := sha256.New()
	for _, s := range []string{m.Kind, m.Title, m.Text, m.Markdown, m.Pair, m.URL} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	if !m.Occurrence.IsZero() {
		fmt.Fprint(h, m.Occurrence.UTC().Format(time.RFC3339Nano))
	}
	return "sha256-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// Sign returns the value of HeaderSignature for body under secret:
// "sha256=" and the hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// TxnID is the Matrix transaction id of a message: derived from its ID, so
// that a retry of the same message is the same transaction and the
// homeserver sends it once.
func TxnID(m Message) string {
	sum := sha256.Sum256([]byte(messageID(m)))
	return "oneonone-" + hex.EncodeToString(sum[:16])
}

// newRequest builds the request that delivers m to t.
func newRequest(ctx context.Context, t Target, m Message) (*http.Request, error) {
	var (
		method = http.MethodPost
		target = t.URL
		body   any
	)
	switch t.Kind {
	case KindWebhook:
		p := webhookPayload{ID: messageID(m), Kind: m.Kind, Title: m.Title, Text: m.Text, Markdown: markdown(m), Pair: m.Pair, URL: m.URL}
		if !m.Occurrence.IsZero() {
			p.Occurrence = m.Occurrence.Format(time.RFC3339)
		}
		body = p
	case KindSlack:
		body = map[string]string{"text": slackText(m)}
	case KindMatrix:
		method = http.MethodPut
		target = strings.TrimRight(t.URL, "/") + "/_matrix/client/v3/rooms/" + url.PathEscape(t.Room) +
			"/send/m.room.message/" + url.PathEscape(TxnID(m))
		body = map[string]string{
			"msgtype":        "m.text",
			"body":           plainText(m),
			"format":         "org.matrix.custom.html",
			"formatted_body": htmlText(m),
		}
	case KindTeams:
		body = teamsPayload(m)
	default:
		return nil, fmt.Errorf("target %s: unknown kind %q", t.Name, t.Kind)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode message for %s: %w", t.Name, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(data))
	if err != nil {
		// The error of a bad URL repeats it: say only that it is bad.
		return nil, fmt.Errorf("target %s: the URL does not parse", t.Name)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "oneonone")
	switch t.Kind {
	case KindWebhook:
		req.Header.Set(HeaderEvent, m.Kind)
		req.Header.Set(HeaderDelivery, messageID(m))
		if t.Secret != "" {
			req.Header.Set(HeaderSignature, Sign(t.Secret, data))
		}
	case KindMatrix:
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	return req, nil
}

func markdown(m Message) string {
	if m.Markdown != "" {
		return m.Markdown
	}
	return m.Text
}

// plainText is the title, the text and the link, one after the other.
func plainText(m Message) string {
	parts := []string{}
	for _, s := range []string{m.Title, m.Text, m.URL} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

// slackEscape escapes the three characters mrkdwn gives a meaning to.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackText is mrkdwn: the title in bold, the plain text (mrkdwn is not
// Markdown, so Text and not Markdown), the link as <url|Open>.
func slackText(m Message) string {
	var parts []string
	if s := strings.TrimSpace(m.Title); s != "" {
		parts = append(parts, "*"+slackEscape.Replace(s)+"*")
	}
	if s := strings.TrimSpace(m.Text); s != "" {
		parts = append(parts, slackEscape.Replace(s))
	}
	if m.URL != "" {
		parts = append(parts, "<"+slackEscape.Replace(m.URL)+"|Open>")
	}
	return strings.Join(parts, "\n")
}

// htmlText is the Matrix formatted_body: the title in bold, the plain text
// escaped with its line breaks kept, the link.
func htmlText(m Message) string {
	var parts []string
	if s := strings.TrimSpace(m.Title); s != "" {
		parts = append(parts, "<strong>"+html.EscapeString(s)+"</strong>")
	}
	if s := strings.TrimSpace(m.Text); s != "" {
		parts = append(parts, strings.ReplaceAll(html.EscapeString(s), "\n", "<br>"))
	}
	if m.URL != "" {
		u := html.EscapeString(m.URL)
		parts = append(parts, `<a href="`+u+`">`+u+`</a>`)
	}
	return strings.Join(parts, "<br><br>")
}

// teamsPayload is a workflow webhook's message: one Adaptive Card (schema
// 1.4) with the title, the Markdown text (a TextBlock renders a subset of
// Markdown) and an Action.OpenUrl for the link.
func teamsPayload(m Message) map[string]any {
	body := []map[string]any{}
	if m.Title != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": m.Title, "weight": "Bolder", "size": "Medium", "wrap": true})
	}
	if s := markdown(m); s != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": s, "wrap": true})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	if m.URL != "" {
		card["actions"] = []map[string]any{{"type": "Action.OpenUrl", "title": "Open", "url": m.URL}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []map[string]any{{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"content":     card,
		}},
	}
}
