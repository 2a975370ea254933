# Herald — the two commands a newcomer needs:
#   make run    start the orchestrator on the embedded default (SQLite + local file outbox)
#   make test   install what the tests need and run them all
SHELL := /bin/bash
SWIFT ?= swift
PORT ?= 8080
# The API key `make run` accepts (override: make run HERALD_API_KEY=...).
HERALD_API_KEY ?= dev-key

.PHONY: deps test build run bench check clean

# System and Python packages the build and the tests use. Idempotent; quiet when already present.
deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

# The PostgreSQL tests run against a private cluster started (and stopped) around the run, unless
# HERALD_TEST_POSTGRES_URL already points at one.
test: deps
	$(SWIFT) build --build-tests
	./scripts/postgres-test-cluster.sh run $(SWIFT) test --skip-build --parallel --num-workers 2

check:
	$(SWIFT) run herald check Journeys

# The orchestrator on the embedded default: SQLite in ./data, every channel to the local outbox
# folder ./outbox (see docs/service.md). Stops gracefully on Ctrl-C.
run: deps
	$(SWIFT) build --product herald
	HERALD_API_KEY=$(HERALD_API_KEY) .build/debug/herald serve --port $(PORT) --journeys Journeys --data data --outbox outbox

clean:
	rm -rf .build data outbox
