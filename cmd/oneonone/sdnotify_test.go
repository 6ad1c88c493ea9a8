package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Under systemd with Type=notify, run says READY=1 once it serves, feeds
// the watchdog, and says STOPPING=1 when it stops.
func TestRunNotifiesSystemd(t *testing.T) {
	cfg, _, _ := userFlow(t, `listen = "127.0.0.1:0"`)
	dir, err := os.MkdirTemp("", "sdn") // a socket path must be short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "n.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000")
	t.Setenv("WATCHDOG_PID", "")
	recv := func() string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // against a hang only
		buf := make([]byte, 512)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &out, &errs) }()
	if got := recv(); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	waitServing(t, out.String) // READY=1 came after the web face listened
	if got := recv(); got != "WATCHDOG=1" {
		t.Fatalf("then %q, want WATCHDOG=1", got)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs.String())
	}
	for {
		got := recv()
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("at stop %q, want STOPPING=1", got)
		}
	}
}
