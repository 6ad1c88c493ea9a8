package agenda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"oneonone/calendar"
)

// ActionStore is where actions, and when document items were first seen,
// are kept (the store).
type ActionStore interface {
	Actions(pair calendar.Pair) ([]Action, error)
	// DocItemSeen returns when the document item key was first seen; ok
	// is false when it never was.
	DocItemSeen(key string) (t time.Time, ok bool, err error)
	SetDocItemSeen(key string, t time.Time) error
}

// Actions gathers a pair's open actions from where they come from: the
// store (oneonone actions add) and the pair's agenda document.
type Actions struct {
	Store ActionStore
	Docs  DocReader
	Now   func() time.Time
}

// Open returns the pair's open actions: the stored ones, then the open
// items of doc (a path or URL; "" for none) outside its talking points
// section, oldest first within each. A
// document item's "since" is the day oneonone first saw it. When the
// document cannot be read, the stored actions come back with the error.
func (a Actions) Open(ctx context.Context, pair calendar.Pair, doc string) ([]Action, error) {
	all, err := a.Store.Actions(pair)
	if err != nil {
		return nil, err
	}
	var open []Action
	for _, act := range all {
		if act.Done.IsZero() {
			open = append(open, act)
		}
	}
	if doc == "" {
		return open, nil
	}
	data, err := a.Docs.Read(ctx, doc)
	if err != nil {
		return open, err
	}
	for _, it := range ParseDoc(data, pair) {
		if it.Done || it.Point {
			continue
		}
		act, ok := docAction(pair, it, doc)
		if !ok {
			continue
		}
		if act.Since, err = a.firstSeen(pair, it); err != nil {
			return open, err
		}
		open = append(open, act)
	}
	return open, nil
}

// docAction makes an open item of the pair's document doc an action, by
// the rules of NewAction, so that a document can put into the block only
// what the command line and the web API could. One bad item never costs
// the rest of the document:
//   - a text longer than MaxActionText is cut to it (cutText): the
//     item is the user's own task, and its beginning says which;
//   - an item refused for any other rule (a control character other than
//     white space, invalid UTF-8) is skipped: the block could not show it
//     as written.
//
// Its Since is left for the caller (firstSeen), which records items only
// once they are taken.
func docAction(pair calendar.Pair, it DocItem, doc string) (Action, bool) {
	act, err := NewAction(ActionInput{
		// The rules are symmetric in the pair: either side may stand
		// for the user.
		Me:      []string{pair.A},
		With:    pair.B,
		Owner:   it.Owner,
		Unowned: true,
		Text:    cutText(it.Text, MaxActionText),
		Origin:  doc,
	})
	act.ID = DocItemID(pair, it)
	return act, err == nil
}

// DocItemPrefix begins the ID of every item of an agenda document, so that
// it is never taken for a stored action's (a decimal number).
const DocItemPrefix = "doc-"

// DocItemID is the stable ID of an item of the pair's agenda document:
// DocItemPrefix and a short hash of the pair, the owner and the text, as
// firstSeen keys the item. It stays as long as the item reads the same;
// an item whose text is edited is a new item.
func DocItemID(pair calendar.Pair, it DocItem) string {
	sum := sha256.Sum256([]byte(pair.String() + "\x00" + it.Owner + "\x00" + it.Text))
	return DocItemPrefix + hex.EncodeToString(sum[:6])
}

// firstSeen returns when a document item was first seen, recording now
// the first time.
func (a Actions) firstSeen(pair calendar.Pair, it DocItem) (time.Time, error) {
	sum := sha256.Sum256([]byte(it.Owner + "\x00" + it.Text))
	key := fmt.Sprintf("%s %s", pair, hex.EncodeToString(sum[:12]))
	if t, ok, err := a.Store.DocItemSeen(key); err != nil || ok {
		return t, err
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	return now, a.Store.SetDocItemSeen(key, now.UTC().Truncate(time.Second))
}
