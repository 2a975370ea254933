#!/usr/bin/env bash
# Runs the test command and watches its output. If the run makes no progress (no new output) for
# HERALD_TEST_STALL_SECONDS (default 300), it is stopped and run once more.
#
# Why: on a loaded 2-core machine the whole suite was seen, rarely, to stop making progress with every
# task suspended and no thread working (four such stalls on 1 December 2026; the cause is still open,
# see docs/architecture.md, "Tests"). A stall is reported loudly, never hidden: the second run must
# pass on its own, and the first run's output stays in the log.
#
#   scripts/test-with-watchdog.sh swift test --skip-build --parallel --num-workers 2
set -uo pipefail
stall=${HERALD_TEST_STALL_SECONDS:-300}
log=$(mktemp /tmp/herald-tests.XXXXXX)
trap 'rm -f "$log"' EXIT

run_once() {
    : >"$log"
    setsid "$@" >"$log" 2>&1 &
    local pid=$! last_size=-1 last_change=$SECONDS size
    tail -f --pid="$pid" -n +1 "$log" &
    local tailer=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        size=$(stat -c %s "$log")
        if [[ "$size" != "$last_size" ]]; then
            last_size=$size
            last_change=$SECONDS
        elif ((SECONDS - last_change >= stall)); then
            echo "test-with-watchdog: no progress for ${stall} s: stopping this run" >&2
            # What was running: tests that started and never finished (for the report).
            grep -o '◇ Test [^ (]*' "$log" | sed 's/◇ Test //' | sort -u >"$log.started"
            grep -E '[✔✘] Test [^ (]*\(' "$log" | grep -o 'Test [^ (]*' | sed 's/Test //' | sort -u >"$log.done"
            echo "test-with-watchdog: unfinished: $(comm -23 "$log.started" "$log.done" | tr '\n' ' ')" >&2
            rm -f "$log.started" "$log.done"
            # The whole session: swift test runs the test binary in a process group of its own.
            pkill -TERM -s "$pid" 2>/dev/null
            sleep 5
            pkill -KILL -s "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            wait "$tailer" 2>/dev/null
            return 124
        fi
    done
    wait "$pid"
    local status=$?
    wait "$tailer" 2>/dev/null
    return $status
}

run_once "$@"
status=$?
if ((status == 124)); then
    echo "test-with-watchdog: the test run stalled (see docs/architecture.md, Tests); running it once more" >&2
    run_once "$@"
    status=$?
    ((status == 124)) && echo "test-with-watchdog: the second run stalled too" >&2
fi
exit $status
