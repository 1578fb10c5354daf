# Byline. `make run` serves the sample site on :8080; `make test` is what CI runs.
GO       ?= go
BIN      := bin
GOFILES  := $(shell git ls-files '*.go' 2>/dev/null)

.PHONY: build run test widget generate check-generate lint bench bench-go bench-widget eval-related eval-related-real bench-related bench-hostile clean

# The widget (Go → WebAssembly) is built first and embedded in the binary.
build: widget
	$(GO) build -o $(BIN)/byline ./cmd/byline

widget:
	$(GO) run ./widget/build -out widget/assets/dist

run: build
	$(BIN)/byline serve

# The store suite runs on real SQLite and real PostgreSQL, the cache suite on
# real Redis; set BYLINE_TEST_REQUIRE=postgres,redis to fail instead of skip
# when one is missing (CI does).
test: widget
	$(GO) test -race -count=1 ./...

generate:
	$(GO) tool gqlgen generate

# CI: generated code must match the schema.
check-generate: generate
	git diff --exit-code -- graph/ schema.graphqls gqlgen.yml

lint:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./widget

# Load runs with wrk (apt-get install wrk); results land in bench/out/.
bench:
	bash bench/run.sh

# Hostile traffic: the normal query's p99 while four clients attack, each
# hostile request's server CPU, the heap and Redis after floods.
bench-hostile:
	bash bench/hostile.sh

# Widget size and start-up in headless Chromium (apt-get install chromium).
bench-widget: widget
	$(GO) test -run '^TestWidgetBudget$$' -v -count=1 ./cmd/byline

# Related stories: precision@5 and nDCG@5 against the shared-tags baseline on a
# labelled synthetic corpus, then the index's cost at 1k, 10k and 100k articles.
eval-related:
	$(GO) run ./cmd/bylineeval -sweep

# The same on real newswire: Reuters-21578 from ../shared/eval-data (research
# use only, never in the repository; skipped when absent), ModApte TEST
# sources against TF-IDF cosine and BM25 more-like-this. Tune with
# REUTERS_SPLIT=train.
REUTERS       ?= ../shared/eval-data/reuters21578
REUTERS_SPLIT ?= test
eval-related-real:
	$(GO) run ./cmd/bylineeval -reuters $(REUTERS) -split $(REUTERS_SPLIT)

bench-related:
	$(GO) run ./cmd/bylineeval -bench 1000,10000,100000
	$(GO) test -run '^$$' -bench Rank -benchmem ./related

# Go micro-benchmarks.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN) bench/out
