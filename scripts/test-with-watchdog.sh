#!/usr/bin/env bash
# Runs the test command and watches its output. If the run makes no progress (no new output) for
# HERALD_TEST_STALL_SECONDS (default 300), or prints nothing and does no work at all for
# HERALD_TEST_IDLE_SECONDS (default 90), it is stopped and run once more.
#
# Why: on a loaded 2-core machine the whole suite was seen, rarely, to stop making progress with every
# task suspended and no thread working (five such stalls on 1 December 2026, before the tests stopped
# using Foundation's Process; see docs/architecture.md, "Tests"). A stall is reported loudly, with
# where every thread stood, never hidden: the suite runs again
# (at most three runs), the run that counts must pass on its own, a run that fails is never repeated,
# and every run's output stays in the log.
#
#   scripts/test-with-watchdog.sh swift test --skip-build --parallel --num-workers 2
set -uo pipefail
stall=${HERALD_TEST_STALL_SECONDS:-300}
# Stopped sooner when, besides printing nothing, the whole session does no work (under a second of
# CPU) for this long: a stalled run sits at zero while a slow one still works.
idle=${HERALD_TEST_IDLE_SECONDS:-90}
log=$(mktemp /tmp/herald-tests.XXXXXX)
trap 'rm -f "$log"' EXIT

# CPU ticks (user + system) used so far by every process of the session `$1`: the test binary,
# the servers and tools it started. A stalled run uses none.
session_ticks() {
    local total=0 p
    for p in $(pgrep -s "$1" 2>/dev/null); do
        # Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
        local rest
        rest=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        set -- $rest
        total=$((total + ${12:-0} + ${13:-0}))
    done
    echo "$total"
}

# Where every thread of the stalled test binary stands (needs gdb): the whole dump goes to a file,
# and the threads that are in Herald's or the tests' code are printed, for the report.
dump_stacks() {
    command -v gdb >/dev/null 2>&1 || { echo "test-with-watchdog: gdb is not installed: no stacks" >&2; return; }
    local p dump
    for p in $(pgrep -s "$1" 2>/dev/null); do
        [[ "$(cat /proc/$p/comm 2>/dev/null)" == *PackageTe* ]] || continue
        dump=/tmp/herald-stall-$(date +%Y%m%dT%H%M%S)-$p.txt
        timeout 120 gdb -p "$p" -batch -ex "thread apply all bt 30" >"$dump" 2>&1
        echo "test-with-watchdog: stacks of $p in $dump; threads in Herald's code:" >&2
        awk '
            /^Thread / { if (keep && !skip) printf "%s", block; block = $0 "\n"; keep = 0; skip = 0; frames = 0; next }
            /^#/ {
                if (++frames <= 12) block = block "    " substr($0, 1, 220) "\n"
                # (a ChildProcess thread waiting for its child is not news)
                if ($0 ~ /\/(Sources|Tests)\//) keep = 1
                if ($0 ~ /waitForExit/) skip = 1
            }
            END { if (keep && !skip) printf "%s", block }
        ' "$dump" >&2
    done
}

run_once() {
    : >"$log"
    setsid "$@" >"$log" 2>&1 &
    local pid=$! last_size=-1 last_change=$SECONDS size busy_ticks=-1 busy_change=$SECONDS ticks
    tail -f --pid="$pid" -n +1 "$log" &
    local tailer=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        size=$(stat -c %s "$log")
        ticks=$(session_ticks "$pid")
        # Working: the session's processes used more than a second of CPU since the last change.
        if ((ticks - busy_ticks > 100)); then
            busy_ticks=$ticks
            busy_change=$SECONDS
        fi
        if [[ "$size" != "$last_size" ]]; then
            last_size=$size
            last_change=$SECONDS
        elif ((SECONDS - last_change >= stall)) || ((SECONDS - last_change >= idle && SECONDS - busy_change >= idle)); then
            echo "test-with-watchdog: no progress for $((SECONDS - last_change)) s ($((SECONDS - busy_change)) s without work): stopping this run" >&2
            # What was running: tests that started and never finished (for the report).
            grep -o '◇ Test [^ (]*' "$log" | sed 's/◇ Test //' | sort -u >"$log.started"
            grep -E '[✔✘] Test [^ (]*\(' "$log" | grep -o 'Test [^ (]*' | sed 's/Test //' | sort -u >"$log.done"
            echo "test-with-watchdog: unfinished: $(comm -23 "$log.started" "$log.done" | tr '\n' ' ')" >&2
            rm -f "$log.started" "$log.done"
            dump_stacks "$pid"
            # The whole session: swift test runs the test binary in a process group of its own.
            pkill -TERM -s "$pid" 2>/dev/null
            sleep 5
            pkill -KILL -s "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            wait "$tailer" 2>/dev/null
            # A stalled run that had already failed a test is a failure, never run again.
            if grep -q '✘ Test .*recorded an issue' "$log"; then
                echo "test-with-watchdog: this run had already failed a test (above): not running it again" >&2
                return 1
            fi
            return 124
        fi
    done
    wait "$pid"
    local status=$?
    wait "$tailer" 2>/dev/null
    return $status
}

# At most three runs: a stall is not a test failure, but a run that fails is never run again.
status=124
for attempt in 1 2 3; do
    run_once "$@"
    status=$?
    ((status == 124)) || break
    echo "test-with-watchdog: run $attempt stalled (see docs/architecture.md, Tests)$( ((attempt < 3)) && echo "; running the suite again")" >&2
done
exit $status
