// Package sdnotify speaks systemd's readiness protocol (sd_notify(3)):
// one datagram of "NAME=value" lines to the unix socket named by
// $NOTIFY_SOCKET. Without that variable every call does nothing, so the
// daemon runs the same outside systemd.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"
)

// Notify sends state ("READY=1", "WATCHDOG=1", "STOPPING=1"…) to
// $NOTIFY_SOCKET. It returns false, nil when the variable is not set.
func Notify(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	// A leading '@' names an abstract socket; net maps it to the NUL byte.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	return true, nil
}

// WatchdogInterval is how often to send "WATCHDOG=1": half of
// $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; 0 when the watchdog
// is off or meant for another process ($WATCHDOG_PID).
func WatchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// Run tells systemd the daemon is ready, then keeps its watchdog fed
// until ctx is done, and says it is stopping. It returns at once when
// $NOTIFY_SOCKET is not set. A failed send is logged, not fatal: the
// daemon works without systemd hearing of it.
func Run(ctx context.Context, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sent, err := Notify("READY=1")
	if err != nil {
		log.Warn("could not tell systemd the daemon is ready", slog.String("error", err.Error()))
	}
	if !sent {
		return
	}
	defer Notify("STOPPING=1")
	every := WatchdogInterval()
	if every <= 0 {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := Notify("WATCHDOG=1"); err != nil {
				log.Warn("could not feed the systemd watchdog", slog.String("error", err.Error()))
			}
		}
	}
}
