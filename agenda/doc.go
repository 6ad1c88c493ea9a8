package agenda

import (
	"bytes"
	"iter"
	"regexp"
	"strings"

	"oneonone/calendar"
)

// DocItem is a task list item of a pair's agenda document.
type DocItem struct {
	Owner string // lower-cased address; "" when the item names nobody
	Text  string
	Done  bool
}

// taskItem matches a GitHub-flavoured Markdown task list item: a list
// marker (-, * or +, or "1." / "1)"), then [ ], [x] or [X].
var taskItem = regexp.MustCompile(`^\s{0,12}(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\]\s+(.*)$`)

// ownerPrefix matches an item's owner: "bob@example.com: …" or "@bob: …".
var ownerPrefix = regexp.MustCompile(`^(@?[^\s:@]+(?:@[^\s:]+)?):\s+(.*)$`)

// listItem matches any list item, task or not, and captures its indent.
var listItem = regexp.MustCompile(`^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:\s|$)`)

// ParseDoc reads the task list items of a Markdown document: "- [ ] …"
// items are open, "- [x] …" done; everything else is left alone. An item
// nested under a done item (more indented than it, in the same list,
// at any depth) is done too: ticking an item ticks what it is made of, as
// a reader of the document takes it. A list ends at a line that is not
// blank and not indented and not a list item (a heading, a paragraph). An item
// that starts with the address of one of the pair, or with "@name" where
// name is the local part of one of them, followed by a colon, belongs to
// that person. Items in fenced code blocks do not count.
func ParseDoc(data []byte, pair calendar.Pair) []DocItem {
	var out []DocItem
	fence := ""
	// parents are the list items that enclose the next one: their indent
	// and whether they are done.
	type parent struct {
		indent int
		done   bool
	}
	var parents []parent
	for raw := range lines(data) {
		line := strings.TrimRight(raw, "\r")
		trimmed := strings.TrimSpace(line)
		if f := fenceOf(trimmed); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(trimmed, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		li := listItem.FindStringSubmatch(line)
		if li == nil {
			if trimmed != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
				parents = parents[:0]
			}
			continue
		}
		indent := indentWidth(li[1])
		underDone := false
		for len(parents) > 0 && parents[len(parents)-1].indent >= indent {
			parents = parents[:len(parents)-1]
		}
		for _, p := range parents {
			underDone = underDone || p.done
		}
		m := taskItem.FindStringSubmatch(line)
		if m == nil {
			parents = append(parents, parent{indent, underDone})
			continue
		}
		item := DocItem{Text: strings.TrimSpace(m[2]), Done: m[1] != " " || underDone}
		parents = append(parents, parent{indent, item.Done})
		if o := ownerPrefix.FindStringSubmatch(item.Text); o != nil {
			if owner, ok := ownerOf(o[1], pair); ok {
				item.Owner, item.Text = owner, strings.TrimSpace(o[2])
			}
		}
		if item.Text != "" {
			out = append(out, item)
		}
	}
	return out
}

// indentWidth is the width of a line's indent, a tab counting as four
// spaces.
func indentWidth(s string) int {
	n := 0
	for _, r := range s {
		if r == '\t' {
			n += 4 - n%4
		} else {
			n++
		}
	}
	return n
}

// maxDocLine is how much of a document's line is read: more than an
// action's text can hold (MaxActionText runes of at most 4 bytes, after a
// list marker and an owner), so a longer line's item is cut the same way
// whether or not the line was.
const maxDocLine = 16 * 1024

// lines yields data's lines without their "\n", each cut to maxDocLine
// bytes: a line of any length costs only itself, never the lines after it.
func lines(data []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if len(line) > maxDocLine {
				line = line[:maxDocLine]
			}
			if !yield(string(line)) {
				return
			}
		}
	}
}

// fenceOf returns the fence a line opens or closes (``` or ~~~), or "".
func fenceOf(s string) string {
	for _, f := range []string{"```", "~~~"} {
		if strings.HasPrefix(s, f) {
			return f
		}
	}
	return ""
}

// ownerOf resolves "bob@example.com" or "@bob" against the pair. Someone
// outside the pair owns nothing: the prefix stays part of the text.
func ownerOf(s string, pair calendar.Pair) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		for _, p := range []string{pair.A, pair.B} {
			local, _, _ := strings.Cut(p, "@")
			if strings.EqualFold(local, rest) {
				return p, true
			}
		}
		return "", false
	}
	if addr := calendar.NormalizeEmail(s); pair.Has(addr) {
		return addr, true
	}
	return "", false
}
