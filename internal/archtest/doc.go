// Package archtest holds the test that keeps the package arrows pointing
// the way docs/ARCHITECTURE.md draws them. It has no code of its own.
package archtest
