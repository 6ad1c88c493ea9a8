package googleapi

import (
	"strings"
)

// RewriteHTML is the normalisation the fake applies to a description written
// through events.patch or events.update while SetRewriteHTML is on (the
// default). Google keeps descriptions as HTML and rewrites what it is given;
// this is a small, deterministic subset of that:
//
//  1. "\r\n" becomes "\n", then every "\n" becomes "<br>".
//  2. A <br> tag in any spelling ("<br/>", "<br />", "<BR>") becomes "<br>".
//  3. Attribute values are re-quoted with double quotes: <a href='x'> and
//     <a href=x> become <a href="x">; a double quote inside a single-quoted
//     value becomes &quot;. Tag and attribute names are kept as written.
//  4. A bare http:// or https:// URL in text (not inside a tag and not inside
//     an <a> element) becomes <a href="URL">URL</a>. The URL runs to the next
//     white space, '<', '>', '"' or '\”, without trailing . , ; : ! ? ) ] characters.
//
// Everything else (entities, other tags, comments) is kept byte for byte. The
// rewrite is idempotent: RewriteHTML(RewriteHTML(s)) == RewriteHTML(s).
func RewriteHTML(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out strings.Builder
	inAnchor := false
	for len(s) > 0 {
		i := indexTagStart(s)
		if i < 0 {
			writeText(&out, s, inAnchor)
			break
		}
		writeText(&out, s[:i], inAnchor)
		s = s[i:]
		end := strings.IndexByte(s, '>')
		tag := s[:end+1]
		s = s[end+1:]
		name, norm := normaliseTag(tag)
		switch strings.ToLower(name) {
		case "a":
			inAnchor = true
		case "/a":
			inAnchor = false
		}
		out.WriteString(norm)
	}
	return out.String()
}

// indexTagStart finds the next '<' that opens a tag: followed by a letter, '/'
// or '!', and closed by a '>' before any other '<'. Any other '<' is text.
func indexTagStart(s string) int {
	off := 0
	for {
		i := strings.IndexByte(s[off:], '<')
		if i < 0 {
			return -1
		}
		i += off
		if i+1 < len(s) {
			c := s[i+1]
			if isLetter(c) || c == '/' || c == '!' {
				if end := strings.IndexAny(s[i+1:], "<>"); end >= 0 && s[i+1+end] == '>' {
					return i
				}
			}
		}
		off = i + 1
	}
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// normaliseTag returns the tag's name ("a", "/a", "br", "!--") and its
// normalised spelling.
func normaliseTag(tag string) (name, norm string) {
	body := tag[1 : len(tag)-1] // without < and >
	if strings.HasPrefix(body, "!") {
		return "!", tag
	}
	n := 0
	if strings.HasPrefix(body, "/") { // an end tag
		n = 1
	}
	for n < len(body) && !isSpace(body[n]) && body[n] != '/' {
		n++
	}
	name = body[:n]
	rest := body[n:]
	if strings.EqualFold(name, "br") || strings.EqualFold(name, "/br") {
		return name, "<br>"
	}
	if strings.HasPrefix(name, "/") {
		return name, "</" + name[1:] + ">"
	}
	var b strings.Builder
	b.WriteString("<")
	b.WriteString(name)
	selfClosing := false
	for {
		rest = strings.TrimLeft(rest, " \t\n\r\f")
		if rest == "" {
			break
		}
		if rest[0] == '/' {
			selfClosing = true
			rest = rest[1:]
			continue
		}
		if rest[0] == '=' { // a stray '=', with no attribute name: dropped
			rest = rest[1:]
			continue
		}
		j := 0
		for j < len(rest) && !isSpace(rest[j]) && rest[j] != '=' && rest[j] != '/' {
			j++
		}
		attr := rest[:j]
		rest = strings.TrimLeft(rest[j:], " \t\n\r\f")
		b.WriteString(" ")
		b.WriteString(attr)
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\n\r\f")
		var val string
		switch {
		case rest == "":
		case rest[0] == '"' || rest[0] == '\'':
			q := rest[0]
			k := strings.IndexByte(rest[1:], q)
			if k < 0 {
				val, rest = rest[1:], ""
			} else {
				val, rest = rest[1:1+k], rest[2+k:]
			}
		default:
			k := 0
			for k < len(rest) && !isSpace(rest[k]) {
				k++
			}
			val, rest = rest[:k], rest[k:]
		}
		b.WriteString(`="`)
		b.WriteString(strings.ReplaceAll(val, `"`, "&quot;"))
		b.WriteString(`"`)
	}
	if selfClosing {
		b.WriteString(" /")
	}
	b.WriteString(">")
	return name, b.String()
}

// writeText writes text between tags: URLs linked (outside anchors) and
// newlines turned into <br>.
func writeText(out *strings.Builder, text string, inAnchor bool) {
	for len(text) > 0 {
		i := -1
		if !inAnchor {
			i = indexURL(text)
		}
		if i < 0 {
			out.WriteString(strings.ReplaceAll(text, "\n", "<br>"))
			return
		}
		out.WriteString(strings.ReplaceAll(text[:i], "\n", "<br>"))
		text = text[i:]
		n := 0
		for n < len(text) && !isSpace(text[n]) && !strings.ContainsRune(`<>"'`, rune(text[n])) {
			n++
		}
		for n > 0 && strings.ContainsRune(".,;:!?)]", rune(text[n-1])) {
			n--
		}
		url := text[:n]
		out.WriteString(`<a href="`)
		out.WriteString(url)
		out.WriteString(`">`)
		out.WriteString(url)
		out.WriteString(`</a>`)
		text = text[n:]
	}
}

// indexURL finds the next http:// or https:// (in any case) that starts a
// word and has something after the scheme.
func indexURL(text string) int {
	for i := 0; i < len(text); i++ {
		var scheme int
		switch {
		case hasPrefixFold(text[i:], "https://"):
			scheme = len("https://")
		case hasPrefixFold(text[i:], "http://"):
			scheme = len("http://")
		default:
			continue
		}
		wordStart := i == 0 || !isLetter(text[i-1]) && !('0' <= text[i-1] && text[i-1] <= '9')
		rest := text[i:]
		if wordStart && len(rest) > scheme && !isSpace(rest[scheme]) && !strings.ContainsRune(`<>"'`, rune(rest[scheme])) {
			return i
		}
	}
	return -1
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case, byte by byte.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
