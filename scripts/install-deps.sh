#!/usr/bin/env bash
# Installs what Herald's build and tests need on a fresh Debian machine with the Swift toolchain.
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

# openssl: the SMTP tests make a throw-away certificate with the `openssl` command.
# chromium: the console's browser test (Tests/Browser/console_e2e.py) drives it through Playwright.
# gdb: when a test run stalls, scripts/test-with-watchdog.sh prints where every thread stands.
apt_packages=(libcurl4-openssl-dev pkg-config libsqlite3-dev python3 openssl chromium gdb)
# PostgreSQL server binaries for the scale-out tests (scripts/postgres-test-cluster.sh).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_packages+=(postgresql)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    echo "installing Debian packages: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The channel tests run Python test servers: aiosmtpd (SMTP) and the standard library (HTTP);
# the service tests run schemathesis against docs/openapi.yaml through its `st` program, so for
# schemathesis the check is the program on PATH, not the import.
# pip first (it follows the python3 on PATH); on a Debian Python that refuses pip installs
# (PEP 668), the Debian package instead.
# playwright: drives the system chromium for the console's browser test (its own browser download
# is never used, so `playwright install` is not run).
python_packages=(aiosmtpd schemathesis playwright)
# What proves a package usable: a Python import, or (for schemathesis) the program the tests run.
present() {
    case "$1" in
    schemathesis) command -v st >/dev/null 2>&1 && python3 -c "import schemathesis" 2>/dev/null ;;
    *) python3 -c "import $1" 2>/dev/null ;;
    esac
}
for p in "${python_packages[@]}"; do
    present "$p" && continue
    echo "installing Python package: $p"
    python3 -m pip install -q "$p" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "$p" 2>/dev/null \
        || {
            sudo_cmd=""
            [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
            $sudo_cmd apt-get update -qq
            DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "python3-$p" >/dev/null
        }
    present "$p" || {
        if [ "$p" = schemathesis ] && python3 -c "import schemathesis" 2>/dev/null; then
            where=$(python3 -c 'import os, site, sysconfig
for d in (sysconfig.get_path("scripts"), os.path.join(site.getuserbase(), "bin")):
    if os.access(os.path.join(d, "st"), os.X_OK): print(d); break' 2>/dev/null || true)
            echo "error: schemathesis is installed but its \`st\` program is not on PATH" \
                "(${where:+it is in $where; }add pip's scripts folder to PATH)" >&2
        else
            echo "error: could not install the Python package $p" >&2
        fi
        exit 1
    }
done
