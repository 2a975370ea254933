# Herald — the two commands a newcomer needs:
#   make run    start the orchestrator on the embedded default (SQLite + local file outbox)
#   make test   install what the tests need and run them all
SHELL := /bin/bash
SWIFT ?= swift
PORT ?= 8080

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

run: deps
	$(SWIFT) build --product herald
	.build/debug/herald serve --port $(PORT) --journeys Journeys --data data

clean:
	rm -rf .build data outbox
