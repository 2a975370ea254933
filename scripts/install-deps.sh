#!/usr/bin/env bash
# Installs what Herald's build and tests need on a fresh Debian machine with the Swift toolchain.
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

apt_packages=(libcurl4-openssl-dev pkg-config libsqlite3-dev python3)
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
# the service tests run schemathesis against docs/openapi.yaml.
# pip first (it follows the python3 on PATH); on a Debian Python that refuses pip installs
# (PEP 668), the Debian package instead.
python_packages=(aiosmtpd schemathesis)
for p in "${python_packages[@]}"; do
    python3 -c "import $p" 2>/dev/null && continue
    echo "installing Python package: $p"
    python3 -m pip install -q "$p" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "$p" 2>/dev/null \
        || {
            sudo_cmd=""
            [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
            $sudo_cmd apt-get update -qq
            DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "python3-$p" >/dev/null
        }
    python3 -c "import $p" || { echo "error: could not install the Python package $p" >&2; exit 1; }
done
