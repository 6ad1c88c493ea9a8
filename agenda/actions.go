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
// items of doc (a path or URL; "" for none), oldest first within each. A
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
		if it.Done {
			continue
		}
		since, err := a.firstSeen(pair, it)
		if err != nil {
			return open, err
		}
		open = append(open, Action{Pair: pair, Owner: it.Owner, Text: it.Text, Since: since, Origin: doc})
	}
	return open, nil
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
