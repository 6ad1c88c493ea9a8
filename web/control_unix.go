//go:build unix

package web

import (
	"net"
	"os"
	"syscall"
)

// umask is process-wide: one socket made at a time.
var umaskMu = make(chan struct{}, 1)

// listenPrivate binds the socket with a umask that leaves it to its owner
// (so that it is never open to others, not even for an instant), then
// makes sure of mode 0600.
func listenPrivate(path string) (net.Listener, error) {
	umaskMu <- struct{}{}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	<-umaskMu
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
