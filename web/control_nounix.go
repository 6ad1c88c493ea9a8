//go:build !unix

package web

import (
	"errors"
	"net"
)

func listenPrivate(string) (net.Listener, error) {
	return nil, errors.New("no control socket on this system")
}
