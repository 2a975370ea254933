#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for Herald's tests.
#
#   scripts/postgres-test-cluster.sh start DIR   # prints the connection URL on stdout
#   scripts/postgres-test-cluster.sh stop DIR    # stops the cluster and removes DIR
#   scripts/postgres-test-cluster.sh halt DIR    # stops the server (fast shutdown), keeps DIR
#   scripts/postgres-test-cluster.sh resume DIR  # starts a halted server again, on the same port
#   scripts/postgres-test-cluster.sh run CMD...  # runs CMD with HERALD_TEST_POSTGRES_URL set to a
#                                                # fresh cluster, stopped afterwards (or to the
#                                                # URL already in the environment, if any)
#
# `start` installs Debian's `postgresql` when no server binaries are found, creates a cluster in
# DIR (which must be empty or missing), and starts it on a free loopback port with trust
# authentication for local connections only. PostgreSQL refuses to run as root, so when this runs
# as root the cluster belongs to the `postgres` user (created by the Debian package). The URL points
# at the `postgres` database as the `herald` superuser; tests create their own databases in it.
set -euo pipefail

command=${1:-}
if [[ "$command" == run ]]; then
    shift
    if [[ -n "${HERALD_TEST_POSTGRES_URL:-}" ]]; then
        exec "$@"
    fi
    dir=$(mktemp -d /tmp/herald-pg.XXXXXX)
    trap '"$0" stop "$dir"' EXIT
    HERALD_TEST_POSTGRES_URL=$("$0" start "$dir")
    export HERALD_TEST_POSTGRES_URL
    echo "PostgreSQL test cluster: $HERALD_TEST_POSTGRES_URL" >&2
    status=0
    "$@" || status=$?
    exit $status
fi
dir=${2:-}
if [[ -z "$command" || -z "$dir" ]]; then
    echo "usage: $0 start|stop|halt|resume DIR | run CMD..." >&2
    exit 2
fi

find_bin() {
    local candidate
    for candidate in /usr/lib/postgresql/*/bin; do
        [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]] && { echo "$candidate"; return 0; }
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

# Runs a command as the cluster's owner (the `postgres` user when we are root).
as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Starts the server of the cluster in DIR on the port recorded there. Settings for a test cluster:
# loopback only, sockets in DIR, enough connections for three nodes and the tests, fsync kept on
# (the tests exercise crash behaviour of the service, and a durable commit is part of the contract).
launch() {
    local dir=$1 bin port
    bin=$(cat "$dir/bin")
    port=$(cat "$dir/port")
    # The server must not inherit descriptors beyond 0-2: a caller that learns of this script's
    # exit through such a descriptor (Foundation's Process does, on Linux) would otherwise wait
    # until PostgreSQL stops. 255 is the one bash reads this script from.
    local fd
    for fd in $(ls /proc/$BASHPID/fd); do
        ((fd > 2 && fd != 255)) && eval "exec $fd>&-" 2>/dev/null
    done
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=64MB" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
}

case "$command" in
start)
    if ! bin=$(find_bin); then
        echo "installing Debian package: postgresql" >&2
        sudo_cmd=""
        [[ "$(id -u)" -eq 0 ]] || sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
        bin=$(find_bin)
    fi
    mkdir -p "$dir"
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        chown postgres: "$dir"
        chmod 700 "$dir"
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    as_owner "$bin/initdb" -D "$dir/data" -U herald --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "$bin" >"$dir/bin"
    echo "$port" >"$dir/port"
    launch "$dir"
    url="postgres://herald@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
stop)
    if [[ -f "$dir/bin" && -d "$dir/data" ]]; then
        bin=$(cat "$dir/bin")
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
halt)
    [[ -f "$dir/bin" ]] || { echo "$0: no cluster in $dir" >&2; exit 1; }
    as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
    ;;
resume)
    [[ -f "$dir/bin" && -f "$dir/port" ]] || { echo "$0: no cluster in $dir" >&2; exit 1; }
    launch "$dir"
    ;;
*)
    echo "usage: $0 start|stop|halt|resume DIR | run CMD..." >&2
    exit 2
    ;;
esac
