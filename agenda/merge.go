package agenda

import (
	"html"
	"slices"
	"strings"
)

// A description is read as lines: a plain one breaks at "\n" or "\r\n"; an
// HTML one at <br>, at block-level tags (<p>, <div>…) and at "\n", where
// breaks with only white space between them make one break, plus an empty
// line between every two <br>. Lines are compared by their text: tags
// removed, entities decoded, white space collapsed and trimmed.
//
// The user's text is all that lies outside the cuts that find returns. A
// plain line is cut with its line break; an HTML line without it, since the
// break may be markup that the text around it needs.

type line struct {
	start, end int    // the line's bytes, without its line break
	next       int    // end plus the line break that goes with the line
	text       string // the line as compared
}

type kind uint8

const (
	prose kind = iota
	begin
	end
	grammar
)

func classify(text string) kind {
	switch {
	case text == BeginLine:
		return begin
	case text == EndLine:
		return end
	case strings.HasPrefix(text, agendaPrefix),
		strings.HasPrefix(text, actionsPrefix),
		strings.HasPrefix(text, flowPrefix),
		strings.HasPrefix(text, pointsPrefix),
		strings.HasPrefix(text, sharePrefix),
		strings.HasPrefix(text, morePrefix),
		strings.HasPrefix(text, "- [ ]"),
		strings.HasPrefix(text, "- [x]"),
		strings.HasPrefix(text, "- [X]"):
		return grammar
	}
	return prose
}

// cut is a run of lines that is ours: a block, or a stray marker with the
// block lines right after it.
type cut struct {
	start, end int      // the bytes removed
	brk        int      // where the removed line break starts (brk == end: none)
	block      bool     // a well-formed block
	lines      []string // a block's lines, as compared
}

// find returns the cuts of a description read as lines, in order.
func find(lines []line) []cut {
	var cuts []cut
	span := func(i, j int, block bool) cut {
		c := cut{start: lines[i].start, end: lines[j].next, brk: lines[j].end, block: block}
		if block {
			for _, l := range lines[i : j+1] {
				c.lines = append(c.lines, l.text)
			}
		}
		return c
	}
	for i := 0; i < len(lines); {
		switch classify(lines[i].text) {
		case begin:
			j := i + 1
			for j < len(lines) && classify(lines[j].text) == grammar {
				j++
			}
			if j < len(lines) && classify(lines[j].text) == end {
				cuts = append(cuts, span(i, j, true))
				i = j + 1
				continue
			}
			// A begin without its end: the marker and the block lines
			// right after it are ours, whatever follows is the user's.
			cuts = append(cuts, span(i, j-1, false))
			i = j
		case end:
			cuts = append(cuts, span(i, i, false))
			i++
		default:
			i++
		}
	}
	return cuts
}

// merge puts block at the place of the first cut, drops the other cuts, and
// keeps every other byte of desc.
func merge(desc string, cuts []cut, block string) string {
	var sb strings.Builder
	sb.Grow(len(desc) + len(block))
	first := cuts[0]
	sb.WriteString(desc[:first.start])
	sb.WriteString(block)
	sb.WriteString(desc[first.brk:first.end])
	prev := first.end
	for _, c := range cuts[1:] {
		sb.WriteString(desc[prev:c.start])
		prev = c.end
	}
	sb.WriteString(desc[prev:])
	return sb.String()
}

// strip removes the cuts; when the first one was at the end of the user's
// text, it also drops the blank line that Merge puts before a block there.
func strip(desc string, cuts []cut, trim func(string, int) (string, int)) string {
	if len(cuts) == 0 {
		return desc
	}
	var sb strings.Builder
	prev := 0
	for _, c := range cuts {
		sb.WriteString(desc[prev:c.start])
		prev = c.end
	}
	sb.WriteString(desc[prev:])
	s := sb.String()
	if cuts[0].start == len(s) {
		s, _ = trim(s, 2)
	}
	return s
}

// settled reports whether desc's cuts are one well-formed block that reads
// as block does, so that there is nothing to write.
func settled(cuts []cut, block []cut) bool {
	if len(cuts) != 1 || !cuts[0].block || len(block) == 0 || !block[0].block {
		return false
	}
	return slices.Equal(cuts[0].lines, block[0].lines)
}

// Merge returns desc, a plain-text description, holding block (from
// Block.Text) as its one block: in place of the first block or marker
// found, else appended after a blank line. Text outside blocks and markers
// is kept byte for byte, and desc comes back unchanged when its one block
// already reads as block (line ends and surrounding spaces aside).
func Merge(desc, block string) string {
	cuts := find(plainLines(desc))
	nl := lineEnding(desc)
	block = strings.ReplaceAll(block, "\r\n", "\n")
	if nl != "\n" {
		block = strings.ReplaceAll(block, "\n", nl)
	}
	if len(cuts) == 0 {
		return desc + separator(desc, nl, trimLineEnds(nl)) + block
	}
	if settled(cuts, find(plainLines(block))) {
		return desc
	}
	return merge(desc, cuts, block)
}

// MergeHTML is Merge for an HTML description (Google), with block from
// Block.HTML. It appends after "<br><br>".
func MergeHTML(desc, block string) string {
	return mergeHTML(desc, block, false)
}

// MergeHTMLDocument is MergeHTML for a description that is a whole HTML
// document, <html><head>…</head><body>…</body></html>, as Outlook and
// Exchange write it in X-ALT-DESC;FMTTYPE=text/html. A block or marker
// found anywhere is replaced in place, as MergeHTML does, and a rendering
// that already reads as block leaves desc as it is. Without one, block is
// inserted inside the body, right before its last </body> tag (else before
// the last </html>), so that clients that show the body show it:
//   - directly, when the body shows no text yet (only tags, comments,
//     &nbsp;);
//   - after one <br>, when the body's text ends with a block-level tag
//     (</p>, </div>…: Outlook's paragraphs have no margins, so that makes
//     the one blank line);
//   - else after "<br><br>", or as many <br> as the body's end lacks of
//     two.
//
// White space before the tag is kept where it is. Every byte outside the
// block (and the <br> put before it) is kept. A desc without </body> and
// </html> is a fragment: it gets MergeHTML's append.
func MergeHTMLDocument(desc, block string) string {
	return mergeHTML(desc, block, true)
}

func mergeHTML(desc, block string, document bool) string {
	cuts := find(htmlLines(desc))
	if len(cuts) == 0 {
		if at := documentEnd(desc); document && at >= 0 {
			return desc[:at] + bodySeparator(desc, at) + block + desc[at:]
		}
		return desc + separator(desc, "<br>", trimBreaks) + block
	}
	if settled(cuts, find(htmlLines(block))) {
		return desc
	}
	return merge(desc, cuts, block)
}

// Extract returns the block in a plain-text description as Block.Text
// renders it (lines trimmed, joined with "\n"), so that it can be compared
// with a rendering. ok is false unless desc holds exactly one well-formed
// block and nothing else for Merge to repair.
func Extract(desc string) (block string, ok bool) {
	cuts := find(plainLines(desc))
	if len(cuts) != 1 || !cuts[0].block {
		return "", false
	}
	return strings.Join(cuts[0].lines, "\n"), true
}

// ExtractHTML is Extract for an HTML description: the block's lines are
// read as text and rendered as Block.HTML does, so that markup Google adds
// (links, <br/>, <div>) does not count as a difference.
func ExtractHTML(desc string) (block string, ok bool) {
	cuts := find(htmlLines(desc))
	if len(cuts) != 1 || !cuts[0].block {
		return "", false
	}
	lines := make([]string, len(cuts[0].lines))
	for i, l := range cuts[0].lines {
		lines[i] = html.EscapeString(l)
	}
	return strings.Join(lines, "<br>"), true
}

// Strip returns a plain-text description without its blocks and stray
// markers: the user's text. A block at the very end goes with the blank
// line before it, so Strip(Merge(d, b)) == d when d has no marker and does
// not end with a line break.
func Strip(desc string) string {
	return strip(desc, find(plainLines(desc)), trimLineEnds(lineEnding(desc)))
}

// StripHTML is Strip for an HTML description.
func StripHTML(desc string) string {
	return strip(desc, find(htmlLines(desc)), trimBreaks)
}

// StripHTMLDocument is Strip for an HTML document (MergeHTMLDocument): a
// block right before the body's end goes with the <br> before it, so
// StripHTMLDocument(MergeHTMLDocument(d, b)) == d when d has no marker and
// its body does not end with <br>.
func StripHTMLDocument(desc string) string {
	cuts := find(htmlLines(desc))
	s := strip(desc, cuts, func(s string, _ int) (string, int) { return s, 0 })
	if len(cuts) == 0 {
		return s
	}
	if at := documentEnd(s); at >= 0 && cuts[0].start == at {
		head, _ := trimBreaks(s[:at], 2)
		return head + s[at:]
	}
	return s
}

// separator returns what goes between desc and an appended block: nothing
// after an empty description, else line breaks up to one blank line.
func separator(desc, nl string, trim func(string, int) (string, int)) string {
	if desc == "" {
		return ""
	}
	_, n := trim(desc, 2)
	return strings.Repeat(nl, 2-n)
}

// lineEnding returns the line ending desc uses: that of its first line;
// "\r\n" for one line that ends with "\r", so that a "\n" appended to it
// does not change what the first line ends with.
func lineEnding(desc string) string {
	i := strings.IndexByte(desc, '\n')
	if i > 0 && desc[i-1] == '\r' || i < 0 && strings.HasSuffix(desc, "\r") {
		return "\r\n"
	}
	return "\n"
}

// trimLineEnds returns a func that removes up to max line endings nl from
// the end of s and says how many it removed.
func trimLineEnds(nl string) func(s string, max int) (string, int) {
	return func(s string, max int) (string, int) {
		n := 0
		for n < max && strings.HasSuffix(s, nl) {
			s = s[:len(s)-len(nl)]
			n++
		}
		return s, n
	}
}

// plainLines reads a plain-text description as lines.
func plainLines(s string) []line {
	var lines []line
	for start := 0; start < len(s); {
		end, next := len(s), len(s)
		if i := strings.IndexByte(s[start:], '\n'); i >= 0 {
			end, next = start+i, start+i+1
			if end > start && s[end-1] == '\r' {
				end-- // "\r\n" is the line break
			}
		}
		lines = append(lines, line{start: start, end: end, next: next, text: norm(s[start:end])})
		start = next
	}
	return lines
}

// norm returns s with runs of white space and control characters made one
// space and the ends trimmed.
func norm(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || (c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return fold(s)
}
