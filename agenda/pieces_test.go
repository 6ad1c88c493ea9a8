package agenda

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// pieces are the parts that descriptions are built from in TestPieces:
// markers, block lines, line breaks and markup, in every spelling.
var pieces = []string{
	BeginLine, EndLine, " " + BeginLine + " ", "&#45;&#45; oneonone agenda --", "<b>" + EndLine + "</b>",
	"Agenda: x", "Open actions:", "Open actions: none", "- [ ] bob: y", "- [x] done", FlowLine,
	"\n", "\r\n", "\r", "\n\n", "<br>", "<br/>", "<BR />", "<br><br>", "<div>", "</div>", "<p>", "</p>",
	"<b>", "</b>", "<a href=\"https://x\">", "</a>", "<", ">", "<x", "&nbsp;", "&amp;", " ", "\t",
	"text", "🙂", "e\u0301", "שלום", "<!--", "-->",
}

// TestPieces merges many descriptions made of pieces, checking the rules
// that the fuzz targets check, in a few seconds.
func TestPieces(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		d := sb.String()
		b1, b2 := fuzzBlocks("bob@example.com", pieces[r.IntN(len(pieces))], "https://docs.example.com/d/abc", uint8(i))
		plainFlavour.check(t, d, b1, b2)
		htmlFlavour.check(t, d, b1, b2)
		// Also from a description that already went through a merge.
		plainFlavour.check(t, d+Merge(d, b2.Text())+d, b1, b2)
		htmlFlavour.check(t, d+MergeHTML(d, b2.HTML())+d, b1, b2)
	}
}
