# herald: `make test` installs what the tests need and runs all of them.
GO ?= go
SITES := $(CURDIR)/.cache/sites
export HERALD_TEST_SITES := $(SITES)

.PHONY: build test testdeps testsites vet fuzz bench bench-serve soak clean

build:
	$(GO) build -o herald ./cmd/herald

# CI=true: a test whose site or tool is missing fails instead of skipping
# (set CI=false to let them skip).
test: testdeps testsites vet
	CI=$${CI:-true} $(GO) test -race -count=1 -timeout 20m ./...

testdeps:
	./scripts/testdeps.sh

testsites: testdeps
	./scripts/testsites.sh $(SITES)

vet:
	$(GO) vet ./...

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

# Side by side with nginx and Go's http.FileServer: needs ../shared/bench/setup.sh run once.
bench-serve:
	./scripts/bench-serve.sh

clean:
	rm -rf herald .cache
