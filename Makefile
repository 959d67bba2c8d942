# herald: `make test` installs what the tests need and runs all of them.
GO ?= go
SITES := $(CURDIR)/.cache/sites
export HERALD_TEST_SITES := $(SITES)

.PHONY: build test testdeps testsites vet tidy fuzz bench bench-setup bench-serve bench-build bench-bundle soak clean

# urfave/cli's man-page and markdown generators (go-md2man, blackfriday) are
# left out of the binary, and so of every bundle: herald never calls them.
TAGS := urfave_cli_no_docs

build:
	$(GO) build -tags $(TAGS) -o herald ./cmd/herald

# CI=true: a test whose site or tool is missing fails instead of skipping
# (set CI=false to let them skip). The attack suite runs again without the
# race detector, which inflates memory: there the peak RSS bounds are asserted.
test: tidy testdeps testsites vet
	CI=$${CI:-true} $(GO) test -race -count=1 -timeout 20m ./...
	CI=$${CI:-true} $(GO) test -count=1 -run '^TestAttack' ./serve ./compress

testdeps:
	./scripts/testdeps.sh

testsites: testdeps
	./scripts/testsites.sh $(SITES)

vet:
	$(GO) vet ./...

# go.mod and go.sum as go mod tidy writes them: -diff prints what tidy would
# change and exits non-zero, changing nothing.
tidy:
	$(GO) mod tidy -diff

# Every fuzz test of a parser of outside input, FUZZTIME each; what fails
# is kept under the package's testdata/fuzz and replayed by make test.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "$$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Whole-site benchmarks run a fixed number of times; the handler's micro
# benchmarks run for their default time.
bench: testsites
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x ./manifest/... ./watch ./sites
	$(GO) test -run '^$$' -bench . -benchmem ./serve

# A folder churned for SOAKTIME while a running herald serve is fetched from,
# then checked against a fresh build, and stopped with SIGTERM.
SOAKTIME ?= 10m
soak:
	$(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 60m ./internal/churn -soaktime $(SOAKTIME)

# The side-by-side harness of scripts/bench (its README.md): setup installs nginx, h2o, Caddy
# and h2load when missing and builds herald and the Go tools into .cache/bench (BENCH_DATA).
bench-setup: testsites
	./scripts/bench/setup.sh

# herald serve against nginx, h2o, Caddy and Go's http.FileServer: throughput, then push at
# 50 ms RTT (DURATION=10 s per measurement, ROUNDS=3, RUNS=7; PROFILE=1 adds a CPU profile).
bench-serve: testsites
	./scripts/bench-serve.sh

# herald build as a process against the floor (RUNS=9); a bundle's size, start-up and req/s.
bench-build: testsites
	./scripts/bench-build.sh $${RUNS:-9}

bench-bundle: testsites
	./scripts/bench-bundle.sh

clean:
	rm -rf herald .cache
