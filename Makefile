# oneonone — build, test, lint, bench.
#
# make test    installs the test servers it needs (Radicale, Xandikos) when
#              missing, then runs every test with the race detector. The corpus
#              of real calendars is read from ../shared/corpus when it exists.
# make lint    go vet, gofmt and staticcheck.
# make bench   the Go benchmarks, with allocations.
# make fuzz    each fuzz target for FUZZTIME (default 1m).

# Dependencies: google.golang.org/api is pinned at v0.310.0, the newest that
# resolves through our module proxy (v0.311.0 needs a genproto pseudo-version
# the proxy lacks). For the same reason `go mod tidy` cannot finish here: add
# dependencies with `go get module@version` instead.

GO          ?= go
CORPUS_DIR  := $(abspath ../shared/corpus)
ifneq ($(wildcard $(CORPUS_DIR)),)
export ONEONONE_CORPUS ?= $(CORPUS_DIR)
endif
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 1m

.PHONY: test deps lint bench fuzz build

build:
	$(GO) build ./...

test: deps
	$(GO) test -race -count=1 ./...

deps:
	@scripts/install-deps.sh

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | while read f; do \
	  pkg=./$$(dirname $$f); \
	  for fz in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/func //'); do \
	    echo "fuzz $$pkg $$fz ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$fz$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
