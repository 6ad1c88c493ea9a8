package agenda

import (
	"html"
	"strings"
)

// blockTags are the HTML elements whose tags end a line.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true,
	"dd": true, "div": true, "dl": true, "dt": true, "figure": true, "footer": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"header": true, "hr": true, "html": true, "li": true, "main": true, "nav": true,
	"ol": true, "p": true, "pre": true, "section": true, "table": true, "tbody": true,
	"td": true, "tfoot": true, "th": true, "thead": true, "tr": true, "ul": true,
}

// tagAt reads the tag that starts at s[i] == '<' and returns where it ends
// and its lower-cased name ("" for comments and the like). A tag holds no
// '<' and no newline, so a stray '<' in the text never swallows the line
// breaks after it.
func tagAt(s string, i int) (end int, name string, ok bool) {
	j := i + 1
	if j >= len(s) {
		return 0, "", false
	}
	switch c := s[j]; {
	case isLetter(c):
	case c == '/' && j+1 < len(s) && isLetter(s[j+1]):
		j++
	case c == '!' || c == '?':
		j = -1
	default:
		return 0, "", false
	}
	k := strings.IndexAny(s[i+1:], "<>\n")
	if k < 0 || s[i+1+k] != '>' {
		return 0, "", false
	}
	end = i + 1 + k + 1
	if j < 0 {
		return end, "", true
	}
	n := j
	for n < end && (isLetter(s[n]) || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return end, strings.ToLower(s[j:n]), true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// htmlBreak is a tag or newline that ends a line.
type htmlBreak struct {
	start, end int
	hard       bool // <br>, rather than a block-level tag or "\n"
}

func htmlBreaks(s string) []htmlBreak {
	var bs []htmlBreak
	for i := 0; i < len(s); {
		k := strings.IndexAny(s[i:], "<\n")
		if k < 0 {
			break
		}
		i += k
		if s[i] == '\n' {
			bs = append(bs, htmlBreak{start: i, end: i + 1})
			i++
			continue
		}
		end, name, ok := tagAt(s, i)
		if !ok {
			i++
			continue
		}
		if name == "br" || blockTags[name] {
			bs = append(bs, htmlBreak{start: i, end: end, hard: name == "br"})
		}
		i = end
	}
	return bs
}

// htmlLines reads an HTML description as lines.
func htmlLines(s string) []line {
	type unit struct{ start, end int }
	bs := htmlBreaks(s)
	var units []unit
	for i := 0; i < len(bs); {
		j := i
		for j+1 < len(bs) && blank(s[bs[j].end:bs[j+1].start]) {
			j++
		}
		run := bs[i : j+1]
		i = j + 1
		var hard []int
		for k, b := range run {
			if b.hard {
				hard = append(hard, k)
			}
		}
		if len(hard) == 0 {
			units = append(units, unit{run[0].start, run[len(run)-1].end})
			continue
		}
		// Each <br> ends a line; the breaks before the first and after
		// the last go with them, those between make empty lines.
		for n, k := range hard {
			from, to := k, k
			if n == 0 {
				from = 0
			}
			if n == len(hard)-1 {
				to = len(run) - 1
			}
			units = append(units, unit{run[from].start, run[to].end})
		}
	}
	lines := make([]line, 0, len(units)+1)
	prev := 0
	for _, u := range units {
		lines = append(lines, line{start: prev, end: u.start, next: u.start, text: htmlText(s[prev:u.start])})
		prev = u.end
	}
	return append(lines, line{start: prev, end: len(s), next: len(s), text: htmlText(s[prev:])})
}

func blank(s string) bool {
	return strings.Trim(s, " \t\r\f") == ""
}

// htmlText returns the text of an HTML fragment, as compared.
func htmlText(s string) string {
	if strings.ContainsAny(s, "<\n") {
		var sb strings.Builder
		for i := 0; i < len(s); {
			k := strings.IndexAny(s[i:], "<\n")
			if k < 0 {
				sb.WriteString(s[i:])
				break
			}
			sb.WriteString(s[i : i+k])
			i += k
			if s[i] == '\n' {
				sb.WriteByte(' ')
				i++
				continue
			}
			if end, _, ok := tagAt(s, i); ok {
				i = end
				continue
			}
			sb.WriteByte('<')
			i++
		}
		s = sb.String()
	}
	return norm(html.UnescapeString(s))
}

// trimBreaks removes up to max <br> tags from the end of s and says how
// many it removed.
func trimBreaks(s string, max int) (string, int) {
	n := 0
	for n < max && strings.HasSuffix(s, ">") {
		i := strings.LastIndexByte(s, '<')
		if i < 0 {
			break
		}
		end, name, ok := tagAt(s, i)
		if !ok || end != len(s) || name != "br" {
			break
		}
		s = s[:i]
		n++
	}
	return s, n
}

// documentEnd returns where a block goes in an HTML document: at the start
// of its last </body> tag, else of its last </html> tag; -1 when it has
// neither. Tags are read as htmlBreaks reads them.
func documentEnd(s string) int {
	body, doc := -1, -1
	for i := 0; i < len(s); {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			break
		}
		i += k
		end, name, ok := tagAt(s, i)
		if !ok {
			i++
			continue
		}
		if s[i+1] == '/' {
			switch name {
			case "body":
				body = i
			case "html":
				doc = i
			}
		}
		i = end
	}
	if body >= 0 {
		return body
	}
	return doc
}

// bodyStart returns where the content of the body that ends at at starts:
// after the last <body> tag before at, else 0.
func bodyStart(s string, at int) int {
	start := 0
	for i := 0; i < at; {
		k := strings.IndexByte(s[i:at], '<')
		if k < 0 {
			break
		}
		i += k
		end, name, ok := tagAt(s, i)
		if !ok || end > at {
			i++
			continue
		}
		if name == "body" && s[i+1] != '/' {
			start = end
		}
		i = end
	}
	return start
}

// bodySeparator returns what MergeHTMLDocument puts before a block that it
// inserts at at, the end of a document's body.
func bodySeparator(s string, at int) string {
	body := s[bodyStart(s, at):at]
	if htmlText(body) == "" {
		return ""
	}
	body = strings.TrimRight(body, " \t\r\n\f")
	if _, n := trimBreaks(body, 2); n > 0 {
		return strings.Repeat("<br>", 2-n)
	}
	if i := strings.LastIndexByte(body, '<'); i >= 0 {
		if end, name, ok := tagAt(body, i); ok && end == len(body) && blockTags[name] {
			return "<br>"
		}
	}
	return "<br><br>"
}
