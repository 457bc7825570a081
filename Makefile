# frocket: the two commands a newcomer needs are `make demo` and `make test`.
GO        ?= go
BIN       := bin/frocket
DATA_DIR  ?= $(CURDIR)/.data
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 0

.PHONY: all build demo test test-deps test-short bench bench-peers bench-queue bench-e2e vet fmt fuzz bce clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/frocket

# Generates a ~1M-row dataset, registers it in an embedded catalog under $(DATA_DIR) and runs a
# pageview -> addToCart -> purchase funnel.
demo: build
	$(BIN) --data-dir $(DATA_DIR) demo

# Every test, every benchmark once (so none rots), with the race detector on the concurrent packages,
# and the packages with assembly kernels once more with their Go twins (-tags purego).
# Installs redis-server, versitygw and the Lambda emulator first when they are missing.
test: test-deps vet
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags purego ./scan/ ./kernels/ ./worker/
	CGO_ENABLED=1 $(GO) test -count=1 -race -skip TestDifferential ./server/ ./cluster/ ./catalog/ ./cache/ ./worker/
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...

# The Lambda worker: dist/bootstrap for the provided.al2023 runtime (x86_64) and the deployable
# dist/frocket-lambda.zip that holds it (function settings: the doc comment of cmdLambda in cmd/frocket/lambda.go).
.PHONY: lambda
lambda:
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -ldflags '$(LDFLAGS)' -o dist/bootstrap ./cmd/frocket
	$(GO) run ./scripts/mkzip dist/frocket-lambda.zip dist/bootstrap

test-deps:
	@scripts/test-deps.sh

test-short:
	$(GO) test -short ./...

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags purego ./scan/ ./kernels/

fmt:
	gofmt -w $$(git ls-files '*.go')

# Package benchmarks, then frocket side by side with DuckDB (SCALE=1M for a quick run, 100M or 500M for
# the original's sizes), then queue mode with 1, 2 and 4 workers.
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchmem ./kernels/ ./scan/ ./bench/
	$(MAKE) bench-peers bench-queue bench-e2e

bench-peers:
	cd bench/peers && CGO_ENABLED=1 $(GO) run . --scale $(or $(SCALE),10M) --reps 3 --json $(CURDIR)/bench-data/peers-$(or $(SCALE),10M).json

bench-queue: build
	scripts/bench-queue.sh 10000000 10 5

# Cold and warm runs over S3 (versitygw) with queue workers and with Lambda workers under the emulator,
# Lambda cost, and the projection to the original's 100M/500M-row datasets.
bench-e2e: build test-deps
	bin/frocket bench --rows 10000000 --files 10 --reps 3 --json bench-data/e2e-10M.json

# The bounds checks the compiler keeps in the kernels and the scan, by file and line (see kernels/doc.go).
bce:
	$(GO) build -gcflags='-d=ssa/check_bce' ./kernels/ ./scan/ 2>&1 | grep -E '^(kernels|scan)/' | sort -t: -k1,1 -k2,2n

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./query/

clean:
	rm -rf bin $(DATA_DIR) .tools
