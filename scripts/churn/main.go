// Command churn changes a folder until interrupted or for a set time (see
// package herald/internal/churn), for scripts/bench-churn.sh.
//
//	go run ./scripts/churn -dir site/_churn -for 10m
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"herald/internal/churn"
)

func main() {
	dir := flag.String("dir", "", "the folder to churn (made if missing)")
	away := flag.String("away", "", "a folder outside it on the same file system (default: a new one beside it)")
	dur := flag.Duration("for", 10*time.Minute, "how long to churn")
	pause := flag.Duration("pause", 0, "pause between changes")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*dir, *away, *dur, *pause, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "churn: error:", err)
		os.Exit(1)
	}
}

func run(dir, away string, dur, pause time.Duration, seed uint64) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	if away == "" {
		away = dir + ".away"
	}
	for _, d := range []string{dir, away} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	c := churn.New(dir, away, seed)
	if err := c.Seed(300); err != nil {
		return err
	}
	start := time.Now()
	err := c.Run(ctx, pause)
	fmt.Printf("churn: %d changes in %v\n", c.Ops, time.Since(start).Round(time.Second))
	return err
}
