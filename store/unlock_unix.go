//go:build unix

package store

import (
	"os"
	"syscall"
)

// unlock releases bbolt's lock of f, which its mapping would otherwise
// keep after f is closed.
func unlock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
