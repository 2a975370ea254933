# Herald — the two commands a newcomer needs:
#   make run    start the orchestrator on the embedded default (SQLite + local file outbox)
#   make test   install what the tests need and run them all
SHELL := /bin/bash
SWIFT ?= swift
PORT ?= 8080
# The API key `make run` accepts (override: make run HERALD_API_KEY=...).
HERALD_API_KEY ?= dev-key

.PHONY: deps test test-count build run bench check clean format lint

# System and Python packages the build and the tests use. Idempotent; quiet when already present.
deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

# The PostgreSQL tests run against a private cluster started (and stopped) around the run, unless
# HERALD_TEST_POSTGRES_URL already points at one. A run that stalls (no output and no work for 90 s)
# is stopped and run again, loudly, at most three runs (scripts/test-with-watchdog.sh;
# docs/architecture.md, Tests). The test that leaves a PostgreSQL query unanswered on purpose (a
# session ended under a frozen transaction) runs in a process of its own, after the others: it was
# running in every stalled run.
test: deps lint
	$(SWIFT) build --build-tests
	./scripts/postgres-test-cluster.sh run ./scripts/test-with-watchdog.sh $(SWIFT) test --skip-build --parallel --num-workers 2 --skip PostgresFrozenTransactionTests
	./scripts/postgres-test-cluster.sh run ./scripts/test-with-watchdog.sh $(SWIFT) test --skip-build --filter PostgresFrozenTransactionTests

# The number of tests per test module, as the table in docs/architecture.md (a parameterized test
# counts once).
test-count:
	@SWIFT=$(SWIFT) ./scripts/test-count.sh

# The benchmarks (BENCHMARKS.md): release build of herald-bench only, then one table. The
# receivers for the delivery benchmark (nginx, wrk) are installed when missing. Reduce sizes with
# e.g. make bench BENCH_ARGS="--customers 100000 --timers 20000".
BENCH_ARGS ?=
bench: deps
	@for p in nginx-light wrk; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		sudo_cmd=""; [ "$$(id -u)" -eq 0 ] || sudo_cmd="sudo"; \
		$$sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo_cmd apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(SWIFT) build -c release --product herald-bench
	.build/release/herald-bench $(BENCH_ARGS)

# Formatting: one style for the whole package (.swift-format, 150 columns). `make test` (so CI)
# fails on unformatted Swift; `make format` rewrites the files in place.
SWIFT_SOURCES := Sources Tests Plugins Package.swift
lint:
	@$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_SOURCES) \
		|| { echo "error: unformatted Swift (see above); run 'make format'" >&2; exit 1; }

format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_SOURCES)

check:
	$(SWIFT) run herald check Journeys

# The orchestrator on the embedded default: SQLite in ./data, every channel to the local outbox
# folder ./outbox (see docs/service.md). Stops gracefully on Ctrl-C.
run: deps
	$(SWIFT) build --product herald
	HERALD_API_KEY=$(HERALD_API_KEY) .build/debug/herald serve --port $(PORT) --journeys Journeys --data data --outbox outbox

clean:
	rm -rf .build data outbox
