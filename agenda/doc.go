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
	// Point is true for an item of the document's "Talking points"
	// section (PointsHeading): a talking point, not an action.
	Point bool
}

// PointsHeading is the heading of an agenda document's section of talking
// points, matched case-insensitively at any level: its task items, up to
// the next heading of the same or a higher level, are talking points; every
// other task item is an action.
const PointsHeading = "Talking points"

// atxHeading matches a Markdown ATX heading ("## Talking points ##"): its
// hashes and its text, closing hashes included.
var atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)

// setextUnderline matches the line under a setext heading: "===" makes
// the line above a heading of level 1, "---" one of level 2.
var setextUnderline = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)

// closingHashes is the optional closing sequence of an ATX heading.
var closingHashes = regexp.MustCompile(`(?:^|[ \t]+)#+$`)

// isPointsHeading says whether a heading's text names the talking points
// section: PointsHeading, in any case, a trailing colon allowed.
func isPointsHeading(text string) bool {
	text = strings.TrimSpace(closingHashes.ReplaceAllString(strings.TrimSpace(text), ""))
	return asciiEqualFold(strings.TrimSpace(strings.TrimSuffix(text, ":")), PointsHeading)
}

// asciiEqualFold is strings.EqualFold for ASCII letters only: "K" (U+212A,
// the Kelvin sign) is no "k" in a heading.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
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
//
// An item under a heading "Talking points" (PointsHeading; ATX or setext,
// any level, any case), up to the next heading of the same or a higher
// level, has Point set: nested headings stay in the section. A heading in
// a code block is no heading.
func ParseDoc(data []byte, pair calendar.Pair) []DocItem {
	var out []DocItem
	fence := ""
	// points is the level of the talking points heading the lines are
	// under; 0 outside the section.
	points := 0
	// para is the line before, when it may be a setext heading's text (a
	// paragraph's line); "" when it may not.
	para := ""
	heading := func(level int, text string) {
		if points > 0 && level <= points {
			points = 0
		}
		if points == 0 && isPointsHeading(text) {
			points = level
		}
	}
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
		prev := para
		para = ""
		if h := atxHeading.FindStringSubmatch(line); h != nil {
			heading(len(h[1]), h[2])
			parents = parents[:0]
			continue
		}
		if u := setextUnderline.FindStringSubmatch(line); u != nil && prev != "" {
			level := 1
			if u[1][0] == '-' {
				level = 2
			}
			heading(level, prev)
			parents = parents[:0]
			continue
		}
		li := listItem.FindStringSubmatch(line)
		if li == nil {
			if trimmed != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
				parents = parents[:0]
			}
			if trimmed != "" && indentWidth(line[:len(line)-len(strings.TrimLeft(line, " \t"))]) < 4 && len(parents) == 0 {
				// A paragraph's lines are one heading's text.
				para = strings.TrimSpace(prev + " " + trimmed)
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
		item := DocItem{Text: strings.TrimSpace(m[2]), Done: m[1] != " " || underDone, Point: points > 0}
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
