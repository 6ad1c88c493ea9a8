// Command oneonone watches calendars for recurring 1:1 meetings, keeps the
// history of what became of each occurrence, and reports it.
//
// Usage: oneonone <command> [flags]; run "oneonone help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
