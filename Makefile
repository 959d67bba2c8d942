# herald: `make test` installs what the tests need and runs all of them.
GO ?= go
SITES := $(CURDIR)/.cache/sites
export HERALD_TEST_SITES := $(SITES)

.PHONY: build test testdeps testsites vet bench clean

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

bench: testsites
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x ./...

clean:
	rm -rf herald .cache
