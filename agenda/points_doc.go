package agenda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"oneonone/calendar"
)

// PointStore is where talking points, and when document items were first
// seen, are kept (the store).
type PointStore interface {
	Points(pair calendar.Pair) ([]Point, error)
	// DocItemSeen returns when the document item key was first seen; ok
	// is false when it never was.
	DocItemSeen(key string) (t time.Time, ok bool, err error)
	SetDocItemSeen(key string, t time.Time) error
}

// Points gathers a pair's open talking points from where they come from:
// the store (the command line, the API, the shared page) and the "Talking
// points" section of the pair's agenda document (PointsHeading).
type Points struct {
	Store PointStore
	Docs  DocReader
	Now   func() time.Time
}

// Open returns the pair's open talking points: the stored ones, oldest
// first, then the open items of doc's talking points section (doc a path
// or URL; "" for none), in the document's order. A document point's Added
// is when oneonone first saw it; its Author is the item's owner, and ""
// when the item names nobody (neither of the pair raised it, as far as the
// document says). A ticked item ("- [x]") is discussed: it is not shown.
// When the document cannot be read, the stored points come back with the
// error.
func (p Points) Open(ctx context.Context, pair calendar.Pair, doc string) ([]Point, error) {
	all, err := p.Store.Points(pair)
	if err != nil {
		return nil, err
	}
	open := OpenPoints(all)
	if doc == "" {
		return open, nil
	}
	data, err := p.Docs.Read(ctx, doc)
	if err != nil {
		return open, err
	}
	for _, it := range ParseDoc(data, pair) {
		if !it.Point || it.Done {
			continue
		}
		pt, ok := docPoint(pair, it, doc)
		if !ok {
			continue
		}
		if pt.Added, err = p.firstSeen(pair, it); err != nil {
			return open, err
		}
		open = append(open, pt)
	}
	return open, nil
}

// docPoint makes an open item of the talking points section of the pair's
// document doc a point, by the rules of NewPoint, as docAction does for
// actions: a text longer than MaxPointText is cut to it, an item refused
// for any other rule is skipped. Its Added is left for the caller.
func docPoint(pair calendar.Pair, it DocItem, doc string) (Point, bool) {
	pt, err := NewPoint(PointInput{
		// The rules are symmetric in the pair: either side may stand
		// for the user.
		Me:     []string{pair.A},
		With:   pair.B,
		Author: it.Owner,
		Text:   cutText(it.Text, MaxPointText),
		Origin: doc,
	})
	if err != nil {
		return Point{}, false
	}
	// NewPoint takes no author for the user; an item naming nobody
	// has none.
	pt.Author = it.Owner
	pt.ID = DocPointID(pair, it)
	return pt, true
}

// DocPointPrefix begins the ID of every talking point of an agenda
// document: never a stored point's ("p" and a number) nor a document
// action's (DocItemPrefix).
const DocPointPrefix = "docpt-"

// DocPointID is the stable ID of a talking point of the pair's agenda
// document: DocPointPrefix and a short hash of the pair, the author and
// the text. An item whose text is edited is a new point.
func DocPointID(pair calendar.Pair, it DocItem) string {
	sum := sha256.Sum256([]byte(pair.String() + "\x00" + it.Owner + "\x00" + it.Text))
	return DocPointPrefix + hex.EncodeToString(sum[:6])
}

// docPointKey is the key under which a document point's first sighting
// is kept, among the document items' (ActionStore.DocItemSeen): "point"
// is hashed in, so that a point and an action of the same text are seen
// apart.
func docPointKey(pair calendar.Pair, it DocItem) string {
	sum := sha256.Sum256([]byte("point\x00" + it.Owner + "\x00" + it.Text))
	return fmt.Sprintf("%s pt-%s", pair, hex.EncodeToString(sum[:12]))
}

// firstSeen returns when a document point was first seen, recording now
// (to the second) the first time.
func (p Points) firstSeen(pair calendar.Pair, it DocItem) (time.Time, error) {
	key := docPointKey(pair, it)
	if t, ok, err := p.Store.DocItemSeen(key); err != nil || ok {
		return t, err
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	now = now.UTC().Truncate(time.Second)
	return now, p.Store.SetDocItemSeen(key, now)
}

// cutText cuts s, trimmed, to at most n characters, the last of them "…"
// where it was cut: an action's text to MaxActionText, a point's to
// MaxPointText, and each item in the block to MaxItemText. Invalid UTF-8
// is left for NewAction and NewPoint to refuse.
func cutText(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return strings.TrimRightFunc(s[:j], unicode.IsSpace) + "…"
		}
		i++
	}
	return s
}
