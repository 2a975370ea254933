#!/usr/bin/env bash
# Runs the test command and watches its output. If the run makes no progress (no new output) for
# HERALD_TEST_STALL_SECONDS (default 420), it is stopped and run once more.
#
# Why: on a loaded 2-core machine the whole suite was seen, rarely, to stop making progress with every
# task suspended and no thread working (three such stalls on 1 December 2026). Two file-descriptor
# bugs that explain it are fixed (docs/architecture.md, "Tests"); this stays as a safety net. A stall
# is reported loudly, never hidden: the second run must pass on its own, and the first run's output
# stays in the log.
#
#   scripts/test-with-watchdog.sh swift test --skip-build --parallel --num-workers 2
set -uo pipefail
stall=${HERALD_TEST_STALL_SECONDS:-420}
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
            kill -TERM -- "-$pid" 2>/dev/null
            sleep 5
            kill -KILL -- "-$pid" 2>/dev/null
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
