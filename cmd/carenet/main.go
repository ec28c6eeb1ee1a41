// Command carenet is the chat-bot of the NCMS community child-care
// workforce. With no channel configured it starts the local simulator; see
// README.md for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Africa/Harare must resolve on machines without zoneinfo

	"carenet/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
