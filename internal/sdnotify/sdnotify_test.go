package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen makes a unixgram socket for NOTIFY_SOCKET. A socket's path must
// fit in 108 bytes, so it goes in a short temporary directory rather than
// t.TempDir's long one when that is too long.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 80 {
		d, err := os.MkdirTemp("", "sdn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	path := filepath.Join(dir, "n.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

// next is the next datagram; it fails the test when none comes for long
// (a bound against hanging, not a timing assertion).
func next(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

func TestNotify(t *testing.T) {
	conn := listen(t)
	if sent, err := Notify("READY=1"); !sent || err != nil {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got := next(t, conn); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestNotifyWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify("READY=1"); sent || err != nil {
		t.Errorf("Notify = %v, %v; want nothing done", sent, err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, tt := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"garbage", "", 0},
		{"30000000", "", 15 * time.Second},
		{"30000000", strconv.Itoa(os.Getpid()), 15 * time.Second},
		{"30000000", "1", 0},
	} {
		t.Setenv("WATCHDOG_USEC", tt.usec)
		t.Setenv("WATCHDOG_PID", tt.pid)
		if got := WatchdogInterval(); got != tt.want {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, want %v", tt.usec, tt.pid, got, tt.want)
		}
	}
}

// Run says READY=1, then WATCHDOG=1 on the watchdog's beat, then
// STOPPING=1 when its context ends.
func TestRun(t *testing.T) {
	conn := listen(t)
	t.Setenv("WATCHDOG_USEC", "2000") // a ping every millisecond
	t.Setenv("WATCHDOG_PID", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, nil); close(done) }()
	if got := next(t, conn); got != "READY=1" {
		t.Fatalf("first = %q, want READY=1", got)
	}
	for i := 0; i < 2; i++ {
		if got := next(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("then %q, want WATCHDOG=1", got)
		}
	}
	cancel()
	<-done
	for {
		if got := next(t, conn); got == "STOPPING=1" {
			break
		} else if got != "WATCHDOG=1" {
			t.Fatalf("at stop %q, want STOPPING=1", got)
		}
	}
}

// Without NOTIFY_SOCKET, Run returns at once.
func TestRunWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	Run(context.Background(), nil)
}
