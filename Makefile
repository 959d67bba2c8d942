# herald: `make test` installs what the tests need and runs all of them.
GO ?= go
SITES := $(CURDIR)/.cache/sites
export HERALD_TEST_SITES := $(SITES)

.PHONY: build test testdeps testsites vet bench bench-serve clean

build:
	$(GO) build -o herald ./cmd/herald

test: testdeps testsites vet
	$(GO) test -race -count=1 -timeout 20m ./...

testdeps:
	./scripts/testdeps.sh

testsites: testdeps
	./scripts/testsites.sh $(SITES)

vet:
	$(GO) vet ./...

# Whole-site benchmarks run a fixed number of times; the handler's micro
# benchmarks run for their default time.
bench: testsites
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x ./manifest/... ./watch ./sites
	$(GO) test -run '^$$' -bench . -benchmem ./serve

# Side by side with nginx and Go's http.FileServer: needs ../shared/bench/setup.sh run once.
bench-serve:
	./scripts/bench-serve.sh

clean:
	rm -rf herald .cache
