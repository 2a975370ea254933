#!/usr/bin/env bash
# Prints the number of tests per test module as a Markdown table (the one in docs/architecture.md).
# A parameterized test counts once, as `swift test list` lists it. Builds the tests first unless
# --skip-build is given:
#   scripts/test-count.sh               # swift build --build-tests, then count
#   scripts/test-count.sh --skip-build  # count what is built
set -euo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
if [[ "${1:-}" != --skip-build ]]; then
    "$swift" build --build-tests >&2
fi
"$swift" test list --skip-build 2>/dev/null | awk -F. '/^[A-Za-z0-9_]+Tests\./ { print $1 }' | sort | uniq -c | awk '
    BEGIN { print "| test module | tests |"; print "|---|---:|" }
    { printf "| `%s` | %d |\n", $2, $1; total += $1 }
    END { printf "| all | %d |\n", total }'
