package main

import (
	"context"
	"fmt"
	"io"

	"herald/config"
	"herald/metrics"
	"herald/serve"
)

// metricsFor returns the metrics of a process that serves them on addr,
// nil when addr is "" (no metrics: handlers observe nothing). With sites,
// the request metrics carry the site's name (serve --config). addr may not
// take the port of one of the process's listeners.
func metricsFor(addr string, sites bool, listeners ...string) (*metrics.Metrics, error) {
	if addr == "" {
		return nil, nil
	}
	for _, l := range listeners {
		if l != "" && config.Clash(addr, l) {
			return nil, usageError("--metrics %q takes the port of the listener on %q, so one could not start: give the metrics a port of their own, such as --metrics 127.0.0.1:9180", addr, l)
		}
	}
	return metrics.New(sites), nil
}

// withMetrics runs serveSites, and beside it, when m is set, the metrics
// endpoint on addr (plain HTTP, with the limits of srv), until ctx ends or
// either fails: one down stops the other. The endpoint's URL goes to
// errWriter once it listens.
func withMetrics(ctx context.Context, m *metrics.Metrics, addr string, srv serve.ServerOptions, errWriter io.Writer, serveSites func(context.Context) error) error {
	if m == nil {
		return serveSites(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() {
		errs <- serveSites(ctx)
		cancel()
	}()
	go func() {
		opts := serve.ServerOptions{Addr: addr, Limits: srv.Limits, Logger: srv.Logger}
		err := serve.Serve(ctx, m.Handler(), opts, func(url string) {
			fmt.Fprintf(errWriter, "herald: metrics at %s%s\n", url, metrics.Path[1:])
		})
		if err != nil {
			err = fmt.Errorf("metrics: %w", err)
		}
		errs <- err
		cancel()
	}()
	first, second := <-errs, <-errs
	if first != nil {
		return first
	}
	return second
}
