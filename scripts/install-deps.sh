#!/usr/bin/env bash
# Installs what Herald's build and tests need on a fresh Debian machine with the Swift toolchain.
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

apt_packages=(libcurl4-openssl-dev pkg-config libsqlite3-dev)
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

python_packages=(aiosmtpd schemathesis)
for p in "${python_packages[@]}"; do
    python3 -c "import $p" 2>/dev/null || { echo "installing Python package: $p"; python3 -m pip install -q "$p"; }
done
