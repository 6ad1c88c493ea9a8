//go:build !linux

package web

import "net"

// peerUID is not asked of the system here: the socket's mode (0600) is
// the only check.
func peerUID(net.Conn) (int, bool) { return 0, false }
