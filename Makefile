# oneonone — build, test, lint, bench.
#
# make test    installs the test servers it needs (Radicale, Xandikos, and the
#              packages of ../shared/servers' sabre/dav and Cyrus scripts) and
#              chromium when missing, then runs every test with the race
#              detector. The corpus of real calendars is read from
#              ../shared/corpus, the server scripts from ../shared/servers
#              (ONEONONE_SERVERS), when they exist. Cyrus needs root.
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
SERVERS_DIR := $(abspath ../shared/servers)
ifneq ($(wildcard $(SERVERS_DIR)),)
export ONEONONE_SERVERS ?= $(SERVERS_DIR)
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

# BENCH picks benchmarks (a -bench regexp: BENCH='ColdSync/caldav/10k'),
# BENCHTIME and BENCH_COUNT repeat them, BENCH_LARGE=1 adds the calendars of
# 100k events to bench/ (docs/PERFORMANCE.md). About 3 minutes as it is.
BENCH       ?= .
BENCHTIME   ?= 1s
BENCH_COUNT ?= 1
bench:
	$(GO) test -run='^$$' -bench='$(BENCH)' -benchmem -benchtime=$(BENCHTIME) -count=$(BENCH_COUNT) -timeout=60m ./...

fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | while read f; do \
	  pkg=./$$(dirname $$f); \
	  for fz in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/func //'); do \
	    echo "fuzz $$pkg $$fz ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$fz$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# make compare  oneonone against reference tools: vdirsyncer and `oneonone
#               sync` pulling one 5,000-object calendar from a local Radicale,
#               and python3-recurring-ical-events against `oneonone inspect`
#               over the corpus. Installs what it needs when missing; prints
#               the tables of docs/COMPARISON.md and reports differences
#               without failing on them. COMPARE_FLAGS passes flags
#               (e.g. COMPARE_FLAGS='-what expand -expand-reps 1').
COMPARE_FLAGS ?=

.PHONY: compare
compare:
	@scripts/install-compare-deps.sh
	$(GO) run ./bench/compare $(COMPARE_FLAGS)

# make soak     the long runs of sync's reliability tests (docs/RELIABILITY.md):
#               ONEONONE_SOAK=1 gives 500 CalDAV and 2,000 Google cycles at a
#               20% fault rate, 200 SIGKILLs of a syncing child, and the bad
#               input at full size (20 MB, 100,000 events). SOAKFLAGS adds go
#               test flags (SOAKFLAGS=-race); ONEONONE_FAULT_SEED=N another seed.
SOAKFLAGS ?=

.PHONY: soak
soak:
	ONEONONE_SOAK=1 $(GO) test -count=1 -timeout 90m -v $(SOAKFLAGS) \
	  -run '^(TestFaultsCalDAV|TestFaultsGoogle|TestGoogleUnreadable403IsNotReadOnly|TestCrashSafety|TestBadServerInput)$$' ./sync/
