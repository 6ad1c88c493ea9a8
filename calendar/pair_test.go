package calendar

import (
	"cmp"
	"testing"
)

// Pair.Compare orders pairs as their String forms do, '|' in addresses
// and one address beginning another included.
func TestPairCompare(t *testing.T) {
	parts := []string{"", "a", "ab", "a|b", "a|", "b", "abc@x", "ab|c", "~", "ab~"}
	for _, a1 := range parts {
		for _, b1 := range parts {
			for _, a2 := range parts {
				for _, b2 := range parts {
					p, q := Pair{a1, b1}, Pair{a2, b2}
					if got, want := p.Compare(q), cmp.Compare(p.String(), q.String()); got != want {
						t.Fatalf("%q.Compare(%q) = %d, want %d", p, q, got, want)
					}
				}
			}
		}
	}
}
