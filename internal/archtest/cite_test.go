package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cite is a comment's pointer to a section of a document of the
// repository: docs/DESIGN.md, "Occurrence states".
var cite = regexp.MustCompile(`(docs/[A-Z]+\.md),?\s*"([^"]+)"`)

// continuation joins a comment's lines, so that a citation broken over
// two lines reads as one.
var continuation = regexp.MustCompile(`\n\s*(//)?\s*`)

// numbered is the "3. " in front of a numbered heading.
var numbered = regexp.MustCompile(`^[0-9]+\.\s+`)

// contract is the design kept beside the repository, not in it (spelt in
// two parts so that this file does not cite it).
const contract = "shared/" + "DESIGN.md"

// TestCitationsNameASection checks that every code comment that cites a
// document of docs/ names a section the document has, and that none cites
// the design kept outside the repository: what the code says it follows
// is in the repository (docs/DESIGN.md).
func TestCitationsNameASection(t *testing.T) {
	root := filepath.Join("..", "..")
	headings := map[string][]string{}
	sections := func(doc string) []string {
		if h, ok := headings[doc]; ok {
			return h
		}
		data, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Errorf("%s is cited but cannot be read: %v", doc, err)
		}
		var h []string
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "#") {
				h = append(h, numbered.ReplaceAllString(strings.TrimSpace(strings.TrimLeft(l, "#")), ""))
			}
		}
		headings[doc] = h
		return h
	}
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), contract) {
			t.Errorf("%s cites ../%s: cite docs/DESIGN.md, the repository's account", p, contract)
		}
		for _, m := range cite.FindAllStringSubmatch(continuation.ReplaceAllString(string(data), " "), -1) {
			n++
			found := false
			for _, h := range sections(m[1]) {
				if strings.HasPrefix(h, m[2]) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s cites %s, %q: no such section", p, m[1], m[2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("found %d citations: the pattern no longer matches how comments cite", n)
	}
}
