// Package archtest holds the tests that keep the package arrows pointing
// the way docs/ARCHITECTURE.md draws them, and the comments citing
// sections that docs/ has. It has no code of its own.
package archtest
